//! `daemon`: resolve the daemon's settings and run it (crate `kms-daemon`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use anyhow::{anyhow, Context, Result};
use kms_daemon::api::ExternalUrls;
use kms_daemon::{Daemon, DaemonConfig, FourEyeMethod};

use super::password;
use crate::cli::{DaemonArgs, Flags};
use crate::settings::{Settings, API_KEY_ENV};

/// Exit code the original (meow) uses for a missing required flag.
pub const USAGE_EXIT: i32 = 2;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn csv(list: Option<&str>) -> Option<Vec<String>> {
    list.map(|l| {
        l.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// Where the daemon keeps a file of its own (journal, audit log): beside the wallet file
/// (`wallet.dat.journal`). When that folder is not writable (a read-only mount, a wallet
/// owned by another user; the original daemon only reads there), in the user's state folder
/// instead, under a name tied to the wallet's path, so that one wallet always gets the same
/// journal. Said on stderr.
fn beside_wallet(wallet: &Path, suffix: &str, what: &str) -> PathBuf {
    let mut beside = wallet.as_os_str().to_os_string();
    beside.push(suffix);
    let beside = PathBuf::from(beside);
    let probe = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&beside);
    let denied = match probe {
        Ok(_) => false,
        Err(e) => matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
    };
    if !denied {
        return beside;
    }
    let Some(state) = env("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".local/state")))
    else {
        return beside;
    };
    let dir = state.join("tatum-kms");
    if std::fs::create_dir_all(&dir).is_err() {
        return beside;
    }
    let absolute = std::fs::canonicalize(wallet).unwrap_or_else(|_| wallet.to_path_buf());
    let tag = hex::encode(&Sha256::digest(absolute.as_os_str().as_encoded_bytes())[..8]);
    let name = wallet
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "wallet".into());
    let path = dir.join(format!("{name}-{tag}{suffix}"));
    eprintln!(
        "warning: {} is not writable; keeping the {what} in {}",
        beside.display(),
        path.display()
    );
    path
}

pub fn run(settings: &Settings, flags: &Flags, args: &DaemonArgs) -> Result<()> {
    if !flags.testnet() && flags.external_url.as_deref().unwrap_or("").is_empty() {
        eprintln!("Missing required flag\n\t--external-url");
        std::process::exit(USAGE_EXIT);
    }
    let api_key = env(API_KEY_ENV)
        .ok_or_else(|| anyhow!("Required TATUM_API_KEY is not set. Please set it as env variable or pass it as argument."))?;
    let chains = kms_daemon::parse_chains(flags.chain.as_deref())?;
    if flags.period == 0 {
        return Err(anyhow!("--period must be at least 1 second"));
    }
    let mut external = ExternalUrls::default();
    if let Some(u) = env("TATUM_KMS_POLYGON_GAS_STATION_URL") {
        external.polygon_gas_station = u;
    }
    if let Some(u) = env("TATUM_KMS_VECHAIN_NODE_URL") {
        external.vechain_mainnet = u.clone();
        external.vechain_testnet = u;
    }
    if let Some(u) = env("TATUM_KMS_FLOW_ACCESS_NODE_URL") {
        external.flow_mainnet = u.clone();
        external.flow_testnet = u;
    }
    let journal_path = match args.journal.clone() {
        Some(path) => path,
        None => beside_wallet(&settings.wallet_path, ".journal", "signing journal"),
    };
    let audit_path = match args.audit_log.clone() {
        Some(path) => path,
        None => beside_wallet(&settings.wallet_path, ".audit.log", "audit log"),
    };
    let policy = match &args.policy {
        Some(path) => Some(kms_policy::Policy::load(path)?),
        None => None,
    };
    let four_eye_secret = env("TATUM_KMS_FOUR_EYE_SECRET").map(kms_core::SecretString::new);
    let four_eye_require_signed_answer = match env("TATUM_KMS_FOUR_EYE_REQUIRE_SIGNED_ANSWER")
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("false") | Some("0") | Some("no") => false,
        Some("true") | Some("1") | Some("yes") => true,
        Some(other) => {
            return Err(anyhow!(
                "TATUM_KMS_FOUR_EYE_REQUIRE_SIGNED_ANSWER={other:?} is not true or false"
            ))
        }
    };
    if four_eye_require_signed_answer && four_eye_secret.is_none() {
        return Err(anyhow!(
            "TATUM_KMS_FOUR_EYE_REQUIRE_SIGNED_ANSWER needs TATUM_KMS_FOUR_EYE_SECRET"
        ));
    }
    let config = DaemonConfig {
        api_url: env("TATUM_API_URL").unwrap_or_else(|| "https://api.tatum.io".to_string()),
        api_key,
        network: settings.network,
        chains,
        period: Duration::from_secs(flags.period),
        external_url: flags.external_url.clone().filter(|u| !u.is_empty()),
        external_method: if flags.external_url_method.eq_ignore_ascii_case("POST") {
            FourEyeMethod::Post
        } else {
            FourEyeMethod::Get
        },
        run_once: flags.run_once.unwrap_or(false),
        wallets: csv(flags.wallets.as_deref()),
        transaction_ids: csv(flags.transaction_ids.as_deref()),
        journal_path,
        audit_path: Some(audit_path),
        metrics_addr: args.metrics_addr.clone(),
        log_json: args.log_json,
        http_timeout: Duration::from_secs(
            env("TATUM_KMS_HTTP_TIMEOUT_SECONDS")
                .and_then(|v| v.parse().ok())
                .unwrap_or(30),
        ),
        external,
        policy,
        four_eye_secret,
        four_eye_require_signed_answer,
    };
    for problem in kms_daemon::hardening::disable_core_dumps() {
        eprintln!("warning: {problem}");
    }
    // Files written by the original are usually 0644: a warning by default, so it stays a
    // drop-in; --strict-permissions makes it a refusal.
    if settings.wallet_path.exists() {
        if let Err(problem) = kms_daemon::hardening::check_wallet_permissions(&settings.wallet_path)
        {
            if args.strict_permissions {
                return Err(anyhow!(problem));
            }
            eprintln!("warning: {problem}");
        }
    }
    let password = password(settings)?;
    let mut daemon =
        Daemon::new(config, settings.store(), password).context("cannot start the daemon")?;
    let code = daemon.run()?;
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}
