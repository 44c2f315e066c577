//! The tatum-kms daemon: every `period` it asks the Tatum API for the pending transactions
//! of the store's wallets, has each approved by the four-eye service when one is set,
//! signs it (once: see [`journal`]), broadcasts it, and reports failures to the API's
//! error batch. Transactions are processed one at a time, as the original does, with
//! blocking HTTP: simple to reason about, and signing never overlaps itself.
//!
//! With a signing policy (`--policy`) or a four-eye secret, each transaction is first
//! decoded (`kms_chains::decode`); one that cannot be decoded, or that the policy refuses,
//! is not signed and is reported like any other failure. Without them nothing changes.
#![forbid(unsafe_code)]

pub mod api;
pub mod audit;
pub mod foureye;
pub mod hardening;
pub mod journal;
pub mod log;
pub mod metrics;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use kms_chains::decode::{self, DecodedView};
use kms_chains::node::Broadcast;
use kms_chains::signing::{self, SignContext, SignError};
use kms_core::{Chain, Network, PendingTransaction, SecretString};
use kms_store::{WalletStore, Wallets};
use serde_json::{json, Value};

use api::{report_message, ExternalUrls, TatumApi};
use journal::Journal;
use log::Logger;
use metrics::Metrics;

/// The original limits one poll to 25,000 ids; larger stores are split (not skipped).
pub const MAX_IDS_PER_POLL: usize = 25_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FourEyeMethod {
    Get,
    Post,
}

#[derive(Clone, Debug)]
pub struct DaemonConfig {
    pub api_url: String,
    pub api_key: String,
    pub network: Network,
    /// Chains to poll, in order.
    pub chains: Vec<Chain>,
    pub period: Duration,
    pub external_url: Option<String>,
    pub external_method: FourEyeMethod,
    pub run_once: bool,
    pub wallets: Option<Vec<String>>,
    pub transaction_ids: Option<Vec<String>>,
    pub journal_path: PathBuf,
    /// Hash-chained audit log of every decision (see [`audit`]).
    pub audit_path: Option<PathBuf>,
    pub metrics_addr: Option<String>,
    pub log_json: bool,
    pub http_timeout: Duration,
    pub external: ExternalUrls,
    /// The signing policy (`--policy FILE`): decode, then allow or deny before four-eye.
    pub policy: Option<kms_policy::Policy>,
    /// `TATUM_KMS_FOUR_EYE_SECRET`: sign four-eye requests (and send the decoded view).
    pub four_eye_secret: Option<SecretString>,
    /// `TATUM_KMS_FOUR_EYE_REQUIRE_SIGNED_ANSWER`: approve only answers carrying
    /// `X-Tatum-KMS-Approval` (needs the secret).
    pub four_eye_require_signed_answer: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] kms_store::StoreError),
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("metrics endpoint: {0}")]
    Metrics(String),
    #[error("the Tatum API could not be reached: {0}")]
    Unreachable(String),
}

/// The outcome of one pass over every chain.
#[derive(Debug, Default)]
pub struct PassReport {
    pub polls_ok: usize,
    pub polls_failed: usize,
    pub last_poll_error: Option<String>,
    pub signed: usize,
    pub failed: usize,
}

pub struct Daemon {
    config: DaemonConfig,
    api: TatumApi,
    four_eye: ureq::Agent,
    store: WalletStore,
    password: SecretString,
    wallets: Wallets,
    wallets_stamp: Option<(SystemTime, u64)>,
    journal: Journal,
    audit: Option<audit::AuditLog>,
    log: Logger,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
}

