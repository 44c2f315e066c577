//! The audit log: one JSON line per decision the daemon takes about a pending transaction
//! (fetched, four-eye answer, signed, broadcast, error), each carrying the SHA-256 of the
//! line before it, so that editing, deleting, reordering or truncating a line breaks the
//! chain at that line ([`verify`]). It names pending ids, chains, wallet ids and the hash of
//! the signed payload; never a key, a mnemonic or a password.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, thiserror::Error)]
#[error("audit log {path}: {source}")]
pub struct AuditError {
    path: PathBuf,
    source: std::io::Error,
}

pub struct AuditLog {
    path: PathBuf,
    file: File,
    prev: String,
    seq: u64,
}

fn line_hash(line: &str) -> String {
    hex::encode(Sha256::digest(line.as_bytes()))
}

impl AuditLog {
    /// Opens (or creates, 0600) the log and continues its chain.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let err = |source| AuditError {
            path: path.to_path_buf(),
            source,
        };
        let (mut prev, mut seq) = (GENESIS.to_string(), 0);
        if let Ok(f) = File::open(path) {
            for line in BufReader::new(f).lines() {
                let line = line.map_err(err)?;
                if line.trim().is_empty() {
                    continue;
                }
                prev = line_hash(&line);
                seq = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v["seq"].as_u64())
                    .unwrap_or(seq);
            }
        }
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path).map_err(err)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            prev,
            seq,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event. `fields` adds event-specific values (no secrets).
    pub fn record(
        &mut self,
        event: &str,
        pending_id: &str,
        chain: &str,
        fields: Value,
    ) -> Result<(), AuditError> {
        self.seq += 1;
        let mut line = Map::new();
        line.insert("seq".into(), json!(self.seq));
        line.insert("ts".into(), json!(crate::journal::now()));
        line.insert("event".into(), json!(event));
        line.insert("pendingId".into(), json!(pending_id));
        line.insert("chain".into(), json!(chain));
        if let Value::Object(extra) = fields {
            for (k, v) in extra {
                line.insert(k, v);
            }
        }
        line.insert("prev".into(), json!(self.prev));
        let text = Value::Object(line).to_string();
        let mut bytes = text.clone().into_bytes();
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .and_then(|_| self.file.sync_data())
            .map_err(|source| AuditError {
                path: self.path.clone(),
                source,
            })?;
        self.prev = line_hash(&text);
        Ok(())
    }
}

/// What [`verify`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every line links to the one before it.
    Intact { lines: usize },
    /// The first line (1-based) whose link or form is wrong, and why.
    Broken { line: usize, reason: String },
}

/// Checks the chain from the first line.
pub fn verify(path: &Path) -> std::io::Result<Verdict> {
    let file = File::open(path)?;
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        let number = i + 1;
        let broken = |reason: String| {
            Ok(Verdict::Broken {
                line: number,
                reason,
            })
        };
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            return broken("not a complete JSON line (edited or truncated)".into());
        };
        if v["prev"].as_str() != Some(prev.as_str()) {
            return broken(
                "does not follow the line before it (a line was edited, deleted or reordered)"
                    .into(),
            );
        }
        let expected_seq = number as u64;
        if v["seq"].as_u64() != Some(expected_seq) {
            return broken(format!(
                "sequence number {} where {expected_seq} was expected",
                v["seq"]
            ));
        }
        prev = line_hash(&line);
        n = number;
    }
    Ok(Verdict::Intact { lines: n })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Tamper = Box<dyn Fn(&mut Vec<String>)>;

    fn sample(dir: &Path) -> PathBuf {
        let path = dir.join("audit.log");
        let mut log = AuditLog::open(&path).unwrap();
        for (i, e) in ["fetched", "foureye", "signed", "broadcast"]
            .iter()
            .enumerate()
        {
            log.record(e, &format!("tx{i}"), "ETH", json!({"walletIds": ["w"]}))
                .unwrap();
        }
        drop(log);
        // Reopening continues the chain.
        AuditLog::open(&path)
            .unwrap()
            .record("error", "tx9", "BTC", json!({"error": "x"}))
            .unwrap();
        path
    }

    fn rewrite(path: &Path, f: impl FnOnce(&mut Vec<String>)) {
        let mut lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        f(&mut lines);
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn intact_and_every_kind_of_tampering_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        assert_eq!(verify(&path).unwrap(), Verdict::Intact { lines: 5 });
        let cases: Vec<(&str, Tamper, usize)> = vec![
            (
                "edit",
                Box::new(|l: &mut Vec<String>| l[1] = l[1].replace("tx1", "tx7")),
                3,
            ),
            (
                "delete",
                Box::new(|l: &mut Vec<String>| {
                    l.remove(2);
                }),
                3,
            ),
            ("reorder", Box::new(|l: &mut Vec<String>| l.swap(1, 2)), 2),
            (
                "truncate",
                Box::new(|l: &mut Vec<String>| {
                    let n = l[3].len() / 2;
                    l[3].truncate(n);
                }),
                4,
            ),
        ];
        for (what, f, line) in cases {
            let copy = dir.path().join(format!("{what}.log"));
            std::fs::copy(&path, &copy).unwrap();
            rewrite(&copy, f);
            match verify(&copy).unwrap() {
                Verdict::Broken { line: got, .. } => assert_eq!(got, line, "{what}"),
                other => panic!("{what}: {other:?}"),
            }
        }
    }
}
