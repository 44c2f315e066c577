//! The real daemon binary against the real emulator over HTTP on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::{Kms, Run};
use kms_emulator::{Emulator, Fault, Scenario};
use serde_json::{json, Value};

const API_KEY: &str = "daemon-test-key";
const M0: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn emulator() -> Emulator {
    Emulator::start("127.0.0.1:0", Scenario::default(), Some(API_KEY.into())).expect("emulator")
}

fn kms_for(emu: &Emulator) -> Kms {
    let mut kms = Kms::new("daemon-pw");
    kms.env.push(("TATUM_API_URL".into(), emu.url()));
    kms.env.push(("TATUM_API_KEY".into(), API_KEY.into()));
    kms
}

fn add_eth_wallet(kms: &Kms) -> String {
    let out = kms.run_with_stdin(
        &["storemanagedwallet", "ETH", "--testnet"],
        &format!("{M0}\n"),
    );
    out.assert_ok();
    out.json()["signatureId"].as_str().unwrap().to_string()
}

fn pending_requests(emu: &Emulator) -> Vec<Value> {
    emu.requests()
        .into_iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .unwrap_or("")
                .starts_with("/v3/kms/pending/")
        })
        .collect()
}

fn daemon_once(kms: &Kms, extra: &[&str]) -> Run {
    let mut args = vec!["daemon", "--runOnce", "--testnet"];
    args.extend_from_slice(extra);
    kms.run(&args)
}

#[test]
fn polls_only_chains_with_wallets_and_reports_unsignable_transactions() {
    let emu = emulator();
    let kms = kms_for(&emu);
    let id = add_eth_wallet(&kms);
    // A transaction without index for a mnemonic wallet: the original's message.
    emu.enqueue("ETH", json!({"id": "tx-no-index", "chain": "ETH", "serializedTransaction": "{\"to\":\"0x8cb76aed9c5e336ef961265c6079c14e9cd3d2ea\",\"value\":\"1\"}", "hashes": [id]}));
    // A malformed one (no serializedTransaction).
    emu.enqueue(
        "ETH",
        json!({"id": "tx-malformed", "chain": "ETH", "hashes": [id]}),
    );
    let run = daemon_once(&kms, &[]);
    run.assert_ok();
    let polls = pending_requests(&emu);
    assert_eq!(polls.len(), 1, "only ETH has a testnet wallet: {polls:?}");
    assert_eq!(polls[0]["path"], "/v3/kms/pending/ETH");
    assert_eq!(polls[0]["headers"]["x-api-key"], API_KEY);
    assert_eq!(polls[0]["headers"]["x-ttm-kms-client-version"], "8.0.1");
    assert_eq!(
        serde_json::from_str::<Value>(polls[0]["body"].as_str().unwrap()).unwrap(),
        json!({"signatureIds": [id]})
    );
    let errors = emu.reported_errors();
    let by_id = |tx: &str| {
        errors
            .iter()
            .find(|e| e["signatureId"] == tx)
            .map(|e| e["error"].as_str().unwrap().to_string())
    };
    let malformed = by_id("tx-malformed").expect("malformed reported");
    assert!(malformed.contains("malformed"), "{malformed}");
    assert!(by_id("tx-no-index").is_some(), "{errors:?}");
    assert!(emu.broadcasts().is_empty());
    // Every reported error went in one batch.
    assert_eq!(
        emu.requests()
            .iter()
            .filter(|r| r["path"] == "/v3/tatum/kms/batch")
            .count(),
        1
    );
    assert!(!run.stdout.contains("abandon") && !run.stderr.contains("abandon"));
    assert!(!run.stdout.contains("daemon-pw") && !run.stderr.contains("daemon-pw"));
}