impl Daemon {
    /// Decrypts the store once (a wrong password stops here) and opens the journal.
    pub fn new(
        config: DaemonConfig,
        store: WalletStore,
        password: SecretString,
    ) -> Result<Self, DaemonError> {
        let wallets = store.read(&password)?;
        let wallets_stamp = stamp(&store);
        let journal = Journal::open(&config.journal_path)?;
        let audit = match &config.audit_path {
            Some(path) => Some(audit::AuditLog::open(path)?),
            None => None,
        };
        let api = TatumApi::new(
            &config.api_url,
            &config.api_key,
            config.http_timeout,
            config.external.clone(),
        );
        let four_eye = api::agent(config.http_timeout);
        let log = Logger {
            json: config.log_json,
        };
        Ok(Self {
            config,
            api,
            four_eye,
            store,
            password,
            wallets,
            wallets_stamp,
            journal,
            audit,
            log,
            metrics: Arc::new(Metrics::default()),
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    fn audit(&mut self, event: &str, id: &str, chain: Chain, fields: Value) {
        if let Some(log) = self.audit.as_mut() {
            if let Err(e) = log.record(event, id, chain.code(), fields) {
                self.log.error("audit", &e.to_string(), json!({"id": id}));
            }
        }
    }

    /// Set to stop after the transaction in hand (SIGINT/SIGTERM).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Runs until stopped (or one pass with `run_once`). The exit code: 0 when the pass ran,
    /// 1 when `--runOnce` could not reach the API at all.
    pub fn run(&mut self) -> Result<i32, DaemonError> {
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&self.stop)) {
                self.log.warn(
                    "signals",
                    &format!("Cannot handle signal {signal}: {e}"),
                    json!({}),
                );
            }
        }
        if let Some(addr) = self.config.metrics_addr.clone() {
            let bound = self.metrics.serve(&addr).map_err(DaemonError::Metrics)?;
            self.log.info(
                "metrics",
                &format!("Serving /metrics and /healthz on http://{bound}"),
                json!({"addr": bound.to_string()}),
            );
        }
        loop {
            let report = self.pass();
            if self.config.run_once {
                if report.polls_ok == 0 && report.polls_failed > 0 {
                    return Err(DaemonError::Unreachable(
                        report.last_poll_error.unwrap_or_default(),
                    ));
                }
                return Ok(0);
            }
            let deadline = Instant::now() + self.config.period;
            while Instant::now() < deadline {
                if self.stop.load(Ordering::SeqCst) {
                    self.log
                        .info("stop", "Stopping: signal received.", json!({}));
                    return Ok(0);
                }
                std::thread::sleep(Duration::from_millis(50).min(self.config.period));
            }
            if self.stop.load(Ordering::SeqCst) {
                return Ok(0);
            }
        }
    }

    /// Re-reads the store when the file changed (a wallet added by the CLI is picked up).
    fn reload_wallets(&mut self) {
        let now = stamp(&self.store);
        if now == self.wallets_stamp {
            return;
        }
        match self.store.read(&self.password) {
            Ok(w) => {
                self.wallets = w;
                self.wallets_stamp = now;
                self.log
                    .info("reload", "Wallet store changed; reloaded.", json!({}));
            }
            Err(e) => self.log.error(
                "reload",
                &format!("Cannot reload the wallet store, keeping the loaded one: {e}"),
                json!({}),
            ),
        }
    }

    /// The ids to ask for on `chain`: the store's wallets of that chain and network (or the
    /// `--wallets` list, restricted the same way).
    fn ids_for(&self, chain: Chain) -> Vec<String> {
        let testnet = self.config.network.is_testnet();
        let fits = |id: &str| {
            self.wallets.get(id).is_some_and(|e| {
                e.chain_code() == Some(chain.code()) && e.testnet() == Some(testnet)
            })
        };
        match &self.config.wallets {
            Some(list) => list.iter().filter(|id| fits(id)).cloned().collect(),
            None => self
                .wallets
                .ids()
                .filter(|id| fits(id))
                .map(str::to_string)
                .collect(),
        }
    }

