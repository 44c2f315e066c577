//! The transactions our signers must produce (byte-compared in utxo_signing.rs and
//! evm_signing.rs) verify under implementations we did not write: python-bitcoinlib + ecdsa
//! for BTC/LTC/DOGE, eth-account for the EVM chains (installed into target/test-venv by
//! scripts/test). A damaged transaction must fail each check.

use std::path::Path;
use std::process::Command;

fn python() -> Option<String> {
    if let Ok(p) = std::env::var("KMS_TEST_PYTHON") {
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
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
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
