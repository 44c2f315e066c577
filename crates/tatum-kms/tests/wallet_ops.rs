//! End-to-end behaviour of the wallet commands: files, permissions, inputs and errors.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::Kms;

const M0: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn generate_store_get_remove_round_trip_for_btc_and_eth() {
    let kms = Kms::new("pw");
    let btc = kms
        .run_with_stdin(&["storemanagedwallet", "BTC"], &format!("{M0}\n"))
        .assert_ok()
        .json();
    assert_eq!(
        btc["xpub"],
        "xpub6ELHKXNimKbxMCytPh7EdC2QXx46T9qLDJWGnTraz1H9kMMFdcduoU69wh9cxP12wDxqAAfbaESWGYt5rREsX1J8iR2TEunvzvddduAPYcY"
    );
    let id = btc["signatureId"].as_str().unwrap();
    assert_eq!(
        kms.run(&["getaddress", id, "0"]).json()["address"],
        "bc1qmxrw6qdh5g3ztfcwm0et5l8mvws4eva24kmp8m"
    );
    assert_eq!(
        kms.run(&["getprivatekey", id, "1"]).json()["privateKey"],
        "KzJgGiEeGUVWmPR97pVWDnCVraZvM2fnrCVrg2irV4353HciE6Un"
    );

    let eth = kms
        .run(&["generatemanagedwallet", "ETH", "--testnet"])
        .assert_ok()
        .json();
    let eth_id = eth["signatureId"].as_str().unwrap();
    let wallet = kms.run(&["getmanagedwallet", eth_id]).assert_ok().json();
    assert_eq!(wallet["chain"], "ETH");
    assert_eq!(wallet["testnet"], true);
    assert_eq!(wallet["mnemonic"].as_str().unwrap().split(' ').count(), 24);
    let keys: Vec<&String> = wallet.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["xpub", "mnemonic", "chain", "testnet"]);
    let addr = kms.run(&["getaddress", eth_id, "5"]).assert_ok().json();
    let key = kms.run(&["getprivatekey", eth_id, "5"]).assert_ok().json();
    assert!(addr["address"].as_str().unwrap().starts_with("0x"));
    assert_eq!(key["privateKey"].as_str().unwrap().len(), 66);

    assert_eq!(kms.export().as_object().unwrap().len(), 2);
    kms.run(&["removewallet", id]).assert_ok();
    assert_eq!(kms.export().as_object().unwrap().len(), 1);
    kms.run(&["removewallet", id])
        .assert_error("No such wallet for signatureId");
    kms.run(&["getmanagedwallet", id])
        .assert_error("No such wallet for signatureId");
}

#[test]
fn wallet_file_is_0600_in_a_0700_directory() {
    let kms = Kms::new("pw");
    kms.run(&["generatemanagedwallet", "BTC"]).assert_ok();
    assert_eq!(mode(&kms.wallet()), 0o600);
    assert_eq!(mode(kms.wallet().parent().unwrap()), 0o700);
    let custom = kms.home().join("a/b/custom.dat");
    kms.run(&[
        "generatemanagedwallet",
        "ETH",
        "--path",
        custom.to_str().unwrap(),
    ])
    .assert_ok();
    assert_eq!(mode(&custom), 0o600);
    assert_eq!(mode(&kms.home().join("a")), 0o700);
    let eq_form = format!("--path={}", custom.display());
    assert_eq!(
        kms.run(&["export", &eq_form])
            .assert_ok()
            .json()
            .as_object()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn generatewallet_prints_and_stores_nothing() {
    let kms = Kms::new("pw");
    let btc = kms.run(&["generatewallet", "BTC"]);
    btc.assert_ok();
    let keys: Vec<String> = btc.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["mnemonic", "xpub"]);
    assert!(
        btc.stdout.starts_with("{\n  \"mnemonic\": \""),
        "pretty JSON: {}",
        btc.stdout
    );
    let eth = kms
        .run(&["generatewallet", "ETH", "--testnet"])
        .assert_ok()
        .json();
    let keys: Vec<&String> = eth.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["xpub", "mnemonic"]);
    assert!(!kms.wallet().exists());
}

