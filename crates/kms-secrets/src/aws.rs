//! AWS Secrets Manager `GetSecretValue`, signed with SigV4 (hand-rolled: one request type,
//! HMAC-SHA256 from RustCrypto; the AWS SDK would add ~125 crates).

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{http_agent, Env, SecretsError};
use kms_core::SecretString;

const SERVICE: &str = "secretsmanager";

pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
    pub session_token: Option<String>,
}

/// Credentials: the original's `TATUM_KMS_AWS_*` variables, else the standard chain
/// (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, then the shared
/// credentials file's `AWS_PROFILE` or `default` profile).
fn credentials(env: &Env) -> Result<Credentials, SecretsError> {
    if let (Some(id), Some(secret)) = (
        env("TATUM_KMS_AWS_ACCESS_KEY_ID"),
        env("TATUM_KMS_AWS_SECRET_ACCESS_KEY"),
    ) {
        return Ok(Credentials {
            access_key_id: id,
            secret_access_key: Zeroizing::new(secret),
            session_token: None,
        });
    }
    if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        return Ok(Credentials {
            access_key_id: id,
            secret_access_key: Zeroizing::new(secret),
            session_token: env("AWS_SESSION_TOKEN"),
        });
    }
    let file = env("AWS_SHARED_CREDENTIALS_FILE")
        .or_else(|| env("HOME").map(|h| format!("{h}/.aws/credentials")));
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".to_string());
    if let Some(text) = file
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map(Zeroizing::new)
    {
        if let Some(c) = profile_credentials(&text, &profile) {
            return Ok(c);
        }
    }
    Err(SecretsError::Config(
        "no AWS credentials: set TATUM_KMS_AWS_ACCESS_KEY_ID and TATUM_KMS_AWS_SECRET_ACCESS_KEY (or the standard AWS variables or ~/.aws/credentials)".into(),
    ))
}

fn profile_credentials(text: &str, profile: &str) -> Option<Credentials> {
    let mut in_profile = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_profile = line.trim_matches(|c| c == '[' || c == ']').trim() == profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" => id = Some(v.trim().to_string()),
                "aws_secret_access_key" => secret = Some(Zeroizing::new(v.trim().to_string())),
                "aws_session_token" => token = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    Some(Credentials {
        access_key_id: id?,
        secret_access_key: secret?,
        session_token: token,
    })
}

fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().to_vec())
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A POST to `/` of `host`, as SigV4 sees it.
pub struct PostRequest<'a> {
    pub region: &'a str,
    pub service: &'a str,
    pub host: &'a str,
    /// `x-amz-*` headers, lower-case names.
    pub amz_headers: &'a [(&'a str, &'a str)],
    pub content_type: &'a str,
    pub body: &'a [u8],
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
}

/// The SigV4 `Authorization` header for the request.
pub fn authorization(creds: &Credentials, r: &PostRequest<'_>) -> String {
    let PostRequest {
        region,
        service,
        host,
        amz_headers,
        content_type,
        body,
        amz_date,
    } = *r;
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), content_type.to_string()),
        ("host".into(), host.to_string()),
    ];
    headers.extend(
        amz_headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.trim().to_string())),
    );
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}",
        sha256_hex(body)
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let k_secret = Zeroizing::new(format!("AWS4{}", creds.secret_access_key.as_str()));
    let k_date = hmac(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()).as_slice());
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    )
}

fn amz_now() -> String {
    // 2026-11-23T20:30:00Z -> 20261123T203000Z
    let rfc = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    rfc.replace(['-', ':'], "")
}