    pub fn pass(&mut self) -> PassReport {
        self.reload_wallets();
        let mut report = PassReport::default();
        let mut errors: Vec<(String, String)> = Vec::new();
        for chain in self.config.chains.clone() {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let ids = self.ids_for(chain);
            if ids.is_empty() {
                continue; // no wallet of this chain and network: nothing to ask for
            }
            for chunk in ids.chunks(MAX_IDS_PER_POLL) {
                self.log.info(
                    "poll",
                    &format!(
                        "Getting pending transaction from {chain} for wallets {}.",
                        chunk.join(",")
                    ),
                    json!({"chain": chain.code(), "wallets": chunk.len()}),
                );
                let started = Instant::now();
                let result = self.api.pending(chain.code(), chunk);
                self.metrics.add(
                    "tatum_kms_poll_seconds_sum",
                    chain.code(),
                    started.elapsed().as_secs_f64(),
                );
                self.metrics.add("tatum_kms_polls_total", chain.code(), 1.0);
                let pending = match result {
                    Ok(p) => {
                        report.polls_ok += 1;
                        p
                    }
                    Err(e) => {
                        report.polls_failed += 1;
                        report.last_poll_error = Some(e.to_string());
                        self.metrics
                            .add("tatum_kms_poll_errors_total", chain.code(), 1.0);
                        self.log.error(
                            "poll_failed",
                            &format!("Cannot get pending transactions for {chain}: {e}"),
                            json!({"chain": chain.code()}),
                        );
                        continue;
                    }
                };
                for raw in pending {
                    if self.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    self.process(chain, raw, &mut errors, &mut report);
                }
            }
        }
        if !errors.is_empty() {
            if let Err(e) = self.api.report_errors(&errors) {
                self.log.error(
                    "report_failed",
                    &format!(
                        "Cannot report {} failed transaction(s) to the API: {e}",
                        errors.len()
                    ),
                    json!({}),
                );
            }
        }
        report
    }

