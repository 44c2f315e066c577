//! `daemon`: argument checks of the original; the signing loop itself is not in this build.

use anyhow::{bail, Result};

use crate::cli::Flags;
use crate::settings::Settings;

/// Exit code the original (meow) uses for a missing required flag.
pub const USAGE_EXIT: i32 = 2;

pub fn run(_settings: &Settings, flags: &Flags) -> Result<()> {
    if !flags.testnet() && flags.external_url.as_deref().unwrap_or("").is_empty() {
        eprintln!("Missing required flag\n\t--external-url");
        std::process::exit(USAGE_EXIT);
    }
    bail!("the daemon (polling, signing and broadcasting pending transactions) is not part of this build yet")
}
