//! The original's recorded daemon runs (fixtures/sign/<case>/, copied from the shared
//! vectors) replayed through our daemon binary and our emulator: what reaches the API —
//! every broadcast (path and raw body bytes), every JSON-RPC `sendTransaction`, the ids reported
//! to the error batch, success of the exit code — must equal what the original sent.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::fixture;
use kms_emulator::{Emulator, Scenario};
use serde_json::Value;

/// Recorded cases of chains whose signing is still to come (none now; FLOW and ADA have no
/// recorded run): such a case must report every pending id and broadcast nothing.
const PENDING_CHAINS: &[&str] = &[];

/// The original fails this case by a bug (VET derived with BNB, quirk Q1); we derive VET and
/// ask the VeChain node, which this test points at a closed port: the id is reported too,
/// for a different reason (see docs/COMPATIBILITY.md).
const VET_CASE: &str = "vet_testnet_mnemonic_index_error";

struct Essentials {
    broadcasts: Vec<(String, String)>,
    /// Four-eye requests: method, path and raw body.
    four_eye: Vec<(String, String, String)>,
    sends: Vec<String>,
    errors: BTreeSet<String>,
}

fn essentials(requests: &[Value]) -> Essentials {
    let mut e = Essentials {
        broadcasts: Vec::new(),
        four_eye: Vec::new(),
        sends: Vec::new(),
        errors: BTreeSet::new(),
    };
    for r in requests {
        let path = r["path"]
            .as_str()
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let body: Value =
            serde_json::from_str(r["body"].as_str().unwrap_or("")).unwrap_or(Value::Null);
        if path == "/v3/tatum/kms/batch" {
            for err in body["errors"].as_array().into_iter().flatten() {
                e.errors
                    .insert(err["signatureId"].as_str().unwrap_or("").to_string());
            }
        } else if path.starts_with("/foureye/") {
            e.four_eye.push((
                r["method"].as_str().unwrap_or("").to_string(),
                path,
                r["body"].as_str().unwrap_or("").to_string(),
            ));
        } else if path.contains("broadcast") && r["method"] == "POST" {
            // Byte for byte: key order and whitespace are the original's (`JSON.stringify`).
            e.broadcasts
                .push((path, r["body"].as_str().unwrap_or("").to_string()));
        } else if body["method"] == "sendTransaction" {
            e.sends.push(canonical(&body["params"]));
        }
    }
    e.broadcasts.sort();
    e.sends.sort();
    e
}

/// JSON with sorted keys, so key order does not matter for the comparison of bodies
/// (byte order of `txData` strings does).
fn canonical(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

fn recorded(case: &Path) -> Vec<Value> {
    std::fs::read_to_string(case.join("mock_requests.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

struct Outcome {
    code: Option<i32>,
    got: Essentials,
    stdout: String,
}

/// Runs one case in `dir` (wallet files copied there; the journal lands beside them).
fn run_case(case: &Path, dir: &Path, emulator: Option<&Emulator>) -> Outcome {
    let scenario: Scenario =
        serde_json::from_str(&std::fs::read_to_string(case.join("mock_config.json")).unwrap())
            .unwrap();
    let own;
    let emu = match emulator {
        Some(e) => e,
        None => {
            own = Emulator::start("127.0.0.1:0", scenario, None).unwrap();
            &own
        }
    };
    let before = emu.requests().len();
    let out = case_command(case, dir, emu)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    Outcome {
        code: out.status.code(),
        got: essentials(&emu.requests()[before..]),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr),
    }
}

/// The daemon command of a case, pointed at `emu` and at the wallets in `dir`.
fn case_command(case: &Path, dir: &Path, emu: &Emulator) -> Command {
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).unwrap()).unwrap();
    let old_url = meta["env"]["TATUM_API_URL"].as_str().unwrap().to_string();
    let mut cmd = Command::new(common::BIN);
    for arg in meta["argv"].as_array().unwrap()[1..]
        .iter()
        .map(|a| a.as_str().unwrap())
    {
        if let Some(path) = arg.strip_prefix("--path=") {
            let name = Path::new(path).file_name().unwrap();
            cmd.arg(format!("--path={}", dir.join(name).display()));
        } else {
            cmd.arg(arg.replace(&old_url, &emu.url()));
        }
    }
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .current_dir(dir)
        .env("TATUM_KMS_VECHAIN_NODE_URL", "http://127.0.0.1:9")
        .env("TATUM_KMS_POLYGON_GAS_STATION_URL", "http://127.0.0.1:9");
    for (k, v) in meta["env"].as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap().replace(&old_url, &emu.url()));
    }
    cmd
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixture("sign"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("case.json").exists())
        .collect();
    dirs.sort();
    dirs
}

