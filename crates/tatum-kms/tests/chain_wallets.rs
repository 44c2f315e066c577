//! The real binary on the account chains whose wallets are not plain `{mnemonic, xpub}`
//! BIP32 ones, plus CELO and KCS: every wallet it makes or stores has the original's shape,
//! and `getaddress i` / `getprivatekey i` always name the same account (the address of the
//! printed key is the printed address). Also: BNB is refused for new wallets but its stored
//! entries stay readable.

mod common;

use common::Kms;
use kms_chains::{ada, keys};
use kms_core::{Chain, DerivationIndex, Network};
use serde_json::Value;

const M0: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

const CHAINS: [Chain; 10] = [
    Chain::Sol,
    Chain::Xrp,
    Chain::Xlm,
    Chain::Algo,
    Chain::Egld,
    Chain::Flow,
    Chain::Ada,
    Chain::Tron,
    Chain::Celo,
    Chain::Kcs,
];

const NETWORKS: [Network; 2] = [Network::Mainnet, Network::Testnet];

fn net_args(network: Network) -> &'static [&'static str] {
    match network {
        Network::Mainnet => &[],
        Network::Testnet => &["--testnet"],
    }
}

fn args<'a>(base: &[&'a str], network: Network) -> Vec<&'a str> {
    let mut v = base.to_vec();
    v.extend_from_slice(net_args(network));
    v
}

const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn all_in(text: &str, alphabet: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| alphabet.contains(c))
}

fn lower_hex(text: &str) -> bool {
    all_in(text, "0123456789abcdef")
}

fn base32(text: &str) -> bool {
    all_in(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
}

/// The address format of each chain (spec §7).
fn address_ok(chain: Chain, network: Network, a: &str) -> bool {
    match chain {
        Chain::Sol => (32..=44).contains(&a.len()) && all_in(a, BASE58),
        Chain::Xrp => a.starts_with('r') && (25..=35).contains(&a.len()) && all_in(a, BASE58),
        Chain::Xlm => a.starts_with('G') && a.len() == 56 && base32(a),
        Chain::Algo => a.len() == 58 && base32(a),
        Chain::Egld => a.starts_with("erd1") && a.len() == 62,
        Chain::Flow => a.len() == 128 && lower_hex(a),
        Chain::Ada => match network {
            Network::Mainnet => a.starts_with("addr1"),
            Network::Testnet => a.starts_with("addr_test1"),
        },
        Chain::Tron => a.starts_with('T') && a.len() == 34 && all_in(a, BASE58),
        Chain::Celo | Chain::Kcs => a.len() == 42 && a.starts_with("0x") && lower_hex(&a[2..]),
        _ => false,
    }
}

/// The private-key text format of each chain (spec §7; XRP mnemonic wallets: `00` + hex).
fn private_key_ok(chain: Chain, k: &str) -> bool {
    match chain {
        Chain::Sol => (87..=88).contains(&k.len()) && all_in(k, BASE58),
        Chain::Xrp => {
            (k.starts_with("sEd") && k.len() == 31 && all_in(k, BASE58))
                || (k.len() == 66 && k.starts_with("00") && all_in(k, "0123456789ABCDEF"))
        }
        Chain::Xlm => k.starts_with('S') && k.len() == 56 && base32(k),
        Chain::Algo => k.len() == 103 && base32(k),
        Chain::Egld | Chain::Tron => k.len() == 64 && lower_hex(k),
        Chain::Flow => (1..=64).contains(&k.len()) && lower_hex(k),
        Chain::Ada => k.len() == 256 && lower_hex(k),
        Chain::Celo | Chain::Kcs => k.len() == 66 && k.starts_with("0x") && lower_hex(&k[2..]),
        _ => false,
    }
}

/// The entry fields (before `chain`, `testnet`) of a generated wallet (spec §2.2).
fn generated_fields(chain: Chain) -> &'static [&'static str] {
    match chain {
        Chain::Sol => &["mnemonic", "address", "privateKey"],
        Chain::Xrp | Chain::Xlm | Chain::Algo => &["address", "secret"],
        Chain::Egld => &["mnemonic"],
        Chain::Celo | Chain::Kcs => &["xpub", "mnemonic"],
        _ => &["mnemonic", "xpub"],
    }
}

