//! Golden key vectors recorded from the original's SDK (`fixtures/keys.json`, copied from
//! the project's shared vectors). Every vector of every implemented chain is compared;
//! a chain that is not implemented yet must say so (NotSupported) rather than answer.

use kms_chains::{keys, ChainError};
use kms_core::{Chain, DerivationIndex, Network};
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/keys.json");
    serde_json::from_str(text).expect("fixture is JSON")
}

/// Chains whose keys are implemented; the others must answer NotSupported.
const IMPLEMENTED: &[&str] = &[
    "BTC", "LTC", "DOGE", "BCH", "ETH", "BSC", "MATIC", "CELO", "KLAY", "XDC", "ONE", "VET", "TRON",
];

#[test]
fn every_key_vector_matches() {
    let data = fixture();
    let mnemonics: Vec<&str> = data["mnemonics"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for v in data["vectors"].as_array().unwrap() {
        let code = v["chain"].as_str().unwrap();
        let chain: Chain = code.parse().unwrap();
        let testnet = v["testnet"].as_bool().unwrap();
        let network = Network::from_testnet(testnet);
        let m = mnemonics[v["mnemonicIndex"].as_u64().unwrap() as usize];
        let label = format!("{code} {network} M{}", v["mnemonicIndex"]);

        if !IMPLEMENTED.contains(&code) {
            match keys::wallet_from_mnemonic(chain, network, m) {
                Err(ChainError::NotSupported(_)) => continue,
                other => {
                    failures.push(format!("{label}: not listed as implemented but answered {other:?}"));
                    continue;
                }
            }
        }

        let stored = &v["kmsStoredWallet"];
        if stored["ok"] == Value::Bool(true) {
            let expected: Vec<(String, String)> = stored["value"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "chain" && *k != "testnet")
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            match keys::wallet_from_mnemonic(chain, network, m) {
                Ok(w) => {
                    let got: Vec<(String, String)> = w.fields().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                    checked += 1;
                    if got != expected {
                        failures.push(format!("{label}: wallet {got:?} != {expected:?}"));
                    }
                }
                Err(e) => failures.push(format!("{label}: wallet error {e}")),
            }
            let xpub = stored["value"]["xpub"].as_str();
            for (index, expected) in v["addresses"].as_object().unwrap() {
                let i: DerivationIndex = index.parse().unwrap();
                if expected["ok"] != Value::Bool(true) {
                    continue;
                }
                let Some(xpub) = xpub else { continue };
                let want = expected["value"].as_str().unwrap();
                checked += 1;
                match keys::address_from_xpub(chain, network, xpub, i) {
                    Ok(got) if got == want => {}
                    other => failures.push(format!("{label} index {index}: address {other:?} != {want}")),
                }
            }
        }
        for (index, expected) in v["privateKeys"].as_object().unwrap() {
            if expected["ok"] != Value::Bool(true) {
                continue;
            }
            let i: DerivationIndex = index.parse().unwrap();
            let want = expected["value"].as_str().unwrap();
            checked += 1;
            match keys::private_key_from_mnemonic(chain, network, m, i) {
                Ok(got) if got.as_str() == want => {}
                Ok(got) => failures.push(format!("{label} index {index}: private key {} != {want}", got.as_str())),
                Err(e) => failures.push(format!("{label} index {index}: private key error {e}")),
            }
            // The address of that key must be the xpub's address at the same index.
            if let (Some(addr), true) = (v["addresses"][index]["value"].as_str(), v["addresses"][index]["ok"] == Value::Bool(true)) {
                checked += 1;
                match keys::address_from_private_key(chain, network, want) {
                    Ok(got) if got == addr => {}
                    other => failures.push(format!("{label} index {index}: address of private key {other:?} != {addr}")),
                }
            }
        }
        if let Some(from_pk) = v.get("addressFromPrivateKey").and_then(Value::as_object) {
            // BTC's SDK gives legacy P2PKH here; we answer the wallet's own bech32 format.
            if chain != Chain::Btc {
                for (index, expected) in from_pk {
                    let pk = v["privateKeys"][index]["value"].as_str().unwrap();
                    let want = expected["value"].as_str().unwrap();
                    checked += 1;
                    match keys::address_from_private_key(chain, network, pk) {
                        Ok(got) if got == want => {}
                        other => failures.push(format!("{label} index {index}: addressFromPrivateKey {other:?} != {want}")),
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} checks failed:\n{}", failures.len(), checked + failures.len(), failures.join("\n"));
    assert!(checked > 1000, "only {checked} checks ran");
    eprintln!("{checked} key checks passed");
}