fn wallet_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["wallet.dat", "wallet2.dat"] {
        std::fs::copy(fixture(&format!("sign/{name}")), dir.path().join(name)).unwrap();
    }
    dir
}

#[test]
fn every_recorded_case_replays() {
    let mut failures = Vec::new();
    let mut identical = 0;
    let cases = case_dirs();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let meta: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).unwrap())
                .unwrap();
        let want = essentials(&recorded(case));
        let dir = wallet_dir();
        let o = run_case(case, dir.path(), None);
        let want_ok = meta["exitCode"] == 0;
        let mut why = Vec::new();
        let pending: BTreeSet<String> = meta["pendingTransactions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["id"].as_str().map(str::to_string))
            .collect();
        let same = o.got.broadcasts == want.broadcasts
            && o.got.four_eye == want.four_eye
            && o.got.sends == want.sends
            && o.got.errors == want.errors;
        // A chain still to come may instead report every id, and broadcast nothing.
        let honestly_pending = (PENDING_CHAINS.contains(&name.as_str()) || name == VET_CASE)
            && o.got.broadcasts.is_empty()
            && o.got.errors == pending;
        if same {
            identical += 1;
        } else if !honestly_pending {
            if o.got.broadcasts != want.broadcasts {
                why.push(format!(
                    "broadcasts differ:\n  ours {:?}\n  orig {:?}",
                    o.got.broadcasts, want.broadcasts
                ));
            }
            if o.got.four_eye != want.four_eye {
                why.push(format!(
                    "four-eye requests differ:\n  ours {:?}\n  orig {:?}",
                    o.got.four_eye, want.four_eye
                ));
            }
            if o.got.sends != want.sends {
                why.push("sendTransaction differs".to_string());
            }
            if o.got.errors != want.errors {
                why.push(format!(
                    "error ids differ: ours {:?}, original {:?}",
                    o.got.errors, want.errors
                ));
            }
        }
        if (o.code == Some(0)) != want_ok {
            why.push(format!("exit {:?}, original {}", o.code, meta["exitCode"]));
        }
        if !why.is_empty() {
            failures.push(format!(
                "{name}: {}\n{}",
                why.join("; "),
                o.stdout.lines().take(30).collect::<Vec<_>>().join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    eprintln!(
        "{identical} recorded cases byte-identical, {} pending chains, {} total",
        PENDING_CHAINS.len(),
        cases.len()
    );
    assert!(
        identical >= 18,
        "only {identical} cases compared byte for byte"
    );
}

/// A restart (same wallet directory and journal, the API listing the same transactions
/// again) re-broadcasts the same bytes and never signs again.
#[test]
fn restart_rebroadcasts_without_signing_again() {
    let case = fixture("sign/eth_testnet_native_erc20");
    let dir = wallet_dir();
    let first = run_case(&case, dir.path(), None);
    assert_eq!(first.code, Some(0));
    let second = run_case(&case, dir.path(), None);
    assert_eq!(second.code, Some(0));
    assert_eq!(
        first.got.broadcasts, second.got.broadcasts,
        "same signed bytes"
    );
    assert_eq!(first.got.broadcasts.len(), 3);
    let journal = std::fs::read_to_string(dir.path().join("wallet.dat.journal")).unwrap();
    let signed = journal
        .lines()
        .filter(|l| l.contains("\"state\":\"signed\""))
        .count();
    assert_eq!(signed, 3, "each id signed once:\n{journal}");
    assert!(
        second.stdout.contains("was signed before"),
        "{}",
        second.stdout
    );
}

/// Two daemons on one store and journal, at the same time: no pending id is signed twice.
#[test]
fn two_daemons_on_one_store_never_both_sign_an_id() {
    let case = fixture("sign/eth_testnet_native_erc20");
    let scenario: Scenario =
        serde_json::from_str(&std::fs::read_to_string(case.join("mock_config.json")).unwrap())
            .unwrap();
    for _ in 0..3 {
        let dir = wallet_dir();
        let emu = Emulator::start("127.0.0.1:0", scenario.clone(), None).unwrap();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| run_case(&case, dir.path(), Some(&emu)));
            let b = s.spawn(|| run_case(&case, dir.path(), Some(&emu)));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_eq!((a.code, b.code), (Some(0), Some(0)));
        let journal = std::fs::read_to_string(dir.path().join("wallet.dat.journal")).unwrap();
        let mut ids = Vec::new();
        for line in journal
            .lines()
            .filter(|l| l.contains("\"state\":\"signed\""))
        {
            let v: Value = serde_json::from_str(line).unwrap();
            ids.push(v["id"].as_str().unwrap().to_string());
        }
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len(), "an id was signed twice: {ids:?}");
        assert_eq!(unique.len(), 3);
        // Whatever was broadcast, by either daemon, is one of the three signed payloads.
        let all = essentials(&emu.requests());
        let distinct: BTreeSet<&(String, String)> = all.broadcasts.iter().collect();
        assert_eq!(distinct.len(), 3, "{:?}", all.broadcasts);
    }
}

/// The daemon's audit log records each decision in a hash chain that `audit verify` checks,
/// and holds no secret.
#[test]
fn audit_log_records_decisions_and_verify_finds_tampering() {
    let case = fixture("sign/eth_mainnet_foureye_get");
    let dir = wallet_dir();
    assert_eq!(run_case(&case, dir.path(), None).code, Some(0));
    let log = dir.path().join("wallet.dat.audit.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let events: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for e in ["fetched", "decoded", "foureye", "signed", "broadcast"] {
        assert!(events.iter().any(|x| x == e), "{e} missing: {events:?}");
    }
    assert!(
        text.contains("\"approved\":false"),
        "the denied transaction is recorded"
    );
    for secret in ["abandon", "sign-vectors-pw", "privateKey"] {
        assert!(!text.contains(secret), "the audit log holds {secret}");
    }
    let verify = |path: &Path| {
        Command::new(common::BIN)
            .args(["audit", "verify"])
            .arg(path)
            .env_clear()
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let ok = verify(&log);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("\"intact\": true"));
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].replace("\"approved\":true", "\"approved\":false");
    lines[1] = lines[1].replace("foureye-allowed-1", "foureye-allowed-2");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let bad = verify(&log);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr).to_string();
    assert!(err.contains("broken at line 3"), "{err}");
}

