//! The signing journal: one JSON line per state change of a pending transaction, appended
//! and fsynced, beside the wallet file. It is what makes the daemon never sign one pending
//! id twice: across restarts, and across two daemons on one store (a lock file serialises
//! the sign-and-record step). The signed payload is kept so a transaction signed before a
//! crash is re-broadcast byte for byte instead of signed again. It holds no secret: a
//! signed transaction is public once broadcast.
//!
//! With a signing policy, a `signed` line also carries what the transaction spent
//! (`spend`: wallets, chain, asset, amount, time), from which the policy's rolling totals
//! are rebuilt on start: totals survive restarts and count signed transactions only.
//!
//! A `signed` line carries `tx_sha256`, the fingerprint of the pending transaction that was
//! signed (its chain, serialized transaction and wallet references). The same id listed
//! again with the same content is re-broadcast; with other content it is a different
//! transaction (Tatum ids are unique, so this only happens with reused test ids or an API
//! that changed it) and is signed on its own. Lines without a fingerprint (older journals)
//! match any content.
//!
//! SOL and FLOW submit to the network *inside* signing (quirk Q17). For them an `intent`
//! line is written before signing starts and a `released` line when signing fails; an
//! intent with neither a `signed` nor a `released` line after it means a process died while
//! the transaction may already have been submitted, and the daemon then refuses to sign that
//! id again (a second signing would be a second, different transaction: a double spend).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kms_chains::node::Broadcast;
use kms_policy::{MemoryTotals, Spend};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
#[error("signing journal {path}: {source}")]
pub struct JournalError {
    path: PathBuf,
    source: std::io::Error,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Signed,
    Broadcast,
    /// About to sign a transaction whose signing also submits it (SOL, FLOW).
    Intent,
    /// Signing after an intent failed; the id may be signed again.
    Released,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Line {
    pub ts: String,
    pub id: String,
    pub chain: String,
    pub state: State,
    /// SHA-256 of the broadcast body: what was signed, for audits.
    pub payload_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// What a transaction signed under a policy adds to the rolling totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend: Option<Spend>,
    /// [`fingerprint`] of the pending transaction that was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_sha256: Option<String>,
}

/// What the journal knows about one pending id.
#[derive(Clone, Debug)]
pub struct Known {
    pub state: State,
    pub broadcast: Broadcast,
    /// The fingerprint of the signed pending transaction (None in older journals).
    pub tx_sha256: Option<String>,
}

pub struct Journal {
    path: PathBuf,
    lock_path: PathBuf,
    known: HashMap<String, Known>,
    /// Ids with an intent line and no outcome yet.
    open_intents: HashSet<String>,
    totals: MemoryTotals,
    read_offset: u64,
}

/// Held while a transaction is checked, signed and recorded.
pub struct Claim {
    _file: File,
}

impl Journal {
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let mut lock_name = path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        lock_name.push(".lock");
        let mut journal = Journal {
            path: path.to_path_buf(),
            lock_path: path.with_file_name(lock_name),
            known: HashMap::new(),
            open_intents: HashSet::new(),
            totals: MemoryTotals::default(),
            read_offset: 0,
        };
        journal.terminate_torn_line()?;
        journal.refresh()?;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: std::io::Error) -> JournalError {
        JournalError {
            path: self.path.clone(),
            source,
        }
    }

    fn append_file(&self) -> Result<File, JournalError> {
        let mut options = OpenOptions::new();
        options.create(true).append(true).read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(&self.path).map_err(|e| self.err(e))
    }

    /// A crash mid-append leaves a line without its newline; end it, so the next record
    /// starts on a line of its own (the torn one is then skipped as unreadable).
    fn terminate_torn_line(&self) -> Result<(), JournalError> {
        let mut file = self.append_file()?;
        let len = file.metadata().map_err(|e| self.err(e))?.len();
        if len == 0 {
            return Ok(());
        }
        let mut last = [0u8; 1];
        let mut reader = File::open(&self.path).map_err(|e| self.err(e))?;
        reader
            .seek(SeekFrom::Start(len - 1))
            .map_err(|e| self.err(e))?;
        std::io::Read::read_exact(&mut reader, &mut last).map_err(|e| self.err(e))?;
        if last[0] != b'\n' {
            file.write_all(b"\n")
                .and_then(|_| file.sync_data())
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Reads lines appended since the last read (by us or another daemon). A torn last
    /// line (a crash mid-write) is ignored until it is complete.
    pub fn refresh(&mut self) -> Result<(), JournalError> {
        let mut file = File::open(&self.path).map_err(|e| self.err(e))?;
        file.seek(SeekFrom::Start(self.read_offset))
            .map_err(|e| self.err(e))?;
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).map_err(|e| self.err(e))?;
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            self.read_offset += n as u64;
            if let Ok(entry) = serde_json::from_str::<Line>(line.trim_end()) {
                self.apply(entry);
            }
        }
        Ok(())
    }

