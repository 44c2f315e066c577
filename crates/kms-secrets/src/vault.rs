//! HashiCorp Vault / OpenBao KV version 2 (`--vault`): a token, or an AppRole login, then
//! `GET {addr}/v1/{mount}/data/{path}` and the password under `TATUM_KMS_VAULT_KEY`.

use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::{http_agent, Env, SecretsError};
use kms_core::SecretString;

/// `secret/kms` → `secret/data/kms` (KV v2 API path); a path that already has `/data/`
/// after its mount is kept.
pub fn api_path(path: &str) -> String {
    let p = path.trim_matches('/');
    match p.split_once('/') {
        Some((mount, rest)) if !rest.starts_with("data/") => format!("{mount}/data/{rest}"),
        _ => p.to_string(),
    }
}

fn error_text(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| {
            v["errors"].as_array().map(|e| {
                e.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        })
        .unwrap_or_default()
}

fn token(env: &Env, addr: &str) -> Result<Zeroizing<String>, SecretsError> {
    if let Some(t) = env("TATUM_KMS_VAULT_TOKEN").or_else(|| env("VAULT_TOKEN")) {
        return Ok(Zeroizing::new(t));
    }
    let (Some(role_id), Some(secret_id)) = (
        env("TATUM_KMS_VAULT_ROLE_ID"),
        env("TATUM_KMS_VAULT_SECRET_ID"),
    ) else {
        return Err(SecretsError::Config(
            "no Vault credentials: set TATUM_KMS_VAULT_TOKEN, or TATUM_KMS_VAULT_ROLE_ID and TATUM_KMS_VAULT_SECRET_ID".into(),
        ));
    };
    let secret_id = Zeroizing::new(secret_id);
    let mount = env("TATUM_KMS_VAULT_APPROLE_MOUNT").unwrap_or_else(|| "approle".into());
    let url = format!("{addr}/v1/auth/{mount}/login");
    let body =
        Zeroizing::new(json!({ "role_id": role_id, "secret_id": secret_id.as_str() }).to_string());
    let namespace = env("TATUM_KMS_VAULT_NAMESPACE");
    let (status, text) = crate::call(
        || {
            let mut r = http_agent()
                .post(&url)
                .header("content-type", "application/json");
            if let Some(ns) = &namespace {
                r = r.header("X-Vault-Namespace", ns);
            }
            r.send(body.as_bytes())
        },
        &format!("Vault at {addr}"),
    )?;
    let text = Zeroizing::new(text);
    if status != 200 {
        return Err(SecretsError::Store(format!(
            "Vault refused the AppRole login (HTTP {status}) {}",
            error_text(&text)
        )));
    }
    let parsed: Value = serde_json::from_str(&text)
        .map_err(|_| SecretsError::Store("the Vault login answer is not JSON".into()))?;
    parsed["auth"]["client_token"]
        .as_str()
        .map(|t| Zeroizing::new(t.to_string()))
        .ok_or_else(|| SecretsError::Store("the Vault login answer has no client token".into()))
}

pub fn password(env: &Env) -> Result<SecretString, SecretsError> {
    let addr = env("TATUM_KMS_VAULT_ADDR")
        .or_else(|| env("VAULT_ADDR"))
        .ok_or_else(|| SecretsError::Config("TATUM_KMS_VAULT_ADDR is not set".into()))?;
    let addr = addr.trim_end_matches('/').to_string();
    let path = env("TATUM_KMS_VAULT_PATH").ok_or_else(|| {
        SecretsError::Config("TATUM_KMS_VAULT_PATH (e.g. secret/tatum-kms) is not set".into())
    })?;
    let key = env("TATUM_KMS_VAULT_KEY").unwrap_or_else(|| "password".into());
    let token = token(env, &addr)?;
    let url = format!("{addr}/v1/{}", api_path(&path));
    let namespace = env("TATUM_KMS_VAULT_NAMESPACE");
    let (status, text) = crate::call(
        || {
            let mut r = http_agent()
                .get(&url)
                .header("X-Vault-Token", token.as_str());
            if let Some(ns) = &namespace {
                r = r.header("X-Vault-Namespace", ns);
            }
            r.call()
        },
        &format!("Vault at {addr}"),
    )?;
    let text = Zeroizing::new(text);
    match status {
        200 => {}
        403 => {
            return Err(SecretsError::Store(format!(
                "Vault refused access to '{path}' (HTTP 403) {}",
                error_text(&text)
            )))
        }
        404 => {
            return Err(SecretsError::Store(format!(
                "Vault secret '{path}' does not exist"
            )))
        }
        other => {
            return Err(SecretsError::Store(format!(
                "Vault answered HTTP {other} for '{path}' {}",
                error_text(&text)
            )))
        }
    }
    let parsed: Value = serde_json::from_str(&text)
        .map_err(|_| SecretsError::Store("the Vault answer is not JSON".into()))?;
    let value = parsed["data"]["data"][&key]
        .as_str()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SecretsError::Store(format!("Vault secret '{path}' has no key '{key}'")))?;
    Ok(SecretString::from(value))
}

#[cfg(test)]
mod tests {
    #[test]
    fn kv2_paths() {
        assert_eq!(super::api_path("secret/kms"), "secret/data/kms");
        assert_eq!(super::api_path("/secret/data/kms/"), "secret/data/kms");
        assert_eq!(super::api_path("kv/team/kms"), "kv/data/team/kms");
    }
}