#[test]
fn four_eye_denial_or_silence_means_not_signed_and_not_reported() {
    let emu = emulator();
    let kms = kms_for(&emu);
    let id = add_eth_wallet(&kms);
    for tx in ["approved-1", "denied-1"] {
        emu.enqueue(
            "ETH",
            json!({"id": tx, "chain": "BNB", "serializedTransaction": "{}", "hashes": [id]}),
        );
    }
    emu.deny_four_eye(&["denied-1"]);
    let url = format!("{}/foureye", emu.url());
    for method in ["GET", "POST"] {
        let before = emu.requests().len();
        daemon_once(
            &kms,
            &["--externalUrl", &url, "--externalUrlMethod", method],
        )
        .assert_ok();
        let reqs = &emu.requests()[before..];
        let checks: Vec<&Value> = reqs
            .iter()
            .filter(|r| r["path"].as_str().unwrap().starts_with("/foureye/"))
            .collect();
        assert_eq!(checks.len(), 2);
        assert!(checks.iter().all(|r| r["method"] == method));
        if method == "POST" {
            let body: Value = serde_json::from_str(checks[0]["body"].as_str().unwrap()).unwrap();
            assert_eq!(
                body["id"], "approved-1",
                "POST carries the pending transaction"
            );
        }
        // The approved one went on to signing (and failed: a BNB-shaped tx on ETH is not
        // signable here); the denied one was neither signed nor reported.
        let batch: Vec<&Value> = reqs
            .iter()
            .filter(|r| r["path"] == "/v3/tatum/kms/batch")
            .collect();
        let reported = batch
            .iter()
            .map(|r| r["body"].as_str().unwrap())
            .collect::<String>();
        assert!(reported.contains("approved-1"));
        assert!(!reported.contains("denied-1"));
    }
    // An unreachable four-eye service: fail closed.
    let before = emu.requests().len();
    daemon_once(
        &kms,
        &["--externalUrl", "http://127.0.0.1:9/nothing-listens-here"],
    )
    .assert_ok();
    assert!(emu.requests()[before..]
        .iter()
        .all(|r| r["path"] != "/v3/tatum/kms/batch"));
}

#[test]
fn api_faults_are_survived_and_unreachable_api_fails_run_once() {
    let emu = emulator();
    let kms = kms_for(&emu);
    add_eth_wallet(&kms);
    kms.run_with_stdin(
        &["storemanagedwallet", "BTC", "--testnet"],
        &format!("{M0}\n"),
    )
    .assert_ok();
    for kind in ["status", "garbage", "drop"] {
        emu.clear_faults();
        emu.add_fault(Fault {
            path_regex: "/v3/kms/pending/BTC".into(),
            kind: kind.into(),
            status: Some(503),
            delay_ms: None,
            times: None,
        })
        .unwrap();
        let before = emu.requests().len();
        let run = daemon_once(&kms, &[]);
        assert!(run.ok(), "{kind}: {}", run.stderr);
        let polled: Vec<String> = emu.requests()[before..]
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_string())
            .collect();
        assert!(
            polled.contains(&"/v3/kms/pending/ETH".to_string()),
            "{kind}: ETH still polled: {polled:?}"
        );
        assert!(
            run.stdout
                .contains("Cannot get pending transactions for BTC"),
            "{kind}: {}",
            run.stdout
        );
    }
    // A slow API: the request times out, the pass goes on.
    emu.clear_faults();
    emu.add_fault(Fault {
        path_regex: "/v3/kms/pending/BTC".into(),
        kind: "slow".into(),
        status: None,
        delay_ms: Some(3_000),
        times: Some(1),
    })
    .unwrap();
    let mut kms2 = kms;
    kms2.env
        .push(("TATUM_KMS_HTTP_TIMEOUT_SECONDS".into(), "1".into()));
    let started = Instant::now();
    daemon_once(&kms2, &[]).assert_ok();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "timeout not applied"
    );
    // Nothing listening: --runOnce fails.
    let mut dead = kms2;
    dead.env.retain(|(k, _)| k != "TATUM_API_URL");
    dead.env
        .push(("TATUM_API_URL".into(), "http://127.0.0.1:9".into()));
    let run = daemon_once(&dead, &[]);
    assert!(!run.ok());
    assert!(
        run.stderr.contains("could not be reached"),
        "{}",
        run.stderr
    );
    // A wrong API key is an API error for every chain: also a failed run.
    let mut wrong = dead;
    wrong
        .env
        .retain(|(k, _)| k != "TATUM_API_URL" && k != "TATUM_API_KEY");
    wrong.env.push(("TATUM_API_URL".into(), emu.url()));
    wrong.env.push(("TATUM_API_KEY".into(), "wrong-key".into()));
    let run = daemon_once(&wrong, &[]);
    assert!(!run.ok());
    assert!(run.stderr.contains("401"), "{}", run.stderr);
}