/// SOL submits inside signing. A daemon killed while signing a SOL transaction may have sent
/// it already; after the restart that id is reported and never signed a second time (which
/// would be a second, different transaction), while the others are signed as usual.
#[test]
fn an_interrupted_sol_signing_is_not_signed_again() {
    let case = fixture("sign/sol_testnet");
    let scenario: Scenario =
        serde_json::from_str(&std::fs::read_to_string(case.join("mock_config.json")).unwrap())
            .unwrap();
    let dir = wallet_dir();
    let emu = Emulator::start("127.0.0.1:0", scenario, None).unwrap();
    // The first node call of the signing hangs long enough to kill the daemon in it.
    emu.add_fault(
        serde_json::from_value(serde_json::json!({
            "path_regex": "/v3/blockchain/node/SOL/.*", "kind": "slow", "delay_ms": 3000, "times": 1
        }))
        .unwrap(),
    )
    .unwrap();
    let mut child = case_command(&case, dir.path(), &emu)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal_path = dir.path().join("wallet.dat.journal");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&journal_path)
        .unwrap_or_default()
        .contains("\"state\":\"intent\"")
    {
        assert!(std::time::Instant::now() < deadline, "no intent recorded");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3200)); // the emulator finishes the slow answer

    let second = run_case(&case, dir.path(), Some(&emu));
    let journal = std::fs::read_to_string(&journal_path).unwrap();
    let interrupted: Vec<String> = journal
        .lines()
        .filter(|l| l.contains("\"state\":\"intent\""))
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .take(1)
        .collect();
    let id = &interrupted[0];
    assert!(
        second.got.errors.contains(id),
        "the interrupted id is reported: {:?}\n{}",
        second.got.errors,
        second.stdout
    );
    assert!(
        second.stdout.contains("Not signed again"),
        "{}",
        second.stdout
    );
    assert!(
        !journal
            .lines()
            .any(|l| l.contains(&format!("\"id\":\"{id}\"")) && l.contains("\"state\":\"signed\"")),
        "{id} signed after the crash:\n{journal}"
    );
}

