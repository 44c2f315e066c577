//! Legacy wallet files written by the original open in ours, byte for byte on `export`;
//! files we write decrypt with an independent implementation (OpenSSL).

mod common;

use common::{fixture, Kms};
use serde_json::Value;

fn vector(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("walletdat/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

const FILES: [&str; 3] = ["wd1_ascii", "wd3_batch_mixed_55", "wd4_fixed_secrets"];

#[test]
fn original_files_export_byte_identical() {
    for name in FILES {
        let v = vector(name);
        let kms = Kms::new(v["password"].as_str().unwrap())
            .with_wallet_fixture(&format!("walletdat/{name}.wallet.dat"));
        let run = kms.run(&["export"]);
        run.assert_ok();
        assert_eq!(
            run.stdout,
            v["exportWithCorrectPassword"]["stdout"].as_str().unwrap(),
            "{name}: export differs"
        );
        assert_eq!(
            kms.export().as_object().unwrap().len() as u64,
            v["entryCount"].as_u64().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn wrong_password_is_reported_and_the_file_is_untouched() {
    for name in FILES {
        let v = vector(name);
        let kms = Kms::new("definitely-not-the-password")
            .with_wallet_fixture(&format!("walletdat/{name}.wallet.dat"));
        let before = std::fs::read(kms.wallet()).unwrap();
        kms.run(&["export"])
            .assert_error("wrong password or corrupt wallet file");
        let id = v["decrypted"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        kms.run(&["getmanagedwallet", &id])
            .assert_error("wrong password or corrupt wallet file");
        kms.run(&["removewallet", &id])
            .assert_error("wrong password or corrupt wallet file");
        kms.run(&["generatemanagedwallet", "BTC"])
            .assert_error("wrong password or corrupt wallet file");
        assert_eq!(
            std::fs::read(kms.wallet()).unwrap(),
            before,
            "{name} changed"
        );
    }
}

#[test]
fn corrupt_files_give_a_clear_error() {
    let kms = Kms::new("pw");
    std::fs::create_dir_all(kms.wallet().parent().unwrap()).unwrap();
    for garbage in [
        "not a wallet at all",
        "U2FsdGVkX19zb21lc2FsdA==",
        "U2FsdGVkX1+AAQIDBAUGBxV2OBlV/1AZAFtF2bsim6",
    ] {
        std::fs::write(kms.wallet(), garbage).unwrap();
        kms.run(&["export"])
            .assert_error("wrong password or corrupt wallet file");
    }
    std::fs::write(kms.wallet(), [0xff, 0xfe, 0x00, 0x01]).unwrap();
    kms.run(&["export"])
        .assert_error("wrong password or corrupt wallet file");
}

#[test]
fn adding_to_an_original_file_keeps_its_entries_and_order() {
    let v = vector("wd1_ascii");
    let kms = Kms::new(v["password"].as_str().unwrap())
        .with_wallet_fixture("walletdat/wd1_ascii.wallet.dat");
    let added = kms
        .run(&["generatemanagedwallet", "ETH"])
        .assert_ok()
        .json();
    let id = added["signatureId"].as_str().unwrap();
    let plaintext = openssl_decrypt(&kms.wallet(), v["password"].as_str().unwrap());
    // The new entry comes first, then the original plaintext's entries, unchanged.
    let original = v["decryptedPlaintext"].as_str().unwrap();
    let prefix = format!("{{\"{id}\":");
    assert!(plaintext.starts_with(&prefix), "{plaintext}");
    assert!(
        plaintext.ends_with(&format!(",{}", &original[1..])),
        "original entries changed:\n{plaintext}"
    );
}

/// Decrypts with OpenSSL's `enc`, an implementation independent of ours, as crypto-js would.
fn openssl_decrypt(path: &std::path::Path, password: &str) -> String {
    let out = std::process::Command::new("openssl")
        .args([
            "enc",
            "-d",
            "-aes-256-cbc",
            "-md",
            "md5",
            "-a",
            "-A",
            "-pass",
            "env:KMS_TEST_PW",
            "-in",
        ])
        .arg(path)
        .env("KMS_TEST_PW", password)
        .output()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn files_we_write_decrypt_with_openssl() {
    // New files are v2 unless the legacy format is asked for.
    let kms = Kms::legacy("pässwörd with spaces ✓");
    let a = kms
        .run(&["generatemanagedwallet", "BTC", "--testnet"])
        .assert_ok()
        .json();
    let b = kms.run_with_stdin(
        &["storemanagedprivatekey", "ETH"],
        "0x1ab42cc412b618bdea3a599e3c9bae199ebf030895b039e9db1e30dafb12b727\n",
    );
    let b = b.assert_ok().json();
    let plaintext = openssl_decrypt(&kms.wallet(), "pässwörd with spaces ✓");
    let map: serde_json::Map<String, Value> = serde_json::from_str(&plaintext).unwrap();
    let ids: Vec<&String> = map.keys().collect();
    assert_eq!(
        ids,
        [
            b["signatureId"].as_str().unwrap(),
            a["signatureId"].as_str().unwrap()
        ]
    );
    assert_eq!(
        serde_json::to_string(&map[b["signatureId"].as_str().unwrap()]).unwrap(),
        r#"{"privateKey":"0x1ab42cc412b618bdea3a599e3c9bae199ebf030895b039e9db1e30dafb12b727","chain":"ETH","testnet":false}"#
    );
    let btc = &map[a["signatureId"].as_str().unwrap()];
    assert_eq!(btc["chain"], "BTC");
    assert_eq!(btc["testnet"], true);
    assert!(btc["xpub"].as_str().unwrap().starts_with("tpub"));
    assert!(
        !plaintext.contains(' ') || plaintext.contains("\"mnemonic\""),
        "JSON must be compact"
    );
    let text = std::fs::read_to_string(kms.wallet()).unwrap();
    assert!(text.starts_with("U2FsdGVkX1") && !text.ends_with('\n'));
}