    fn process(
        &mut self,
        chain: Chain,
        raw: Value,
        errors: &mut Vec<(String, String)>,
        report: &mut PassReport,
    ) {
        let tx: PendingTransaction = match serde_json::from_value(raw.clone()) {
            Ok(tx) => tx,
            Err(e) => {
                let message =
                    format!("The pending transaction is malformed and was not signed: {e}");
                match raw.get("id").and_then(Value::as_str) {
                    Some(id) => {
                        self.audit("error", id, chain, json!({"error": message}));
                        self.log.error(
                            "malformed",
                            &format!("{message} (id {id})"),
                            json!({"chain": chain.code(), "id": id}),
                        );
                        errors.push((id.to_string(), message));
                        report.failed += 1;
                    }
                    None => self.log.error(
                        "malformed",
                        &format!("{message} (no id)"),
                        json!({"chain": chain.code()}),
                    ),
                }
                return;
            }
        };
        if let Some(only) = &self.config.transaction_ids {
            if !only.contains(&tx.id) {
                return;
            }
        }
        let wallet_ids: Vec<String> = tx
            .hashes
            .iter()
            .cloned()
            .chain(tx.signatures.iter().flatten().map(|s| s.id.clone()))
            .collect();
        self.audit("fetched", &tx.id, chain, json!({"walletIds": wallet_ids}));
        if let Err(e) = self.journal.refresh() {
            self.log.error("journal", &e.to_string(), json!({}));
        }
        let tx_sha256 = journal::fingerprint(&tx);
        if let Some(known) = self.journal.signed_for(&tx.id, &tx_sha256).cloned() {
            // Never sign twice: send the bytes signed before (a crash between signing and
            // broadcasting, or the API listing it again).
            self.log.warn("rebroadcast", &format!("Transaction {} was signed before; broadcasting the same signed transaction again.", tx.id), json!({"id": tx.id}));
            self.metrics.add(
                "tatum_kms_transactions_rebroadcast_total",
                chain.code(),
                1.0,
            );
            self.broadcast(chain, &tx.id, &known.broadcast, errors, report);
            return;
        }
        // Every transaction is decoded, and the view goes to the audit log. With a policy or
        // a four-eye secret ("know what you sign") one that cannot be decoded is refused;
        // without them it is signed as the original would, with a warning.
        let strict = self.config.policy.is_some() || self.config.four_eye_secret.is_some();
        let view = match decode::decode(chain, self.config.network, &tx) {
            Ok(v) => {
                self.audit("decoded", &tx.id, chain, json!({"view": v}));
                Some(v)
            }
            Err(e) if strict => {
                self.fail(
                    chain,
                    &tx.id,
                    format!("Not signed: the KMS cannot tell what it would sign ({e})"),
                    errors,
                    report,
                );
                return;
            }
            Err(e) => {
                self.log.warn(
                    "undecoded",
                    &format!("Transaction {} could not be decoded ({e}); signing it as the original KMS would. Set --policy to refuse such transactions.", tx.id),
                    json!({"id": tx.id}),
                );
                self.audit("undecoded", &tx.id, chain, json!({"reason": e.to_string()}));
                None
            }
        };
        if let Some(view) = &view {
            if let Err(why) = self.policy_allows(chain, &tx.id, view, &wallet_ids) {
                self.fail(chain, &tx.id, why, errors, report);
                return;
            }
        }
        if let Some(url) = self.config.external_url.clone() {
            self.log.info(
                "foureye",
                &format!("External url '{url}' is present, checking against it."),
                json!({"id": tx.id}),
            );
            // Without the new settings the request stays the original's (no view in it).
            let shown = if strict { view.as_ref() } else { None };
            let answer = self.four_eye_approves(&url, &tx.id, &raw, shown);
            self.audit(
                "foureye",
                &tx.id,
                chain,
                json!({"approved": answer.is_ok(), "reason": answer.as_ref().err()}),
            );
            if let Err(why) = answer {
                self.log.warn(
                    "foureye_denied",
                    &format!(
                        "Transaction not found on external system ({why}); not signed: {}",
                        tx.id
                    ),
                    json!({"id": tx.id}),
                );
                self.metrics.add(
                    "tatum_kms_transactions_skipped_foureye_total",
                    chain.code(),
                    1.0,
                );
                return;
            }
        }
        self.log.info(
            "processing",
            &format!("Processing pending transaction - {}.", pretty(&raw)),
            json!({"id": tx.id, "chain": chain.code()}),
        );
        let claim = match self.journal.claim() {
            Ok(c) => c,
            Err(e) => {
                self.log.error(
                    "journal",
                    &format!("Not signing {}: {e}", tx.id),
                    json!({"id": tx.id}),
                );
                return;
            }
        };
        match self.journal.signed_for(&tx.id, &tx_sha256).cloned() {
            Some(known) => {
                drop(claim);
                self.log.warn("rebroadcast", &format!("Transaction {} was just signed by another process; broadcasting its signed transaction.", tx.id), json!({"id": tx.id}));
                self.broadcast(chain, &tx.id, &known.broadcast, errors, report);
                return;
            }
            None if self.journal.get(&tx.id).is_some() => {
                self.log.warn("changed", &format!("Pending id {} was signed before with other content; signing this content as a new transaction.", tx.id), json!({"id": tx.id}));
            }
            None => {}
        }
        // Under the lock the totals include what other daemons signed meanwhile: decide again.
        let mut spend = None;
        if let (Some(policy), Some(view)) = (&self.config.policy, &view) {
            if policy.longest_window().is_some() {
                if let Err(why) = self.policy_allows(chain, &tx.id, view, &wallet_ids) {
                    drop(claim);
                    self.fail(chain, &tx.id, why, errors, report);
                    return;
                }
            }
            spend = Some(kms_policy::spend_of(view, &wallet_ids, unix_now()));
        }
        // SOL and FLOW submit inside signing: remember that we start, so that a crash in the
        // middle never leads to a second (different) transaction.
        let submits = matches!(chain, Chain::Sol | Chain::Flow);
        if submits {
            if self.journal.interrupted(&tx.id) {
                drop(claim);
                self.fail(chain, &tx.id, format!("Not signed again: an earlier signing of {} was interrupted after it may have submitted the transaction to the network. Check the chain; see docs/OPERATIONS.md (interrupted signing) to release it.", tx.id), errors, report);
                return;
            }
            if let Err(e) = self.journal.record_intent(&claim, &tx.id, chain.code()) {
                drop(claim);
                self.fail(
                    chain,
                    &tx.id,
                    format!("Not signed: the signing journal could not record the attempt: {e}"),
                    errors,
                    report,
                );
                return;
            }
        }
        let signed = self.sign(chain, &tx);
        let broadcast = match signed {
            Ok(b) => b,
            Err(e) => {
                let mut message = e.0.clone();
                if submits && e.maybe_submitted() {
                    // Its fate is unknown: the intent stays open, so it is never signed again
                    // without a person deciding (docs/OPERATIONS.md, "Interrupted signing").
                    message.push_str(" (the transaction may have been submitted: it will not be signed again until released, see docs/OPERATIONS.md)");
                } else if submits {
                    if let Err(je) = self.journal.record_released(&claim, &tx.id, chain.code()) {
                        self.log
                            .error("journal", &je.to_string(), json!({"id": tx.id}));
                    }
                }
                drop(claim);
                self.fail(chain, &tx.id, message, errors, report);
                return;
            }
        };
        self.audit(
            "signed",
            &tx.id,
            chain,
            json!({"walletIds": wallet_ids, "payloadSha256": journal::payload_hash(&broadcast)}),
        );
        if let Err(e) = self.journal.record_signed_spend(
            &claim,
            &tx.id,
            chain.code(),
            &broadcast,
            spend,
            Some(tx_sha256),
        ) {
            drop(claim);
            // Not recorded: do not broadcast what we could not remember signing.
            self.fail(chain, &tx.id, format!("Signed, but the signing journal could not record it, so it was not broadcast: {e}"), errors, report);
            return;
        }
        drop(claim);
        self.broadcast(chain, &tx.id, &broadcast, errors, report);
    }

