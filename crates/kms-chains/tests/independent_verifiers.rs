//! The transactions our signers must produce (byte-compared in utxo_signing.rs and
//! evm_signing.rs) verify under implementations we did not write: python-bitcoinlib + ecdsa
//! for BTC/LTC/DOGE, eth-account for the EVM chains (installed into target/test-venv by
//! scripts/test). A damaged transaction must fail each check. TRON, SOL, XRP, XLM, ALGO
//! and EGLD transactions are checked with the chains' own SDKs (verify_account.py); ADA and
//! FLOW signatures, made against fake gateways, with PyNaCl and ecdsa + pyrlp.

mod common;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{
    egld_oracle_run, pending, read_json, sign_fixtures, sign_testnet, sol_oracle_node,
    sol_oracle_wallets, wallet_store, Call, MockNode,
};
use kms_chains::node::{ExternalService, Node, NodeError};
use kms_core::{Chain, DerivationIndex, Network, PendingTransaction, WalletEntry};
use serde_json::{json, Value};

/// `KMS_TEST_PYTHON` as given; a relative path that does not exist from the test's working
/// directory (the crate) is taken from the workspace root, where scripts/test runs.
fn python_from_env() -> Option<String> {
    let p = std::env::var("KMS_TEST_PYTHON").ok()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if Path::new(&p).is_relative() && !Path::new(&p).exists() && root.join(&p).exists() {
        return Some(root.join(&p).to_string_lossy().into_owned());
    }
    Some(p)
}

fn python() -> Option<String> {
    if let Some(p) = python_from_env() {
        return Some(p);
    }
    let venv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/test-venv/bin/python"
    );
    Path::new(venv).exists().then(|| venv.to_string())
}

fn run(script: &str, arg: &Path) -> (bool, String) {
    let Some(py) = python() else {
        return (false, "no python".into());
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(script);
    let out = Command::new(py)
        .arg(script)
        .arg(arg)
        .output()
        .expect("run python");
    let text = output_text(&out);
    (out.status.success(), text)
}

/// A finished command's stdout, then its stderr.
fn output_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn verify(vectors: &Path) -> (bool, String) {
    run("verify_utxo.py", vectors)
}

/// The Python packages are there, or the test says why it cannot run (and fails in CI).
fn have(modules: &str) -> bool {
    let ok = python()
        .map(|py| {
            Command::new(py)
                .args(["-c", &format!("import {modules}")])
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        })
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{modules} required in CI (scripts/test installs them)"
        );
        eprintln!("SKIPPED: python packages {modules} not installed; run scripts/test");
    }
    ok
}

#[test]
fn signed_utxo_transactions_verify_independently() {
    let vectors =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sign/oracle_vectors.json");
    if !have("bitcoin, ecdsa") {
        return;
    }
    let (ok, text) = verify(&vectors);
    assert!(ok, "{text}");
    let inputs: usize = text
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(inputs >= 100, "{text}");

    // Damage one signature byte of the first transaction: the verifier must refuse it.
    let mut data: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&vectors).unwrap()).unwrap();
    let first = data
        .iter_mut()
        .find(|v| v["chain"] == "BTC" && v.get("hex").is_some())
        .unwrap();
    let hex = first["hex"].as_str().unwrap().to_string();
    let at = hex
        .find("3045022100")
        .or_else(|| hex.find("30440220"))
        .unwrap()
        + 20;
    let flipped = if &hex[at..at + 1] == "0" { "1" } else { "0" };
    first["hex"] =
        serde_json::Value::String(format!("{}{}{}", &hex[..at], flipped, &hex[at + 1..]));
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.json");
    std::fs::write(&damaged, serde_json::to_string(&data).unwrap()).unwrap();
    let (ok, text) = verify(&damaged);
    assert!(!ok, "a damaged signature verified: {text}");
}