    fn apply(&mut self, line: Line) {
        match line.state {
            State::Intent => {
                self.open_intents.insert(line.id.clone());
            }
            State::Signed | State::Released => {
                self.open_intents.remove(&line.id);
            }
            State::Broadcast => {}
        }
        if line.state == State::Signed {
            if let Some(spend) = line.spend {
                self.totals.spends.push(spend);
            }
        }
        match (line.state, line.path, line.body) {
            (State::Signed, Some(path), Some(body)) => {
                self.known.insert(
                    line.id,
                    Known {
                        state: State::Signed,
                        broadcast: Broadcast { path, body },
                        tx_sha256: line.tx_sha256,
                    },
                );
            }
            (State::Broadcast, _, _) => {
                if let Some(k) = self.known.get_mut(&line.id) {
                    k.state = State::Broadcast;
                }
            }
            _ => {}
        }
    }

    pub fn get(&self, id: &str) -> Option<&Known> {
        self.known.get(id)
    }

    /// What was signed for `id`, if it was this same pending transaction (`fingerprint`).
    pub fn signed_for(&self, id: &str, fingerprint: &str) -> Option<&Known> {
        self.known
            .get(id)
            .filter(|k| k.tx_sha256.as_deref().is_none_or(|f| f == fingerprint))
    }

    /// Whether a signing that submits (SOL, FLOW) was started for `id` and never finished:
    /// the transaction may be on chain already.
    pub fn interrupted(&self, id: &str) -> bool {
        self.open_intents.contains(id)
    }

    /// Records that signing (and submitting) `id` starts now.
    pub fn record_intent(
        &mut self,
        _claim: &Claim,
        id: &str,
        chain: &str,
    ) -> Result<(), JournalError> {
        self.append(Line::marker(id, chain, State::Intent))
    }

    /// Records that the signing started by [`record_intent`](Self::record_intent) failed.
    pub fn record_released(
        &mut self,
        _claim: &Claim,
        id: &str,
        chain: &str,
    ) -> Result<(), JournalError> {
        self.append(Line::marker(id, chain, State::Released))
    }

    /// The spends of every transaction signed under a policy (the rolling totals).
    pub fn totals(&self) -> &MemoryTotals {
        &self.totals
    }

    /// Takes the exclusive lock and catches up with other writers.
    pub fn claim(&mut self) -> Result<Claim, JournalError> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).read(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&self.lock_path).map_err(|e| self.err(e))?;
        file.lock().map_err(|e| self.err(e))?;
        self.refresh()?;
        Ok(Claim { _file: file })
    }

    fn append(&mut self, line: Line) -> Result<(), JournalError> {
        let mut text =
            serde_json::to_string(&line).map_err(|e| self.err(std::io::Error::other(e)))?;
        text.push('\n');
        let mut file = self.append_file()?;
        file.write_all(text.as_bytes())
            .and_then(|_| file.sync_data())
            .map_err(|e| self.err(e))?;
        self.refresh()
    }

    pub fn record_signed(
        &mut self,
        claim: &Claim,
        id: &str,
        chain: &str,
        b: &Broadcast,
    ) -> Result<(), JournalError> {
        self.record_signed_spend(claim, id, chain, b, None, None)
    }

    /// [`record_signed`](Self::record_signed) with what the transaction adds to the totals.
    pub fn record_signed_spend(
        &mut self,
        _claim: &Claim,
        id: &str,
        chain: &str,
        b: &Broadcast,
        spend: Option<Spend>,
        tx_sha256: Option<String>,
    ) -> Result<(), JournalError> {
        self.append(Line {
            ts: now(),
            id: id.to_string(),
            chain: chain.to_string(),
            state: State::Signed,
            payload_sha256: payload_hash(b),
            path: Some(b.path.clone()),
            body: Some(b.body.clone()),
            spend,
            tx_sha256,
        })
    }

    pub fn record_broadcast(
        &mut self,
        id: &str,
        chain: &str,
        b: &Broadcast,
    ) -> Result<(), JournalError> {
        self.append(Line {
            ts: now(),
            id: id.to_string(),
            chain: chain.to_string(),
            state: State::Broadcast,
            payload_sha256: payload_hash(b),
            path: None,
            body: None,
            spend: None,
            tx_sha256: None,
        })
    }
}

impl Line {
    /// A line without a payload (intent, released).
    fn marker(id: &str, chain: &str, state: State) -> Self {
        Line {
            ts: now(),
            id: id.to_string(),
            chain: chain.to_string(),
            state,
            payload_sha256: String::new(),
            path: None,
            body: None,
            spend: None,
            tx_sha256: None,
        }
    }
}