    fn sign(&mut self, chain: Chain, tx: &PendingTransaction) -> Result<Broadcast, SignError> {
        let wallets = &self.wallets;
        let lookup = |id: &str| wallets.get(id);
        let mut notes = Vec::new();
        let resolved = signing::resolve_wallets(tx, &lookup, &mut notes)?;
        for note in notes {
            self.log.warn("signature", &note, json!({"id": tx.id}));
        }
        signing::sign_pending(SignContext {
            chain,
            network: self.config.network,
            tx,
            wallets: &resolved,
            node: &mut self.api,
        })
    }

    fn broadcast(
        &mut self,
        chain: Chain,
        id: &str,
        b: &Broadcast,
        errors: &mut Vec<(String, String)>,
        report: &mut PassReport,
    ) {
        match self.api.broadcast(b) {
            Ok(answer) => {
                if let Err(e) = self.journal.record_broadcast(id, chain.code(), b) {
                    self.log.error("journal", &e.to_string(), json!({"id": id}));
                }
                self.metrics
                    .add("tatum_kms_transactions_signed_total", chain.code(), 1.0);
                report.signed += 1;
                self.audit(
                    "broadcast",
                    id,
                    chain,
                    json!({"path": b.path, "payloadSha256": journal::payload_hash(b), "answer": answer}),
                );
                self.log.info(
                    "broadcast",
                    &format!("Tx was processed: {id}"),
                    json!({"id": id, "chain": chain.code(), "answer": answer}),
                );
            }
            Err(e) => self.fail(chain, id, report_message(&e), errors, report),
        }
    }

    fn fail(
        &mut self,
        chain: Chain,
        id: &str,
        message: String,
        errors: &mut Vec<(String, String)>,
        report: &mut PassReport,
    ) {
        self.log.error(
            "failed",
            &format!("Could not process transaction id {id}, error: {message}"),
            json!({"id": id, "chain": chain.code()}),
        );
        self.metrics
            .add("tatum_kms_transactions_failed_total", chain.code(), 1.0);
        report.failed += 1;
        self.audit("error", id, chain, json!({"error": message}));
        errors.push((id.to_string(), message));
    }

    /// The policy's decision, audited; `Err` is the message reported for a denial.
    fn policy_allows(
        &mut self,
        chain: Chain,
        id: &str,
        view: &DecodedView,
        wallet_ids: &[String],
    ) -> Result<(), String> {
        let Some(policy) = &self.config.policy else {
            return Ok(());
        };
        let decision = policy.evaluate(
            &kms_policy::Context {
                view,
                wallets: wallet_ids,
                now: unix_now(),
            },
            self.journal.totals(),
        );
        self.audit(
            "policy",
            id,
            chain,
            json!({"allowed": decision.allow, "rule": decision.rule, "reason": decision.reason}),
        );
        if decision.allow {
            return Ok(());
        }
        self.metrics.add(
            "tatum_kms_transactions_denied_policy_total",
            chain.code(),
            1.0,
        );
        Err(format!(
            "Not signed: the signing policy refused it ({})",
            decision.reason
        ))
    }