/// The entry fields of a wallet stored from a BIP39 mnemonic: XRP and XLM keep the mnemonic
/// beside the account derived from it; the others as generated.
fn stored_fields(chain: Chain) -> &'static [&'static str] {
    match chain {
        Chain::Xrp | Chain::Xlm => &["mnemonic", "address", "secret"],
        c => generated_fields(c),
    }
}

fn field_names(value: &Value) -> Vec<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("no string {name} in {value}"))
}

/// What `storeWallet` prints: the id, then `address` and `xpub` when the wallet has them.
#[track_caller]
fn check_printed(printed: &Value, entry: &Value, label: &str) {
    let mut want = vec!["signatureId".to_string()];
    for name in ["address", "xpub"] {
        if entry.get(name).is_some() {
            want.push(name.to_string());
            assert_eq!(printed[name], entry[name], "{label}: printed {name}");
        }
    }
    assert_eq!(field_names(printed), want, "{label}: printed fields");
}

/// The address a private key printed by `getprivatekey` controls, worked out with the
/// library (not the binary), for comparison with what `getaddress` printed.
fn address_of_key(chain: Chain, network: Network, key: &str, index: u32) -> String {
    match chain {
        // A v1 ADA address is the base address of payment child i and the staking key; a
        // private key holds no staking key. Compare payment parts: the enterprise address of
        // the key must equal the one of child i of the payment xpub (checked by the caller).
        Chain::Ada => ada::enterprise_address_from_private_key(network, key).unwrap(),
        _ => {
            let _ = index;
            keys::address_from_private_key(chain, network, key)
                .unwrap_or_else(|e| panic!("{chain} {network}: address of {key}: {e}"))
        }
    }
}

/// Checks a stored wallet through the binary: entry shape, and for indices 0, 1, 7 and
/// 2^31-1 that getprivatekey's key controls getaddress's address.
fn check_wallet(kms: &Kms, id: &str, chain: Chain, network: Network, fields: &[&str]) -> Value {
    let label = format!("{chain} {network} {id}");
    let entry = kms.run(&["getmanagedwallet", id]).assert_ok().json();
    let mut want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    want.extend(["chain".to_string(), "testnet".to_string()]);
    assert_eq!(field_names(&entry), want, "{label}: entry fields");
    assert_eq!(entry["chain"], chain.code(), "{label}");
    assert_eq!(entry["testnet"], network == Network::Testnet, "{label}");
    if let Some(m) = entry.get("mnemonic").and_then(Value::as_str) {
        assert_eq!(
            m.split(' ').count(),
            if m == M0 { 12 } else { 24 },
            "{label}"
        );
    }
    for i in [0u32, 1, 7, DerivationIndex::MAX] {
        let index = i.to_string();
        let a = kms.run(&["getaddress", id, &index]).assert_ok().json();
        let k = kms.run(&["getprivatekey", id, &index]).assert_ok().json();
        let (a, k) = (text(&a, "address"), text(&k, "privateKey"));
        let at = format!("{label} index {i}");
        assert!(address_ok(chain, network, a), "{at}: address {a}");
        assert!(private_key_ok(chain, k), "{at}: private key format");
        if chain == Chain::Ada {
            let xpub = text(&entry, "xpub");
            let payment_only = keys::address_from_xpub(
                chain,
                network,
                &xpub[..128],
                DerivationIndex::new(i).unwrap(),
            )
            .unwrap();
            assert_eq!(address_of_key(chain, network, k, i), payment_only, "{at}");
        } else {
            assert_eq!(
                address_of_key(chain, network, k, i),
                a,
                "{at}: key ≠ address"
            );
        }
        // Stored accounts answer the stored values; index 0 of SOL is the stored pair.
        if let Some(stored) = entry.get("address").and_then(Value::as_str) {
            if chain != Chain::Sol || i == 0 {
                assert_eq!(a, stored, "{at}: stored address");
            } else {
                assert_ne!(a, stored, "{at}: SOL index {i} must not repeat index 0");
            }
        }
        if let Some(secret) = entry.get("secret").and_then(Value::as_str) {
            assert_eq!(k, secret, "{at}: stored secret");
        }
        if chain == Chain::Sol && i == 0 {
            assert_eq!(k, text(&entry, "privateKey"), "{at}: stored SOL key");
        }
    }
    entry
}