#[test]
fn signed_evm_transactions_recover_to_the_wallet_address_with_eth_account() {
    if !have("eth_account") {
        return;
    }
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sign");
    let (ok, text) = run("verify_evm.py", &cases);
    assert!(ok, "{text}");
    let n: usize = text
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(n >= 12, "{text}");

    // Tamper with one signed transaction (a byte of the value): the sender no longer matches.
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&cases).unwrap().filter_map(Result::ok) {
        let from = entry.path();
        let to = dir.path().join(entry.file_name());
        if from.is_dir() {
            std::fs::create_dir(&to).unwrap();
            if from.join("case.json").exists() {
                std::fs::copy(from.join("case.json"), to.join("case.json")).unwrap();
            }
        } else {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    let case = dir.path().join("bsc_testnet/case.json");
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
    let body = c["broadcastRequests"][0]["body"]
        .as_str()
        .unwrap()
        .to_string();
    let mut b: serde_json::Value = serde_json::from_str(&body).unwrap();
    let raw = b["txData"].as_str().unwrap().to_string();
    let at = raw.len() / 3;
    let flipped = if &raw[at..at + 1] == "1" { "2" } else { "1" };
    b["txData"] = serde_json::Value::String(format!("{}{}{}", &raw[..at], flipped, &raw[at + 1..]));
    c["broadcastRequests"][0]["body"] = serde_json::Value::String(b.to_string());
    std::fs::write(&case, c.to_string()).unwrap();
    let (ok, text) = run("verify_evm.py", dir.path());
    assert!(
        !ok,
        "a tampered transaction recovered to the wallet: {text}"
    );
}

// --- TRON, SOL, XRP, XLM, ALGO, EGLD: the chains' own SDKs ------------------------------

fn sign_with(
    chain: Chain,
    tx: &PendingTransaction,
    store: &HashMap<String, WalletEntry>,
    node: &mut MockNode,
) -> Value {
    sign_testnet(chain, tx, store, node)
        .unwrap_or_else(|e| panic!("{chain:?} {}: {e}", tx.id))
        .body
}

/// The wire transaction a SOL signing run sent with `sendTransaction`.
fn sent_wire(node: &MockNode) -> Value {
    node.params_of("sendTransaction").unwrap()[0].clone()
}

/// The recorded daemon runs of TRON, XRP, XLM and ALGO (signed offline) as verifier cases:
/// the broadcast `txData` and the address the wallet signs for.
fn recorded_account_cases(cases: &mut Vec<Value>) {
    for (dir, chain) in [
        ("tron_testnet", "tron"),
        ("xrp_testnet_ed25519_secp256k1", "xrp"),
        ("xlm_testnet", "xlm"),
        ("algo_testnet", "algo"),
    ] {
        let case = read_json(sign_fixtures().join(dir).join("case.json"));
        let store = wallet_store(case["walletFile"].as_str().unwrap());
        let kind: Chain = case["chain"].as_str().unwrap().parse().unwrap();
        let mut node = MockNode::default();
        for p in case["pendingTransactions"].as_array().unwrap() {
            let tx: PendingTransaction = serde_json::from_value(p.clone()).unwrap();
            let body = sign_with(kind, &tx, &store, &mut node);
            let entry = &store[&tx.hashes[0]];
            let address = match (kind, entry.address()) {
                (Chain::Tron, _) => match (entry.xpub(), tx.index) {
                    (Some(xpub), Some(i)) => kms_chains::keys::address_from_xpub(
                        Chain::Tron,
                        Network::Testnet,
                        xpub,
                        DerivationIndex::new(i).unwrap(),
                    ),
                    _ => kms_chains::keys::address_from_private_key(
                        Chain::Tron,
                        Network::Testnet,
                        entry.private_key().unwrap(),
                    ),
                }
                .unwrap(),
                (_, Some(a)) => a.to_string(),
                (_, None) => panic!("{dir}: the wallet has no address"),
            };
            let mut c = json!({
                "chain": chain,
                "name": format!("{dir}/{}", tx.id),
                "output": body["txData"],
                "address": address,
            });
            if kind == Chain::Xlm {
                c["passphrase"] = json!("Test SDF Network ; September 2015");
            }
            cases.push(c);
        }
        assert!(
            !node.calls.iter().any(|c| matches!(c, Call::Rpc { .. })),
            "{dir}: signed offline"
        );
    }
}

/// SOL: the recorded run (node answers from its mock_config) and the web3.js oracle
/// vectors (several signers, mintPK); the case is the wire transaction sent with
/// `sendTransaction`.
fn sol_cases(cases: &mut Vec<Value>) {
    let dir = sign_fixtures().join("sol_testnet");
    let case = read_json(dir.join("case.json"));
    let config = read_json(dir.join("mock_config.json"));
    let store = wallet_store(case["walletFile"].as_str().unwrap());
    for p in case["pendingTransactions"].as_array().unwrap() {
        let tx: PendingTransaction = serde_json::from_value(p.clone()).unwrap();
        let mut node = MockNode::from_jsonrpc(&config);
        sign_with(Chain::Sol, &tx, &store, &mut node);
        let wire = sent_wire(&node);
        let signer = store[&tx.hashes[0]].address().unwrap();
        cases.push(json!({
            "chain": "sol",
            "name": format!("sol_testnet/{}", tx.id),
            "output": wire,
            "signers": [signer],
        }));
    }

    let oracle = read_json(sign_fixtures().join("sol_oracle_vectors.json"));
    for c in oracle["cases"].as_array().unwrap() {
        if c.get("wire").is_none() {
            continue; // the error cases sign nothing
        }
        let name = c["name"].as_str().unwrap();
        let (store, ids) = sol_oracle_wallets(c);
        let keys = c["privateKeys"].as_array().unwrap();
        let mut ser = serde_json::Map::new();
        ser.insert("txData".into(), c["txData"].clone());
        let mut secrets = keys.clone();
        if let Some(m) = c.get("mintPK").filter(|m| !m.is_null()) {
            ser.insert("mintPK".into(), m.clone());
            secrets.push(m.clone());
        }
        let tx = pending(name, "SOL", &Value::Object(ser).to_string(), &ids, None);
        let mut node = sol_oracle_node(c, json!({"slot": 2, "meta": {"err": null}}));
        sign_with(Chain::Sol, &tx, &store, &mut node);
        let wire = sent_wire(&node);
        cases.push(json!({
            "chain": "sol",
            "name": format!("sol_oracle/{name}"),
            "output": wire,
            "secret_keys": secrets,
        }));
    }
}

/// EGLD: the erdjs oracle vectors (no daemon run was recorded), the node answering the
/// recorded network config, nonce and cost; the signer's address is derived by the script
/// from the private key.
fn egld_cases(cases: &mut Vec<Value>) {
    let vectors = read_json(sign_fixtures().join("egld_oracle_vectors.json"));
    for c in vectors.as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (store, tx, mut node) = egld_oracle_run(c);
        let body = sign_with(Chain::Egld, &tx, &store, &mut node);
        cases.push(json!({
            "chain": "egld",
            "name": format!("egld_oracle/{name}"),
            "output": body["txData"],
            "secret_key": c["privateKey"],
        }));
    }
}

