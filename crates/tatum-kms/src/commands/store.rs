//! Commands on the wallet file as a whole: `migrate` and `changepassword`.

use anyhow::{anyhow, Context, Result};
use kms_core::SecretString;
use kms_store::Format;

use super::password;
use crate::output;
use crate::settings::Settings;

/// The non-interactive source of the new password for `changepassword`.
pub const NEW_PASSWORD_ENV: &str = "TATUM_KMS_NEW_PASSWORD";

pub fn migrate(settings: &Settings, to: &str) -> Result<()> {
    let to: Format = to.parse().map_err(|e: String| anyhow!(e))?;
    let password = password(settings)?;
    let done = settings.store().migrate(&password, to)?;
    output::print_pretty(&serde_json::json!({
        "from": done.from.name(),
        "to": done.to.name(),
        "wallets": done.wallets,
        "path": settings.wallet_path.display().to_string(),
        "backup": done.backup.display().to_string(),
    }))
}

pub fn change_password(settings: &Settings) -> Result<()> {
    let store = settings.store();
    if !store.exists() {
        return Err(anyhow!(
            "No such wallet file: no wallet file at {}",
            settings.wallet_path.display()
        ));
    }
    let old = password(settings)?;
    let new = new_password()?;
    if new.expose() == old.expose() {
        return Err(anyhow!("the new password is the same as the current one"));
    }
    let format = store.change_password(&old, &new)?;
    output::print_pretty(&serde_json::json!({
        "passwordChanged": true,
        "format": format.name(),
    }))
}

/// `TATUM_KMS_NEW_PASSWORD` when set (automation), else asked twice at a hidden prompt on
/// the controlling terminal.
fn new_password() -> Result<SecretString> {
    if let Some(value) = std::env::var_os(NEW_PASSWORD_ENV) {
        let value = value
            .into_string()
            .map_err(|_| anyhow!("{NEW_PASSWORD_ENV} is not valid UTF-8"))?;
        let value = SecretString::new(value);
        if value.is_empty() {
            return Err(anyhow!("{NEW_PASSWORD_ENV} is empty"));
        }
        return Ok(value);
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(SecretString::new)
            .with_context(|| {
                format!("no terminal to ask the new password on; set {NEW_PASSWORD_ENV}")
            })
    };
    let first = ask("New wallet password: ")?;
    if first.is_empty() {
        return Err(anyhow!("the new password is empty"));
    }
    let second = ask("Repeat the new password: ")?;
    if first != second {
        return Err(anyhow!("the two new passwords differ; nothing was changed"));
    }
    Ok(first)
}
