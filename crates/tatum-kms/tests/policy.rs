//! The signing policy and the signed four-eye exchange: the real binary against the
//! emulator (docs/POLICY.md, docs/FOUR-EYE.md).

mod common;

use common::{Kms, Run};
use kms_emulator::{Emulator, Scenario};
use serde_json::{json, Value};

const API_KEY: &str = "policy-test-key";
const M0: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const FRIEND: &str = "0x8cb76aed9c5e336ef961265c6079c14e9cd3d2ea";
const THIEF: &str = "0x000000000000000000000000000000000000dead";
const SECRET: &str = "four-eye-shared-secret";

fn emulator(scenario: Scenario) -> Emulator {
    let scenario = Scenario {
        jsonrpc: json!({"eth_chainId": "0xaa36a7"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        ..scenario
    };
    Emulator::start("127.0.0.1:0", scenario, Some(API_KEY.into())).expect("emulator")
}

fn setup(scenario: Scenario) -> (Emulator, Kms, String) {
    let emu = emulator(scenario);
    let mut kms = Kms::new("policy-pw");
    kms.env.push(("TATUM_API_URL".into(), emu.url()));
    kms.env.push(("TATUM_API_KEY".into(), API_KEY.into()));
    let out = kms.run_with_stdin(
        &["storemanagedwallet", "ETH", "--testnet"],
        &format!("{M0}\n"),
    );
    out.assert_ok();
    let id = out.json()["signatureId"].as_str().unwrap().to_string();
    (emu, kms, id)
}

/// A fully specified ETH transfer (no node calls needed) from the mnemonic's key 0.
fn eth_tx(id: &str, wallet: &str, to: &str, wei: &str, nonce: u32) -> Value {
    let serialized = json!({"to": to, "value": wei, "nonce": nonce, "gasPrice": "20000000000",
        "gas": "21000", "chainId": 11155111});
    json!({"id": id, "chain": "ETH", "serializedTransaction": serialized.to_string(),
        "hashes": [wallet], "index": 0})
}

fn write_policy(kms: &Kms, text: &str) -> String {
    let path = kms.home().join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn daemon(kms: &Kms, extra: &[&str]) -> Run {
    let mut args = vec!["daemon", "--runOnce", "--testnet"];
    args.extend_from_slice(extra);
    kms.run(&args)
}

fn broadcast_ids(emu: &Emulator) -> Vec<String> {
    emu.broadcasts()
        .iter()
        .filter_map(|b| serde_json::from_str::<Value>(b["body"].as_str()?).ok())
        .filter_map(|b| b["signatureId"].as_str().map(str::to_string))
        .collect()
}

fn reported(emu: &Emulator, id: &str) -> Option<String> {
    emu.reported_errors()
        .iter()
        .find(|e| e["signatureId"] == id)
        .map(|e| e["error"].as_str().unwrap_or("").to_string())
}

const POLICY: &str = r#"
[[rule]]
name = "blocklist"
action = "deny"
to_any = ["0x000000000000000000000000000000000000dead"]

[[rule]]
name = "small eth transfers"
action = "allow"
chains = ["ETH"]
kinds = ["transfer"]
max_amount = "1000000000000000000"
"#;

#[test]
fn the_policy_decides_what_is_signed_and_denials_are_reported() {
    let (emu, kms, wallet) = setup(Scenario::default());
    emu.enqueue("ETH", eth_tx("ok-1", &wallet, FRIEND, "1000", 1));
    emu.enqueue("ETH", eth_tx("thief-1", &wallet, THIEF, "1000", 2));
    emu.enqueue(
        "ETH",
        eth_tx("too-big-1", &wallet, FRIEND, "1000000000000000001", 3),
    );
    emu.enqueue(
        "ETH",
        json!({"id": "garbage-1", "chain": "ETH", "serializedTransaction": "not json", "hashes": [wallet], "index": 0}),
    );
    let policy = write_policy(&kms, POLICY);
    let run = daemon(&kms, &["--policy", &policy]);
    run.assert_ok();
    assert_eq!(broadcast_ids(&emu), ["ok-1"]);
    let thief = reported(&emu, "thief-1").expect("thief-1 reported");
    assert!(
        thief.contains("signing policy") && thief.contains("blocklist"),
        "{thief}"
    );
    let big = reported(&emu, "too-big-1").expect("too-big-1 reported");
    assert!(big.contains("default deny"), "{big}");
    let garbage = reported(&emu, "garbage-1").expect("garbage-1 reported");
    assert!(garbage.contains("cannot decode"), "{garbage}");
    assert!(reported(&emu, "ok-1").is_none());
    assert!(run.stdout.contains("thief-1"), "{}", run.stdout);
    // The audit log names the view and the deciding rule.
    let audit =
        std::fs::read_to_string(kms.wallet().with_file_name("wallet.dat.audit.log")).unwrap();
    assert!(audit.contains("\"event\":\"decoded\""), "{audit}");
    assert!(audit.contains("\"rule\":\"blocklist\""), "{audit}");
    assert!(
        audit.contains("\"rule\":\"small eth transfers\""),
        "{audit}"
    );
    // The same transactions without a policy: everything decodable is signed as before.
    let (emu, kms, wallet) = setup(Scenario::default());
    emu.enqueue("ETH", eth_tx("thief-2", &wallet, THIEF, "1000", 2));
    daemon(&kms, &[]).assert_ok();
    assert_eq!(broadcast_ids(&emu), ["thief-2"]);
}

#[test]
fn rolling_totals_survive_a_restart() {
    let (emu, kms, wallet) = setup(Scenario::default());
    let policy = write_policy(
        &kms,
        r#"
[[rule]]
name = "1500 wei a day per wallet"
action = "allow"
window = { period = "24h", max = "1500" }
"#,
    );
    emu.enqueue("ETH", eth_tx("first", &wallet, FRIEND, "1000", 1));
    daemon(&kms, &["--policy", &policy]).assert_ok();
    assert_eq!(broadcast_ids(&emu), ["first"]);
    let journal =
        std::fs::read_to_string(kms.wallet().with_file_name("wallet.dat.journal")).unwrap();
    assert!(journal.contains("\"spend\""), "{journal}");
    // A new daemon process: the first transfer still counts.
    emu.enqueue("ETH", eth_tx("second", &wallet, FRIEND, "1000", 2));
    daemon(&kms, &["--policy", &policy]).assert_ok();
    assert_eq!(broadcast_ids(&emu), ["first"]);
    let why = reported(&emu, "second").expect("second reported");
    assert!(why.contains("default deny"), "{why}");
    // A smaller one still fits.
    emu.enqueue("ETH", eth_tx("third", &wallet, FRIEND, "500", 3));
    daemon(&kms, &["--policy", &policy]).assert_ok();
    assert_eq!(broadcast_ids(&emu), ["first", "third"]);
}

fn four_eye_requests(emu: &Emulator) -> Vec<Value> {
    emu.requests()
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/foureye/"))
        .collect()
}

fn four_eye_run(emulator_secret: Option<&str>, method: &str) -> (Emulator, Run) {
    let (emu, mut kms, wallet) = setup(Scenario {
        foureye_secret: emulator_secret.map(str::to_string),
        ..Scenario::default()
    });
    kms.env
        .push(("TATUM_KMS_FOUR_EYE_SECRET".into(), SECRET.into()));
    kms.env.push((
        "TATUM_KMS_FOUR_EYE_REQUIRE_SIGNED_ANSWER".into(),
        "true".into(),
    ));
    emu.enqueue("ETH", eth_tx("fe-1", &wallet, FRIEND, "1000", 1));
    let url = format!("{}/foureye", emu.url());
    let run = daemon(
        &kms,
        &["--externalUrl", &url, "--externalUrlMethod", method],
    );
    (emu, run)
}

#[test]
fn four_eye_with_a_good_answer_approves_and_the_request_is_signed() {
    for method in ["POST", "GET"] {
        let (emu, run) = four_eye_run(Some(SECRET), method);
        run.assert_ok();
        assert_eq!(broadcast_ids(&emu), ["fe-1"], "{method}: {}", run.stdout);
        let checks = four_eye_requests(&emu);
        assert_eq!(checks.len(), 1);
        let r = &checks[0];
        let ts: u64 = r["headers"]["x-tatum-kms-timestamp"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let payload = if method == "POST" {
            r["body"].as_str().unwrap().to_string()
        } else {
            r["path"].as_str().unwrap().to_string()
        };
        assert_eq!(
            r["headers"]["x-tatum-kms-signature"],
            kms_daemon::foureye::request_signature(SECRET.as_bytes(), ts, payload.as_bytes()),
            "{method}"
        );
        if method == "POST" {
            // The original's body, plus the decoded view.
            let body: Value = serde_json::from_str(&payload).unwrap();
            assert_eq!(body["id"], "fe-1");
            assert!(body["serializedTransaction"].is_string());
            assert_eq!(body["decodedView"]["to"][0]["address"], FRIEND);
            assert_eq!(body["decodedView"]["amount"], "1000");
            assert_eq!(body["decodedView"]["chain"], "ETH");
        }
    }
}

#[test]
fn four_eye_with_a_bad_or_missing_approval_denies() {
    for (secret, method) in [
        (Some("not-the-shared-secret"), "POST"),
        (None, "POST"),
        (Some("not-the-shared-secret"), "GET"),
        (None, "GET"),
    ] {
        let (emu, run) = four_eye_run(secret, method);
        run.assert_ok();
        assert!(broadcast_ids(&emu).is_empty(), "{secret:?} {method}");
        assert_eq!(four_eye_requests(&emu).len(), 1);
        assert!(
            run.stdout.contains("X-Tatum-KMS-Approval"),
            "{secret:?} {method}: {}",
            run.stdout
        );
    }
}

#[test]
fn without_new_settings_the_four_eye_request_is_the_originals() {
    let (emu, kms, wallet) = setup(Scenario::default());
    emu.enqueue("ETH", eth_tx("plain-1", &wallet, FRIEND, "1000", 1));
    let url = format!("{}/foureye", emu.url());
    daemon(
        &kms,
        &["--externalUrl", &url, "--externalUrlMethod", "POST"],
    )
    .assert_ok();
    let checks = four_eye_requests(&emu);
    assert_eq!(checks.len(), 1);
    let body: Value = serde_json::from_str(checks[0]["body"].as_str().unwrap()).unwrap();
    assert!(body.get("decodedView").is_none());
    assert!(checks[0]["headers"].get("x-tatum-kms-signature").is_none());
    assert_eq!(broadcast_ids(&emu), ["plain-1"]);
}

#[test]
fn a_signed_answer_requires_the_secret() {
    let (_emu, mut kms, _) = setup(Scenario::default());
    kms.env.push((
        "TATUM_KMS_FOUR_EYE_REQUIRE_SIGNED_ANSWER".into(),
        "true".into(),
    ));
    daemon(&kms, &[]).assert_error("TATUM_KMS_FOUR_EYE_SECRET");
}

#[test]
fn policy_check_and_test_commands() {
    let kms = Kms::new("unused");
    let good = write_policy(&kms, POLICY);
    let run = kms.run(&["policy", "check", &good]);
    run.assert_ok();
    assert_eq!(run.json()["rules"][0]["name"], "blocklist");
    let bad = kms.home().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"a\"\naction = \"allow\"\n\n[[rule]]\nname = \"b\"\naction = \"allow\"\nmax_amount = \"lots\"\n",
    )
    .unwrap();
    kms.run(&["policy", "check", bad.to_str().unwrap()])
        .assert_error("line 5, rule 2 (\\\"b\\\")");

    let cases = json!([
        {"name": "friend", "pendingTransaction": eth_tx("c1", "w", FRIEND, "5", 1), "expect": "allow"},
        {"name": "thief", "pendingTransaction": eth_tx("c2", "w", THIEF, "5", 1), "expect": "deny"},
        {"name": "a view", "view": {"chain": "BTC", "network": "mainnet", "kind": "transfer", "from": [],
            "to": [{"address": "bc1qxyz", "amount": "1"}], "amount": "1"}, "expect": "deny"},
        {"name": "garbage", "pendingTransaction": {"id": "c4", "chain": "ETH", "serializedTransaction": "nope"}}
    ]);
    let cases_path = kms.home().join("cases.json");
    std::fs::write(&cases_path, cases.to_string()).unwrap();
    let run = kms.run(&["policy", "test", &good, cases_path.to_str().unwrap()]);
    run.assert_ok();
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["rule"], "small eth transfers");
    assert_eq!(lines[0]["view"]["amount"], "5");
    assert_eq!(lines[1]["decision"], "deny");
    assert_eq!(lines[1]["rule"], "blocklist");
    assert_eq!(lines[2]["rule"], Value::Null);
    assert_eq!(lines[3]["decision"], "deny");
    assert!(lines[3]["reason"].as_str().unwrap().contains("not decoded"));
    // A case that does not get its expected decision fails the command.
    let cases =
        json!([{"pendingTransaction": eth_tx("c5", "w", THIEF, "5", 1), "expect": "allow"}]);
    std::fs::write(&cases_path, cases.to_string()).unwrap();
    kms.run(&["policy", "test", &good, cases_path.to_str().unwrap()])
        .assert_error("did not get the expected decision");
}
