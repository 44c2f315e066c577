//! One function per command; each takes the resolved [`Settings`].

pub mod audit;
pub mod checkconfig;
pub mod daemon;
pub mod policy;
pub mod read;
pub mod report;
pub mod store;
pub mod write;

use anyhow::{anyhow, Context, Result};
use kms_core::{Chain, DerivationIndex, Network, SecretString, WalletEntry};
use kms_store::{Format, StoreError, Wallets};
use zeroize::Zeroizing;

use crate::settings::Settings;

pub fn password(settings: &Settings) -> Result<SecretString> {
    Ok(kms_secrets::wallet_password(settings.password_source)?)
}

pub fn parse_chain(text: &str) -> Result<Chain> {
    Ok(text.parse::<Chain>()?)
}

/// The index argument; absent means 0 (the original's `parseInt(undefined)` ends up there
/// for account chains).
pub fn parse_index(text: Option<&str>) -> Result<DerivationIndex> {
    match text {
        None => Ok(DerivationIndex::new(0)?),
        Some(t) => Ok(t.parse::<DerivationIndex>()?),
    }
}

/// 32 bytes from the operating system's CSPRNG.
pub fn entropy() -> Result<Zeroizing<[u8; 32]>> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut())
        .map_err(|e| anyhow!("no randomness from the operating system: {e}"))?;
    Ok(bytes)
}

/// A new signature id: a random UUID v4, as the original's `uuid()`.
pub fn new_signature_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn no_such_wallet(id: &str) -> anyhow::Error {
    anyhow!("No such wallet for signatureId '{id}'.")
}

/// One line on stderr when the wallet file is in the legacy format.
pub fn warn_if_legacy(settings: &Settings) {
    if let Ok(Some(Format::Legacy)) = settings.store().format() {
        let name = settings
            .wallet_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "wallet.dat".into());
        eprintln!("warning: {name} is in the legacy format; run 'tatum-kms migrate' to upgrade");
    }
}

/// Reads the whole store; a missing file is reported with its path.
pub fn read_store(settings: &Settings, password: &SecretString) -> Result<Wallets> {
    match settings.store().read(password) {
        Ok(w) => Ok(w),
        Err(e @ StoreError::NotFound(_)) => Err(anyhow!("No such wallet file: {e}")),
        Err(e) => Err(e.into()),
    }
}

/// One wallet by signatureId (a v2 file reads that row only); a missing file or id is
/// reported like the original does.
pub fn read_entry(settings: &Settings, password: &SecretString, id: &str) -> Result<WalletEntry> {
    match settings.store().get(password, id) {
        Ok(Some(entry)) => Ok(entry),
        Ok(None) => Err(no_such_wallet(id)),
        Err(e @ StoreError::NotFound(_)) => Err(anyhow!("No such wallet file: {e}")),
        Err(e) => Err(e.into()),
    }
}

/// The chain and network an entry was stored for.
pub fn entry_chain(entry: &WalletEntry, id: &str) -> Result<(Chain, Network)> {
    let code = entry
        .chain_code()
        .ok_or_else(|| anyhow!("wallet {id} has no chain field"))?;
    let chain: Chain = code.parse().with_context(|| format!("wallet {id}"))?;
    Ok((
        chain,
        Network::from_testnet(entry.testnet().unwrap_or(false)),
    ))
}
