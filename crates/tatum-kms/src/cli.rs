//! The command line, defined once: the original's commands and flags, each flag under its
//! camelCase name with the kebab-case spelling as an alias (`--apiKey`, `--api-key`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Configuration is read from the environment, then from .env in the working directory, then from \
~/.tatumrc/.env (or --envFile). The wallet password comes from TATUM_KMS_PASSWORD or a hidden \
prompt. Secrets to store are asked at a hidden prompt, or read from standard input when it is a pipe. \
New wallet files are in the v2 format (TATUM_KMS_NEW_FILE_FORMAT=legacy creates the original's \
format instead); an existing file keeps its format until `tatum-kms migrate`.";

#[derive(Debug, Parser)]
#[command(
    name = "tatum-kms",
    version,
    about = "Tatum Key Management System: keeps wallet secrets encrypted and signs Tatum pending transactions.",
    after_help = AFTER_HELP,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub flags: Flags,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run as a daemon, which periodically checks for new transactions to sign.
    #[command(name = "daemon")]
    Daemon(DaemonArgs),
    /// Generate a wallet for a blockchain and print it (nothing is stored).
    #[command(name = "generatewallet")]
    GenerateWallet { chain: String },
    /// Generate a wallet for a blockchain and add it to the managed wallets.
    #[command(name = "generatemanagedwallet")]
    GenerateManagedWallet { chain: String },
    /// Store a mnemonic-based wallet (mnemonic asked at a hidden prompt, or read from a stdin pipe).
    #[command(name = "storemanagedwallet")]
    StoreManagedWallet { chain: String },
    /// Store a private key (asked at a hidden prompt, or read from a stdin pipe).
    #[command(name = "storemanagedprivatekey")]
    StoreManagedPrivateKey { chain: String },
    /// Generate and store CNT private keys for a blockchain, to pregenerate managed keys.
    #[command(name = "generatemanagedprivatekeybatch")]
    GenerateManagedPrivateKeyBatch { chain: String, cnt: String },
    /// Print the private key of a managed wallet at derivation index I (default 0).
    #[command(name = "getprivatekey")]
    GetPrivateKey {
        #[arg(value_name = "SIGNATURE_ID")]
        signature_id: String,
        #[arg(value_name = "I", allow_negative_numbers = true)]
        index: Option<String>,
    },
    /// Print the address of a managed wallet at derivation index I (default 0).
    #[command(name = "getaddress")]
    GetAddress {
        #[arg(value_name = "SIGNATURE_ID")]
        signature_id: String,
        #[arg(value_name = "I", allow_negative_numbers = true)]
        index: Option<String>,
    },
    /// Print a managed wallet / private key from the wallet store.
    #[command(name = "getmanagedwallet")]
    GetManagedWallet {
        #[arg(value_name = "SIGNATURE_ID")]
        signature_id: String,
    },
    /// Remove a managed wallet from the wallet store.
    #[command(name = "removewallet")]
    RemoveWallet {
        #[arg(value_name = "SIGNATURE_ID")]
        signature_id: String,
    },
    /// Export all managed wallets.
    #[command(name = "export")]
    Export,
    /// Show the environment variables tatum-kms uses (secrets masked).
    #[command(name = "checkconfig")]
    CheckConfig,
    /// Audit log tools: `audit verify FILE` checks its hash chain.
    #[command(name = "audit")]
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Signing policy tools: `policy check FILE` validates a policy, `policy test FILE
    /// CASES.json` prints the decision for each case (docs/POLICY.md).
    #[command(name = "policy")]
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// Convert the wallet file to another format (default v2), keeping the old file as
    /// `<file>.bak-<unix time>`.
    #[command(name = "migrate")]
    Migrate {
        /// Target format: v2 or legacy.
        #[arg(long, default_value = "v2", value_name = "FORMAT")]
        to: String,
    },
    /// Change the wallet password (the new one is asked twice, or read from
    /// TATUM_KMS_NEW_PASSWORD).
    #[command(name = "changepassword")]
    ChangePassword,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(name = "completions")]
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `tatum-kms manpage > tatum-kms.1`.
    #[command(name = "manpage")]
    Manpage,
    /// Show a report of the system and the requested wallets, with warnings.
    #[command(name = "report")]
    Report {
        /// Comma-separated signature ids.
        #[arg(value_name = "SIGNATURE_IDS")]
        ids: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check the hash chain of an audit log; names the first broken line.
    Verify {
        #[arg(value_name = "FILE")]
        path: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyAction {
    /// Check a policy file; prints its rules, or the first error with its line and rule.
    Check {
        #[arg(value_name = "FILE")]
        path: PathBuf,
    },
    /// Evaluate the cases of a JSON file against a policy; one JSON line per case.
    Test {
        #[arg(value_name = "FILE")]
        path: PathBuf,
        #[arg(value_name = "CASES")]
        cases: PathBuf,
    },
}

/// Options of the daemon that the original does not have.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Serve Prometheus /metrics and /healthz on this address (e.g. 127.0.0.1:9100).
    #[arg(long = "metrics-addr", alias = "metricsAddr", value_name = "ADDR")]
    pub metrics_addr: Option<String>,
    /// Log one JSON object per line instead of text.
    #[arg(long = "log-json", alias = "logJson")]
    pub log_json: bool,
    /// Signing journal file (default: the wallet file's path + `.journal`).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Refuse to start when other users can read the wallet file (default: a warning).
    #[arg(long = "strict-permissions")]
    pub strict_permissions: bool,
    /// Hash-chained audit log (default: the wallet file's path + `.audit.log`).
    #[arg(long = "audit-log", alias = "auditLog", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Signing policy (TOML, docs/POLICY.md): every transaction is decoded and signed only
    /// when the policy allows it; others are reported and not signed.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Flags {
    /// Tatum API Key to communicate with Tatum API (overrides TATUM_API_KEY).
    #[arg(
        long = "apiKey",
        visible_alias = "api-key",
        global = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,

    /// Use the testnet version of the blockchain. Mainnet by default.
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub testnet: Option<bool>,

    /// Custom path to the wallet store file (default ~/.tatumrc/wallet.dat).
    #[arg(long, global = true, value_name = "FILE")]
    pub path: Option<PathBuf>,

    /// Period in seconds to check for new transactions to sign. Daemon mode only.
    #[arg(long, global = true, default_value_t = 5, value_name = "SECONDS")]
    pub period: u64,

    /// Blockchains to check, separated by comma. Daemon mode only.
    #[arg(long, global = true, value_name = "CHAINS")]
    pub chain: Option<String>,

    /// Path to a .env file to set variables (instead of ~/.tatumrc/.env).
    #[arg(
        long = "envFile",
        visible_alias = "env-file",
        global = true,
        value_name = "FILE"
    )]
    pub env_file: Option<PathBuf>,

    /// Read the wallet password from AWS Secrets Manager.
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub aws: Option<bool>,

    /// Read the wallet password from VGS.
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub vgs: Option<bool>,

    /// Read the wallet password from Azure Key Vault.
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub azure: Option<bool>,

    /// Read the wallet password from HashiCorp Vault / OpenBao (KV v2; TATUM_KMS_VAULT_*).
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub vault: Option<bool>,

    /// URL of the four-eye service that must approve each transaction. Required on mainnet. Daemon mode only.
    #[arg(
        long = "externalUrl",
        visible_alias = "external-url",
        global = true,
        value_name = "URL"
    )]
    pub external_url: Option<String>,

    /// HTTP method for the --externalUrl call: GET or POST. Daemon mode only.
    #[arg(
        long = "externalUrlMethod",
        visible_alias = "external-url-method",
        global = true,
        default_value = "GET",
        value_parser = ["GET", "POST"],
        ignore_case = true,
        value_name = "METHOD"
    )]
    pub external_url_method: String,

    /// Check for new transactions once, then exit. Daemon mode only.
    #[arg(long = "runOnce", visible_alias = "run-once", global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub run_once: Option<bool>,

    /// With --runOnce, fetch and sign only for these comma-separated wallet ids.
    #[arg(long, global = true, value_name = "IDS")]
    pub wallets: Option<String>,

    /// With --runOnce, sign only these comma-separated pending transaction ids.
    #[arg(
        long = "transactionIds",
        visible_alias = "transaction-ids",
        global = true,
        value_name = "IDS"
    )]
    pub transaction_ids: Option<String>,
}

impl Flags {
    pub fn testnet(&self) -> bool {
        self.testnet.unwrap_or(false)
    }
}
