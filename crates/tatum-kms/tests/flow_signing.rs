//! FLOW pending-transaction signing through the real daemon binary against the emulator,
//! which answers both the Tatum API and the Flow access node (scenario routes), over HTTP.

mod common;

use common::Kms;
use kms_emulator::{Emulator, Route, Scenario};
use serde_json::{json, Value};

const API_KEY: &str = "flow-test-key";
const M0: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const PAYER: &str = "0xe3e1a94c37e89ef1";
const PROPOSER: &str = "0x4f0e6e39b5b7a3d1";
const ACCOUNT: &str = "0x955cd3f17b2fd8ad";
const BLOCK: &str = "7bc42fe85d32ca513769a74f97f7e1a7bad6c9407f0d934c2aa645ef9cf613c7";
const TXID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const PENDING_ID: &str = "65f1f1f1f1f1f1f1f1f1f1f1";

fn route(method: &str, path_regex: &str, status: u16, body: Value) -> Route {
    serde_json::from_value(json!({
        "method": method, "path_regex": path_regex, "status": status, "body": body
    }))
    .expect("route")
}

fn routes(send_status: u16, send_body: Value) -> Vec<Route> {
    vec![
        route(
            "GET",
            "/v3/flow/proposal/true",
            200,
            json!({"address": PAYER, "keyId": 0}),
        ),
        route(
            "GET",
            "/v3/flow/proposal/false",
            200,
            json!({"address": PROPOSER, "keyId": 7}),
        ),
        route(
            "POST",
            "/v3/flow/sign",
            200,
            json!({"signature": "aa".repeat(64)}),
        ),
        route(
            "GET",
            "/v1/blocks",
            200,
            json!([{"header": {"id": BLOCK, "height": "100"}, "payload": {"collection_guarantees": [], "block_seals": []}}]),
        ),
        route(
            "GET",
            "/v1/accounts/.*",
            200,
            json!({"address": PROPOSER, "balance": "0", "keys": [{"index": "7", "sequence_number": "42", "public_key": "0x00", "signing_algorithm": "ECDSA_secp256k1", "hashing_algorithm": "SHA3_256", "weight": "0", "revoked": false}]}),
        ),
        route("POST", "/v1/transactions", send_status, send_body),
        route(
            "GET",
            "/v1/transaction_results/.*",
            200,
            json!({"block_id": BLOCK, "status": "Sealed", "status_code": 0, "error_message": "", "events": []}),
        ),
    ]
}

fn setup(send_status: u16, send_body: Value) -> (Emulator, Kms) {
    let scenario = Scenario {
        routes: routes(send_status, send_body),
        ..Scenario::default()
    };
    let emu = Emulator::start("127.0.0.1:0", scenario, Some(API_KEY.into())).expect("emulator");
    let mut kms = Kms::new("flow-pw");
    kms.env.push(("TATUM_API_URL".into(), emu.url()));
    kms.env.push(("TATUM_API_KEY".into(), API_KEY.into()));
    kms.env
        .push(("TATUM_KMS_FLOW_ACCESS_NODE_URL".into(), emu.url()));
    let out = kms.run_with_stdin(
        &["storemanagedwallet", "FLOW", "--testnet"],
        &format!("{M0}\n"),
    );
    out.assert_ok();
    let id = out.json()["signatureId"].as_str().unwrap().to_string();
    let serialized = json!({"type": 2, "body": {
        "account": ACCOUNT, "to": "0x4b53b3ec49ed1ec2", "amount": "0.25", "currency": "FLOW"
    }});
    emu.enqueue(
        "FLOW",
        json!({"id": PENDING_ID, "chain": "FLOW", "serializedTransaction": serialized.to_string(), "hashes": [id], "index": 0}),
    );
    (emu, kms)
}

fn flow_requests(emu: &Emulator) -> Vec<Value> {
    emu.requests()
        .into_iter()
        .filter(|r| {
            let p = r["path"].as_str().unwrap_or("");
            p.starts_with("/v1/") || p.starts_with("/v3/flow/")
        })
        .collect()
}