/// Runs verify_account.py with the cases on stdin: (exit status success, output).
fn run_account_verifier(py: &str, cases: &[Value]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify_account.py");
    let mut child = Command::new(py)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(cases).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = output_text(&out);
    (out.status.success(), text)
}

fn lines_starting<'a>(text: &'a str, word: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(word)).collect()
}

/// Every TRON/SOL/XRP/XLM/ALGO/EGLD transaction our signers produce for the recorded cases
/// verifies with the chain's own Python SDK (tronpy, solders, xrpl-py, stellar-sdk,
/// py-algorand-sdk, multiversx-sdk + PyNaCl) against the wallet's address; the script also
/// damages one byte of each signature and of each signed payload, and both must be refused.
/// Given the wrong signer, every case must fail.
#[test]
fn signed_account_transactions_verify_with_the_chains_sdks() {
    let Some(py) = python_from_env() else {
        eprintln!(
            "SKIPPED: KMS_TEST_PYTHON is not set; run scripts/test (it installs tronpy, solders, \
             xrpl-py, stellar-sdk, py-algorand-sdk, multiversx-sdk, PyNaCl into target/test-venv)"
        );
        return;
    };
    let mut cases = Vec::new();
    recorded_account_cases(&mut cases);
    sol_cases(&mut cases);
    egld_cases(&mut cases);
    let count = |chain: &str| cases.iter().filter(|c| c["chain"] == chain).count();
    assert_eq!(count("tron"), 2);
    assert_eq!(count("xrp"), 2);
    assert_eq!(count("xlm"), 1);
    assert_eq!(count("algo"), 1);
    assert!(count("sol") >= 13, "{}", count("sol"));
    assert_eq!(count("egld"), 7);

    let (ok, text) = run_account_verifier(&py, &cases);
    assert!(ok, "{text}");
    assert!(lines_starting(&text, "FAIL").is_empty(), "{text}");
    let verified = lines_starting(&text, "verified ");
    assert_eq!(verified.len(), cases.len(), "{text}");
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let line = format!("verified {} {name}", c["chain"].as_str().unwrap());
        assert!(
            verified.iter().any(|l| l.starts_with(&line)),
            "{line}: {text}"
        );
        // A damaged signature and a damaged payload: both refused.
        for what in ["signature", "payload"] {
            let line = format!("rejected {} {name} {what}", c["chain"].as_str().unwrap());
            assert!(text.lines().any(|l| l.starts_with(&line)), "{line}: {text}");
        }
    }

    // The same signatures checked against a signer that did not make them: all fail.
    let others = HashMap::from([
        (
            "tron",
            json!({"address": "TGkWdpawVNfeset3P6uTBbLaPY7nZVZvXY"}),
        ),
        (
            "sol",
            json!({"signers": ["GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB"]}),
        ),
        (
            "xrp",
            json!({"address": "rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe"}),
        ),
        (
            "xlm",
            json!({"address": "GDVEU3DD4KOFECV66VIHWEZOYX4ZKR3WV27L464SIIPOU2IUI3JCZA57"}),
        ),
        (
            "algo",
            json!({"address": "5JFGYY7CTRJAVPXVKB5RGLWF7GKUO5VOX27HXESCD3VGSFCG2IWAKDM5YU"}),
        ),
        (
            "egld",
            json!({"address": "erd1af9xcclzn3fq40h42pa3xtk9lx25wa4wh6l8hyjzrm4xj9zx6gkq38dn52"}),
        ),
    ]);
    let wrong: Vec<Value> = cases
        .iter()
        .map(|c| {
            let mut c = c.clone();
            let o = c.as_object_mut().unwrap();
            for k in ["address", "signers", "secret_keys", "secret_key"] {
                o.remove(k);
            }
            for (k, v) in others[o["chain"].as_str().unwrap()].as_object().unwrap() {
                o.insert(k.clone(), v.clone());
            }
            c
        })
        .collect();
    let (ok, text) = run_account_verifier(&py, &wrong);
    assert!(!ok, "signatures verified for the wrong signer: {text}");
    assert_eq!(lines_starting(&text, "FAIL").len(), cases.len(), "{text}");
    assert!(lines_starting(&text, "verified ").is_empty(), "{text}");
}

