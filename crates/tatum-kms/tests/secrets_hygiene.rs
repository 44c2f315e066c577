//! Secrets never reach stderr (or anywhere but the stdout of the commands that print them
//! by design: export, getmanagedwallet, getprivatekey, generatewallet).

mod common;

use common::Kms;

const CANARY: &str =
    "casual black drip priority naive deal skate cliff electric program coyote insect";
const CANARY_WORDS: &[&str] = &["casual black drip", "coyote insect"];
const PASSWORD: &str = "canary-password-8c1f";

fn assert_clean(what: &str, text: &str) {
    for needle in CANARY_WORDS.iter().chain([&PASSWORD]) {
        assert!(!text.contains(needle), "{what} leaks {needle:?}:\n{text}");
    }
}

#[test]
fn canary_mnemonic_and_password_never_appear_on_stderr() {
    let mut kms = Kms::new(PASSWORD);
    kms.env
        .push(("TATUM_API_KEY".into(), "api-key-canary-0123456789".into()));
    kms.env.push(("TATUM_KMS_DEBUG_MODE".into(), "true".into()));
    // The daemon pass runs against nothing (fails fast) so its logs can be checked too.
    kms.env
        .push(("TATUM_API_URL".into(), "http://127.0.0.1:9".into()));
    let stored = kms.run_with_stdin(&["storemanagedwallet", "ETH"], &format!("{CANARY}\n"));
    stored.assert_ok();
    assert_clean("storemanagedwallet stdout", &stored.stdout);
    let id = stored.json()["signatureId"].as_str().unwrap().to_string();
    let pk = kms
        .run_with_stdin(
            &["storemanagedprivatekey", "BTC"],
            "KzJgGiEeGUVWmPR97pVWDnCVraZvM2fnrCVrg2irV4353HciE6Un",
        )
        .json();
    let pk_id = pk["signatureId"].as_str().unwrap().to_string();

    let mut runs: Vec<(Vec<String>, Option<String>)> = vec![
        (vec!["getaddress".into(), id.clone(), "3".into()], None),
        (vec!["getprivatekey".into(), id.clone(), "3".into()], None),
        (vec!["getmanagedwallet".into(), id.clone()], None),
        (vec!["export".into()], None),
        (vec!["report".into(), format!("{id},{pk_id},nope")], None),
        (vec!["checkconfig".into()], None),
        (vec!["generatewallet".into(), "BTC".into()], None),
        (vec!["generatemanagedwallet".into(), "BTC".into()], None),
        (
            vec![
                "generatemanagedprivatekeybatch".into(),
                "BTC".into(),
                "3".into(),
            ],
            None,
        ),
        (vec!["getaddress".into(), id.clone(), "-5".into()], None),
        (
            vec!["getaddress".into(), "missing".into(), "0".into()],
            None,
        ),
        (
            vec!["daemon".into(), "--testnet".into(), "--runOnce".into()],
            None,
        ),
        (vec!["daemon".into()], None),
        // Refused inputs must not echo what was typed.
        (
            vec!["storemanagedwallet".into(), "BTC".into()],
            Some(CANARY.replace("insect", "abandon")),
        ),
        (
            vec!["storemanagedwallet".into(), "BTC".into()],
            Some(format!("{CANARY} extra")),
        ),
        (
            vec!["storemanagedwallet".into(), "DOT".into()],
            Some(CANARY.to_string()),
        ),
        (
            vec!["storemanagedprivatekey".into(), "ETH".into()],
            Some(CANARY.to_string()),
        ),
        (vec!["removewallet".into(), pk_id.clone()], None),
    ];
    // And with a wrong password, every command that opens the file.
    for cmd in [
        vec!["export".to_string()],
        vec!["getmanagedwallet".into(), id.clone()],
    ] {
        runs.push((cmd, None));
    }
    let secret_stdout = [
        "getprivatekey",
        "getmanagedwallet",
        "export",
        "generatewallet",
    ];
    for (i, (args, input)) in runs.iter().enumerate() {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if i + 2 >= runs.len() {
            kms.password = Some("wrong-password".into());
        }
        let run = match input {
            Some(text) => kms.run_with_stdin(&args, text),
            None => kms.run(&args),
        };
        assert_clean(&format!("{args:?} stderr"), &run.stderr);
        if !secret_stdout.contains(&args[0]) {
            assert_clean(&format!("{args:?} stdout"), &run.stdout);
        }
    }
    // The canary is not in clear in any file the KMS wrote.
    for entry in std::fs::read_dir(kms.wallet().parent().unwrap()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert_clean("wallet directory", &String::from_utf8_lossy(&bytes));
    }
}
