//! `tatum-kms`: parse the command line, resolve settings once, run one command.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod output;
mod settings;

use anyhow::Result;
use clap::{CommandFactory, Parser};

use cli::{Cli, Command};
use settings::Settings;

fn run(cli: Cli) -> Result<()> {
    let Some(command) = cli.command else {
        // The original prints its help and exits 0 when no command is given.
        let help = Cli::command().render_help().to_string();
        return output::write_stdout(format!("{help}\n").as_bytes());
    };
    // Generated from the CLI definition; they need no configuration.
    match &command {
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "tatum-kms", &mut buf);
            return output::write_stdout(&buf);
        }
        Command::Manpage => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            return output::write_stdout(&buf);
        }
        // Works on files named on the command line; needs no wallet or configuration.
        Command::Policy { action } => return commands::policy::run(action),
        _ => {}
    }
    let settings = Settings::resolve(&cli.flags)?;
    let s = &settings;
    if !matches!(
        command,
        Command::GenerateWallet { .. } | Command::CheckConfig | Command::Migrate { .. }
    ) {
        commands::warn_if_legacy(s);
    }
    match &command {
        Command::Daemon(args) => commands::daemon::run(s, &cli.flags, args),
        Command::GenerateWallet { chain } => commands::write::generate_wallet(s, chain),
        Command::GenerateManagedWallet { chain } => {
            commands::write::generate_managed_wallet(s, chain)
        }
        Command::StoreManagedWallet { chain } => commands::write::store_managed_wallet(s, chain),
        Command::StoreManagedPrivateKey { chain } => {
            commands::write::store_managed_private_key(s, chain)
        }
        Command::GenerateManagedPrivateKeyBatch { chain, cnt } => {
            commands::write::generate_managed_private_key_batch(s, chain, cnt)
        }
        Command::GetPrivateKey {
            signature_id,
            index,
        } => commands::read::get_private_key(s, signature_id, index.as_deref()),
        Command::GetAddress {
            signature_id,
            index,
        } => commands::read::get_address(s, signature_id, index.as_deref()),
        Command::GetManagedWallet { signature_id } => {
            commands::read::get_managed_wallet(s, signature_id)
        }
        Command::RemoveWallet { signature_id } => commands::write::remove_wallet(s, signature_id),
        Command::Export => commands::read::export(s),
        Command::CheckConfig => commands::checkconfig::run(s),
        Command::Report { ids } => commands::report::run(s, ids.as_deref()),
        Command::Migrate { to } => commands::store::migrate(s, to),
        Command::ChangePassword => commands::store::change_password(s),
        Command::Audit { action } => commands::audit::run(action),
        Command::Completions { .. } | Command::Manpage | Command::Policy { .. } => Ok(()),
    }
}

fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        // One message, with its causes, as the original's `{"error": ...}` JSON.
        let message = error
            .chain()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        output::print_error(&message);
        std::process::exit(1);
    }
}