/// A SOL transaction that was sent but whose confirmation failed (the node stopped
/// answering) is reported, and never signed again by a later poll: a second signing would
/// be a second transaction.
#[test]
fn a_sol_transaction_with_an_unknown_outcome_is_not_signed_again() {
    let case = fixture("sign/sol_testnet");
    let mut scenario: Scenario =
        serde_json::from_str(&std::fs::read_to_string(case.join("mock_config.json")).unwrap())
            .unwrap();
    scenario.jsonrpc.insert(
        "getTransaction".into(),
        serde_json::json!({"__error__": {"code": -32005, "message": "Node is behind"}}),
    );
    let dir = wallet_dir();
    let emu = Emulator::start("127.0.0.1:0", scenario, None).unwrap();
    let first = run_case(&case, dir.path(), Some(&emu));
    assert_eq!(first.got.sends.len(), 1, "sent once: {}", first.stdout);
    assert!(
        first.stdout.contains("may have been submitted"),
        "{}",
        first.stdout
    );
    assert!(first.got.broadcasts.is_empty());
    let id = first.got.errors.iter().next().expect("reported").clone();

    let second = run_case(&case, dir.path(), Some(&emu));
    assert!(second.got.sends.is_empty(), "sent again: {}", second.stdout);
    assert!(second.got.errors.contains(&id), "{:?}", second.got.errors);
    assert!(
        second.stdout.contains("Not signed again"),
        "{}",
        second.stdout
    );
}

/// The journal knows a pending id together with what it asked to sign: the same id listed
/// again with other content (a reused test id, a changed transaction) is signed as what it
/// now is, while the unchanged ones are re-broadcast byte for byte.
#[test]
fn the_same_id_with_other_content_is_signed_anew() {
    let case = fixture("sign/eth_testnet_native_erc20");
    let dir = wallet_dir();
    let first = run_case(&case, dir.path(), None);
    assert_eq!(first.code, Some(0));

    let mut scenario: Scenario =
        serde_json::from_str(&std::fs::read_to_string(case.join("mock_config.json")).unwrap())
            .unwrap();
    let native = &mut scenario.pending["ETH"][0];
    assert_eq!(native["id"], "eth-kms-tx-native");
    let changed = native["serializedTransaction"]
        .as_str()
        .unwrap()
        .replace("12300000000000000", "45600000000000000");
    native["serializedTransaction"] = Value::String(changed);
    let emu = Emulator::start("127.0.0.1:0", scenario, None).unwrap();
    let second = run_case(&case, dir.path(), Some(&emu));
    assert_eq!(second.code, Some(0));

    let body_of = |o: &Outcome, id: &str| {
        o.got
            .broadcasts
            .iter()
            .find(|(_, b)| b.contains(&format!("\"signatureId\":\"{id}\"")))
            .unwrap_or_else(|| panic!("no broadcast for {id}: {:?}", o.got.broadcasts))
            .1
            .clone()
    };
    assert_ne!(
        body_of(&first, "eth-kms-tx-native"),
        body_of(&second, "eth-kms-tx-native"),
        "the changed transaction is signed as it is now"
    );
    for id in ["eth-kms-tx-erc20", "eth-kms-tx-nononce-nogasprice"] {
        assert_eq!(
            body_of(&first, id),
            body_of(&second, id),
            "{id} re-broadcast"
        );
    }
    assert!(
        second.stdout.contains("signed before with other content"),
        "{}",
        second.stdout
    );
}