pub fn password(env: &Env) -> Result<SecretString, SecretsError> {
    let region = env("TATUM_KMS_AWS_REGION")
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .ok_or_else(|| SecretsError::Config("TATUM_KMS_AWS_REGION is not set".into()))?;
    let secret_name = env("TATUM_KMS_AWS_SECRET_NAME")
        .ok_or_else(|| SecretsError::Config("TATUM_KMS_AWS_SECRET_NAME is not set".into()))?;
    let secret_key = env("TATUM_KMS_AWS_SECRET_KEY")
        .ok_or_else(|| SecretsError::Config("TATUM_KMS_AWS_SECRET_KEY (the key of the password inside the secret's JSON) is not set".into()))?;
    let creds = credentials(env)?;
    let endpoint = env("TATUM_KMS_AWS_ENDPOINT_URL")
        .or_else(|| env("AWS_ENDPOINT_URL_SECRETS_MANAGER"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com"));
    let endpoint = endpoint.trim_end_matches('/').to_string();
    let host = endpoint
        .split("://")
        .nth(1)
        .unwrap_or(&endpoint)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();

    let body = serde_json::json!({ "SecretId": secret_name }).to_string();
    let content_type = "application/x-amz-json-1.1";
    let target = "secretsmanager.GetSecretValue";
    let amz_date = amz_now();
    let mut amz: Vec<(&str, &str)> = vec![("x-amz-date", &amz_date), ("x-amz-target", target)];
    if let Some(token) = &creds.session_token {
        amz.push(("x-amz-security-token", token));
    }
    let auth = authorization(
        &creds,
        &PostRequest {
            region: &region,
            service: SERVICE,
            host: &host,
            amz_headers: &amz,
            content_type,
            body: body.as_bytes(),
            amz_date: &amz_date,
        },
    );
    let send = || {
        let mut request = http_agent()
            .post(&format!("{endpoint}/"))
            .header("content-type", content_type)
            .header("x-amz-date", &amz_date)
            .header("x-amz-target", target)
            .header("authorization", &auth);
        if let Some(token) = &creds.session_token {
            request = request.header("x-amz-security-token", token);
        }
        request.send(body.as_bytes())
    };
    let (status, text) = crate::call(send, &format!("AWS Secrets Manager at {endpoint}"))?;
    if status != 200 {
        // JSON protocol errors carry `__type`; signature errors come as XML `<Code>`.
        let kind = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("__type")
                    .or_else(|| v.get("code"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .or_else(|| {
                let start = text.find("<Code>")? + "<Code>".len();
                let end = text[start..].find("</Code>")? + start;
                Some(text[start..end].to_string())
            })
            .unwrap_or_default();
        let kind = kind.rsplit('#').next().unwrap_or_default().to_string();
        return Err(match kind.as_str() {
            "ResourceNotFoundException" => SecretsError::Store(format!("AWS secret '{secret_name}' does not exist in {region}")),
            "UnrecognizedClientException" | "InvalidSignatureException" | "SignatureDoesNotMatch" | "AccessDeniedException" | "InvalidClientTokenId" => {
                SecretsError::Store(format!("AWS rejected the credentials for secret '{secret_name}' ({kind}, HTTP {status})"))
            }
            _ => SecretsError::Store(format!("AWS Secrets Manager refused GetSecretValue for '{secret_name}': HTTP {status} {kind}")),
        });
    }
    let answer: Zeroizing<String> = Zeroizing::new(text);
    let parsed: Value = serde_json::from_str(&answer).map_err(|_| {
        SecretsError::Store("AWS Secrets Manager answered with something that is not JSON".into())
    })?;
    let secret_string = parsed
        .get("SecretString")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            SecretsError::Store(format!("AWS secret '{secret_name}' has no SecretString"))
        })?;
    let inner: Value = serde_json::from_str(secret_string).map_err(|_| {
        SecretsError::Store(format!(
            "AWS secret '{secret_name}' is not a JSON object of key/value pairs"
        ))
    })?;
    let value = inner
        .get(&secret_key)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            SecretsError::Store(format!(
                "AWS secret '{secret_name}' has no key '{secret_key}'"
            ))
        })?;
    Ok(SecretString::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checked against botocore (the AWS SDK's signer) for AWS's documentation example key;
    /// the live protocol is checked against moto in `tests/stores.rs`.
    #[test]
    fn authorization_matches_botocore() {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Zeroizing::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
            session_token: None,
        };
        let request = |amz: &[(&str, &str)]| {
            authorization(
                &creds,
                &PostRequest {
                    region: "us-east-1",
                    service: "secretsmanager",
                    host: "secretsmanager.us-east-1.amazonaws.com",
                    amz_headers: amz,
                    content_type: "application/x-amz-json-1.1",
                    body: b"{\"SecretId\":\"x\"}",
                    amz_date: "20261123T203650Z",
                },
            )
        };
        let a = request(&[
            ("x-amz-date", "20261123T203650Z"),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
        ]);
        // The signature botocore's SigV4Auth computes for the same request and time.
        assert_eq!(
            a,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=7ccab8593d828deb75d42a082211ca80f54c10c263663e13e1aaafe5b4ff8ada"
        );
        let again = request(&[
            ("x-amz-target", "secretsmanager.GetSecretValue"),
            ("x-amz-date", "20261123T203650Z"),
        ]);
        assert_eq!(a, again, "header order must not matter");
    }

    #[test]
    fn shared_credentials_file_profiles() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = S\n[other]\naws_access_key_id=B\naws_secret_access_key=T\naws_session_token=X\n";
        let d = profile_credentials(text, "default").unwrap();
        assert_eq!(
            (d.access_key_id.as_str(), d.secret_access_key.as_str()),
            ("A", "S")
        );
        let o = profile_credentials(text, "other").unwrap();
        assert_eq!(o.session_token.as_deref(), Some("X"));
        assert!(profile_credentials(text, "missing").is_none());
    }
}
