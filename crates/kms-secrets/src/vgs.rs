//! VGS: `GET {base}/aliases/{alias}` with basic auth; the password is `data[0].value`.

use base64::Engine;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::{Env, SecretsError};
use kms_core::SecretString;

pub fn password(env: &Env) -> Result<SecretString, SecretsError> {
    let alias = env("TATUM_KMS_VGS_ALIAS")
        .ok_or_else(|| SecretsError::Config("TATUM_KMS_VGS_ALIAS is not set".into()))?;
    let user = env("TATUM_KMS_VGS_USERNAME")
        .ok_or_else(|| SecretsError::Config("TATUM_KMS_VGS_USERNAME is not set".into()))?;
    let pass = Zeroizing::new(
        env("TATUM_KMS_VGS_PASSWORD")
            .ok_or_else(|| SecretsError::Config("TATUM_KMS_VGS_PASSWORD is not set".into()))?,
    );
    let base =
        env("TATUM_KMS_VGS_URL").unwrap_or_else(|| "https://api.live.verygoodvault.com".into());
    let url = format!("{}/aliases/{alias}", base.trim_end_matches('/'));
    let credentials = Zeroizing::new(format!("{user}:{}", pass.as_str()));
    let basic = Zeroizing::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials.as_bytes())
    ));
    let parsed = crate::get_authorized_json(
        &url,
        &basic,
        crate::Refusal {
            source: "VGS",
            subject: format!("alias '{alias}'"),
            refused: "VGS refused the credentials".into(),
        },
    )?;
    let value = parsed
        .pointer("/data/0/value")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            SecretsError::Store(format!(
                "VGS Vault alias '{alias}' does not exist or has no value"
            ))
        })?;
    Ok(SecretString::from(value))
}