/// The ADA (ed25519 over the payload / blake2b-256 of the body) and FLOW (secp256k1 over
/// SHA3-256, high s accepted) checks of verify_account.py, exercised with keys and
/// signatures made by PyNaCl and ecdsa themselves (our signers' output is checked in
/// `signed_ada_and_flow_transactions_verify_independently`).
#[test]
fn account_verifier_selftest_for_ada_and_flow() {
    let Some(py) = python_from_env() else {
        eprintln!("SKIPPED: KMS_TEST_PYTHON is not set; run scripts/test");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify_account.py");
    let out = Command::new(py)
        .arg(script)
        .arg("--selftest")
        .output()
        .expect("run python");
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(lines_starting(&text, "FAIL").is_empty(), "{text}");
    assert_eq!(lines_starting(&text, "verified ").len(), 4, "{text}");
    assert_eq!(lines_starting(&text, "rejected ").len(), 10, "{text}");
}

// --- ADA and FLOW: signed by `sign_pending` against a fake gateway ---------------------

/// The FLOW or ADA testnet vector of keys.json for mnemonic 1 ("casual black …"), recorded
/// from the original SDK: its mnemonic, stored xpub and `getaddress` answers by index.
fn original_vector(chain: &str) -> (String, String, HashMap<u32, String>) {
    let keys = read_json(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys.json"));
    let v = keys["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["chain"] == chain && v["testnet"] == true && v["mnemonicIndex"] == 1)
        .unwrap_or_else(|| panic!("keys.json has no {chain} testnet vector"));
    let wallet = &v["kmsStoredWallet"]["value"];
    let addresses = v["addresses"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(i, a)| Some((i.parse().ok()?, a["value"].as_str()?.to_string())))
        .collect();
    (
        wallet["mnemonic"].as_str().unwrap().to_string(),
        wallet["xpub"].as_str().unwrap().to_string(),
        addresses,
    )
}

/// Answers Tatum's Cardano Rosetta gateway (`/construction/…`) as it would: `derive` maps
/// the public keys of the wallet's xpub (BIP32-Ed25519 public derivation) to their
/// enterprise addresses, `payloads` asks each address to sign blake2b-256 of the body.
/// Records every request.
struct FakeRosetta {
    addresses: HashMap<String, String>,
    /// Addresses `payloads` asks signatures of, in this order.
    signers: Vec<String>,
    body: Vec<u8>,
    requests: Vec<(String, Value)>,
}

fn blake2b_256(data: &[u8]) -> [u8; 32] {
    use blake2::Digest as _;
    blake2::Blake2b::<blake2::digest::consts::U32>::digest(data).into()
}

impl Node for FakeRosetta {
    fn rpc(&mut self, path: &str, _: &str, _: Value) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected JSON-RPC call to {path}")))
    }
    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected GET {path}")))
    }
    fn get_external(&mut self, _: ExternalService, path: &str) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected external GET {path}")))
    }
    fn post(&mut self, path: &str, body: &Value) -> Result<Value, NodeError> {
        self.requests.push((path.to_string(), body.clone()));
        let prefix = "/v3/blockchain/node/cardano-preprod/{apiKey}/construction/";
        let call = path
            .strip_prefix(prefix)
            .ok_or_else(|| NodeError(format!("unexpected POST {path}")))?;
        Ok(match call {
            "derive" => {
                let public = body["public_key"]["hex_bytes"].as_str().unwrap_or("");
                let address = self.addresses.get(public).ok_or_else(|| {
                    NodeError(format!(
                        "derive: {public} is not a key of the wallet's xpub"
                    ))
                })?;
                json!({"account_identifier": {"address": address}})
            }
            "preprocess" => json!({
                "options": {"relative_ttl": 1000, "transaction_size": 300},
                "required_public_keys": []
            }),
            "metadata" => json!({
                "metadata": {"ttl": "1001", "protocol_parameters": {"minFeeCoefficient": 44, "poolDeposit": "500000000"}},
                "suggested_fee": [{"value": "170000", "currency": {"symbol": "ADA", "decimals": 6}}]
            }),
            "payloads" => {
                let hash = hex::encode(blake2b_256(&self.body));
                json!({
                    "unsigned_transaction": hex::encode(&self.body),
                    "payloads": self.signers.iter().map(|address| json!({
                        "address": address,
                        "hex_bytes": hash,
                        "account_identifier": {"address": address},
                        "signature_type": "ed25519"
                    })).collect::<Vec<_>>()
                })
            }
            "combine" => {
                json!({"signed_transaction": format!("84{}a0f5f6", hex::encode(&self.body))})
            }
            other => return Err(NodeError(format!("unexpected call {other}"))),
        })
    }
    fn pause(&mut self, _millis: u64) {}
}

