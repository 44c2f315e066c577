//! Azure Key Vault, done the way the service actually works: an OAuth2 token (client
//! credentials as the Azure SDKs read them, or a managed identity), then
//! `GET {vault}/secrets/{name}/{version}?api-version=7.4` and its `value`.
//! The original sent the GET without a token and read `data[0].value`, which the real
//! service never answers; its variables are kept.

use serde_json::Value;
use zeroize::Zeroizing;

use crate::{http_agent, Env, SecretsError};
use kms_core::SecretString;

const API_VERSION: &str = "7.4";
const SCOPE: &str = "https://vault.azure.net/.default";

fn url_with_scheme(value: &str) -> String {
    let v = value.trim().trim_end_matches('/');
    if v.starts_with("http://") || v.starts_with("https://") {
        v.to_string()
    } else {
        format!("https://{v}")
    }
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn token(env: &Env) -> Result<Zeroizing<String>, SecretsError> {
    let authority = url_with_scheme(
        &env("AZURE_AUTHORITY_HOST").unwrap_or_else(|| "https://login.microsoftonline.com".into()),
    );
    let answer = if let (Some(tenant), Some(client), Some(secret)) = (
        env("AZURE_TENANT_ID"),
        env("AZURE_CLIENT_ID"),
        env("AZURE_CLIENT_SECRET"),
    ) {
        let url = format!("{authority}/{tenant}/oauth2/v2.0/token");
        let secret = Zeroizing::new(secret);
        let body = Zeroizing::new(form_encode(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client),
            ("client_secret", &secret),
            ("scope", SCOPE),
        ]));
        crate::call(
            || {
                http_agent()
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .send(body.as_bytes())
            },
            &format!("the Azure token endpoint {url}"),
        )?
    } else if let (Some(endpoint), Some(header)) =
        (env("IDENTITY_ENDPOINT"), env("IDENTITY_HEADER"))
    {
        // App Service / Container Apps managed identity.
        let url = format!("{endpoint}?api-version=2019-08-01&resource=https://vault.azure.net");
        crate::call(
            || {
                http_agent()
                    .get(&url)
                    .header("X-IDENTITY-HEADER", &header)
                    .call()
            },
            "the managed identity endpoint",
        )?
    } else {
        // VM / AKS managed identity (IMDS).
        let base = env("AZURE_IMDS_ENDPOINT").unwrap_or_else(|| "http://169.254.169.254".into());
        let url = format!("{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net", base.trim_end_matches('/'));
        crate::call(|| http_agent().get(&url).header("Metadata", "true").call(), "the Azure instance metadata service (no AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET set)")?
    };
    let (status, text) = answer;
    let text = Zeroizing::new(text);
    if status != 200 {
        let reason = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        return Err(SecretsError::Store(format!(
            "Azure refused the token request: HTTP {status} {reason}"
        )));
    }
    let parsed: Value = serde_json::from_str(&text)
        .map_err(|_| SecretsError::Store("the Azure token answer is not JSON".into()))?;
    parsed
        .get("access_token")
        .and_then(Value::as_str)
        .map(|t| Zeroizing::new(t.to_string()))
        .ok_or_else(|| SecretsError::Store("the Azure token answer has no access_token".into()))
}

pub fn password(env: &Env) -> Result<SecretString, SecretsError> {
    let vault = env("TATUM_KMS_AZURE_VAULTURL")
        .ok_or_else(|| SecretsError::Config("TATUM_KMS_AZURE_VAULTURL is not set".into()))?;
    let name = env("TATUM_KMS_AZURE_SECRETNAME")
        .ok_or_else(|| SecretsError::Config("TATUM_KMS_AZURE_SECRETNAME is not set".into()))?;
    let version = env("TATUM_KMS_AZURE_SECRETVERSION").unwrap_or_default();
    let token = token(env)?;
    let vault = url_with_scheme(&vault);
    let url = if version.is_empty() {
        format!("{vault}/secrets/{name}?api-version={API_VERSION}")
    } else {
        format!("{vault}/secrets/{name}/{version}?api-version={API_VERSION}")
    };
    let bearer = Zeroizing::new(format!("Bearer {}", token.as_str()));
    let parsed = crate::get_authorized_json(
        &url,
        &bearer,
        crate::Refusal {
            source: "Azure Key Vault",
            subject: format!("secret '{name}'"),
            refused: format!("Azure Key Vault refused access to secret '{name}'"),
        },
    )?;
    let value = parsed
        .get("value")
        .or_else(|| parsed.pointer("/data/0/value"))
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            SecretsError::Store(format!("Azure Key Vault secret '{name}' has no value"))
        })?;
    Ok(SecretString::from(value))
}