#[test]
fn a_journaled_transaction_is_rebroadcast_not_signed_again() {
    let emu = emulator();
    let kms = kms_for(&emu);
    let id = add_eth_wallet(&kms);
    emu.enqueue("ETH", json!({"id": "already-signed", "chain": "ETH", "serializedTransaction": "{}", "hashes": [id]}));
    let journal = kms.wallet().with_file_name("wallet.dat.journal");
    let line = json!({"ts": "2026-01-01T00:00:00.000Z", "id": "already-signed", "chain": "ETH", "state": "signed",
        "payload_sha256": "00", "path": "/v3/ethereum/broadcast", "body": {"txData": "0xfeed", "signatureId": "already-signed"}});
    std::fs::write(&journal, format!("{line}\n")).unwrap();
    daemon_once(&kms, &[]).assert_ok();
    let broadcasts = emu.broadcasts();
    assert_eq!(broadcasts.len(), 1);
    assert_eq!(broadcasts[0]["path"], "/v3/ethereum/broadcast");
    assert_eq!(
        serde_json::from_str::<Value>(broadcasts[0]["body"].as_str().unwrap()).unwrap(),
        json!({"txData": "0xfeed", "signatureId": "already-signed"})
    );
    assert!(emu.reported_errors().is_empty());
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.lines()
            .last()
            .unwrap()
            .contains("\"state\":\"broadcast\""),
        "{text}"
    );
}

#[test]
fn transaction_ids_and_wallets_filters() {
    let emu = emulator();
    let kms = kms_for(&emu);
    let id = add_eth_wallet(&kms);
    let other = add_eth_wallet(&kms);
    for tx in ["t1", "t2"] {
        emu.enqueue(
            "ETH",
            json!({"id": tx, "chain": "ETH", "serializedTransaction": "{}", "hashes": [id]}),
        );
    }
    daemon_once(&kms, &["--transactionIds=t2", &format!("--wallets={id}")]).assert_ok();
    let polls = pending_requests(&emu);
    assert_eq!(
        serde_json::from_str::<Value>(polls[0]["body"].as_str().unwrap()).unwrap(),
        json!({"signatureIds": [id]})
    );
    let errors = emu.reported_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["signatureId"], "t2");
    let _ = other;
}

#[test]
fn large_stores_are_polled_in_chunks_of_25000() {
    use kms_core::{Chain, SecretString, WalletEntry};
    let emu = emulator();
    let kms = kms_for(&emu);
    let store = kms_store::WalletStore::new(kms.wallet());
    store
        .modify(&SecretString::from("daemon-pw"), |w| {
            for i in 0..25_001u32 {
                let entry = WalletEntry::build(
                    [("privateKey", format!("0x{:064x}", i + 1))],
                    Chain::Eth,
                    true,
                );
                w.insert_first(format!("00000000-0000-4000-8000-{i:012}"), entry);
            }
            Ok::<_, kms_store::StoreError>(())
        })
        .unwrap();
    daemon_once(&kms, &["--chain=ETH"]).assert_ok();
    let sizes: Vec<usize> = pending_requests(&emu)
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(r["body"].as_str().unwrap()).unwrap()["signatureIds"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [25_000, 1]);
}