/// The fingerprint of a pending transaction: SHA-256 of what decides what gets signed.
pub fn fingerprint(tx: &kms_core::PendingTransaction) -> String {
    let what = serde_json::json!({
        "chain": tx.chain,
        "serializedTransaction": tx.serialized_transaction,
        "hashes": tx.hashes,
        "index": tx.index,
        "signatures": tx.signatures,
        "withdrawalId": tx.withdrawal_id,
    });
    hex::encode(Sha256::digest(what.to_string().as_bytes()))
}

pub fn payload_hash(b: &Broadcast) -> String {
    hex::encode(Sha256::digest(b.body.to_string().as_bytes()))
}

pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(n: u8) -> Broadcast {
        Broadcast::tx_data("/v3/ethereum/broadcast", format!("0x{n:02x}"), "id")
    }

    #[test]
    fn the_same_id_with_other_content_is_a_different_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.dat.journal");
        let mut j = Journal::open(&path).unwrap();
        let claim = j.claim().unwrap();
        j.record_signed_spend(&claim, "a", "ETH", &b(1), None, Some("f1".into()))
            .unwrap();
        j.record_signed(&claim, "old", "ETH", &b(2)).unwrap();
        drop(claim);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.signed_for("a", "f1").unwrap().broadcast, b(1));
        assert!(j.signed_for("a", "f2").is_none());
        // A line from an older journal, without fingerprint, matches any content.
        assert!(j.signed_for("old", "anything").is_some());
    }

    #[test]
    fn an_intent_without_an_outcome_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.dat.journal");
        let mut j = Journal::open(&path).unwrap();
        let claim = j.claim().unwrap();
        j.record_intent(&claim, "crashed", "SOL").unwrap();
        j.record_intent(&claim, "failed", "SOL").unwrap();
        j.record_released(&claim, "failed", "SOL").unwrap();
        j.record_intent(&claim, "signed", "FLOW").unwrap();
        j.record_signed(&claim, "signed", "FLOW", &b(3)).unwrap();
        drop(claim);
        let j = Journal::open(&path).unwrap();
        assert!(j.interrupted("crashed"));
        assert!(!j.interrupted("failed"));
        assert!(!j.interrupted("signed"));
        assert!(j.get("signed").is_some());
        assert!(!j.interrupted("never-seen"));
    }

    #[test]
    fn survives_reopen_and_ignores_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.dat.journal");
        let mut j = Journal::open(&path).unwrap();
        let claim = j.claim().unwrap();
        j.record_signed(&claim, "a", "ETH", &b(1)).unwrap();
        drop(claim);
        j.record_broadcast("a", "ETH", &b(1)).unwrap();
        let claim = j.claim().unwrap();
        j.record_signed(&claim, "b", "ETH", &b(2)).unwrap();
        drop(claim);
        // A crash in the middle of a line.
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"ts\":\"x\",\"id\":\"c\"")
            .unwrap();
        let mut j2 = Journal::open(&path).unwrap();
        let claim = j2.claim().unwrap();
        j2.record_signed(&claim, "d", "ETH", &b(4)).unwrap();
        drop(claim);
        let j2 = Journal::open(&path).unwrap();
        assert_eq!(j2.get("d").unwrap().broadcast, b(4));
        assert_eq!(j2.get("a").unwrap().state, State::Broadcast);
        assert_eq!(j2.get("b").unwrap().state, State::Signed);
        assert_eq!(j2.get("b").unwrap().broadcast, b(2));
        assert!(j2.get("c").is_none());
    }

    #[test]
    fn spends_survive_reopening() {
        use kms_policy::Totals;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::open(&path).unwrap();
        let spend = |amount: &str| Spend {
            wallets: vec!["w".into()],
            chain: "ETH".into(),
            asset: "native".into(),
            amount: amount.into(),
            at: 1_000,
        };
        let claim = j.claim().unwrap();
        j.record_signed_spend(&claim, "a", "ETH", &b(1), Some(spend("5")), None)
            .unwrap();
        j.record_signed(&claim, "b", "ETH", &b(2)).unwrap();
        j.record_signed_spend(&claim, "c", "ETH", &b(3), Some(spend("7")), None)
            .unwrap();
        drop(claim);
        j.record_broadcast("a", "ETH", &b(1)).unwrap();
        let j = Journal::open(&path).unwrap();
        let total = j.totals().total(Some("w"), "ETH", "native", 1_000);
        assert_eq!(total.to_string(), "12");
        assert_eq!(
            j.totals()
                .total(Some("w"), "ETH", "native", 1_001)
                .to_string(),
            "0"
        );
    }

    #[test]
    fn a_second_journal_sees_the_first_ones_claims() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut one = Journal::open(&path).unwrap();
        let mut two = Journal::open(&path).unwrap();
        let claim = one.claim().unwrap();
        one.record_signed(&claim, "x", "BTC", &b(3)).unwrap();
        drop(claim);
        let _claim = two.claim().unwrap();
        assert!(two.get("x").is_some());
    }
}
