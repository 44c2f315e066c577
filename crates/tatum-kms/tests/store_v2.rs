//! The v2 wallet store through the binary: new files are v2, legacy files stay legacy and
//! warn, wrong password and tampering are told apart, `changepassword` and `migrate`.

mod common;

use common::{fixture, Kms};
use serde_json::Value;

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const LEGACY_WARNING: &str =
    "warning: wallet.dat is in the legacy format; run 'tatum-kms migrate' to upgrade";

fn vector(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("walletdat/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn with_two_wallets(kms: &Kms) -> (String, String) {
    let a = kms
        .run(&["generatemanagedwallet", "BTC"])
        .assert_ok()
        .json();
    let b = kms.run_with_stdin(
        &["storemanagedprivatekey", "ETH"],
        "0x1ab42cc412b618bdea3a599e3c9bae199ebf030895b039e9db1e30dafb12b727\n",
    );
    let b = b.assert_ok().json();
    (
        a["signatureId"].as_str().unwrap().to_string(),
        b["signatureId"].as_str().unwrap().to_string(),
    )
}

#[test]
fn new_files_are_v2_private_and_silent() {
    let kms = Kms::new("pw");
    let (a, b) = with_two_wallets(&kms);
    let bytes = std::fs::read(kms.wallet()).unwrap();
    assert!(bytes.starts_with(SQLITE_MAGIC));
    #[cfg(unix)]
    assert_eq!(mode(&kms.wallet()), 0o600);
    let run = kms.run(&["export"]);
    run.assert_ok();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let export = run.json();
    let ids: Vec<&String> = export.as_object().unwrap().keys().collect();
    assert_eq!(ids, [&b, &a], "newest first, as in the original");
    kms.run(&["removewallet", &a]).assert_ok();
    assert_eq!(kms.export().as_object().unwrap().len(), 1);
    // The secrets are not in the file in clear.
    assert!(!String::from_utf8_lossy(&bytes).contains("1ab42cc412b618bd"));
}

#[test]
fn legacy_files_warn_and_stay_legacy() {
    let v = vector("wd1_ascii");
    let kms = Kms::new(v["password"].as_str().unwrap())
        .with_wallet_fixture("walletdat/wd1_ascii.wallet.dat");
    let run = kms.run(&["export"]);
    run.assert_ok();
    assert_eq!(run.stderr.trim_end(), LEGACY_WARNING);
    kms.run(&["generatemanagedwallet", "ETH"]).assert_ok();
    let text = std::fs::read_to_string(kms.wallet()).unwrap();
    assert!(text.starts_with("U2FsdGVkX1"), "a legacy file stays legacy");
}

#[test]
fn wrong_password_and_corruption_are_told_apart() {
    let kms = Kms::new("right");
    let (a, b) = with_two_wallets(&kms);
    let before = std::fs::read(kms.wallet()).unwrap();
    let mut wrong = Kms::new("wrong");
    wrong.home = kms.home; // same directory, other password
    let run = wrong.run(&["export"]);
    run.assert_error("wrong password for wallet file");
    assert!(!run.stderr.contains("corrupt"), "{}", run.stderr);
    wrong
        .run(&["generatemanagedwallet", "BTC"])
        .assert_error("wrong password");
    assert_eq!(std::fs::read(wrong.wallet()).unwrap(), before);
    let kms = Kms {
        home: wrong.home,
        password: Some("right".into()),
        env: wrong.env,
    };

    // Two rows' ciphertexts swapped. (Read both first: an UPDATE whose subqueries see
    // the rows it already changed would copy one blob into both rows, in row order.)
    let conn = rusqlite::Connection::open(kms.wallet()).unwrap();
    let sealed = |id: &str| -> Vec<u8> {
        conn.query_row(
            "SELECT sealed FROM kms_wallets WHERE signature_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (sealed_a, sealed_b) = (sealed(&a), sealed(&b));
    for (id, blob) in [(&a, &sealed_b), (&b, &sealed_a)] {
        conn.execute(
            "UPDATE kms_wallets SET sealed = ?2 WHERE signature_id = ?1",
            rusqlite::params![id, blob],
        )
        .unwrap();
    }
    drop(conn);
    kms.run(&["export"]).assert_error("corrupt wallet file");
    kms.run(&["getmanagedwallet", &a])
        .assert_error("does not authenticate");

    // A deleted row.
    std::fs::write(kms.wallet(), &before).unwrap();
    kms.run(&["export"]).assert_ok();
    let conn = rusqlite::Connection::open(kms.wallet()).unwrap();
    conn.execute("DELETE FROM kms_wallets WHERE signature_id = ?1", [&a])
        .unwrap();
    drop(conn);
    kms.run(&["export"]).assert_error("manifest");
    kms.run(&["generatemanagedwallet", "BTC"])
        .assert_error("corrupt wallet file");

    // A truncated file.
    std::fs::write(kms.wallet(), &before[..before.len() / 2]).unwrap();
    kms.run(&["export"]).assert_error("corrupt wallet file");
    std::fs::write(kms.wallet(), &before[..10]).unwrap();
    kms.run(&["export"]).assert_error("corrupt wallet file");
}

#[test]
fn changepassword_v2_and_legacy() {
    for legacy in [false, true] {
        let mut kms = if legacy {
            Kms::legacy("old pw")
        } else {
            Kms::new("old pw")
        };
        with_two_wallets(&kms);
        let before = kms.run(&["export"]).assert_ok().stdout.clone();
        // No terminal and no TATUM_KMS_NEW_PASSWORD: a clear error, nothing changed.
        kms.run(&["changepassword"])
            .assert_error("TATUM_KMS_NEW_PASSWORD");
        kms.env
            .push(("TATUM_KMS_NEW_PASSWORD".into(), "new pw ✓".into()));
        let out = kms.run(&["changepassword"]).assert_ok().json();
        assert_eq!(out["passwordChanged"], true);
        assert_eq!(out["format"], if legacy { "legacy" } else { "v2" });
        kms.run(&["export"]).assert_error("wrong password");
        kms.password = Some("new pw ✓".into());
        assert_eq!(kms.run(&["export"]).assert_ok().stdout, before);
        // The old password no longer opens the file for a change either.
        kms.password = Some("old pw".into());
        kms.run(&["changepassword"]).assert_error("wrong password");
    }
}

#[test]
fn migrate_legacy_to_v2_and_back() {
    let v = vector("wd3_batch_mixed_55");
    let kms = Kms::new(v["password"].as_str().unwrap())
        .with_wallet_fixture("walletdat/wd3_batch_mixed_55.wallet.dat");
    let original = std::fs::read(kms.wallet()).unwrap();
    let export = v["exportWithCorrectPassword"]["stdout"].as_str().unwrap();

    let mut wrong = Kms::new("not it");
    wrong.home = kms.home;
    wrong
        .run(&["migrate"])
        .assert_error("wrong password or corrupt wallet file");
    let kms = Kms {
        home: wrong.home,
        password: Some(v["password"].as_str().unwrap().into()),
        env: wrong.env,
    };
    assert_eq!(std::fs::read(kms.wallet()).unwrap(), original);

    let run = kms.run(&["migrate"]);
    run.assert_ok();
    let out = run.json();
    assert_eq!(out["from"], "legacy");
    assert_eq!(out["to"], "v2");
    assert_eq!(out["wallets"], v["entryCount"]);
    let backup = std::path::PathBuf::from(out["backup"].as_str().unwrap());
    assert!(backup
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("wallet.dat.bak-"));
    assert_eq!(std::fs::read(&backup).unwrap(), original);
    #[cfg(unix)]
    {
        assert_eq!(mode(&backup), 0o600);
        assert_eq!(mode(&kms.wallet()), 0o600);
    }
    assert!(std::fs::read(kms.wallet())
        .unwrap()
        .starts_with(SQLITE_MAGIC));
    let run = kms.run(&["export"]);
    assert_eq!(run.assert_ok().stdout, export, "same entries, same order");
    assert!(!run.stderr.contains("warning"));
    kms.run(&["migrate", "--to", "v2"])
        .assert_error("already in the v2 format");

    std::fs::remove_file(&backup).unwrap();
    let out = kms.run(&["migrate", "--to=legacy"]).assert_ok().json();
    assert_eq!(out["to"], "legacy");
    assert!(std::fs::read_to_string(kms.wallet())
        .unwrap()
        .starts_with("U2FsdGVkX1"));
    assert_eq!(kms.run(&["export"]).assert_ok().stdout, export);
    kms.run(&["migrate", "--to", "v3"])
        .assert_error("unknown wallet format");
}

#[test]
fn migrate_without_a_file_fails_cleanly() {
    let kms = Kms::new("pw");
    kms.run(&["migrate"]).assert_error("no wallet file");
    assert!(!kms.wallet().exists());
}

#[test]
fn default_kdf_parameters_are_recorded_in_the_file() {
    let mut kms = Kms::new("pw");
    kms.env.clear(); // default Argon2id parameters
    kms.run(&["generatemanagedwallet", "ETH"]).assert_ok();
    let conn = rusqlite::Connection::open(kms.wallet()).unwrap();
    let (m, t, p): (i64, i64, i64) = conn
        .query_row("SELECT kdf_m_kib, kdf_t, kdf_p FROM kms_header", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((m, t, p), (128 * 1024, 3, 1));
    drop(conn);
    // A file made with the test parameters is still read without the variable.
    let tiny = Kms::new("pw");
    tiny.run(&["generatemanagedwallet", "ETH"]).assert_ok();
    let mut plain = Kms::new("pw");
    plain.home = tiny.home;
    plain.env.clear();
    assert_eq!(plain.export().as_object().unwrap().len(), 1);
}

/// SECURITY.md promises that a person can decrypt a v2 file with a short script of their own
/// if this program were gone. `fixtures/decrypt_v2.py` is such a script, written from
/// docs/STORE-V2.md alone with PyNaCl (libsodium): it must give back exactly what `export`
/// prints, in the same order, and find the manifest's count and digest right.
#[test]
fn a_v2_file_decrypts_with_a_script_written_from_the_documentation() {
    let Some(python) = std::env::var_os("KMS_TEST_PYTHON") else {
        eprintln!("SKIPPED: KMS_TEST_PYTHON is not set (scripts/test sets it)");
        return;
    };
    let python = {
        let p = std::path::PathBuf::from(python);
        if p.is_relative() {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(p)
        } else {
            p
        }
    };
    let kms = Kms::new("documented-pw");
    with_two_wallets(&kms);
    kms.run_with_stdin(
        &["storemanagedwallet", "ETH", "--testnet"],
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n",
    )
    .assert_ok();
    let exported = kms.export();
    let out = std::process::Command::new(python)
        .arg(fixture("decrypt_v2.py"))
        .arg(kms.wallet())
        .env("TATUM_KMS_PASSWORD", "documented-pw")
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decrypted: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decrypted["manifestChecked"], true);
    assert_eq!(decrypted["entries"], exported);
    let order = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(order(&decrypted["entries"]), order(&exported), "map order");
}