#[test]
fn a_running_daemon_picks_up_new_wallets_serves_metrics_and_stops_on_sigterm() {
    let emu = emulator();
    let kms = kms_for(&emu);
    add_eth_wallet(&kms);
    let child = kms
        .command(&[
            "daemon",
            "--testnet",
            "--period=1",
            "--chain=ETH,BTC",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let wait_for = |what: &str, cond: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for("the first ETH poll", &|| !pending_requests(&emu).is_empty());
    assert!(pending_requests(&emu)
        .iter()
        .all(|r| r["path"] == "/v3/kms/pending/ETH"));
    // Add a BTC wallet with the CLI while the daemon runs.
    let btc = kms.run_with_stdin(
        &["storemanagedwallet", "BTC", "--testnet"],
        &format!("{M0}\n"),
    );
    let btc_id = btc.json()["signatureId"].as_str().unwrap().to_string();
    wait_for("a BTC poll with the new wallet", &|| {
        pending_requests(&emu).iter().any(|r| {
            r["path"] == "/v3/kms/pending/BTC" && r["body"].as_str().unwrap().contains(&btc_id)
        })
    });
    // SIGTERM: clean exit 0.
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        log.contains("Serving /metrics and /healthz on http://127.0.0.1:"),
        "{log}"
    );
    assert!(!log.contains("abandon"), "the log leaks the mnemonic");
}

#[test]
fn metrics_endpoint_serves_counters() {
    let emu = emulator();
    let kms = kms_for(&emu);
    add_eth_wallet(&kms);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut child = kms
        .command(&[
            "daemon",
            "--testnet",
            "--period=1",
            "--chain=ETH",
            "--metrics-addr",
            &addr,
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let body = loop {
        if let Ok(resp) = ureq_get(&format!("http://{addr}/metrics")) {
            if resp.contains("tatum_kms_polls_total{chain=\"ETH\"}") {
                break resp;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(15), "no metrics");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(body.contains("# TYPE tatum_kms_transactions_signed_total counter"));
    assert_eq!(ureq_get(&format!("http://{addr}/healthz")).unwrap(), "ok\n");
    let _ = child.kill();
    let _ = child.wait();
}

fn ureq_get(url: &str) -> Result<String, String> {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).map_err(|e| e.to_string())?;
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut text = String::new();
    s.read_to_string(&mut text).map_err(|e| e.to_string())?;
    Ok(text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}

#[test]
fn wallet_readable_by_others_is_warned_about_or_refused_with_strict_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator();
    let kms = kms_for(&emu);
    add_eth_wallet(&kms);
    std::fs::set_permissions(kms.wallet(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let warned = daemon_once(&kms, &[]);
    warned.assert_ok();
    assert!(
        warned
            .stderr
            .contains("accessible to other users (mode 644)"),
        "{}",
        warned.stderr
    );
    let before = emu.requests().len();
    daemon_once(&kms, &["--strict-permissions"]).assert_error("chmod 600");
    assert_eq!(
        emu.requests().len(),
        before,
        "a refused daemon makes no request"
    );
}

/// The original daemon only reads the wallet's folder, so it runs where that folder is not
/// writable (a read-only mount, files of another user). Ours then keeps its journal and
/// audit log in the user's state folder, says so, and signs as usual.
#[test]
fn a_read_only_wallet_folder_moves_the_journal_to_the_state_folder() {
    use std::os::unix::fs::{chown, PermissionsExt};
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root {
        eprintln!("SKIPPED: switching to an unprivileged user needs root");
        return;
    }
    let emu = emulator();
    let kms = kms_for(&emu);
    let id = add_eth_wallet(&kms);

    // Everything the unprivileged user needs, in a folder it can traverse.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let wallets = dir.path().join("wallets");
    std::fs::create_dir(&wallets).unwrap();
    std::fs::copy(kms.wallet(), wallets.join("wallet.dat")).unwrap();
    std::fs::set_permissions(
        wallets.join("wallet.dat"),
        std::fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    std::fs::set_permissions(&wallets, std::fs::Permissions::from_mode(0o555)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    chown(&home, Some(65534), Some(65534)).unwrap();
    let bin = dir.path().join("tatum-kms");
    std::fs::copy(common::BIN, &bin).unwrap();

    let run = || {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(["daemon", "--runOnce", "--testnet", "--chain=ETH"])
            .arg(format!("--path={}", wallets.join("wallet.dat").display()))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("TATUM_KMS_PASSWORD", "daemon-pw")
            .env("TATUM_API_URL", emu.url())
            .env("TATUM_API_KEY", API_KEY)
            .stdin(std::process::Stdio::null())
            .output()
    };
    // The copy above may still be open in a child another test thread forked meanwhile.
    let mut out = run();
    for _ in 0..20 {
        match &out {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(50));
                out = run();
            }
            _ => break,
        }
    }
    let out = out.expect("setpriv (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("is not writable; keeping the signing journal in"),
        "{stderr}"
    );
    let polls = pending_requests(&emu);
    assert_eq!(polls.len(), 1, "{stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(polls[0]["body"].as_str().unwrap()).unwrap(),
        json!({"signatureIds": [id]})
    );
    let state: Vec<String> = std::fs::read_dir(home.join(".local/state/tatum-kms"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        state
            .iter()
            .any(|n| n.starts_with("wallet.dat-") && n.ends_with(".journal")),
        "{state:?}"
    );
    assert!(state.iter().any(|n| n.ends_with(".audit.log")), "{state:?}");
    assert!(!wallets.join("wallet.dat.journal").exists());
}
