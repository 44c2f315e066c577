//! ADA pending transactions signed by the real daemon binary against the emulator, whose
//! routes play Tatum's Cardano Rosetta gateway (spec §6.10): the requests' paths, bodies
//! and headers, the broadcast, and a Rosetta error that is reported and not broadcast.

mod common;

use common::{Kms, Run};
use kms_chains::ada;
use kms_chains::ada_tx::AdaKey;
use kms_emulator::{Emulator, Route, Scenario};
use serde_json::{json, Value};

const API_KEY: &str = "ada-test-key";
/// The cardano-addresses README phrase (the `ada.rs` vectors).
const PHRASE: &str =
    "exercise club noble adult miracle awkward problem olympic puppy private goddess piano fatal fashion vacuum";
const ADDRESS: &str = "addr_test1vp2fg770ddmqxxduasjsas39l5wwvwa04nj8ud95fde7f7guscp6v";
const TO_SIGN: &str = "8f3a3e4c9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5";
const UNSIGNED: &str = "a30081825820aa00";
const SIGNED: &str = "84a30081825820aa00ff";
const GATEWAY: &str = "/v3/blockchain/node/cardano-preprod/ada-test-key/construction";
const NET: &str = r#"{"blockchain":"cardano","network":"preprod"}"#;

fn route(call: &str, status: u16, body: Value) -> Route {
    serde_json::from_value(json!({
        "method": "POST",
        "path_regex": format!("/v3/blockchain/node/cardano-preprod/[^/]+/construction/{call}"),
        "status": status,
        "body": body,
    }))
    .expect("route")
}

fn rosetta(metadata_status: u16) -> Scenario {
    let metadata = if metadata_status == 200 {
        json!({"metadata": {"ttl": "1001"}, "suggested_fee": [{"value": "171000", "currency": {"symbol": "ADA", "decimals": 6}}]})
    } else {
        json!({"code": 4019, "message": "Provided operations are invalid", "retriable": false})
    };
    Scenario {
        routes: vec![
            // Every key gets the same address here: the later key wins the address.
            route(
                "derive",
                200,
                json!({"account_identifier": {"address": ADDRESS}}),
            ),
            route(
                "preprocess",
                200,
                json!({"options": {"relative_ttl": 1000}}),
            ),
            route("metadata", metadata_status, metadata),
            route(
                "payloads",
                200,
                json!({"unsigned_transaction": UNSIGNED, "payloads": [
                    {"address": ADDRESS, "hex_bytes": TO_SIGN, "account_identifier": {"address": ADDRESS}, "signature_type": "ed25519"}
                ]}),
            ),
            route("combine", 200, json!({"signed_transaction": SIGNED})),
        ],
        ..Scenario::default()
    }
}

fn operations() -> String {
    json!([
        {"operation_identifier": {"index": 0, "network_index": 0}, "related_operations": [], "type": "input", "status": "success",
         "account": {"address": ADDRESS, "metadata": {}}, "amount": {"value": "-5000000", "currency": {"symbol": "ADA", "decimals": 6}},
         "coin_change": {"coin_identifier": {"identifier": "aa00:0"}, "coin_action": "coin_created"}, "metadata": {}},
        {"operation_identifier": {"index": 1, "network_index": 0}, "related_operations": [], "type": "output", "status": "success",
         "account": {"address": "addr_test1vz0000", "metadata": {}}, "amount": {"value": "4800000", "currency": {"symbol": "ADA", "decimals": 6}, "metadata": {}}, "metadata": {}}
    ])
    .to_string()
}

/// The body as `JSON.stringify` writes it, keys in the order they were sent (the daemon's
/// HTTP client indents its JSON bodies; the original's axios sends them compact, so only
/// the whitespace may differ).
fn compact(body: &Value) -> String {
    let parsed: Value =
        serde_json::from_str(body.as_str().expect("a recorded body")).expect("JSON body");
    serde_json::to_string(&parsed).unwrap()
}

