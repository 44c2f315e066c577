//! Turns what was typed into what it means, once: environment files loaded, wallet path
//! resolved, password source chosen. Commands receive a [`Settings`].

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kms_core::Network;
use kms_secrets::PasswordSource;
use kms_store::{Format, KdfParams, WalletStore};

use crate::cli::Flags;

pub const API_KEY_ENV: &str = "TATUM_API_KEY";
/// `legacy` or `v2` (default): the format a command creates a missing wallet file in.
pub const NEW_FILE_FORMAT_ENV: &str = "TATUM_KMS_NEW_FILE_FORMAT";
/// `test`: tiny Argon2id parameters for new v2 files and password changes (tests only).
pub const V2_KDF_ENV: &str = "TATUM_KMS_V2_KDF";

pub struct Settings {
    pub network: Network,
    pub wallet_path: PathBuf,
    pub env_file: PathBuf,
    pub password_source: PasswordSource,
    pub new_file_format: Format,
    pub kdf: KdfParams,
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
            new_file_format: new_file_format()?,
            kdf: kdf_params()?,
        })
    }

    pub fn store(&self) -> WalletStore {
        WalletStore::new(&self.wallet_path)
            .with_new_file_format(self.new_file_format)
            .with_kdf(self.kdf)
    }
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn new_file_format() -> Result<Format> {
    match env_value(NEW_FILE_FORMAT_ENV) {
        None => Ok(Format::V2),
        Some(v) => v
            .parse()
            .map_err(|e: String| anyhow::anyhow!("{NEW_FILE_FORMAT_ENV}: {e}")),
    }
}

fn kdf_params() -> Result<KdfParams> {
    match env_value(V2_KDF_ENV).as_deref().map(str::trim) {
        None | Some("default") => Ok(KdfParams::DEFAULT),
        Some("test") => Ok(KdfParams::TEST),
        Some(other) => Err(anyhow::anyhow!(
            "{V2_KDF_ENV}: unknown value '{other}': expected 'default' or 'test'"
        )),
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