    /// Any 2xx approves; any other status, a timeout or a refused connection does not.
    /// With a decoded view (a policy or a secret is set) a POST body also carries
    /// `decodedView`; with a secret the request is signed, and with a required signed answer
    /// a 2xx approves only with a valid `X-Tatum-KMS-Approval` (docs/FOUR-EYE.md).
    fn four_eye_approves(
        &self,
        url: &str,
        id: &str,
        raw: &Value,
        view: Option<&DecodedView>,
    ) -> Result<(), String> {
        let target = format!("{}/{id}", url.trim_end_matches('/'));
        let secret = self.config.four_eye_secret.as_ref();
        if view.is_none() && secret.is_none() {
            // The original's request, unchanged.
            let result = match self.config.external_method {
                FourEyeMethod::Get => self.four_eye.get(&target).call(),
                FourEyeMethod::Post => self
                    .four_eye
                    .post(&target)
                    .header("content-type", "application/json")
                    .send(&api::compact_json(raw)),
            };
            return match result {
                Ok(response) if response.status().is_success() => Ok(()),
                Ok(response) => Err(format!("HTTP {}", response.status().as_u16())),
                Err(e) => Err(e.to_string()),
            };
        }
        let body: Vec<u8> = match self.config.external_method {
            FourEyeMethod::Get => Vec::new(),
            FourEyeMethod::Post => {
                let mut with_view = raw.clone();
                if let (Value::Object(map), Some(v)) = (&mut with_view, view) {
                    map.insert(
                        "decodedView".into(),
                        serde_json::to_value(v).map_err(|e| e.to_string())?,
                    );
                }
                serde_json::to_vec(&with_view).map_err(|e| e.to_string())?
            }
        };
        let signed_headers = secret.map(|s| {
            let timestamp = unix_now();
            let payload: Vec<u8> = match self.config.external_method {
                FourEyeMethod::Post => body.clone(),
                FourEyeMethod::Get => target
                    .parse::<ureq::http::Uri>()
                    .ok()
                    .and_then(|u| u.path_and_query().map(|p| p.as_str().to_string()))
                    .unwrap_or_default()
                    .into_bytes(),
            };
            (
                timestamp.to_string(),
                foureye::request_signature(s.expose().as_bytes(), timestamp, &payload),
            )
        });
        let result = match self.config.external_method {
            FourEyeMethod::Get => {
                let mut request = self.four_eye.get(&target);
                if let Some((ts, sig)) = &signed_headers {
                    request = request
                        .header(foureye::TIMESTAMP_HEADER, ts)
                        .header(foureye::SIGNATURE_HEADER, sig);
                }
                request.call()
            }
            FourEyeMethod::Post => {
                let mut request = self
                    .four_eye
                    .post(&target)
                    .header("content-type", "application/json");
                if let Some((ts, sig)) = &signed_headers {
                    request = request
                        .header(foureye::TIMESTAMP_HEADER, ts)
                        .header(foureye::SIGNATURE_HEADER, sig);
                }
                request.send(&body[..])
            }
        };
        let response = match result {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => return Err(format!("HTTP {}", response.status().as_u16())),
            Err(e) => return Err(e.to_string()),
        };
        if self.config.four_eye_require_signed_answer {
            let Some(secret) = secret else {
                return Err("a signed answer is required but no secret is set".into());
            };
            let header = response
                .headers()
                .get(foureye::APPROVAL_HEADER)
                .and_then(|h| h.to_str().ok());
            match header {
                Some(h) if foureye::verify_approval(secret.expose().as_bytes(), id, &body, h) => {}
                Some(_) => {
                    return Err(format!(
                        "the answer's {} is not valid for this transaction",
                        foureye::APPROVAL_HEADER
                    ))
                }
                None => {
                    return Err(format!(
                        "the answer carries no {} header",
                        foureye::APPROVAL_HEADER
                    ))
                }
            }
        }
        Ok(())
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn stamp(store: &WalletStore) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(store.path()).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Parses `--chain` (comma-separated codes); all chains in the original's order when absent.
pub fn parse_chains(list: Option<&str>) -> Result<Vec<Chain>, kms_core::UnknownChain> {
    match list {
        None => Ok(Chain::ALL.to_vec()),
        Some(text) => {
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let chain: Chain = part.parse()?;
                if seen.insert(chain) {
                    out.push(chain);
                }
            }
            Ok(out)
        }
    }
}
