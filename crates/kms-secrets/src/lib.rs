//! Where the wallet password and typed-in secrets come from.
//!
//! The password comes from `TATUM_KMS_PASSWORD`, else from a hidden prompt on the
//! controlling terminal; with neither, it is a clear error (never a wait on a closed stdin).
//! Secrets to store (mnemonics, private keys) come from a hidden prompt on a terminal, or
//! from standard input when it is a pipe, never from arguments or the environment.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

pub mod aws;
pub mod azure;
pub mod vault;
pub mod vgs;

use kms_core::SecretString;
use zeroize::Zeroizing;

/// The original's `--aws` / `--azure` / `--vgs` choice (first one set wins, in that order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordSource {
    /// `TATUM_KMS_PASSWORD` or the hidden prompt.
    Local,
    Aws,
    Azure,
    Vgs,
    /// HashiCorp Vault / OpenBao KV v2 (not in the original).
    Vault,
}

impl PasswordSource {
    /// The store type name the original prints in `checkconfig` and `report`.
    pub fn store_type(self) -> &'static str {
        match self {
            PasswordSource::Local => "LOCAL",
            PasswordSource::Aws => "AWS",
            PasswordSource::Azure => "AZURE",
            PasswordSource::Vgs => "VGS",
            PasswordSource::Vault => "VAULT",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("no wallet password: set TATUM_KMS_PASSWORD or run on a terminal to be asked for it")]
    NoPassword,
    #[error("the wallet password is empty")]
    EmptyPassword,
    #[error("password source not configured: {0}")]
    Config(String),
    #[error("{0}")]
    Store(String),
    #[error("cannot reach {what}: {reason}")]
    Unreachable { what: String, reason: String },
    #[error("no {what} given: {how}")]
    NoInput {
        what: &'static str,
        how: &'static str,
    },
    #[error("cannot read {what}: {source}")]
    Read {
        what: &'static str,
        source: std::io::Error,
    },
}

pub const PASSWORD_ENV: &str = "TATUM_KMS_PASSWORD";
const PASSWORD_PROMPT: &str =
    "Enter password to access wallet store (or set env var TATUM_KMS_PASSWORD):";

/// Reads a configuration variable; empty counts as unset.
pub type Env = dyn Fn(&str) -> Option<String>;

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The wallet password from the chosen source, configured by the process environment.
pub fn wallet_password(source: PasswordSource) -> Result<SecretString, SecretsError> {
    password_from(source, &process_env)
}

/// The wallet password from the chosen source, configured by `env`.
pub fn password_from(source: PasswordSource, env: &Env) -> Result<SecretString, SecretsError> {
    match source {
        PasswordSource::Local => local_password(),
        PasswordSource::Aws => aws::password(env),
        PasswordSource::Azure => azure::password(env),
        PasswordSource::Vgs => vgs::password(env),
        PasswordSource::Vault => vault::password(env),
    }
}

/// One HTTP client setting for every secret store: TLS through rustls with the system's
/// root certificates, 15 s per request, statuses as values.
pub(crate) fn http_agent() -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Sends a request, and once more after a short pause when the first try failed in a way
/// that may pass (no connection, timeout, 429, 5xx).
pub(crate) fn call(
    send: impl Fn() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    what: &str,
) -> Result<(u16, String), SecretsError> {
    match read(send(), what) {
        Ok((status, _)) if status == 429 || (500..600).contains(&status) => {}
        Err(SecretsError::Unreachable { .. }) => {}
        done => return done,
    }
    std::thread::sleep(Duration::from_millis(500));
    read(send(), what)
}

/// How a secret store names things in its errors.
pub(crate) struct Refusal<'a> {
    /// e.g. `VGS`, `Azure Key Vault`.
    pub source: &'a str,
    /// What was asked for, e.g. `alias 'tok_1'`.
    pub subject: String,
    /// The message for 401/403, without the status.
    pub refused: String,
}

/// `GET url` with an `Authorization` header (retried once on a transient failure), the
/// answer's status mapped to the store's errors, and the JSON body on 200.
pub(crate) fn get_authorized_json(
    url: &str,
    authorization: &str,
    r: Refusal<'_>,
) -> Result<serde_json::Value, SecretsError> {
    let (status, text) = call(
        || {
            http_agent()
                .get(url)
                .header("authorization", authorization)
                .call()
        },
        &format!("{} at {url}", r.source),
    )?;
    let text = Zeroizing::new(text);
    match status {
        200 => serde_json::from_str(&text)
            .map_err(|_| SecretsError::Store(format!("the {} answer is not JSON", r.source))),
        401 | 403 => Err(SecretsError::Store(format!(
            "{} (HTTP {status})",
            r.refused
        ))),
        404 => Err(SecretsError::Store(format!(
            "{} {} does not exist",
            r.source, r.subject
        ))),
        other => Err(SecretsError::Store(format!(
            "{} answered HTTP {other} for {}",
            r.source, r.subject
        ))),
    }
}

/// Status and body of an answer, or why there was none.
pub(crate) fn read(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    what: &str,
) -> Result<(u16, String), SecretsError> {
    let mut response = response.map_err(|e| SecretsError::Unreachable {
        what: what.to_string(),
        reason: e.to_string(),
    })?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| SecretsError::Unreachable {
            what: what.to_string(),
            reason: e.to_string(),
        })?;
    Ok((status, text))
}

fn local_password() -> Result<SecretString, SecretsError> {
    if let Some(value) = std::env::var_os(PASSWORD_ENV) {
        // As in the original, an empty variable counts as unset.
        if !value.is_empty() {
            return Ok(SecretString::new(value.to_string_lossy().into_owned()));
        }
    }
    // rpassword reads from the controlling terminal, not stdin; with none, it fails fast.
    let typed =
        rpassword::prompt_password(PASSWORD_PROMPT).map_err(|_| SecretsError::NoPassword)?;
    let typed = SecretString::new(typed);
    if typed.is_empty() {
        return Err(SecretsError::EmptyPassword);
    }
    Ok(typed)
}

/// A secret typed by the user: a hidden prompt when stdin is a terminal, else the first
/// line of stdin (for automation: `echo "$MNEMONIC" | tatum-kms storemanagedwallet BTC`).
pub fn read_secret(prompt: &str, what: &'static str) -> Result<SecretString, SecretsError> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password(prompt)
                .map_err(|source| SecretsError::Read { what, source })?,
        )
    } else {
        let mut line = Zeroizing::new(String::new());
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|source| SecretsError::Read { what, source })?;
        line
    };
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Err(SecretsError::NoInput {
            what,
            how: "type it at the prompt, or pipe it on standard input",
        });
    }
    Ok(SecretString::from(trimmed))
}
