//! `checkconfig`: the original's table of settings, with every secret masked.

use anyhow::Result;

use crate::output;
use crate::settings::{Settings, API_KEY_ENV};

/// The original's `hideValue`: `start` characters, then stars; short values all stars.
/// (Its slice for the tail drops the last character; kept so the output matches.)
fn hide_value(value: &str, show_start: usize, show_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    let len = chars.len();
    if len <= show_start + show_end {
        return "*".repeat(len);
    }
    let head: String = chars[..show_start].iter().collect();
    let tail: String = chars[len - 1 - show_end..len - 1].iter().collect();
    format!("{head}{}{tail}", "*".repeat(len - show_start - show_end))
}

/// API keys as the original shows them: first six and (almost) last six characters.
pub fn hide_api_key(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => hide_value(v, 6, 6),
        _ => "N/A".to_string(),
    }
}

/// Names and other non-secret settings: the original's `hidePassword` (first six characters).
fn hide_identifier(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => hide_value(v, 6, 0),
        _ => "N/A".to_string(),
    }
}

/// Passwords and secret keys: nothing of the value, not even its length.
fn hide_secret(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => "********".to_string(),
        _ => "N/A".to_string(),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub fn run(settings: &Settings) -> Result<()> {
    let rows: Vec<(&str, String)> = vec![
        ("Version", env!("CARGO_PKG_VERSION").to_string()),
        (
            "Wallet file path",
            settings.wallet_path.display().to_string(),
        ),
        ("Wallet exists", settings.wallet_path.exists().to_string()),
        (
            "Wallet store type",
            settings.password_source.store_type().to_string(),
        ),
        (
            "Environment vars file",
            settings.env_file.display().to_string(),
        ),
        (API_KEY_ENV, hide_api_key(env(API_KEY_ENV).as_deref())),
        (
            "TATUM_KMS_PASSWORD",
            hide_secret(env("TATUM_KMS_PASSWORD").as_deref()),
        ),
        (
            "TATUM_KMS_VGS_ALIAS",
            hide_identifier(env("TATUM_KMS_VGS_ALIAS").as_deref()),
        ),
        (
            "TATUM_KMS_VGS_USERNAME",
            hide_identifier(env("TATUM_KMS_VGS_USERNAME").as_deref()),
        ),
        (
            "TATUM_KMS_VGS_PASSWORD",
            hide_secret(env("TATUM_KMS_VGS_PASSWORD").as_deref()),
        ),
        (
            "TATUM_KMS_AZURE_SECRETVERSION",
            hide_identifier(env("TATUM_KMS_AZURE_SECRETVERSION").as_deref()),
        ),
        (
            "TATUM_KMS_AZURE_SECRETNAME",
            hide_identifier(env("TATUM_KMS_AZURE_SECRETNAME").as_deref()),
        ),
        (
            "TATUM_KMS_AZURE_VAULTURL",
            hide_identifier(env("TATUM_KMS_AZURE_VAULTURL").as_deref()),
        ),
        (
            "TATUM_KMS_AWS_REGION",
            env("TATUM_KMS_AWS_REGION").unwrap_or_else(|| "N/A".into()),
        ),
        (
            "TATUM_KMS_AWS_ACCESS_KEY_ID",
            hide_identifier(env("TATUM_KMS_AWS_ACCESS_KEY_ID").as_deref()),
        ),
        (
            "TATUM_KMS_AWS_SECRET_ACCESS_KEY",
            hide_secret(env("TATUM_KMS_AWS_SECRET_ACCESS_KEY").as_deref()),
        ),
        (
            "TATUM_KMS_AWS_SECRET_NAME",
            hide_identifier(env("TATUM_KMS_AWS_SECRET_NAME").as_deref()),
        ),
        (
            "TATUM_KMS_AWS_SECRET_KEY",
            hide_identifier(env("TATUM_KMS_AWS_SECRET_KEY").as_deref()),
        ),
        (
            "TATUM_KMS_DEBUG_MODE",
            env("TATUM_KMS_DEBUG_MODE").unwrap_or_else(|| "N/A".into()),
        ),
    ];
    let mut text = String::new();
    for (name, value) in rows {
        text.push_str(&format!("{name:<33}: {value}\n"));
    }
    output::write_stdout(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_the_original() {
        assert_eq!(hide_api_key(Some("test")), "****");
        assert_eq!(hide_api_key(None), "N/A");
        // 20 chars: 6 shown, 8 stars, then chars 13..18 (the last one dropped).
        assert_eq!(
            hide_api_key(Some("abcdefghijklmnopqrst")),
            "abcdef********nopqrs"
        );
        assert_eq!(hide_identifier(Some("my-secret-name")), "my-sec********");
        assert_eq!(hide_secret(Some("correct horse")), "********");
        assert_eq!(hide_secret(Some("")), "N/A");
    }
}
