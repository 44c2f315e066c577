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
    "BTC", "LTC", "DOGE", "BCH", "ETH", "BSC", "MATIC", "CELO", "KLAY", "XDC", "ONE", "VET",
    "TRON", "ADA", "FLOW", "EGLD",
];

/// Chains whose KMS wallets are random, or keyed by a secret, rather than derived from a
/// BIP39 mnemonic: in `vectors` the original's mnemonic calls all fail for them. Their own
/// vectors (`nonMnemonic`) are checked by `every_non_mnemonic_vector_matches`.
const RANDOM_WALLET: &[&str] = &["SOL", "XRP", "XLM", "ALGO"];

/// Chains that are shut down: every key call refuses, saying so.
const RETIRED: &[&str] = &["BNB"];

#[test]
fn every_key_vector_matches() {
    let data = fixture();
    let mnemonics: Vec<&str> = data["mnemonics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for v in data["vectors"].as_array().unwrap() {
        let code = v["chain"].as_str().unwrap();
        let chain: Chain = code.parse().unwrap();
        let testnet = v["testnet"].as_bool().unwrap();
        let network = Network::from_testnet(testnet);
        let m = mnemonics[v["mnemonicIndex"].as_u64().unwrap() as usize];
        let label = format!("{code} {network} M{}", v["mnemonicIndex"]);

        if RANDOM_WALLET.contains(&code) {
            check_random_wallet_chain(v, chain, network, m, &label, &mut failures, &mut checked);
            continue;
        }
        if RETIRED.contains(&code) {
            checked += 1;
            match keys::wallet_from_mnemonic(chain, network, m) {
                Err(ChainError::Unsupported(e)) if e.contains("shut down") => {}
                other => failures.push(format!("{label}: a retired chain answered {other:?}")),
            }
            continue;
        }
        if !IMPLEMENTED.contains(&code) {
            match keys::wallet_from_mnemonic(chain, network, m) {
                Err(ChainError::NotSupported(_)) => continue,
                other => {
                    failures.push(format!(
                        "{label}: not listed as implemented but answered {other:?}"
                    ));
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
                    let got: Vec<(String, String)> = w
                        .fields()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
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
                    other => failures.push(format!(
                        "{label} index {index}: address {other:?} != {want}"
                    )),
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
                Ok(got) => failures.push(format!(
                    "{label} index {index}: private key {} != {want}",
                    got.as_str()
                )),
                Err(e) => failures.push(format!("{label} index {index}: private key error {e}")),
            }
            // The address of that key must be the xpub's address at the same index. ADA is
            // the exception: the xpub gives a base address (payment + staking key) and a
            // private key holds no staking key, so the answer must be Unsupported.
            if chain == Chain::Ada {
                checked += 1;
                match keys::address_from_private_key(chain, network, want) {
                    Err(ChainError::Unsupported(_)) => {}
                    other => failures.push(format!(
                        "{label} index {index}: ADA address of private key {other:?}"
                    )),
                }
            } else if chain == Chain::Egld {
                // EGLD has no xpub: the original's `addresses` are derived from the string
                // "undefined" (quirk Q3). We answer the real address of the key instead.
                let real = v["egldAddressFromMnemonic"][index]["value"]
                    .as_str()
                    .unwrap();
                let bogus = v["addresses"][index]["value"].as_str();
                checked += 3;
                if Some(real) == bogus {
                    failures.push(format!(
                        "{label} index {index}: the fixture's bogus address equals the real one"
                    ));
                }
                match keys::address_from_private_key(chain, network, want) {
                    Ok(got) if got == real => {}
                    other => failures.push(format!(
                        "{label} index {index}: EGLD address of private key {other:?} != {real}"
                    )),
                }
                match keys::address_from_mnemonic(chain, network, m, i) {
                    Ok(got) if got == real && Some(got.as_str()) != bogus => {}
                    other => failures.push(format!(
                        "{label} index {index}: EGLD address_from_mnemonic {other:?} != {real}"
                    )),
                }
                if let Some(bogus) = bogus {
                    checked += 1;
                    match keys::address_from_xpub(chain, network, m, i) {
                        Err(ChainError::Unsupported(_)) => {}
                        other => failures.push(format!(
                            "{label} index {index}: EGLD address_from_xpub must refuse (the original's bogus {bogus}), got {other:?}"
                        )),
                    }
                }
            } else if let (Some(addr), true) = (
                v["addresses"][index]["value"].as_str(),
                v["addresses"][index]["ok"] == Value::Bool(true),
            ) {
                checked += 1;
                match keys::address_from_private_key(chain, network, want) {
                    Ok(got) if got == addr => {}
                    other => failures.push(format!(
                        "{label} index {index}: address of private key {other:?} != {addr}"
                    )),
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
                        other => failures.push(format!(
                            "{label} index {index}: addressFromPrivateKey {other:?} != {want}"
                        )),
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n{}",
        failures.len(),
        checked + failures.len(),
        failures.join("\n")
    );
    assert!(checked > 1000, "only {checked} checks ran");
    eprintln!("{checked} key checks passed");
}

/// For SOL, XRP, XLM and ALGO the original's BIP39 calls fail (`Unsupported blockchain.`,
/// or `failed to decode mnemonic` for ALGO). We agree for ALGO; SOL keys derive from a
/// mnemonic here (the v2 SDK's derivation; see `kms_chains::sol`), and XRP and XLM wallets
/// stored from a mnemonic hold the account derived from it (BIP44 m/44'/144'/0'/0/0 and
/// SEP-0005 m/44'/148'/0'; their own unit tests check the published vectors). Their
/// per-index key calls still refuse: such a wallet has one account, its stored secret.
fn check_random_wallet_chain(
    v: &Value,
    chain: Chain,
    network: Network,
    m: &str,
    label: &str,
    failures: &mut Vec<String>,
    checked: &mut usize,
) {
    if v["kmsStoredWallet"]["ok"] == Value::Bool(true) {
        failures.push(format!(
            "{label}: the fixture stores a mnemonic wallet for a random-wallet chain"
        ));
    }
    *checked += 1;
    let wallet = keys::wallet_from_mnemonic(chain, network, m);
    match (chain, &wallet) {
        (Chain::Sol, Ok(_)) => {}
        (Chain::Algo, Err(e))
            if e.to_string()
                .contains(v["kmsStoredWallet"]["error"].as_str().unwrap_or("?")) => {}
        (Chain::Xrp | Chain::Xlm, Ok(w)) => {
            let names: Vec<&str> = w.fields().map(|(n, _)| n).collect();
            let consistent = w.get("mnemonic") == Some(m)
                && w.get("secret")
                    .and_then(|s| keys::address_from_secret(chain, network, s).ok())
                    == w.get("address").map(str::to_string);
            if names != ["mnemonic", "address", "secret"] || !consistent {
                failures.push(format!(
                    "{label}: wallet_from_mnemonic answered {names:?}, consistent: {consistent}"
                ));
            }
        }
        _ => failures.push(format!("{label}: wallet_from_mnemonic answered {wallet:?}")),
    }
    for index in v["privateKeys"].as_object().unwrap().keys() {
        let i: DerivationIndex = index.parse().unwrap();
        *checked += 2;
        if let Ok(a) = keys::address_from_xpub(chain, network, m, i) {
            failures.push(format!(
                "{label} index {index}: address_from_xpub answered {a}"
            ));
        }
        let key = keys::private_key_from_mnemonic(chain, network, m, i);
        if chain != Chain::Sol && key.is_ok() {
            failures.push(format!(
                "{label} index {index}: private_key_from_mnemonic answered a key"
            ));
        }
    }
}

fn str_pairs(object: &Value) -> Vec<(String, String)> {
    object
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "chain" && *k != "testnet")
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

fn pairs(wallet: &kms_chains::GeneratedWallet) -> Vec<(String, String)> {
    wallet
        .fields()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Secrets and addresses the original CLI stored and printed (copied from the project's
/// shared vectors: `cli/` generated wallets, `walletdat/wd3_batch_mixed_55` batch keys with
/// their printed addresses, `walletdat/wd4_fixed_secrets`), and spec §10.5 / §10.6.
const STORED_SECRETS: &[(&str, &str, &str)] = &[
    ("XRP", "sEdTxpQWQBs4NL7VqPgyvAgycbbMDQC", "rs5K5zHoybHcEPBQ8tVxEJyhwVFWiknJGs"),
    ("XLM", "SA5SG3V7FTJINAMFAG3HFCSPDJJMKR6LDZJLWLFD5URAHXCJK5MCQQTF", "GBJYOTG76SPL67CDUXI4AZFUSZD2M44CNVV7JPL5OUGJMVWWWKNB64IN"),
    ("XLM", "SAKSBZMRKS7ZZWK5ET23KDQPKBAZN6CWNMLFVMIAZIRHOMKPQUDJXOWD", "GAIYJDBSC7O2VPJSHAEOPFF732IQMWBO6H6BYBHL25P3E6WNJXAS2KKC"),
    ("XLM", "SC2JTSYTQMQZ5ZVUWKR2BGYJRDLU7JZPUYO7VIBV35NHMTYPCOV65MDV", "GDFZINYUWCXPGZFXDC5RNAOQL7DAWECBACBNL4QDOAR5WC2QY2A5JACB"),
    ("XLM", "SAYZH4W3FSQVQGYIVA66TVWI3K7E6VOBQSPGP6CU3LQVR3BBDCTRC64B", "GDW2TYV3TE5HPXG6GS674LVFWIGBU2UUGRDDB6EH2HI7BEZ2CDFCFKON"),
    ("XLM", "SDZNZCM26SVLZJYWZMG5HJCZTCF4WSVFXPYXV4CQ2NDPTUKHGRZPLIKZ", "GBZOK6V35Q3HGHIGLCNJWSVB2XNMRFZABPBLMEP2XHUX2M636FXKLCRR"),
    ("XLM", "SCRPRWVPZ5J6XE455UF6COHO5XXCPJBUEWBQC3K6QXA6XXKVYXYAUHBB", "GCKZH23WVJ3RAOPI2OPERYAWJZFJRRDXBGYVSOCCEZYCOKPOLN763QBD"),
    ("XRP", "sEdVLYvHALPGjseKxPcT6NtJcJjmBzE", "rJyjDA4JUHdouQ9Q3jeqgwhEwdwVX66LKE"),
    ("XRP", "sEdVQ2izxeu1rW4EwERFCr7gStZSd13", "rffKAi3mDkUFL8DcqySSLaXDzXTf8KS8Va"),
    ("XRP", "sEdVXFiAzTJvW118pgxyoSGdd2kzwcz", "r3RjEGUTUbY28dL7s7PDMSH8pEvwZ2WzUF"),
    ("XRP", "sEdTJ6MVxzFRAv3gZd5RwNseWw2AXUJ", "rG7BGZK6z3tBMchggQqRWxMzV3GpmbN5x4"),
    ("XRP", "sEdSRfxwrBSUDs9pYGk1ssYjqpr3d2p", "rD5UkarpUANtXfhYj66xMSDgFiFW5a28Dq"),
    ("XLM", "SCLF5NMEZEO6U4QJ3I6DFMEC5GYKFREA44VQ5TX3XHX2H32ZJHFSF2N3", "GDA6UCGKV3YYKGIGZY63XGAXABGBQBF2WWKLIJNYJQOHRBUPDD7KRGIJ"),
    (
        "ALGO",
        "G63UF4D5LDTNVOM2IUVGZM3DT3S4KGU6XEE56OUDBL4V4PJZYGLZL7BDMLNTHBRB27AXHUSFAHMPWIDQEYECMKXZLAQNZUF7MVRY74A",
        "SX6CGYW3GODCDV6BOPJEKAOY7MQHAJQIEYVPSWBA3TIL6ZLDR7YHCXYSVU",
    ),
    (
        "ALGO",
        "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QHTNKWF2H6MVHZIB4LCEXIVGF2PEA7QU5ONFN627QOHEILVUCJMZA",
        "PG2VMLUP4ZKPSQDYWEJORKMLU6IB7BJ242K35V7A4OIQXLIESZSCUKNU44",
    ),
    ("XRP", "sEdTM1uX8pu2do5XvTnutH6HsouMaM2", "rG31cLyErnqeVj2eomEjBZtq7PYaupGYzL"),
];

/// The SOL wallet `generatemanagedwallet SOL` stored in the CLI runs (`cli/getmanagedwallet_sol`).
const CLI_SOL_WALLET: [(&str, &str); 3] = [
    (
        "mnemonic",
        "script outside project bring replace cloth matter office road random unhappy raven renew street reunion elbow remind sail limit food sting pear era slight",
    ),
    ("address", "DtQLArkLsfHwb7ewQtzj9YAbtbQ3CBHeZGjKr6XgRHhL"),
    ("privateKey", "JrpKnyGgAhPjdkGUecKrdYgrv7Wef5UpXysqCBy9gBEdaKXoXZ8tsc7chTY7jnhMahAbdwDF5npjFvrZkbfWMLE"),
];

/// `nonMnemonic` in keys.json (SOL from each mnemonic at indices 0, 1, 2, 7 and from both
/// private-key forms; XRP ed25519 and secp256k1 seeds; XLM secrets; ALGO from a 25-word
/// Algorand mnemonic and from a secret), plus the secrets the CLI stored, on both networks.
#[test]
fn every_non_mnemonic_vector_matches() {
    let data = fixture();
    let mnemonics: Vec<&str> = data["mnemonics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let vectors = &data["nonMnemonic"];
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0usize;
    let mut check = |label: String,
                     got: Result<Vec<(String, String)>, ChainError>,
                     want: Vec<(String, String)>| {
        checked += 1;
        match got {
            Ok(got) if got == want => {}
            other => failures.push(format!("{label}: {other:?} != {want:?}")),
        }
    };
    let one =
        |name: &str, value: Result<String, ChainError>| value.map(|v| vec![(name.to_string(), v)]);
    let want_one = |name: &str, value: &str| vec![(name.to_string(), value.to_string())];

    for network in [Network::from_testnet(false), Network::from_testnet(true)] {
        for v in vectors["SOL"].as_array().unwrap() {
            let mi = v["mnemonicIndex"].as_u64().unwrap();
            let m = mnemonics[mi as usize];
            let mut indices = vec![("0".to_string(), &v["generateAddressFromMnemonic_index0"])];
            indices.extend(
                v["otherIndices"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, e)| (k.clone(), e)),
            );
            for (index, expected) in indices {
                let label = format!("SOL {network} M{mi} index {index}");
                let i: DerivationIndex = index.parse().unwrap();
                let want = &expected["value"];
                let address = want["address"].as_str().unwrap();
                let private_key = want["privateKey"].as_str().unwrap();
                check(
                    format!("{label} address"),
                    one(
                        "address",
                        keys::address_from_mnemonic(Chain::Sol, network, m, i),
                    ),
                    want_one("address", address),
                );
                check(
                    format!("{label} private key"),
                    one(
                        "privateKey",
                        keys::private_key_from_mnemonic(Chain::Sol, network, m, i)
                            .map(|k| k.to_string()),
                    ),
                    want_one("privateKey", private_key),
                );
                check(
                    format!("{label} address of private key"),
                    one(
                        "address",
                        keys::address_from_private_key(Chain::Sol, network, private_key),
                    ),
                    want_one("address", address),
                );
            }
            let label = format!("SOL {network} M{mi}");
            let hex_key = v["privateKeyHex128"].as_str().unwrap();
            let base58_key = v["generateAddressFromMnemonic_index0"]["value"]["privateKey"]
                .as_str()
                .unwrap();
            for (form, key, expected) in [
                ("base58", base58_key, &v["walletFromBase58PrivateKey"]),
                ("128-hex", hex_key, &v["walletFromHexPrivateKey"]),
            ] {
                check(
                    format!("{label} wallet from {form} private key"),
                    keys::wallet_from_secret(Chain::Sol, network, key).map(|w| pairs(&w)),
                    str_pairs(&expected["value"]),
                );
                check(
                    format!("{label} address of {form} private key"),
                    one(
                        "address",
                        keys::address_from_secret(Chain::Sol, network, key),
                    ),
                    want_one("address", expected["value"]["address"].as_str().unwrap()),
                );
            }
            check(
                format!("{label} stored wallet"),
                keys::wallet_from_mnemonic(Chain::Sol, network, m).map(|w| pairs(&w)),
                str_pairs(&v["kmsStoredWalletIfThisWereTheRandomMnemonic"]),
            );
        }
        let cli_sol: Vec<(String, String)> = CLI_SOL_WALLET
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        check(
            format!("SOL {network} CLI stored wallet"),
            keys::wallet_from_mnemonic(Chain::Sol, network, CLI_SOL_WALLET[0].1).map(|w| pairs(&w)),
            cli_sol,
        );

        for (n, v) in vectors["XRP"].as_array().unwrap().iter().enumerate() {
            let label = format!("XRP {network} #{n} ({})", v["algorithm"].as_str().unwrap());
            let secret = v["secret"].as_str().unwrap();
            check(
                format!("{label} address"),
                one(
                    "address",
                    keys::address_from_secret(Chain::Xrp, network, secret),
                ),
                want_one("address", v["address"].as_str().unwrap()),
            );
            check(
                format!("{label} stored wallet"),
                keys::wallet_from_secret(Chain::Xrp, network, secret).map(|w| pairs(&w)),
                str_pairs(&v["kmsStoredWallet"]),
            );
            let keypair = kms_chains::xrp::keypair(secret);
            let got = keypair.map(|k| {
                let algorithm = match k {
                    kms_chains::xrp::Keypair::Ed25519(_) => "ed25519",
                    kms_chains::xrp::Keypair::Secp256k1(_) => "ecdsa-secp256k1",
                };
                vec![
                    ("algorithm".to_string(), algorithm.to_string()),
                    ("publicKey".to_string(), k.public_key_hex()),
                    ("privateKey".to_string(), k.private_key_hex().to_string()),
                ]
            });
            let want = ["algorithm", "publicKey", "privateKey"]
                .iter()
                .map(|k| (k.to_string(), v[*k].as_str().unwrap().to_string()))
                .collect();
            check(format!("{label} key pair"), got, want);
        }
        for (n, v) in vectors["XLM"].as_array().unwrap().iter().enumerate() {
            let label = format!("XLM {network} #{n}");
            let secret = v["secret"].as_str().unwrap();
            check(
                format!("{label} address"),
                one(
                    "address",
                    keys::address_from_secret(Chain::Xlm, network, secret),
                ),
                want_one("address", v["address"].as_str().unwrap()),
            );
            check(
                format!("{label} stored wallet"),
                keys::wallet_from_secret(Chain::Xlm, network, secret).map(|w| pairs(&w)),
                str_pairs(&v["kmsStoredWallet"]),
            );
        }
        for (n, v) in vectors["ALGO"].as_array().unwrap().iter().enumerate() {
            let label = format!("ALGO {network} #{n}");
            let secret = match v.get("algorandMnemonic25").and_then(Value::as_str) {
                Some(phrase) => {
                    let want = str_pairs(&v["generateWallet"]["value"]);
                    check(
                        format!("{label} wallet from 25-word mnemonic"),
                        keys::wallet_from_mnemonic(Chain::Algo, network, phrase).map(|w| pairs(&w)),
                        want,
                    );
                    v["generateWallet"]["value"]["secret"].as_str().unwrap()
                }
                None => v["secret"].as_str().unwrap(),
            };
            let address = v["addressFromSecret"]["value"].as_str().unwrap();
            check(
                format!("{label} address of secret"),
                one(
                    "address",
                    keys::address_from_secret(Chain::Algo, network, secret),
                ),
                want_one("address", address),
            );
            check(
                format!("{label} address of secret stored as privateKey"),
                one(
                    "address",
                    keys::address_from_private_key(Chain::Algo, network, secret),
                ),
                want_one("address", address),
            );
            check(
                format!("{label} wallet from secret"),
                keys::wallet_from_secret(Chain::Algo, network, secret).map(|w| pairs(&w)),
                vec![
                    ("address".to_string(), address.to_string()),
                    ("secret".to_string(), secret.to_string()),
                ],
            );
        }
        for (n, (code, secret, address)) in STORED_SECRETS.iter().enumerate() {
            let chain: Chain = code.parse().unwrap();
            let label = format!("{code} {network} stored secret #{n}");
            check(
                format!("{label} address"),
                one("address", keys::address_from_secret(chain, network, secret)),
                want_one("address", address),
            );
            check(
                format!("{label} as privateKey"),
                one(
                    "address",
                    keys::address_from_private_key(chain, network, secret),
                ),
                want_one("address", address),
            );
            check(
                format!("{label} wallet"),
                keys::wallet_from_secret(chain, network, secret).map(|w| pairs(&w)),
                vec![
                    ("address".to_string(), address.to_string()),
                    ("secret".to_string(), secret.to_string()),
                ],
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n{}",
        failures.len(),
        checked,
        failures.join("\n")
    );
    assert!(checked > 200, "only {checked} checks ran");
    eprintln!("{checked} non-mnemonic checks passed");
}

/// New random wallets have the stored shape of spec §2.2 and read back through the same
/// functions the CLI uses.
#[test]
fn generated_ed25519_wallets_have_the_stored_shape() {
    let entropy: [u8; 32] = core::array::from_fn(|i| (i * 7 + 1) as u8);
    for network in [Network::from_testnet(false), Network::from_testnet(true)] {
        for (chain, names) in [
            (Chain::Sol, &["mnemonic", "address", "privateKey"][..]),
            (Chain::Xrp, &["address", "secret"][..]),
            (Chain::Xlm, &["address", "secret"][..]),
            (Chain::Algo, &["address", "secret"][..]),
            (Chain::Egld, &["mnemonic"][..]),
        ] {
            let w = keys::generate_wallet(chain, network, &entropy).unwrap();
            let got: Vec<&str> = w.fields().map(|(n, _)| n).collect();
            assert_eq!(got, names, "{chain} {network}");
            if let Some(secret) = w.get("secret") {
                assert_eq!(
                    keys::address_from_secret(chain, network, secret).unwrap(),
                    w.get("address").unwrap(),
                    "{chain} {network}"
                );
            }
            if chain == Chain::Sol {
                let m = w.get("mnemonic").unwrap();
                assert_eq!(m.split(' ').count(), 24);
                let zero = DerivationIndex::new(0).unwrap();
                assert_eq!(
                    keys::address_from_mnemonic(chain, network, m, zero).unwrap(),
                    w.get("address").unwrap()
                );
                assert_eq!(
                    keys::address_from_private_key(chain, network, w.get("privateKey").unwrap())
                        .unwrap(),
                    w.get("address").unwrap()
                );
            }
        }
    }
}
