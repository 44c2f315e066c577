//! `--vgs` / `--azure` / `--aws` on the real binary: the password comes from the store, for
//! reading commands, writing commands and the daemon alike.

mod common;

use common::Kms;

/// A VGS-like alias endpoint with basic auth (user:pass) serving `pw`.
fn vgs(pw: &'static str) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            let ok = req.headers().iter().any(|h| {
                h.field.equiv("authorization") && h.value.as_str() == "Basic dXNlcjpwYXNz"
            });
            let (status, body) = if ok && req.url() == "/aliases/tok_1" {
                (200, format!(r#"{{"data":[{{"value":"{pw}"}}]}}"#))
            } else {
                (401, "{}".to_string())
            };
            let _ = req.respond(tiny_http::Response::from_string(body).with_status_code(status));
        }
    });
    url
}

#[test]
fn vgs_password_for_every_kind_of_command() {
    let url = vgs("pw-in-vgs");
    let mut kms = Kms::new("unused");
    kms.password = None;
    for (k, v) in [
        ("TATUM_KMS_VGS_URL", url.as_str()),
        ("TATUM_KMS_VGS_USERNAME", "user"),
        ("TATUM_KMS_VGS_PASSWORD", "pass"),
        ("TATUM_KMS_VGS_ALIAS", "tok_1"),
    ] {
        kms.env.push((k.into(), v.into()));
    }
    let made = kms.run(&["generatemanagedwallet", "BTC", "--vgs"]);
    made.assert_ok();
    let id = made.json()["signatureId"].as_str().unwrap().to_string();
    kms.run(&["getmanagedwallet", &id, "--vgs"]).assert_ok();
    // The file is encrypted with the VGS password.
    let mut direct = Kms::new("pw-in-vgs");
    direct.home = kms.home;
    direct.run(&["getaddress", &id, "0"]).assert_ok();
    let mut kms = direct;
    kms.password = None;
    for (k, v) in [
        ("TATUM_KMS_VGS_URL", url.as_str()),
        ("TATUM_KMS_VGS_USERNAME", "user"),
        ("TATUM_KMS_VGS_PASSWORD", "wrong"),
        ("TATUM_KMS_VGS_ALIAS", "tok_1"),
    ] {
        kms.env.push((k.into(), v.into()));
    }
    let bad = kms.run(&["export", "--vgs"]);
    bad.assert_error("VGS refused the credentials");
    assert!(!bad.stderr.contains("wrong"));
    // The daemon takes its password the same way.
    kms.env
        .push(("TATUM_API_URL".into(), "http://127.0.0.1:9".into()));
    kms.env.push(("TATUM_API_KEY".into(), "k".into()));
    kms.run(&["daemon", "--testnet", "--runOnce", "--vgs"])
        .assert_error("VGS refused the credentials");
}

#[test]
fn cloud_sources_without_configuration_say_what_is_missing() {
    let mut kms = Kms::new("unused");
    kms.password = None;
    kms.run(&["export", "--aws"])
        .assert_error("TATUM_KMS_AWS_REGION is not set");
    kms.run(&["export", "--azure"])
        .assert_error("TATUM_KMS_AZURE_VAULTURL is not set");
    kms.run(&["export", "--vgs"])
        .assert_error("TATUM_KMS_VGS_ALIAS is not set");
    let config = kms
        .run(&["checkconfig", "--aws"])
        .assert_ok()
        .stdout
        .clone();
    assert!(config.contains("Wallet store type                : AWS"));
}