fn body(r: &Value) -> Value {
    serde_json::from_str(r["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

#[test]
fn transfer_is_sent_sealed_released_and_broadcast() {
    let (emu, kms) = setup(200, json!({"id": TXID}));
    let run = kms.run(&["daemon", "--runOnce", "--chain", "FLOW", "--testnet"]);
    run.assert_ok();
    assert!(
        emu.reported_errors().is_empty(),
        "{:?}",
        emu.reported_errors()
    );

    let reqs = flow_requests(&emu);
    let lines: Vec<String> = reqs
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "GET /v3/flow/proposal/true",
            "GET /v3/flow/proposal/false",
            "GET /v1/blocks?height=final&expand=payload",
            "GET /v1/accounts/4f0e6e39b5b7a3d1?block_height=sealed&expand=contracts,keys",
            "POST /v3/flow/sign",
            "POST /v3/flow/sign",
            "POST /v1/transactions",
            &format!("GET /v1/transaction_results/{TXID}"),
            "POST /v3/flow/broadcast",
            "POST /v3/flow/broadcast",
        ]
    );
    // Tatum calls carry the API key; access-node calls do not.
    assert_eq!(reqs[0]["headers"]["x-api-key"], API_KEY);
    assert!(reqs[2]["headers"].get("x-api-key").is_none());

    let proposer_sign = body(&reqs[4]);
    assert_eq!(proposer_sign["isPayer"], false);
    let payload_hex = proposer_sign["data"].as_str().unwrap();
    assert!(
        payload_hex.starts_with("464c4f572d56302e302d7472616e73616374696f6e0000000000000000000000")
    );
    assert_eq!(body(&reqs[5])["isPayer"], true);

    // The authorizer's signature: FLOW key 0 of the wallet over the payload the proposer
    // signed (deterministic, so it is recomputed here).
    let key = kms_chains::flow::private_key(M0, 0).unwrap();
    let secret = kms_chains::flow_tx::parse_private_key(&key).unwrap();
    let sig = kms_chains::flow_tx::sign_message(&secret, &hex_decode(payload_hex)).unwrap();
    let sent = body(&reqs[6]);
    assert_eq!(
        sent["payload_signatures"],
        json!([
            {"address": "4f0e6e39b5b7a3d1", "key_index": "7", "signature": b64(&[0xaa; 64])},
            {"address": "955cd3f17b2fd8ad", "key_index": "0", "signature": b64(&sig)}
        ])
    );
    assert_eq!(sent["gas_limit"], "9999");
    assert_eq!(sent["reference_block_id"], BLOCK);
    assert_eq!(
        sent["proposal_key"],
        json!({"address": "4f0e6e39b5b7a3d1", "key_index": "7", "sequence_number": "42"})
    );
    assert_eq!(
        sent["arguments"][0],
        b64(br#"{"type":"UFix64","value":"0.25000000"}"#)
    );

    // Release, then the KMS broadcast of the id.
    assert_eq!(
        body(&reqs[8]).to_string(),
        format!(r#"{{"txData":"{TXID}","proposalKey":7}}"#)
    );
    assert_eq!(
        body(&reqs[9]),
        json!({"txData": TXID, "signatureId": PENDING_ID})
    );
}

#[test]
fn a_rejected_transaction_releases_the_key_and_is_reported_not_broadcast() {
    let (emu, kms) = setup(400, json!({"code": 400, "message": "invalid proposal key"}));
    let run = kms.run(&["daemon", "--runOnce", "--chain", "FLOW", "--testnet"]);
    run.assert_ok();
    let reqs = flow_requests(&emu);
    let broadcasts: Vec<&Value> = reqs
        .iter()
        .filter(|r| r["path"] == "/v3/flow/broadcast")
        .collect();
    assert_eq!(broadcasts.len(), 1, "{reqs:?}");
    assert_eq!(
        body(broadcasts[0]).to_string(),
        r#"{"txData":"","proposalKey":7}"#
    );
    assert!(!reqs
        .iter()
        .any(|r| r["path"].as_str().unwrap().contains("transaction_results")));
    let errors = emu.reported_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["signatureId"], PENDING_ID);
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("invalid proposal key"),
        "{errors:?}"
    );
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Standard base64 with padding (the access node's encoding of bytes).
fn b64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
