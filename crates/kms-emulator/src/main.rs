//! `tatum-emulator`: run a local Tatum API. Prints `listening on http://127.0.0.1:PORT`.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use kms_emulator::{Emulator, Scenario};

/// A local Tatum API for tatum-kms: serves pending transactions from a scenario file,
/// accepts broadcasts and error reports, answers node calls, records every request.
#[derive(Parser)]
#[command(name = "tatum-emulator", version)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port; the chosen one is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Scenario file (the recorded cases' mock_config.json format).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Require this x-api-key on API calls (default: accept any).
    #[arg(long = "api-key", env = "TATUM_EMULATOR_API_KEY")]
    api_key: Option<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let scenario: Scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a scenario", path.display()))?
        }
        None => Scenario::default(),
    };
    let emulator = Emulator::start(&format!("127.0.0.1:{}", args.port), scenario, args.api_key)
        .map_err(anyhow::Error::msg)?;
    println!("listening on {}", emulator.url());
    loop {
        std::thread::park();
    }
}
