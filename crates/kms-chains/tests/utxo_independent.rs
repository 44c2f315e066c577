//! The UTXO transactions our signer must produce (byte-compared in utxo_signing.rs) verify
//! under an implementation we did not write: python-bitcoinlib + ecdsa (installed into
//! target/test-venv by scripts/test). A damaged transaction must fail that check.

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

fn verify(vectors: &Path) -> (bool, String) {
    let Some(py) = python() else {
        return (false, "no python".into());
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/verify_utxo.py");
    let out = Command::new(py)
        .arg(script)
        .arg(vectors)
        .output()
        .expect("run python");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn signed_utxo_transactions_verify_independently() {
    let vectors =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sign/oracle_vectors.json");
    let check = python().map(|py| {
        Command::new(py)
            .args(["-c", "import bitcoin, ecdsa"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    });
    if check != Some(true) {
        assert!(
            std::env::var_os("CI").is_none(),
            "python-bitcoinlib and ecdsa are required in CI (scripts/test installs them)"
        );
        eprintln!("SKIPPED: python-bitcoinlib/ecdsa not installed; run scripts/test");
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