#[test]
fn generated_wallets_have_the_original_shape_and_consistent_keys() {
    let kms = Kms::new("pw");
    for network in NETWORKS {
        for chain in CHAINS {
            let label = format!("{chain} {network}");
            let printed = kms
                .run(&args(&["generatemanagedwallet", chain.code()], network))
                .assert_ok()
                .json();
            let id = text(&printed, "signatureId").to_string();
            let entry = check_wallet(&kms, &id, chain, network, generated_fields(chain));
            check_printed(&printed, &entry, &label);
        }
    }
    assert_eq!(kms.export().as_object().unwrap().len(), 2 * CHAINS.len());
}

#[test]
fn stored_mnemonics_are_used_not_replaced() {
    let kms = Kms::new("pw");
    for network in NETWORKS {
        for chain in CHAINS {
            let label = format!("{chain} {network}");
            let run = kms.run_with_stdin(
                &args(&["storemanagedwallet", chain.code()], network),
                &format!("{M0}\n"),
            );
            if chain == Chain::Algo {
                // ALGO takes a 25-word Algorand mnemonic, as the original.
                run.assert_error("failed to decode mnemonic");
                continue;
            }
            let printed = run.assert_ok().json();
            let id = text(&printed, "signatureId").to_string();
            let entry = check_wallet(&kms, &id, chain, network, stored_fields(chain));
            check_printed(&printed, &entry, &label);
            if entry.get("mnemonic").is_some() {
                assert_eq!(text(&entry, "mnemonic"), M0, "{label}");
            }
            // The account is the one the typed mnemonic gives, on both networks.
            let expected = match chain {
                Chain::Xrp => Some("rHsMGQEkVNJmpGWs8XUBoTBiAAbwxZN5v3"),
                Chain::Xlm => Some("GB3JDWCQJCWMJ3IILWIGDTQJJC5567PGVEVXSCVPEQOTDN64VJBDQBYX"),
                _ => None,
            };
            if let Some(expected) = expected {
                assert_eq!(text(&printed, "address"), expected, "{label}");
            }
            if chain == Chain::Sol {
                let zero = DerivationIndex::new(0).unwrap();
                assert_eq!(
                    text(&printed, "address"),
                    keys::address_from_mnemonic(chain, network, M0, zero).unwrap(),
                    "{label}"
                );
            }
        }
        // A 25-word Algorand mnemonic gives its account.
        let seed = [0x5au8; 32];
        let algo_mnemonic = kms_chains::algo::mnemonic_from_seed(&seed);
        let want = kms_chains::algo::wallet_from_mnemonic(&algo_mnemonic).unwrap();
        let printed = kms
            .run_with_stdin(
                &args(&["storemanagedwallet", "ALGO"], network),
                &format!("{}\n", algo_mnemonic.as_str()),
            )
            .assert_ok()
            .json();
        assert_eq!(printed["address"], want.get("address").unwrap());
        let id = text(&printed, "signatureId").to_string();
        check_wallet(&kms, &id, Chain::Algo, network, &["address", "secret"]);
    }
}

#[test]
fn generatewallet_sol_and_kcs_print_usable_wallets() {
    let kms = Kms::new("pw");
    for network in NETWORKS {
        let sol = kms
            .run(&args(&["generatewallet", "SOL"], network))
            .assert_ok()
            .json();
        assert_eq!(field_names(&sol), ["mnemonic", "address", "privateKey"]);
        assert_eq!(text(&sol, "mnemonic").split(' ').count(), 24);
        assert_eq!(
            keys::address_from_private_key(Chain::Sol, network, text(&sol, "privateKey")).unwrap(),
            text(&sol, "address")
        );
        let zero = DerivationIndex::new(0).unwrap();
        assert_eq!(
            keys::address_from_mnemonic(Chain::Sol, network, text(&sol, "mnemonic"), zero).unwrap(),
            text(&sol, "address")
        );

        let kcs = kms
            .run(&args(&["generatewallet", "KCS"], network))
            .assert_ok()
            .json();
        assert_eq!(field_names(&kcs), ["xpub", "mnemonic"]);
        let again =
            keys::wallet_from_mnemonic(Chain::Kcs, network, text(&kcs, "mnemonic")).unwrap();
        assert_eq!(again.get("xpub"), Some(text(&kcs, "xpub")));
    }
    assert!(!kms.wallet().exists(), "generatewallet stores nothing");
}