/// A Cardano transaction body (CBOR map: inputs, outputs, fee, ttl) spending `inputs`
/// (transaction hash byte, index) to one output.
fn ada_tx_body(inputs: &[(u8, u8)]) -> Vec<u8> {
    let mut b = vec![0xa4, 0x00, 0x80 + inputs.len() as u8];
    for (h, i) in inputs {
        b.extend([0x82, 0x58, 0x20]);
        b.extend([*h; 32]);
        b.push(*i);
    }
    b.extend([0x01, 0x81, 0x82, 0x58, 0x1d, 0x60]);
    b.extend([0x5a; 28]);
    b.extend([0x1a, 0x00, 0x49, 0x3e, 0x00]);
    b.extend([
        0x02, 0x1a, 0x00, 0x02, 0x98, 0x10, 0x03, 0x1a, 0x00, 0x01, 0x86, 0xa0,
    ]);
    b
}

/// One ADA pending transaction: its wallets (or, off-chain, the mnemonic's index), the
/// indices Rosetta asks signatures of, in order, and the inputs of its body.
struct AdaRun {
    name: &'static str,
    hashes: &'static [&'static str],
    offchain: Option<u32>,
    signers: &'static [u32],
    inputs: &'static [(u8, u8)],
}

/// ADA: two inputs of two private-key wallets (index 0 stored in the v1 256-hex form, index
/// 1 in the v2 128-hex form; Rosetta asks the second first), and an off-chain withdrawal
/// signed with the mnemonic at index 7. Each signature of the `combine` request is a case,
/// with the public key the `derive` request gave for the payload's address and the
/// transaction body whose hash was signed. That public key must be the one behind the
/// original SDK's address at the index (keys.json: blake2b-224 of it is the payment part of
/// the recorded base address), derived here from the original's xpub by public derivation.
fn ada_cases(cases: &mut Vec<Value>) {
    let (phrase, xpub, original) = original_vector("ADA");
    // The payment chain's extended public key (v2 xpub: enterprise addresses).
    let payment = &xpub[..128];
    let parent = ed25519_bip32::XPub::from_slice(&hex::decode(payment).unwrap()).unwrap();
    let mut addresses = HashMap::new();
    let mut address_of = HashMap::new();
    for i in [0u32, 1, 7] {
        let public = parent
            .derive(ed25519_bip32::DerivationScheme::V2, i)
            .unwrap()
            .public_key();
        let (_, base) = bech32::decode(&original[&i]).unwrap();
        let credential: [u8; 28] = {
            use blake2::Digest as _;
            blake2::Blake2b::<blake2::digest::consts::U28>::digest(public).into()
        };
        assert_eq!(
            base[1..29],
            credential,
            "ADA index {i}: not the original's key"
        );
        let address = kms_chains::keys::address_from_xpub(
            Chain::Ada,
            Network::Testnet,
            payment,
            DerivationIndex::new(i).unwrap(),
        )
        .unwrap();
        assert!(address.starts_with("addr_test1v"), "{address}");
        addresses.insert(hex::encode(public), address.clone());
        address_of.insert(i, address);
    }
    let key = |i: u32| kms_chains::ada::private_key(&phrase, i).unwrap();
    let mut store = HashMap::new();
    for (id, k) in [
        ("w0", key(0).to_string()),
        ("w1", key(1)[..128].to_string()),
    ] {
        store.insert(
            id.to_string(),
            WalletEntry::from_json(json!({"privateKey": k, "chain": "ADA", "testnet": true})),
        );
    }
    store.insert(
        "mn".to_string(),
        WalletEntry::from_json(
            json!({"mnemonic": phrase, "xpub": xpub, "chain": "ADA", "testnet": true}),
        ),
    );
    let operations = json!([
        {"operation_identifier": {"index": 0}, "type": "input", "status": "success",
         "account": {"address": address_of[&0]}, "amount": {"value": "-2000000", "currency": {"symbol": "ADA", "decimals": 6}},
         "coin_change": {"coin_identifier": {"identifier": "aa:1"}, "coin_action": "coin_spent"}},
        {"operation_identifier": {"index": 1}, "type": "output", "status": "success",
         "account": {"address": "addr_test1vrecipient"}, "amount": {"value": "1800000", "currency": {"symbol": "ADA", "decimals": 6}}}
    ])
    .to_string();

    let runs = [
        AdaRun {
            name: "two_wallets",
            hashes: &["w0", "w1"],
            offchain: None,
            signers: &[1, 0],
            inputs: &[(0xaa, 1), (0xbb, 0)],
        },
        AdaRun {
            name: "offchain_mnemonic_index_7",
            hashes: &[],
            offchain: Some(7),
            signers: &[7],
            inputs: &[(0xcc, 2)],
        },
    ];
    for AdaRun {
        name,
        hashes,
        offchain,
        signers,
        inputs,
    } in runs
    {
        let mut tx = pending(name, "ADA", &operations, hashes, None);
        if let Some(index) = offchain {
            tx = serde_json::from_value(json!({
                "id": name, "chain": "ADA", "serializedTransaction": operations, "hashes": [],
                "signatures": [{"id": "mn", "index": index}], "withdrawalId": "wd-1",
            }))
            .unwrap();
        }
        let body = ada_tx_body(inputs);
        let mut node = FakeRosetta {
            addresses: addresses.clone(),
            signers: signers.iter().map(|i| address_of[i].clone()).collect(),
            body: body.clone(),
            requests: Vec::new(),
        };
        let b = sign_testnet(Chain::Ada, &tx, &store, &mut node)
            .unwrap_or_else(|e| panic!("ADA {name}: {e}"));
        assert_eq!(
            b.body["txData"],
            json!(format!("84{}a0f5f6", hex::encode(&body)))
        );

        // The public key each address was derived from, as our code sent it to `derive`.
        let derived: HashMap<String, String> = node
            .requests
            .iter()
            .filter(|(p, _)| p.ends_with("/derive"))
            .map(|(_, b)| {
                let public = b["public_key"]["hex_bytes"].as_str().unwrap().to_string();
                (addresses[&public].clone(), public)
            })
            .collect();
        let (_, combine) = node
            .requests
            .iter()
            .find(|(p, _)| p.ends_with("/combine"))
            .unwrap_or_else(|| panic!("ADA {name}: no combine request"));
        assert_eq!(combine["unsigned_transaction"], json!(hex::encode(&body)));
        let signatures = combine["signatures"].as_array().unwrap();
        assert_eq!(signatures.len(), signers.len(), "{name}");
        for (s, index) in signatures.iter().zip(signers) {
            let address = &address_of[index];
            assert_eq!(
                s["signing_payload"]["account_identifier"]["address"],
                json!(address)
            );
            let public = &derived[address];
            assert_eq!(s["public_key"]["hex_bytes"], json!(public), "{name}");
            assert_eq!(s["public_key"]["curve_type"], "edwards25519");
            assert_eq!(s["signature_type"], "ed25519");
            // The stored v1 key carries its public key: the same one.
            assert_eq!(&key(*index)[128..192], public.as_str());
            cases.push(json!({
                "chain": "ada",
                "name": format!("{name}/index_{index}"),
                "public_key": public,
                "signature": s["hex_bytes"],
                "tx_body": hex::encode(&body),
                "extended_secret": key(*index)[..128],
            }));
        }
    }
}