#[test]
fn invalid_inputs_are_refused_and_nothing_is_written() {
    let kms = Kms::new("pw");
    kms.run(&["generatemanagedwallet", "BTC"]).assert_ok();
    let before = std::fs::read(kms.wallet()).unwrap();
    let bad_checksum = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon";
    kms.run_with_stdin(&["storemanagedwallet", "BTC"], bad_checksum)
        .assert_error("checksum");
    kms.run_with_stdin(&["storemanagedwallet", "BTC"], "not a mnemonic")
        .assert_error("invalid mnemonic");
    kms.run(&["storemanagedwallet", "BTC"])
        .assert_error("no mnemonic given");
    kms.run_with_stdin(&["storemanagedprivatekey", "ETH"], "0x1234")
        .assert_error("invalid private key for ETH");
    kms.run_with_stdin(
        &["storemanagedprivatekey", "BTC"],
        "KzJgGiEeGUVWmPR97pVWDnCVraZvM2fnrCVrg2irV4353HciE6Uo",
    )
    .assert_error("invalid private key for BTC");
    kms.run(&["generatemanagedwallet", "DOT"])
        .assert_error("unknown chain 'DOT'");
    kms.run(&["generatemanagedprivatekeybatch", "BTC", "abc"])
        .assert_error("invalid count 'abc'");
    kms.run(&["generatemanagedprivatekeybatch", "BTC", "0"])
        .assert_error("invalid count");
    for bad in ["-1", "abc", "2147483648", "1.5"] {
        kms.run(&["getaddress", "x", bad])
            .assert_error("invalid derivation index");
        kms.run(&["getprivatekey", "x", bad])
            .assert_error("invalid derivation index");
    }
    assert_eq!(std::fs::read(kms.wallet()).unwrap(), before);
}

#[test]
fn private_key_entries_answer_with_their_own_key_and_address() {
    let kms = Kms::new("pw");
    let wif = "cV6NTLu255SZ5iCNkVHezNGDH5qv6CanJpgBPqYgJU13NNKJhRs1";
    let id = kms
        .run_with_stdin(&["storemanagedprivatekey", "BTC", "--testnet"], wif)
        .assert_ok()
        .json();
    let id = id["signatureId"].as_str().unwrap();
    assert_eq!(
        kms.run(&["getprivatekey", id, "3"]).json()["privateKey"],
        wif
    );
    // The bech32 address of that key is the BTC testnet M0 address at index 0.
    assert_eq!(
        kms.run(&["getaddress", id, "0"]).json()["address"],
        "tb1q8gk5z3dy7zv9ywe7synlrk58elz4hrne29cpdj"
    );
    let stored = kms.run(&["getmanagedwallet", id]);
    stored.assert_ok();
    assert_eq!(
        stored.stdout,
        format!(
            "{{\n  \"privateKey\": \"{wif}\",\n  \"chain\": \"BTC\",\n  \"testnet\": true\n}}\n"
        )
    );
}