/// Each printed line's address is the address of the key stored under its id, for every
/// chain here (the original's SOL batch failed; its ADA keys have no base address).
#[test]
fn batch_keys_belong_to_their_printed_addresses() {
    let kms = Kms::new("pw");
    for network in NETWORKS {
        for chain in CHAINS {
            let label = format!("{chain} {network}");
            let run = kms.run(&args(
                &["generatemanagedprivatekeybatch", chain.code(), "2"],
                network,
            ));
            run.assert_ok();
            let lines: Vec<Value> = run
                .stdout
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(lines.len(), 2, "{label}");
            for line in &lines {
                assert_eq!(field_names(line), ["signatureId", "address"], "{label}");
                let id = text(line, "signatureId");
                let printed = text(line, "address");
                assert!(address_ok(chain, network, printed), "{label}: {printed}");
                let entry = kms.run(&["getmanagedwallet", id]).assert_ok().json();
                assert_eq!(
                    field_names(&entry),
                    ["privateKey", "chain", "testnet"],
                    "{label}"
                );
                let key = text(&entry, "privateKey");
                assert!(private_key_ok(chain, key), "{label}: key format");
                let got = kms.run(&["getprivatekey", id, "5"]).assert_ok().json();
                assert_eq!(text(&got, "privateKey"), key, "{label}");
                let address = kms.run(&["getaddress", id, "0"]);
                if chain == Chain::Ada {
                    address.assert_error("staking key");
                } else {
                    assert_eq!(text(&address.json(), "address"), printed, "{label}");
                }
            }
        }
    }
}

/// BNB Beacon Chain is shut down: nothing new is made or stored, nothing is written, but
/// entries the original stored stay readable.
#[test]
fn bnb_is_refused_for_new_wallets_and_readable_when_stored() {
    let kms = Kms::new("pw");
    let plaintext = r#"{"bnb-wallet":{"address":"tbnb1hgm0p7khfk85zpz5v0j8wnej3a90w709zzlffd","privateKey":"0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9","chain":"BNB","testnet":true},"bnb-key":{"privateKey":"0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9","chain":"BNB","testnet":false}}"#;
    let file = kms_store::legacy::encrypt_with_salt(plaintext.as_bytes(), b"pw", [7u8; 8]);
    std::fs::create_dir_all(kms.wallet().parent().unwrap()).unwrap();
    std::fs::write(kms.wallet(), &file).unwrap();

    let shut = "BNB Beacon Chain has been shut down";
    kms.run(&["generatewallet", "BNB"]).assert_error(shut);
    kms.run(&["generatemanagedwallet", "BNB", "--testnet"])
        .assert_error(shut);
    kms.run_with_stdin(&["storemanagedwallet", "BNB"], &format!("{M0}\n"))
        .assert_error(shut);
    kms.run_with_stdin(
        &["storemanagedprivatekey", "BNB"],
        "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9\n",
    )
    .assert_error(shut);
    kms.run(&["generatemanagedprivatekeybatch", "BNB", "3"])
        .assert_error(shut);
    assert_eq!(std::fs::read_to_string(kms.wallet()).unwrap(), file);

    let export = kms.export();
    assert_eq!(export.as_object().unwrap().len(), 2);
    let stored = kms
        .run(&["getmanagedwallet", "bnb-wallet"])
        .assert_ok()
        .json();
    assert_eq!(stored, export["bnb-wallet"]);
    assert_eq!(
        kms.run(&["getaddress", "bnb-wallet", "3"])
            .assert_ok()
            .json()["address"],
        "tbnb1hgm0p7khfk85zpz5v0j8wnej3a90w709zzlffd"
    );
    for id in ["bnb-wallet", "bnb-key"] {
        assert_eq!(
            kms.run(&["getprivatekey", id]).assert_ok().json()["privateKey"],
            "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
        );
    }
    // A key with no stored address: no BNB key code any more, said plainly.
    kms.run(&["getaddress", "bnb-key"]).assert_error(shut);
}