const FLOW_PAYER: &str = "0xe3e1a94c37e89ef1";
const FLOW_PROPOSER: &str = "0x4f0e6e39b5b7a3d1";
const FLOW_ACCOUNT: &str = "0x955cd3f17b2fd8ad";
const FLOW_BLOCK: &str = "7bc42fe85d32ca513769a74f97f7e1a7bad6c9407f0d934c2aa645ef9cf613c7";
const FLOW_TXID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// Answers Tatum's FLOW proposal/sign endpoints and the Flow access node's REST API, the
/// transaction sealed at once; records every request.
struct FakeFlow {
    sequence_number: u64,
    requests: Vec<(String, Value)>,
}

impl Node for FakeFlow {
    fn rpc(&mut self, path: &str, _: &str, _: Value) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected JSON-RPC call to {path}")))
    }
    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        self.requests.push((format!("GET {path}"), Value::Null));
        match path {
            "/v3/flow/proposal/true" => Ok(json!({"address": FLOW_PAYER, "keyId": 0})),
            "/v3/flow/proposal/false" => Ok(json!({"address": FLOW_PROPOSER, "keyId": 7})),
            _ => Err(NodeError(format!("unexpected GET {path}"))),
        }
    }
    fn post(&mut self, path: &str, body: &Value) -> Result<Value, NodeError> {
        self.requests.push((format!("POST {path}"), body.clone()));
        match path {
            "/v3/flow/sign" => {
                let byte = if body["isPayer"] == json!(true) {
                    "bb"
                } else {
                    "aa"
                };
                Ok(json!({"signature": byte.repeat(64)}))
            }
            "/v3/flow/broadcast" => Ok(json!({})),
            _ => Err(NodeError(format!("unexpected POST {path}"))),
        }
    }
    fn get_external(&mut self, service: ExternalService, path: &str) -> Result<Value, NodeError> {
        assert_eq!(service, ExternalService::FlowAccessNode { testnet: true });
        self.requests
            .push((format!("NODE-GET {path}"), Value::Null));
        if path.starts_with("/v1/blocks?") {
            Ok(json!([{"header": {"id": FLOW_BLOCK, "height": "1"}, "payload": {}}]))
        } else if path.starts_with("/v1/accounts/4f0e6e39b5b7a3d1?") {
            Ok(json!({"address": FLOW_PROPOSER, "keys": [
                {"index": "7", "sequence_number": self.sequence_number.to_string()}
            ]}))
        } else if path == format!("/v1/transaction_results/{FLOW_TXID}") {
            Ok(json!({"status": "Sealed", "status_code": 0, "error_message": "", "events": []}))
        } else {
            Err(NodeError(format!("unexpected access-node GET {path}")))
        }
    }
    fn post_external(
        &mut self,
        service: ExternalService,
        path: &str,
        body: &Value,
    ) -> Result<Value, NodeError> {
        assert_eq!(service, ExternalService::FlowAccessNode { testnet: true });
        self.requests
            .push((format!("NODE-POST {path}"), body.clone()));
        match path {
            "/v1/transactions" => Ok(json!({"id": FLOW_TXID})),
            _ => Err(NodeError(format!("unexpected access-node POST {path}"))),
        }
    }
    fn pause(&mut self, _millis: u64) {}
}