#[test]
fn batch_writes_every_key_once_in_the_original_order() {
    let kms = Kms::new("pw");
    let run = kms.run(&["generatemanagedprivatekeybatch", "ETH", "25", "--testnet"]);
    run.assert_ok();
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 25);
    assert!(run
        .stdout
        .lines()
        .all(|l| l.starts_with("{\"signatureId\":\"") && l.contains("\",\"address\":\"0x")));
    let export = kms.export();
    let ids: Vec<&String> = export.as_object().unwrap().keys().collect();
    // Each key was prepended in turn, as 25 separate writes of the original would leave them.
    let printed: Vec<&str> = lines
        .iter()
        .rev()
        .map(|l| l["signatureId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, printed);
    for line in &lines {
        let id = line["signatureId"].as_str().unwrap();
        let entry = &export[id];
        assert_eq!(
            entry.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["privateKey", "chain", "testnet"]
        );
        assert_eq!(
            kms.run(&["getaddress", id, "0"]).json()["address"],
            line["address"]
        );
    }
}

#[test]
fn no_password_and_no_terminal_is_a_clear_error_not_a_hang() {
    let mut kms = Kms::new("unused");
    kms.password = None;
    // setsid: no controlling terminal, as under CI or a service manager.
    let start = std::time::Instant::now();
    let out = std::process::Command::new("setsid")
        .arg("-w")
        .arg(common::BIN)
        .args(["generatemanagedwallet", "BTC"])
        .env_clear()
        .env("HOME", kms.home())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(kms.home())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let run: common::Run = out.into();
    run.assert_error("no wallet password: set TATUM_KMS_PASSWORD");
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    assert!(!kms.wallet().exists());
    kms.env.push(("TATUM_KMS_PASSWORD".into(), String::new()));
}

#[test]
fn configuration_comes_from_env_then_dotenv_then_tatumrc() {
    let mut kms = Kms::new("unused");
    kms.password = None;
    std::fs::create_dir_all(kms.home().join(".tatumrc")).unwrap();
    std::fs::write(
        kms.home().join(".tatumrc/.env"),
        "TATUM_KMS_PASSWORD=from-tatumrc\nTATUM_API_KEY=tatumrc-key-0123456789\n",
    )
    .unwrap();
    kms.run(&["generatemanagedwallet", "BTC"]).assert_ok();
    // The password came from ~/.tatumrc/.env.
    kms.env
        .push(("TATUM_KMS_PASSWORD".into(), "from-tatumrc".into()));
    assert_eq!(kms.export().as_object().unwrap().len(), 1);
    kms.env.clear();
    // .env in the working directory wins over ~/.tatumrc/.env.
    std::fs::write(kms.home().join(".env"), "TATUM_KMS_PASSWORD=from-cwd\n").unwrap();
    kms.run(&["export"]).assert_error("wrong password");
    // The process environment wins over both.
    kms.env
        .push(("TATUM_KMS_PASSWORD".into(), "from-tatumrc".into()));
    kms.run(&["export"]).assert_ok();
    kms.env.clear();
    std::fs::remove_file(kms.home().join(".env")).unwrap();
    // --envFile replaces ~/.tatumrc/.env.
    let alt = kms.home().join("alt.env");
    std::fs::write(
        &alt,
        "TATUM_KMS_PASSWORD=other\nTATUM_API_KEY=alt-key-abcdefghijk\n",
    )
    .unwrap();
    kms.run(&["export", "--envFile", alt.to_str().unwrap()])
        .assert_error("wrong password");
    let config = kms
        .run(&["checkconfig", "--env-file", alt.to_str().unwrap()])
        .assert_ok()
        .stdout
        .clone();
    assert!(
        config.contains(&format!(
            "Environment vars file            : {}\n",
            alt.display()
        )),
        "{config}"
    );
    assert!(
        config.contains("TATUM_API_KEY                    : alt-ke*******efghij\n"),
        "{config}"
    );
    // --apiKey overrides TATUM_API_KEY.
    let config = kms
        .run(&["checkconfig", "--apiKey=flag-key-0123456789"])
        .assert_ok()
        .stdout
        .clone();
    assert!(
        config.contains("TATUM_API_KEY                    : flag-k*******345678\n"),
        "{config}"
    );
    assert!(
        config.contains("TATUM_KMS_PASSWORD               : ********\n"),
        "{config}"
    );
    assert!(!config.contains("from-tatumrc"));
}

#[test]
fn help_for_the_tool_and_every_command_and_unknown_commands_fail() {
    let kms = Kms::new("pw");
    let help = kms.run(&["--help"]).assert_ok().stdout.clone();
    let commands = [
        "daemon",
        "generatewallet",
        "generatemanagedwallet",
        "storemanagedwallet",
        "storemanagedprivatekey",
        "generatemanagedprivatekeybatch",
        "getprivatekey",
        "getaddress",
        "getmanagedwallet",
        "removewallet",
        "export",
        "checkconfig",
        "report",
    ];
    for c in commands {
        assert!(help.contains(c), "--help lacks {c}");
        let sub = kms.run(&[c, "--help"]).assert_ok().stdout.clone();
        assert!(sub.contains("Usage: tatum-kms"), "{c} --help: {sub}");
    }
    for flag in [
        "--apiKey",
        "--testnet",
        "--path",
        "--period",
        "--chain",
        "--envFile",
        "--aws",
        "--vgs",
        "--azure",
        "--externalUrl",
        "--externalUrlMethod",
        "--runOnce",
        "--wallets",
        "--transactionIds",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    assert!(kms.run(&[]).assert_ok().stdout.contains("Usage: tatum-kms"));
    let unknown = kms.run(&["frobnicate"]);
    assert!(!unknown.ok());
    assert!(unknown.stderr.contains("frobnicate"));
    let mainnet_daemon = kms.run(&["daemon"]);
    assert_eq!(mainnet_daemon.code, Some(2));
    assert!(mainnet_daemon.stderr.contains("--external-url"));
    // Both spellings of a flag, both value forms.
    kms.run(&[
        "checkconfig",
        "--api-key",
        "x",
        "--run-once",
        "--transaction-ids=a,b",
        "--external-url-method=post",
    ])
    .assert_ok();
    kms.run(&["--testnet", "generatewallet", "BTC"]).assert_ok();
    kms.run(&["generatewallet", "BTC", "--testnet=false"])
        .assert_ok();
}

#[test]
fn report_classifies_wallets_like_the_original() {
    let mut kms = Kms::new("pw");
    kms.env.push(("TATUM_API_KEY".into(), "test".into()));
    let btc = kms
        .run(&["generatemanagedwallet", "BTC"])
        .assert_ok()
        .json();
    let pk = kms
        .run_with_stdin(
            &["storemanagedprivatekey", "ETH", "--testnet"],
            "0x1ab42cc412b618bdea3a599e3c9bae199ebf030895b039e9db1e30dafb12b727",
        )
        .assert_ok()
        .json();
    let (a, b) = (
        btc["signatureId"].as_str().unwrap(),
        pk["signatureId"].as_str().unwrap(),
    );
    let report = kms
        .run(&["report", &format!("{a}, {b},missing")])
        .assert_ok()
        .json();
    assert_eq!(
        report["wallets"][a],
        serde_json::json!({"type": "MNEMONIC", "chain": "BTC", "testnet": false})
    );
    assert_eq!(
        report["wallets"][b],
        serde_json::json!({"type": "PRIVATE_KEY", "chain": "ETH", "testnet": true})
    );
    assert_eq!(
        report["warnings"],
        serde_json::json!(["No wallet found for signatureId: missing"])
    );
    assert_eq!(report["apiKey"], "****");
    assert_eq!(
        report["system"]["store"],
        serde_json::json!({"type": "LOCAL", "exists": true})
    );
    let empty = kms.run(&["report"]).assert_ok().json();
    assert_eq!(empty["wallets"], serde_json::json!({}));
    assert!(empty.get("warnings").is_none());
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let kms = Kms::new("pw");
    for shell in ["bash", "zsh", "fish"] {
        let out = kms.run(&["completions", shell]);
        out.assert_ok();
        assert!(
            out.stdout.contains("generatemanagedwallet") && out.stdout.contains("externalUrl"),
            "{shell}"
        );
    }
    let man = kms.run(&["manpage"]);
    man.assert_ok();
    assert!(
        man.stdout.contains(".TH tatum-kms 1") && man.stdout.contains("storemanagedprivatekey")
    );
    kms.run(&["completions", "tcsh"]).assert_error("tcsh");
}