fn to_hex(bytes: impl AsRef<[u8]>) -> String {
    bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn stored_id(run: Run) -> String {
    run.assert_ok();
    run.json()["signatureId"].as_str().unwrap().to_string()
}

#[test]
fn the_daemon_signs_ada_through_rosetta_and_broadcasts() {
    let emu = Emulator::start("127.0.0.1:0", rosetta(500), Some(API_KEY.into())).expect("emulator");
    let mut kms = Kms::new("ada-pw");
    kms.env.push(("TATUM_API_URL".into(), emu.url()));
    kms.env.push(("TATUM_API_KEY".into(), API_KEY.into()));

    // A private-key wallet (index 0, v1's 256-hex form) and a mnemonic wallet named in
    // `signatures` with index 1.
    let k0 = ada::private_key(PHRASE, 0).unwrap();
    let pk_id = stored_id(kms.run_with_stdin(
        &["storemanagedprivatekey", "ADA", "--testnet"],
        &format!("{}\n", k0.as_str()),
    ));
    let mn_id = stored_id(kms.run_with_stdin(
        &["storemanagedwallet", "ADA", "--testnet"],
        &format!("{PHRASE}\n"),
    ));
    let tx = json!({"id": "65b0c0d0e0f0a0b0c0d0e0f0", "chain": "ADA", "serializedTransaction": operations(),
        "hashes": [pk_id], "signatures": [{"id": mn_id, "index": 1}]});

    // 1. Rosetta refuses the metadata call: reported, nothing broadcast.
    emu.enqueue("ADA", tx.clone());
    let run = kms.run(&["daemon", "--runOnce", "--testnet", "--chain", "ADA"]);
    run.assert_ok();
    assert!(emu.broadcasts().is_empty(), "{:?}", emu.broadcasts());
    let errors = emu.reported_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["signatureId"], "65b0c0d0e0f0a0b0c0d0e0f0");
    let message = errors[0]["error"].as_str().unwrap();
    assert!(
        message.starts_with("Cardano Rosetta construction/metadata failed: ")
            && message.contains("Provided operations are invalid"),
        "{message}"
    );

    // 2. Rosetta answers: signed with the later key of the shared address and broadcast.
    emu.set_scenario(rosetta(200)).unwrap();
    let before = emu.requests().len();
    emu.enqueue("ADA", tx);
    let run = kms.run(&["daemon", "--runOnce", "--testnet", "--chain", "ADA"]);
    run.assert_ok();
    assert_eq!(
        emu.reported_errors().len(),
        1,
        "{:?}",
        emu.reported_errors()
    );

    let k1 = AdaKey::parse(&ada::private_key(PHRASE, 1).unwrap()).unwrap();
    let p0 = to_hex(AdaKey::parse(&k0).unwrap().public_key());
    let p1 = to_hex(k1.public_key());
    let signature = to_hex(k1.sign(&from_hex(TO_SIGN)));
    let ops = operations();
    let derive = |p: &str| {
        format!(
            r#"{{"network_identifier":{NET},"public_key":{{"hex_bytes":"{p}","curve_type":"edwards25519"}},"metadata":{{}}}}"#
        )
    };
    let want = [
        ("derive", derive(&p0)),
        ("derive", derive(&p1)),
        (
            "preprocess",
            format!(
                r#"{{"network_identifier":{NET},"operations":{ops},"metadata":{{"relative_ttl":1000}}}}"#
            ),
        ),
        (
            "metadata",
            format!(r#"{{"network_identifier":{NET},"options":{{"relative_ttl":1000}}}}"#),
        ),
        (
            "payloads",
            format!(
                r#"{{"network_identifier":{NET},"operations":{ops},"metadata":{{"ttl":"1001"}},"suggested_fee":[{{"value":"171000","currency":{{"symbol":"ADA","decimals":6}}}}]}}"#
            ),
        ),
        (
            "combine",
            format!(
                r#"{{"network_identifier":{NET},"unsigned_transaction":"{UNSIGNED}","signatures":[{{"signing_payload":{{"address":"{ADDRESS}","hex_bytes":"{TO_SIGN}","account_identifier":{{"address":"{ADDRESS}"}},"signature_type":"ed25519"}},"public_key":{{"hex_bytes":"{p1}","curve_type":"edwards25519"}},"signature_type":"ed25519","hex_bytes":"{signature}"}}]}}"#
            ),
        ),
    ];
    let requests = emu.requests();
    let rosetta: Vec<&Value> = requests[before..]
        .iter()
        .filter(|r| r["path"].as_str().unwrap_or("").contains("/construction/"))
        .collect();
    assert_eq!(rosetta.len(), want.len(), "{rosetta:#?}");
    for (got, (call, body)) in rosetta.iter().zip(&want) {
        assert_eq!(got["method"], "POST");
        assert_eq!(got["path"], format!("{GATEWAY}/{call}"));
        assert_eq!(compact(&got["body"]), *body, "{call}");
        assert_eq!(got["headers"]["x-api-key"], API_KEY, "{call}");
    }
    let broadcasts = emu.broadcasts();
    assert_eq!(broadcasts.len(), 1, "{broadcasts:?}");
    assert_eq!(broadcasts[0]["path"], "/v3/ada/broadcast");
    assert_eq!(
        compact(&broadcasts[0]["body"]),
        format!(r#"{{"txData":"{SIGNED}","signatureId":"65b0c0d0e0f0a0b0c0d0e0f0"}}"#)
    );
    // The broadcast comes after the last Rosetta call.
    let seq = |r: &Value| r["seq"].as_u64().unwrap();
    assert!(seq(&broadcasts[0]) > seq(rosetta[rosetta.len() - 1]));
    for out in [&run.stdout, &run.stderr] {
        assert!(!out.contains(&k0[..64]) && !out.contains("exercise club"));
    }
}