/// s > (n - 1) / 2 of secp256k1.
fn high_s(signature: &[u8]) -> bool {
    let half =
        hex::decode("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0").unwrap();
    signature[32..] > half[..]
}

/// Signs one FLOW pending transaction; the authorizer's signature (from the
/// `POST /v1/transactions` body) and the payload message the proposer was asked to sign
/// (the authorizer, an inside signer, signs the same payload message).
fn flow_sign_once(
    tx: &PendingTransaction,
    store: &HashMap<String, WalletEntry>,
    sequence_number: u64,
) -> (Vec<u8>, String, Value) {
    let mut node = FakeFlow {
        sequence_number,
        requests: Vec::new(),
    };
    let b = sign_testnet(Chain::Flow, tx, store, &mut node)
        .unwrap_or_else(|e| panic!("FLOW {}: {e}", tx.id));
    assert_eq!(b.body["txData"], json!(FLOW_TXID));
    let find = |what: &str, pred: &dyn Fn(&Value) -> bool| {
        node.requests
            .iter()
            .find(|(p, b)| p == what && pred(b))
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("FLOW {}: no {what}", tx.id))
    };
    let data = find("POST /v3/flow/sign", &|b| b["isPayer"] == json!(false))["data"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = find("NODE-POST /v1/transactions", &|_| true);
    let entries: Vec<&Value> = sent["payload_signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["address"] == json!(&FLOW_ACCOUNT[2..]) && s["key_index"] == "0")
        .collect();
    assert_eq!(entries.len(), 1, "{sent}");
    use base64::Engine as _;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(entries[0]["signature"].as_str().unwrap())
        .unwrap();
    (signature, data, sent)
}

/// FLOW (mnemonic 1 of keys.json): TRANSFER (mnemonic wallet, index 0), CUSTOM_TX with
/// arguments (private-key wallet holding the 63-digit key of index 2, Q12) and
/// CREATE_ACCOUNT (mnemonic wallet, index 7), plus a TRANSFER whose authorizer signature
/// has a high s (the proposal key's sequence number searched until one does). The public
/// key is what the original's `getaddress` printed for that index (keys.json), which our
/// xpub derivation must also give.
fn flow_cases(cases: &mut Vec<Value>) {
    let (phrase, xpub, original) = original_vector("FLOW");
    let public = |i: u32| {
        let ours = kms_chains::keys::address_from_xpub(
            Chain::Flow,
            Network::Testnet,
            &xpub,
            DerivationIndex::new(i).unwrap(),
        )
        .unwrap();
        assert_eq!(ours, original[&i], "FLOW index {i}");
        original[&i].clone()
    };
    let mut store = HashMap::new();
    store.insert(
        "mn".to_string(),
        WalletEntry::from_json(
            json!({"mnemonic": phrase, "xpub": xpub, "chain": "FLOW", "testnet": true}),
        ),
    );
    let k2 = kms_chains::flow::private_key(&phrase, 2).unwrap();
    assert_eq!(k2.len(), 63, "index 2's key has a leading zero nibble");
    store.insert(
        "pk".to_string(),
        WalletEntry::from_json(
            json!({"privateKey": k2.as_str(), "chain": "FLOW", "testnet": true}),
        ),
    );
    let with = |id: &str, wallet: &str, index: Option<u32>, serialized: Value| {
        pending(id, "FLOW", &serialized.to_string(), &[wallet], index)
    };
    let transfer = json!({"type": 2, "body": {
        "account": FLOW_ACCOUNT, "to": "0x4b53b3ec49ed1ec2", "amount": "1.5", "currency": "FLOW"
    }});
    let custom = json!({"type": 8, "body": {
        "account": FLOW_ACCOUNT,
        "transaction": "transaction(n: UInt64, to: Address, memo: String) {\n  prepare(signer: AuthAccount) {}\n}",
        "args": [
            {"type": "UInt64", "value": "7"},
            {"type": "Address", "value": "0x4b53b3ec49ed1ec2"},
            {"type": "String", "value": "independent"}
        ]
    }});
    let create = json!({"type": 0, "body": {"account": FLOW_ACCOUNT, "publicKey": public(100)}});
    let runs = [
        ("transfer_index_0", "mn", Some(0), 0, transfer.clone(), 41),
        ("custom_tx_private_key_index_2", "pk", None, 2, custom, 43),
        ("create_account_index_7", "mn", Some(7), 7, create, 44),
    ];
    let mut push = |name: String, index: u32, (signature, data, sent): (Vec<u8>, String, Value)| {
        let mut tag = b"FLOW-V0.0-transaction".to_vec();
        tag.resize(32, 0);
        let payload = data
            .strip_prefix(&hex::encode(tag))
            .unwrap_or_else(|| panic!("FLOW {name}: the signed message has no domain tag"));
        let s = if high_s(&signature) {
            "high_s"
        } else {
            "low_s"
        };
        cases.push(json!({
            "chain": "flow",
            "name": format!("{name}/{s}"),
            "public_key": public(index),
            "signature": hex::encode(&signature),
            "domain_tag": "FLOW-V0.0-transaction",
            "payload": payload,
            "transaction": sent,
            "signer": {"address": &FLOW_ACCOUNT[2..], "key_index": "0"},
        }));
    };
    for (name, wallet, tx_index, key_index, serialized, seq) in runs {
        let tx = with(name, wallet, tx_index, serialized);
        push(
            name.to_string(),
            key_index,
            flow_sign_once(&tx, &store, seq),
        );
    }
    // A high-s authorizer signature: the message varies with the sequence number.
    let tx = with("transfer_high_s", "mn", Some(0), transfer);
    let (seq, signed) = (100..164)
        .map(|seq| (seq, flow_sign_once(&tx, &store, seq)))
        .find(|(_, (s, _, _))| high_s(s))
        .expect("a high-s signature within 64 sequence numbers");
    push(format!("transfer_index_0_seq_{seq}"), 0, signed);
}

/// ADA and FLOW transactions signed by `sign_pending` (against fake gateways that answer as
/// Tatum's Rosetta / FLOW endpoints and the Flow access node do): each ADA witness verifies
/// with PyNaCl over blake2b-256 (hashlib) of the transaction body, for the public key our
/// code sent to Rosetta `derive` (equal to the xpub's BIP32-Ed25519 child and, computed by
/// libsodium, to kL·B of the wallet's key); each FLOW authorizer signature taken from the
/// `/v1/transactions` body verifies with `ecdsa` (secp256k1, SHA3-256) over the domain tag
/// and the payload RLP that pyrlp rebuilds from that same body, for the public key
/// `getaddress` derives from the xpub. Damaged signatures and payloads are refused, and so
/// is every signature checked against another case's key.
#[test]
fn signed_ada_and_flow_transactions_verify_independently() {
    let Some(py) = python_from_env() else {
        eprintln!("SKIPPED: KMS_TEST_PYTHON is not set; run scripts/test");
        return;
    };
    let mut cases = Vec::new();
    ada_cases(&mut cases);
    flow_cases(&mut cases);
    let count = |chain: &str| cases.iter().filter(|c| c["chain"] == chain).count();
    assert_eq!(count("ada"), 3);
    assert_eq!(count("flow"), 4);
    for s in ["/high_s", "/low_s"] {
        assert!(
            cases
                .iter()
                .any(|c| c["chain"] == "flow" && c["name"].as_str().unwrap().ends_with(s)),
            "no FLOW case with {s}"
        );
    }

    let (ok, text) = run_account_verifier(&py, &cases);
    eprintln!("{text}");
    assert!(ok, "{text}");
    assert!(lines_starting(&text, "FAIL").is_empty(), "{text}");
    let verified = lines_starting(&text, "verified ");
    assert_eq!(verified.len(), cases.len(), "{text}");
    for c in &cases {
        let chain = c["chain"].as_str().unwrap();
        let name = c["name"].as_str().unwrap();
        let line = format!("verified {chain} {name} ");
        let v = verified
            .iter()
            .find(|l| l.starts_with(&line))
            .unwrap_or_else(|| panic!("{line}: {text}"));
        let independent = if chain == "ada" {
            "(= kL·B)"
        } else {
            "(payload of the sent transaction)"
        };
        assert!(v.contains(independent), "{v}");
        for what in ["signature", "payload"] {
            let line = format!("rejected {chain} {name} {what}");
            assert!(text.lines().any(|l| l.starts_with(&line)), "{line}: {text}");
        }
    }

    // Each signature checked against the next case's key of the same chain: all refused.
    let wrong: Vec<Value> = cases
        .iter()
        .map(|c| {
            let other = cases
                .iter()
                .cycle()
                .skip_while(|o| *o != c)
                .skip(1)
                .find(|o| o["chain"] == c["chain"] && o["public_key"] != c["public_key"])
                .unwrap();
            let mut c = c.clone();
            c["public_key"] = other["public_key"].clone();
            c.as_object_mut().unwrap().remove("extended_secret");
            c
        })
        .collect();
    let (ok, text) = run_account_verifier(&py, &wrong);
    assert!(!ok, "signatures verified for the wrong key: {text}");
    assert_eq!(lines_starting(&text, "FAIL").len(), cases.len(), "{text}");
    assert!(lines_starting(&text, "verified ").is_empty(), "{text}");
}
