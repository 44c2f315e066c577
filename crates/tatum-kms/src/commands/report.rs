//! `report <id,id,...>`: the original's system and wallet report.

use anyhow::Result;
use kms_core::{EntryKind, WalletEntry};
use serde_json::{json, Map, Value};

use super::{password, read_store};
use crate::commands::checkconfig::hide_api_key;
use crate::output;
use crate::settings::{Settings, API_KEY_ENV};

/// `validateWallet`: field type warnings for the entry's kind.
fn warnings_for(entry: &WalletEntry) -> (EntryKind, Vec<String>) {
    let kind = entry.kind();
    let (strings, boolean): (&[&str], &str) = match kind {
        EntryKind::Mnemonic => (&["chain", "mnemonic", "xpub"], "testnet"),
        EntryKind::PrivateKey => (&["chain", "privateKey"], "testnet"),
        EntryKind::Secret => (&["chain", "secret"], "testnet"),
        EntryKind::Other => {
            return (
                kind,
                vec![
                    "Wallet type is not recognized. Mnemonic, privateKey or secret are absent"
                        .into(),
                ],
            )
        }
    };
    let mut warnings = Vec::new();
    for field in strings {
        let t = entry.field_type(field);
        if t != "string" {
            warnings.push(format!("Field '{field}' is not string. Its type is: {t}"));
        }
    }
    let t = entry.field_type(boolean);
    if t != "boolean" {
        warnings.push(format!(
            "Field '{boolean}' is not boolean. Its type is: {t}"
        ));
    }
    (kind, warnings)
}

pub fn run(settings: &Settings, ids: Option<&str>) -> Result<()> {
    let ids: Vec<&str> = ids
        .map(|csv| {
            csv.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let password = password(settings)?;
    let exists = settings.wallet_path.exists();
    let wallets = if exists {
        Some(read_store(settings, &password)?)
    } else {
        None
    };

    let mut system_warnings: Vec<String> = Vec::new();
    let mut reports = Map::new();
    for id in ids {
        let Some(entry) = wallets.as_ref().and_then(|w| w.get(id)) else {
            system_warnings.push(format!("No wallet found for signatureId: {id}"));
            continue;
        };
        if !entry.is_object() {
            system_warnings.push(format!(
                "Wallet for signatureId: {id} is not an object. Its type is: {}",
                json_type(entry.as_json())
            ));
            continue;
        }
        let (kind, warnings) = warnings_for(entry);
        let mut report = Map::new();
        report.insert("type".into(), kind.as_str().into());
        report.insert(
            "chain".into(),
            entry.as_json().get("chain").cloned().unwrap_or(Value::Null),
        );
        report.insert(
            "testnet".into(),
            entry
                .as_json()
                .get("testnet")
                .cloned()
                .unwrap_or(Value::Null),
        );
        if !warnings.is_empty() {
            report.insert("warnings".into(), warnings.into());
        }
        reports.insert(id.to_string(), Value::Object(report));
    }

    let mut out = Map::new();
    out.insert(
        "system".into(),
        json!({
            "kmsVersion": env!("CARGO_PKG_VERSION"),
            "nodeVersion": "N/A",
            "store": { "type": settings.password_source.store_type(), "exists": exists },
        }),
    );
    out.insert("wallets".into(), Value::Object(reports));
    out.insert(
        "apiKey".into(),
        hide_api_key(std::env::var(API_KEY_ENV).ok().as_deref()).into(),
    );
    if !system_warnings.is_empty() {
        out.insert("warnings".into(), system_warnings.into());
    }
    output::print_pretty(&out)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null | Value::Array(_) | Value::Object(_) => "object",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
    }
}
