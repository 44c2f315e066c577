//! Turns what was typed into what it means, once: environment files loaded, wallet path
//! resolved, password source chosen. Commands receive a [`Settings`].

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kms_core::Network;
use kms_secrets::PasswordSource;
use kms_store::WalletStore;

use crate::cli::Flags;

pub const API_KEY_ENV: &str = "TATUM_API_KEY";

pub struct Settings {
    pub network: Network,
    pub wallet_path: PathBuf,
    pub env_file: PathBuf,
    pub password_source: PasswordSource,
}

impl Settings {
    /// Loads configuration like the original: the process environment wins, then `.env`
    /// in the working directory, then `--envFile` (default `~/.tatumrc/.env`); `--apiKey`
    /// overrides `TATUM_API_KEY`.
    pub fn resolve(flags: &Flags) -> Result<Self> {
        let home = home_dir();
        load_env_file(Path::new(".env"))?;
        let env_file = flags
            .env_file
            .clone()
            .unwrap_or_else(|| home.join(".tatumrc").join(".env"));
        load_env_file(&env_file)?;
        if let Some(key) = flags.api_key.as_deref().filter(|k| !k.is_empty()) {
            // Single-threaded at this point: nothing else reads the environment yet.
            std::env::set_var(API_KEY_ENV, key);
        }
        let wallet_path = flags
            .path
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| home.join(".tatumrc").join("wallet.dat"));
        Ok(Self {
            network: Network::from_testnet(flags.testnet()),
            wallet_path,
            env_file,
            password_source: password_source(flags),
        })
    }

    pub fn store(&self) -> WalletStore {
        WalletStore::new(&self.wallet_path)
    }
}

/// `--aws`, then `--azure`, then `--vgs`, as the original checks them; then `--vault`.
fn password_source(flags: &Flags) -> PasswordSource {
    if flags.aws == Some(true) {
        PasswordSource::Aws
    } else if flags.azure == Some(true) {
        PasswordSource::Azure
    } else if flags.vgs == Some(true) {
        PasswordSource::Vgs
    } else if flags.vault == Some(true) {
        PasswordSource::Vault
    } else {
        PasswordSource::Local
    }
}

fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(std::env::home_dir)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// Sets the variables of a dotenv file that are not set yet. A missing file is fine.
fn load_env_file(path: &Path) -> Result<()> {
    if !path.is_file() {
        return Ok(());
    }
    dotenvy::from_path(path)
        .with_context(|| format!("cannot read environment file {}", path.display()))
}
