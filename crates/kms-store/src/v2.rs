//! The v2 wallet store: one SQLite database, one row per wallet, each entry sealed with
//! XChaCha20-Poly1305 under a random data key, the data key wrapped under an Argon2id key
//! derived from the password, and a sealed manifest (row count and a keyed set digest of
//! the rows) that catches deleted, added, reordered, rolled-back or transplanted rows.
//! `docs/STORE-V2.md` is the specification; this module is its only implementation.
//!
//! Lookups and single-wallet writes touch the header and one row (plus SQLite's row count),
//! never the other rows: the set digest is an XOR of per-row keyed hashes, updated in
//! place. Whole-store reads verify every row against it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use blake2::digest::Mac;
use blake2::Blake2bMac;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use kms_core::WalletEntry;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::wallets::Wallets;

/// The first 16 bytes of every SQLite database, and so of every v2 wallet file.
pub const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// `PRAGMA application_id` of a v2 wallet file: ASCII "TKM2".
pub const APPLICATION_ID: i32 = 0x544b_4d32;
/// `PRAGMA user_version` of the v2 files this version writes (layout 3: the manifest is a
/// row count and set digest).
pub const USER_VERSION: i32 = 3;
/// `PRAGMA user_version` of the first v2 layout (the manifest lists every id): still read,
/// and upgraded to [`USER_VERSION`] by the first write.
pub const USER_VERSION_ID_LIST: i32 = 2;
/// The `format` column of the header row.
pub const FORMAT_NAME: &str = "tatum-kms wallet v2";

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;

const AAD_DATA_KEY: &[u8] = b"tatum-kms v2 data key";
const AAD_MANIFEST: &[u8] = b"tatum-kms v2 manifest";
const AAD_DIGEST_MANIFEST: &[u8] = b"tatum-kms v2 digest manifest";
const AAD_ENTRY: &[u8] = b"tatum-kms v2 entry";
const TAG_KEY_LABEL: &[u8] = b"tatum-kms v2 row tag key";
const ROW_TAG_LABEL: &[u8] = b"tatum-kms v2 row";

const SCHEMA: &str = "
CREATE TABLE kms_header (
    singleton   INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    format      TEXT    NOT NULL,
    kdf         TEXT    NOT NULL,
    kdf_version INTEGER NOT NULL,
    kdf_m_kib   INTEGER NOT NULL,
    kdf_t       INTEGER NOT NULL,
    kdf_p       INTEGER NOT NULL,
    kdf_salt    BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    manifest    BLOB    NOT NULL
);
CREATE TABLE kms_wallets (
    signature_id TEXT    PRIMARY KEY NOT NULL,
    position     INTEGER NOT NULL,
    chain        TEXT    NOT NULL,
    network      TEXT    NOT NULL,
    sealed       BLOB    NOT NULL
);
";

/// Argon2id cost parameters (memory in KiB, passes, lanes), stored in every file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl KdfParams {
    /// What new files and password changes use: 128 MiB, 3 passes, 1 lane (about 0.3 s on
    /// the development machine; see docs/STORE-V2.md).
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 128 * 1024,
        t: 3,
        p: 1,
    };
    /// Tiny parameters for tests only (`TATUM_KMS_V2_KDF=test`): no protection at all.
    pub const TEST: KdfParams = KdfParams {
        m_kib: 8,
        t: 1,
        p: 1,
    };
    /// Upper bounds a file may ask for, so a hostile file cannot make us allocate 4 TiB.
    const MAX_M_KIB: u32 = 4 * 1024 * 1024;
    const MAX_T: u32 = 64;
    const MAX_P: u32 = 16;

    fn argon2(&self) -> Result<argon2::Argon2<'static>, V2Error> {
        if self.m_kib > Self::MAX_M_KIB || self.t > Self::MAX_T || self.p > Self::MAX_P {
            return Err(V2Error::Corrupt(format!(
                "Argon2id parameters out of range (m={} KiB, t={}, p={})",
                self.m_kib, self.t, self.p
            )));
        }
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(KEY_LEN))
            .map_err(|e| V2Error::Corrupt(format!("invalid Argon2id parameters: {e}")))?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }

    fn derive(&self, password: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, V2Error> {
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        self.argon2()?
            .hash_password_into(password, salt, out.as_mut())
            .map_err(|e| V2Error::Corrupt(format!("key derivation failed: {e}")))?;
        Ok(out)
    }
}

/// What can go wrong in this module; `store` adds the path.
#[derive(Debug, thiserror::Error)]
pub(crate) enum V2Error {
    #[error("wrong password")]
    WrongPassword,
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Database(String),
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

impl From<rusqlite::Error> for V2Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                V2Error::Corrupt(format!("damaged database ({e})"))
            }
            _ => V2Error::Database(e.to_string()),
        }
    }
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, V2Error> {
    let mut out = Zeroizing::new([0u8; N]);
    getrandom::fill(out.as_mut()).map_err(|e| V2Error::Random(e.to_string()))?;
    Ok(out)
}

/// `u32` big-endian length, then the bytes: no two different tuples give the same AAD.
fn push_lp(aad: &mut Vec<u8>, part: &[u8]) {
    aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
    aad.extend_from_slice(part);
}

fn seal(key: &[u8; KEY_LEN], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, V2Error> {
    let nonce = random::<NONCE_LEN>()?;
    let cipher = XChaCha20Poly1305::new(&Key::from(*key));
    let sealed = cipher
        .encrypt(
            &XNonce::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| V2Error::Random("encryption failed".into()))?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce.as_slice());
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// `None` when the blob is malformed or does not authenticate.
fn open(key: &[u8; KEY_LEN], blob: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if blob.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, sealed) = blob.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let cipher = XChaCha20Poly1305::new(&Key::from(*key));
    cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: sealed, aad })
        .ok()
        .map(Zeroizing::new)
}

fn data_key_aad(kdf: &KdfParams, salt: &[u8]) -> Vec<u8> {
    let mut aad = AAD_DATA_KEY.to_vec();
    aad.extend_from_slice(&kdf.m_kib.to_be_bytes());
    aad.extend_from_slice(&kdf.t.to_be_bytes());
    aad.extend_from_slice(&kdf.p.to_be_bytes());
    push_lp(&mut aad, salt);
    aad
}

/// The AAD of one wallet row: signatureId ‖ chain ‖ network, each length-prefixed.
pub(crate) fn entry_aad(id: &str, chain: &str, network: &str) -> Vec<u8> {
    let mut aad = AAD_ENTRY.to_vec();
    push_lp(&mut aad, id.as_bytes());
    push_lp(&mut aad, chain.as_bytes());
    push_lp(&mut aad, network.as_bytes());
    aad
}

/// The clear `chain` and `network` columns of an entry ("" when the entry has none).
fn entry_labels(entry: &WalletEntry) -> (String, &'static str) {
    let chain = entry.chain_code().unwrap_or("").to_string();
    let network = match entry.testnet() {
        Some(true) => "testnet",
        Some(false) => "mainnet",
        None => "",
    };
    (chain, network)
}

/// The password-derived wrapping of the data key, as stored in the header row.
struct KeyBlock {
    kdf: KdfParams,
    salt: Vec<u8>,
    wrapped: Vec<u8>,
}

impl KeyBlock {
    fn wrap(
        data_key: &[u8; KEY_LEN],
        password: &[u8],
        kdf: KdfParams,
    ) -> Result<KeyBlock, V2Error> {
        let salt = random::<SALT_LEN>()?.to_vec();
        let kek = kdf.derive(password, &salt)?;
        let wrapped = seal(&kek, data_key, &data_key_aad(&kdf, &salt))?;
        Ok(KeyBlock { kdf, salt, wrapped })
    }

    fn unwrap(&self, password: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, V2Error> {
        let kek = self.kdf.derive(password, &self.salt)?;
        let plain = open(&kek, &self.wrapped, &data_key_aad(&self.kdf, &self.salt))
            .ok_or(V2Error::WrongPassword)?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if plain.len() != KEY_LEN {
            return Err(V2Error::Corrupt("the data key has the wrong length".into()));
        }
        key.copy_from_slice(&plain);
        Ok(key)
    }
}

/// The two layouts of the manifest, told apart by `PRAGMA user_version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// user_version 2: the manifest lists every id in order (every read opens every row).
    IdList,
    /// user_version 3: the manifest holds the row count, the largest position and the XOR
    /// of the rows' keyed hashes (lookups and single-row writes stay O(1) rows).
    Digest,
}

fn read_key_block(conn: &Connection) -> Result<(KeyBlock, Layout), V2Error> {
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let layout = match (app_id, version) {
        (APPLICATION_ID, USER_VERSION) => Layout::Digest,
        (APPLICATION_ID, USER_VERSION_ID_LIST) => Layout::IdList,
        _ => {
            return Err(V2Error::Corrupt(format!(
                "an SQLite database but not a tatum-kms v2 wallet (application_id {app_id:#x}, user_version {version})"
            )))
        }
    };
    let row = conn
        .query_row(
            "SELECT format, kdf, kdf_version, kdf_m_kib, kdf_t, kdf_p, kdf_salt, wrapped_key
             FROM kms_header WHERE singleton = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Vec<u8>>(6)?,
                    r.get::<_, Vec<u8>>(7)?,
                ))
            },
        )
        .optional()
        .map_err(|e| match V2Error::from(e) {
            V2Error::Database(m) => V2Error::Corrupt(format!("unreadable header ({m})")),
            other => other,
        })?;
    let Some((format, kdf, kdf_version, m, t, p, salt, wrapped)) = row else {
        return Err(V2Error::Corrupt("the header row is missing".into()));
    };
    if format != FORMAT_NAME || kdf != "argon2id" || kdf_version != 0x13 {
        return Err(V2Error::Corrupt(format!(
            "unsupported format '{format}' / key derivation '{kdf}' version {kdf_version}"
        )));
    }
    let num = |v: i64| u32::try_from(v).map_err(|_| V2Error::Corrupt("bad KDF parameter".into()));
    Ok((
        KeyBlock {
            kdf: KdfParams {
                m_kib: num(m)?,
                t: num(t)?,
                p: num(p)?,
            },
            salt,
            wrapped,
        },
        layout,
    ))
}

/// Keyed BLAKE2b with a 32-byte output (RFC 7693 keyed mode, as Python's
/// `hashlib.blake2b(msg, key=key, digest_size=32)`).
fn keyed_blake2b(key: &[u8; KEY_LEN], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        <Blake2bMac<blake2::digest::consts::U32> as blake2::digest::KeyInit>::new_from_slice(key)
            .expect("a 32-byte BLAKE2b key is valid");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The key of the row hashes: `BLAKE2b-256(key = data key, "tatum-kms v2 row tag key")`.
fn tag_key(data_key: &[u8; KEY_LEN]) -> Zeroizing<[u8; KEY_LEN]> {
    Zeroizing::new(keyed_blake2b(data_key, &[TAG_KEY_LABEL]))
}

/// One row's keyed hash: `BLAKE2b-256(key = tag key, "tatum-kms v2 row" ‖ lp(id) ‖
/// be64(position) ‖ lp(chain) ‖ lp(network) ‖ lp(sealed))`. It binds everything a row
/// holds; without the data key nobody can compute it, and it is never stored.
fn row_tag(
    tag_key: &[u8; KEY_LEN],
    id: &str,
    position: i64,
    chain: &str,
    network: &str,
    sealed: &[u8],
) -> [u8; 32] {
    let mut framed = Vec::with_capacity(64 + id.len() + chain.len() + network.len());
    framed.extend_from_slice(ROW_TAG_LABEL);
    push_lp(&mut framed, id.as_bytes());
    framed.extend_from_slice(&position.to_be_bytes());
    push_lp(&mut framed, chain.as_bytes());
    push_lp(&mut framed, network.as_bytes());
    framed.extend_from_slice(&(sealed.len() as u32).to_be_bytes());
    keyed_blake2b(tag_key, &[&framed, sealed])
}

/// The manifest of layout 3: how many rows there are, an upper bound of their positions
/// (where the next wallet in front goes), and the XOR of their row hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Summary {
    count: u64,
    top: i64,
    digest: [u8; 32],
}

impl Summary {
    const EMPTY: Summary = Summary {
        count: 0,
        top: -1,
        digest: [0; 32],
    };

    fn xor(&mut self, tag: &[u8; 32]) {
        for (d, t) in self.digest.iter_mut().zip(tag) {
            *d ^= t;
        }
    }

    fn add(&mut self, tag: &[u8; 32], position: i64) {
        self.xor(tag);
        self.count += 1;
        self.top = self.top.max(position);
    }

    fn remove(&mut self, tag: &[u8; 32]) {
        self.xor(tag);
        self.count = self.count.saturating_sub(1);
    }

    fn seal(&self, key: &[u8; KEY_LEN]) -> Result<Vec<u8>, V2Error> {
        let value = serde_json::json!({
            "count": self.count,
            "top": self.top,
            "digest": hex::encode(self.digest),
        });
        let plain = serde_json::to_vec(&value).unwrap_or_default();
        seal(key, &plain, AAD_DIGEST_MANIFEST)
    }

    fn open(key: &[u8; KEY_LEN], blob: &[u8]) -> Result<Summary, V2Error> {
        let plain = open(key, blob, AAD_DIGEST_MANIFEST)
            .ok_or_else(|| V2Error::Corrupt("the manifest does not authenticate".into()))?;
        let bad = || V2Error::Corrupt("the manifest is malformed".into());
        let value: Value = serde_json::from_slice(&plain).map_err(|_| bad())?;
        let digest = value["digest"]
            .as_str()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
            .ok_or_else(bad)?;
        Ok(Summary {
            count: value["count"].as_u64().ok_or_else(bad)?,
            top: value["top"].as_i64().ok_or_else(bad)?,
            digest,
        })
    }
}

/// One stored row as read back, with what a writer needs to maintain the manifest.
struct Row {
    position: i64,
    entry: WalletEntry,
    tag: [u8; 32],
    sealed: Vec<u8>,
    chain: String,
    network: String,
}

impl Row {
    /// A stored row, opened with its own AAD and checked, with its hash for the manifest.
    fn open(
        key: &[u8; KEY_LEN],
        tag_key: &[u8; KEY_LEN],
        id: &str,
        position: i64,
        chain: String,
        network: String,
        sealed: Vec<u8>,
    ) -> Result<Self, V2Error> {
        let entry = open_row(key, id, &chain, &network, &sealed)?;
        let tag = row_tag(tag_key, id, position, &chain, &network, &sealed);
        Ok(Row {
            position,
            entry,
            tag,
            sealed,
            chain,
            network,
        })
    }
}

/// An opened, unlocked store: the connection, the data key and the manifest layout.
pub(crate) struct Unlocked {
    conn: Connection,
    data_key: Zeroizing<[u8; KEY_LEN]>,
    tag_key: Zeroizing<[u8; KEY_LEN]>,
    layout: Layout,
}

/// Opens an existing file (never creates one). Read-write, so that the journal of a
/// killed writer can be rolled back by whoever opens the file next.
fn connect(path: &Path) -> Result<Connection, V2Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), V2Error> {
    conn.busy_timeout(Duration::from_secs(30))?;
    // Rollback journal (not WAL): the main file changes on every commit, so the daemon's
    // change detection (mtime, size) sees it, and the store stays one file at rest.
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

pub(crate) fn unlock(path: &Path, password: &[u8]) -> Result<Unlocked, V2Error> {
    let conn = connect(path)?;
    let (block, layout) = read_key_block(&conn)?;
    let data_key = block.unwrap(password)?;
    let tag_key = tag_key(&data_key);
    Ok(Unlocked {
        conn,
        data_key,
        tag_key,
        layout,
    })
}

fn manifest_blob(conn: &Connection) -> Result<Vec<u8>, V2Error> {
    conn.query_row(
        "SELECT manifest FROM kms_header WHERE singleton = 1",
        [],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| V2Error::Corrupt("the header row is missing".into()))
}

/// The layout-3 manifest, checked against SQLite's own count of the rows (which also reads
/// every page of the id index, so a truncated file fails here).
fn read_summary(conn: &Connection, key: &[u8; KEY_LEN]) -> Result<Summary, V2Error> {
    let summary = Summary::open(key, &manifest_blob(conn)?)?;
    let rows: i64 = conn.query_row("SELECT count(*) FROM kms_wallets", [], |r| r.get(0))?;
    if u64::try_from(rows).ok() != Some(summary.count) {
        return Err(V2Error::Corrupt(format!(
            "the wallet rows do not match the manifest ({rows} rows, manifest counts {}): rows were deleted or added",
            summary.count
        )));
    }
    Ok(summary)
}

fn write_summary(conn: &Connection, key: &[u8; KEY_LEN], summary: &Summary) -> Result<(), V2Error> {
    let changed = conn.execute(
        "UPDATE kms_header SET manifest = ?1 WHERE singleton = 1",
        [summary.seal(key)?],
    )?;
    if changed != 1 {
        return Err(V2Error::Corrupt("the header row is missing".into()));
    }
    Ok(())
}

/// Opens one row's entry with its own id, chain and network, and checks that the entry's
/// `chain` / `testnet` fields give the same two columns.
fn open_row(
    key: &[u8; KEY_LEN],
    id: &str,
    chain: &str,
    network: &str,
    sealed: &[u8],
) -> Result<WalletEntry, V2Error> {
    let plain = open(key, sealed, &entry_aad(id, chain, network)).ok_or_else(|| {
        V2Error::Corrupt(format!("the entry of wallet {id} does not authenticate"))
    })?;
    let value: Value = serde_json::from_slice(&plain)
        .map_err(|_| V2Error::Corrupt(format!("the entry of wallet {id} is not JSON")))?;
    let entry = WalletEntry::from_json(value);
    let (c, n) = entry_labels(&entry);
    if c != chain || n != network {
        return Err(V2Error::Corrupt(format!(
            "wallet {id}: stored chain/network do not match the entry"
        )));
    }
    Ok(entry)
}

/// Reads every row in map order, opening each and checking the whole set against the
/// manifest (either layout). Returns the rows and the layout-3 manifest they give.
fn read_rows(
    conn: &Connection,
    key: &[u8; KEY_LEN],
    tag_key: &[u8; KEY_LEN],
    layout: Layout,
) -> Result<(Vec<(String, Row)>, Summary), V2Error> {
    let blob = manifest_blob(conn)?;
    let mut statement = conn.prepare(
        "SELECT signature_id, position, chain, network, sealed FROM kms_wallets
         ORDER BY position DESC, signature_id",
    )?;
    let mut rows = statement.query([])?;
    let mut out = Vec::new();
    let mut found = Summary::EMPTY;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let row = Row::open(
            key,
            tag_key,
            &id,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        )?;
        found.add(&row.tag, row.position);
        out.push((id, row));
    }
    let mut seen = HashSet::with_capacity(out.len());
    if !out.iter().all(|(id, _)| seen.insert(id.as_str())) {
        return Err(V2Error::Corrupt(
            "the wallet rows do not match the manifest: an id appears twice".into(),
        ));
    }
    match layout {
        Layout::IdList => {
            let manifest = open(key, &blob, AAD_MANIFEST)
                .ok_or_else(|| V2Error::Corrupt("the manifest does not authenticate".into()))?;
            let manifest: Value = serde_json::from_slice(&manifest)
                .map_err(|_| V2Error::Corrupt("the manifest is not JSON".into()))?;
            let expected: Vec<&str> = manifest["ids"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let count = manifest["count"].as_u64();
            let ids: Vec<&str> = out.iter().map(|(id, _)| id.as_str()).collect();
            if count != Some(ids.len() as u64) || ids != expected {
                return Err(V2Error::Corrupt(format!(
                    "the wallet rows do not match the manifest ({} rows, manifest lists {}): rows were deleted, added or reordered",
                    ids.len(),
                    expected.len()
                )));
            }
        }
        Layout::Digest => {
            let stored = Summary::open(key, &blob)?;
            if stored.count != found.count
                || stored.digest != found.digest
                || stored.top < found.top
            {
                return Err(V2Error::Corrupt(format!(
                    "the wallet rows do not match the manifest ({} rows, manifest counts {}): rows were deleted, added, reordered or replaced",
                    found.count, stored.count
                )));
            }
            found.top = stored.top;
        }
    }
    Ok((out, found))
}

impl Unlocked {
    /// Reads the whole store in one read transaction, verifying every row.
    pub(crate) fn read(&mut self) -> Result<Wallets, V2Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let (rows, _) = read_rows(&tx, &self.data_key, &self.tag_key, self.layout)?;
        drop(tx);
        let mut wallets = Wallets::new();
        for (id, row) in rows {
            wallets.push_back(id, row.entry);
        }
        Ok(wallets)
    }

    /// One wallet by id: reads the header, the manifest, SQLite's row count and that row
    /// only (layout 3). The entry is authentic (its seal binds id, chain and network); a
    /// deleted or added row shows as a wrong count. Layout-2 files are read whole.
    pub(crate) fn get(&mut self, id: &str) -> Result<Option<WalletEntry>, V2Error> {
        if self.layout == Layout::IdList {
            let mut wallets = self.read()?;
            return Ok(wallets.remove(id));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        read_summary(&tx, &self.data_key)?;
        let found = find_row(&tx, &self.data_key, &self.tag_key, id)?;
        Ok(found.map(|row| row.entry))
    }

    /// Reads, applies `change`, and writes only what changed, all in one IMMEDIATE
    /// transaction; when `change` fails nothing is written. A layout-2 file is upgraded to
    /// layout 3 in the same transaction.
    pub(crate) fn modify<T, E>(
        &mut self,
        change: impl FnOnce(&mut Wallets) -> Result<T, E>,
    ) -> Result<Result<T, E>, V2Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (rows, mut summary) = read_rows(&tx, &self.data_key, &self.tag_key, self.layout)?;
        let mut wallets = Wallets::new();
        let mut old: HashMap<String, Row> = HashMap::with_capacity(rows.len());
        for (id, row) in rows {
            wallets.push_back(id.clone(), row.entry.clone());
            old.insert(id, row);
        }
        let result = match change(&mut wallets) {
            Ok(value) => value,
            Err(e) => return Ok(Err(e)),
        };
        write_diff(
            &tx,
            &self.data_key,
            &self.tag_key,
            &old,
            &wallets,
            &mut summary,
        )?;
        write_summary(&tx, &self.data_key, &summary)?;
        if self.layout == Layout::IdList {
            tx.pragma_update(None, "user_version", USER_VERSION)?;
        }
        tx.commit()?;
        self.layout = Layout::Digest;
        Ok(Ok(result))
    }

    /// Puts each entry in front of the others, in order (the last one ends up first), as
    /// repeated `Wallets::insert_first` would; an existing id is replaced. Layout 3: one
    /// IMMEDIATE transaction that inserts the rows and updates the manifest, whatever the
    /// number of wallets already stored. A layout-2 file goes through `modify` (and is
    /// upgraded).
    pub(crate) fn insert_first(
        &mut self,
        entries: Vec<(String, WalletEntry)>,
    ) -> Result<(), V2Error> {
        if self.layout == Layout::IdList {
            return self
                .modify(|wallets| {
                    wallets.insert_first_all(entries);
                    Ok::<_, std::convert::Infallible>(())
                })
                .map(|_| ());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut summary = read_summary(&tx, &self.data_key)?;
        for (id, entry) in &entries {
            if let Some(old) = find_row(&tx, &self.data_key, &self.tag_key, id)? {
                summary.remove(&old.tag);
                tx.execute("DELETE FROM kms_wallets WHERE signature_id = ?1", [id])?;
            }
            let position = summary
                .top
                .checked_add(1)
                .ok_or_else(|| V2Error::Corrupt("the manifest is malformed".into()))?;
            let tag = insert_row(&tx, &self.data_key, &self.tag_key, id, entry, position)?;
            summary.add(&tag, position);
        }
        write_summary(&tx, &self.data_key, &summary)?;
        tx.commit()?;
        Ok(())
    }

    /// Removes one wallet; `false` (and nothing written) when there is none with that id.
    /// Layout 3: one row deleted and the manifest updated, in one transaction.
    pub(crate) fn remove(&mut self, id: &str) -> Result<bool, V2Error> {
        if self.layout == Layout::IdList {
            return self
                .modify(|wallets| wallets.remove(id).map(|_| ()).ok_or(()))
                .map(|r| r.is_ok());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut summary = read_summary(&tx, &self.data_key)?;
        let Some(old) = find_row(&tx, &self.data_key, &self.tag_key, id)? else {
            return Ok(false);
        };
        summary.remove(&old.tag);
        tx.execute("DELETE FROM kms_wallets WHERE signature_id = ?1", [id])?;
        write_summary(&tx, &self.data_key, &summary)?;
        tx.commit()?;
        Ok(true)
    }

    /// Rewraps the data key under a new password: one header update, whatever the number
    /// of wallets. The entries and the manifest are untouched.
    pub(crate) fn rewrap(&mut self, new_password: &[u8], kdf: KdfParams) -> Result<(), V2Error> {
        let block = KeyBlock::wrap(&self.data_key, new_password, kdf)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE kms_header SET kdf_m_kib = ?1, kdf_t = ?2, kdf_p = ?3, kdf_salt = ?4,
             wrapped_key = ?5 WHERE singleton = 1",
            params![
                block.kdf.m_kib,
                block.kdf.t,
                block.kdf.p,
                block.salt,
                block.wrapped
            ],
        )?;
        if changed != 1 {
            return Err(V2Error::Corrupt("the header row is missing".into()));
        }
        tx.commit()?;
        Ok(())
    }
}

/// The stored row of one id, opened and checked (`None` when there is none).
fn find_row(
    conn: &Connection,
    key: &[u8; KEY_LEN],
    tag_key: &[u8; KEY_LEN],
    id: &str,
) -> Result<Option<Row>, V2Error> {
    let row = conn
        .prepare_cached(
            "SELECT position, chain, network, sealed FROM kms_wallets WHERE signature_id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .optional()?;
    let Some((position, chain, network, sealed)) = row else {
        return Ok(None);
    };
    Row::open(key, tag_key, id, position, chain, network, sealed).map(Some)
}

/// Seals `entry` and inserts its row at `position`; returns the row's hash.
fn insert_row(
    conn: &Connection,
    key: &[u8; KEY_LEN],
    tag_key: &[u8; KEY_LEN],
    id: &str,
    entry: &WalletEntry,
    position: i64,
) -> Result<[u8; 32], V2Error> {
    let (chain, network) = entry_labels(entry);
    let plain = Zeroizing::new(serde_json::to_vec(entry.as_json()).unwrap_or_default());
    let sealed = seal(key, &plain, &entry_aad(id, &chain, network))?;
    conn.prepare_cached(
        "INSERT INTO kms_wallets (signature_id, position, chain, network, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, position, chain, network, sealed])?;
    Ok(row_tag(tag_key, id, position, &chain, network, &sealed))
}

/// Brings the rows from `old` to `new` with as few writes as possible: removed ids are
/// deleted, new or changed entries sealed, positions kept where they still give the right
/// order (so adding a wallet in front touches one row); `summary` follows every change.
fn write_diff(
    conn: &Connection,
    key: &[u8; KEY_LEN],
    tag_key: &[u8; KEY_LEN],
    old: &HashMap<String, Row>,
    new: &Wallets,
    summary: &mut Summary,
) -> Result<(), V2Error> {
    for (id, row) in old {
        if !new.contains(id) {
            conn.execute("DELETE FROM kms_wallets WHERE signature_id = ?1", [id])?;
            summary.remove(&row.tag);
        }
    }
    let order: Vec<(&str, &WalletEntry)> = new.iter().collect();
    let mut floor: i64 = -1;
    for (id, entry) in order.iter().rev() {
        match old.get(*id) {
            Some(row) if row.entry == **entry => {
                if row.position > floor {
                    floor = row.position;
                } else {
                    floor += 1;
                    conn.execute(
                        "UPDATE kms_wallets SET position = ?1 WHERE signature_id = ?2",
                        params![floor, id],
                    )?;
                    summary.remove(&row.tag);
                    let tag = row_tag(tag_key, id, floor, &row.chain, &row.network, &row.sealed);
                    summary.add(&tag, floor);
                }
            }
            existing => {
                floor += 1;
                if let Some(row) = existing {
                    conn.execute("DELETE FROM kms_wallets WHERE signature_id = ?1", [id])?;
                    summary.remove(&row.tag);
                }
                let tag = insert_row(conn, key, tag_key, id, entry, floor)?;
                summary.add(&tag, floor);
            }
        }
    }
    Ok(())
}

/// Writes a complete new store into `path` (an empty or missing file that nobody else
/// uses yet: the caller renames it into place afterwards).
pub(crate) fn create(
    path: &Path,
    wallets: &Wallets,
    password: &[u8],
    kdf: KdfParams,
) -> Result<(), V2Error> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    let data_key = random::<KEY_LEN>()?;
    let tag_key = tag_key(&data_key);
    let block = KeyBlock::wrap(&data_key, password, kdf)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", USER_VERSION)?;
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT INTO kms_header (singleton, format, kdf, kdf_version, kdf_m_kib, kdf_t, kdf_p,
         kdf_salt, wrapped_key, manifest) VALUES (1, ?1, 'argon2id', 19, ?2, ?3, ?4, ?5, ?6, x'')",
        params![
            FORMAT_NAME,
            block.kdf.m_kib,
            block.kdf.t,
            block.kdf.p,
            block.salt,
            block.wrapped
        ],
    )?;
    let mut summary = Summary::EMPTY;
    write_diff(
        &tx,
        &data_key,
        &tag_key,
        &HashMap::new(),
        wallets,
        &mut summary,
    )?;
    write_summary(&tx, &data_key, &summary)?;
    tx.commit()?;
    conn.close().map_err(|(_, e)| V2Error::from(e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_core::Chain;

    fn entry(key: &str, chain: Chain, testnet: bool) -> WalletEntry {
        WalletEntry::build([("privateKey", key.to_string())], chain, testnet)
    }

    fn sample() -> Wallets {
        let mut w = Wallets::new();
        w.push_back("a".into(), entry("ka", Chain::Eth, false));
        w.push_back("b".into(), entry("kb", Chain::Btc, true));
        w.push_back(
            "c".into(),
            WalletEntry::from_json(serde_json::json!({"odd": [1, "x"]})),
        );
        w
    }

    fn new_store(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("w.db");
        create(&path, &sample(), b"pw", KdfParams::TEST).unwrap();
        path
    }

    fn ids(w: &Wallets) -> Vec<String> {
        w.ids().map(str::to_string).collect()
    }

    fn err_of(path: &Path, pw: &[u8]) -> V2Error {
        match unlock(path, pw).and_then(|mut u| u.read()) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        }
    }

    #[test]
    fn round_trip_keeps_order_and_json() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        let mut head = [0u8; 16];
        std::io::Read::read_exact(&mut std::fs::File::open(&path).unwrap(), &mut head).unwrap();
        assert_eq!(&head, SQLITE_MAGIC);
        let back = unlock(&path, b"pw").unwrap().read().unwrap();
        assert_eq!(ids(&back), ["a", "b", "c"]);
        assert_eq!(back.to_plaintext(), sample().to_plaintext());
    }

    #[test]
    fn modify_inserts_in_front_and_removes() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        let mut u = unlock(&path, b"pw").unwrap();
        u.modify(|w| {
            w.insert_first("n".into(), entry("kn", Chain::Sol, false));
            w.remove("b");
            Ok::<_, ()>(())
        })
        .unwrap()
        .unwrap();
        // A failed change writes nothing.
        let failed = u
            .modify(|w| {
                w.remove("a");
                Err::<(), _>("no")
            })
            .unwrap();
        assert!(failed.is_err());
        let back = unlock(&path, b"pw").unwrap().read().unwrap();
        assert_eq!(ids(&back), ["n", "a", "c"]);
    }

    #[test]
    fn wrong_password_is_reported_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        assert!(matches!(err_of(&path, b"pW"), V2Error::WrongPassword));
    }

    #[test]
    fn rewrap_changes_the_password_only() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        unlock(&path, b"pw")
            .unwrap()
            .rewrap(
                b"new",
                KdfParams {
                    m_kib: 16,
                    t: 2,
                    p: 1,
                },
            )
            .unwrap();
        assert!(matches!(err_of(&path, b"pw"), V2Error::WrongPassword));
        let back = unlock(&path, b"new").unwrap().read().unwrap();
        assert_eq!(back.to_plaintext(), sample().to_plaintext());
    }

    fn tamper(path: &Path, sql: &str) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(sql).unwrap();
    }

    fn assert_corrupt(path: &Path, needle: &str) {
        match err_of(path, b"pw") {
            V2Error::Corrupt(m) => assert!(m.contains(needle), "{m}"),
            other => panic!("expected corruption, got {other:?}"),
        }
    }

    #[test]
    fn swapped_ciphertexts_are_detected() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        // A real swap (both blobs read first), so that each row holds the other's blob.
        tamper(
            &path,
            "CREATE TEMP TABLE s AS SELECT signature_id, sealed FROM kms_wallets;
             UPDATE kms_wallets SET sealed = (SELECT sealed FROM s WHERE s.signature_id =
               CASE kms_wallets.signature_id WHEN 'a' THEN 'b' ELSE 'a' END)
             WHERE signature_id IN ('a', 'b');",
        );
        assert_corrupt(&path, "does not authenticate");
        let mut u = unlock(&path, b"pw").unwrap();
        for id in ["a", "b"] {
            assert!(
                matches!(u.get(id), Err(V2Error::Corrupt(m)) if m.contains("does not authenticate"))
            );
        }
    }

    #[test]
    fn swapped_positions_deleted_and_added_rows_are_detected() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        tamper(
            &path,
            "UPDATE kms_wallets SET position = CASE signature_id WHEN 'a' THEN
               (SELECT position FROM kms_wallets WHERE signature_id = 'c') ELSE
               (SELECT position FROM kms_wallets WHERE signature_id = 'a') END
             WHERE signature_id IN ('a', 'c');",
        );
        assert_corrupt(&path, "manifest");

        let path = new_store(&tmp.path().join("x").tap_mkdir());
        tamper(&path, "DELETE FROM kms_wallets WHERE signature_id = 'b';");
        assert_corrupt(&path, "manifest");

        // A row copied from another file sealed under another key does not open; one
        // relabelled to another chain does not either.
        let path = new_store(&tmp.path().join("y").tap_mkdir());
        tamper(
            &path,
            "UPDATE kms_wallets SET chain = 'ETH' WHERE signature_id = 'b';",
        );
        assert_corrupt(&path, "does not authenticate");
    }

    #[test]
    fn flipped_bytes_and_truncation_are_detected() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        let pristine = std::fs::read(&path).unwrap();
        // Flip one bit in every byte position of the last page (where the rows live) in turn
        // would take long; flip a byte inside each sealed blob instead, then the file tail.
        let conn = Connection::open(&path).unwrap();
        let blobs: Vec<Vec<u8>> = conn
            .prepare("SELECT sealed FROM kms_wallets")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        drop(conn);
        for blob in blobs {
            let at = pristine
                .windows(blob.len())
                .position(|w| w == blob.as_slice())
                .unwrap();
            for offset in [0, NONCE_LEN, blob.len() - 1] {
                let mut bytes = pristine.clone();
                bytes[at + offset] ^= 0x01;
                std::fs::write(&path, &bytes).unwrap();
                assert_corrupt(&path, "");
            }
        }
        for keep in [pristine.len() / 2, 100, 17] {
            std::fs::write(&path, &pristine[..keep]).unwrap();
            let err = err_of(&path, b"pw");
            assert!(
                matches!(err, V2Error::Corrupt(_)),
                "truncated to {keep}: {err:?}"
            );
        }
    }

    trait TapMkdir {
        fn tap_mkdir(self) -> Self;
    }
    impl TapMkdir for std::path::PathBuf {
        fn tap_mkdir(self) -> Self {
            std::fs::create_dir_all(&self).unwrap();
            self
        }
    }

    #[test]
    fn aad_is_unambiguous() {
        assert_ne!(entry_aad("ab", "c", ""), entry_aad("a", "bc", ""));
    }

    #[test]
    fn hostile_kdf_parameters_are_refused() {
        let huge = KdfParams {
            m_kib: u32::MAX,
            t: 1,
            p: 1,
        };
        assert!(matches!(
            huge.derive(b"x", &[0; 16]),
            Err(V2Error::Corrupt(_))
        ));
    }

    fn tags_of(path: &Path) -> Vec<(String, Vec<u8>)> {
        let conn = Connection::open(path).unwrap();
        let mut st = conn
            .prepare("SELECT signature_id, sealed FROM kms_wallets ORDER BY signature_id")
            .unwrap();
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows
    }

    #[test]
    fn lookups_and_single_writes_keep_the_manifest_exact() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        let mut u = unlock(&path, b"pw").unwrap();
        assert_eq!(u.get("b").unwrap(), Some(entry("kb", Chain::Btc, true)));
        assert_eq!(u.get("zz").unwrap(), None);
        u.insert_first(vec![
            ("n1".into(), entry("k1", Chain::Sol, false)),
            ("n2".into(), entry("k2", Chain::Eth, true)),
        ])
        .unwrap();
        // Replacing an existing id moves it to the front.
        u.insert_first(vec![("c".into(), entry("kc", Chain::Xrp, false))])
            .unwrap();
        assert!(u.remove("a").unwrap());
        assert!(!u.remove("a").unwrap());
        // A full read re-checks every row against the manifest kept up to date above.
        let back = unlock(&path, b"pw").unwrap().read().unwrap();
        assert_eq!(ids(&back), ["c", "n2", "n1", "b"]);
        assert_eq!(back.get("c"), Some(&entry("kc", Chain::Xrp, false)));
        // And a general modify on top of that.
        unlock(&path, b"pw")
            .unwrap()
            .modify(|w| {
                w.remove("n2");
                w.insert_first("m".into(), entry("km", Chain::Ltc, false));
                Ok::<_, ()>(())
            })
            .unwrap()
            .unwrap();
        let back = unlock(&path, b"pw").unwrap().read().unwrap();
        assert_eq!(ids(&back), ["m", "c", "n1", "b"]);
    }

    #[test]
    fn lookups_and_writes_see_deleted_rows_and_bad_rows() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        tamper(&path, "DELETE FROM kms_wallets WHERE signature_id = 'c';");
        let mut u = unlock(&path, b"pw").unwrap();
        for err in [
            u.get("a").unwrap_err(),
            u.insert_first(vec![("n".into(), entry("kn", Chain::Eth, false))])
                .unwrap_err(),
            u.remove("a").unwrap_err(),
        ] {
            assert!(
                matches!(&err, V2Error::Corrupt(m) if m.contains("manifest")),
                "{err:?}"
            );
        }
        let path = new_store(&tmp.path().join("x").tap_mkdir());
        tamper(
            &path,
            "UPDATE kms_wallets SET chain = 'LTC' WHERE signature_id = 'b';",
        );
        let mut u = unlock(&path, b"pw").unwrap();
        assert!(
            matches!(u.get("b"), Err(V2Error::Corrupt(m)) if m.contains("does not authenticate"))
        );
        assert!(u.get("a").unwrap().is_some());
    }

    #[test]
    fn a_row_replaced_by_an_older_sealed_row_is_detected() {
        // The attacker keeps a copy of the file, the wallet set changes, then they put an
        // older row back in place of a current one: every row still opens and the count
        // is right, but the set digest is not.
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        let old = tags_of(&path);
        let mut u = unlock(&path, b"pw").unwrap();
        u.insert_first(vec![("b".into(), entry("kb2", Chain::Btc, true))])
            .unwrap();
        let (_, old_b) = old.iter().find(|(id, _)| id == "b").unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE kms_wallets SET sealed = ?1 WHERE signature_id = 'b'",
            [old_b],
        )
        .unwrap();
        drop(conn);
        assert_corrupt(&path, "manifest");

        // A removed wallet's row put back in place of another one.
        let path = new_store(&tmp.path().join("r").tap_mkdir());
        let conn = Connection::open(&path).unwrap();
        let a_row: (i64, String, String, Vec<u8>) = conn
            .query_row(
                "SELECT position, chain, network, sealed FROM kms_wallets WHERE signature_id = 'a'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        drop(conn);
        assert!(unlock(&path, b"pw").unwrap().remove("a").unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute("DELETE FROM kms_wallets WHERE signature_id = 'c'", [])
            .unwrap();
        conn.execute(
            "INSERT INTO kms_wallets VALUES ('a', ?1, ?2, ?3, ?4)",
            params![a_row.0, a_row.1, a_row.2, a_row.3],
        )
        .unwrap();
        drop(conn);
        assert_corrupt(&path, "manifest");
    }

    /// Builds the first layout (user_version 2, id-list manifest) from a current file.
    fn downgrade_to_id_list(path: &Path) {
        let u = unlock(path, b"pw").unwrap();
        let ids: Vec<String> = u
            .conn
            .prepare("SELECT signature_id FROM kms_wallets ORDER BY position DESC")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plain =
            serde_json::to_vec(&serde_json::json!({"count": ids.len(), "ids": ids})).unwrap();
        let manifest = seal(&u.data_key, &plain, AAD_MANIFEST).unwrap();
        u.conn
            .execute("UPDATE kms_header SET manifest = ?1", [manifest])
            .unwrap();
        u.conn
            .pragma_update(None, "user_version", USER_VERSION_ID_LIST)
            .unwrap();
    }

    #[test]
    fn id_list_files_are_read_and_upgraded_by_the_first_write() {
        let tmp = tempfile::tempdir().unwrap();
        let path = new_store(tmp.path());
        downgrade_to_id_list(&path);
        let version = |p: &Path| -> i32 {
            Connection::open(p)
                .unwrap()
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(version(&path), USER_VERSION_ID_LIST);
        let mut u = unlock(&path, b"pw").unwrap();
        assert_eq!(ids(&u.read().unwrap()), ["a", "b", "c"]);
        assert_eq!(u.get("a").unwrap(), Some(entry("ka", Chain::Eth, false)));
        assert_eq!(version(&path), USER_VERSION_ID_LIST, "reads change nothing");
        u.insert_first(vec![("n".into(), entry("kn", Chain::Eth, false))])
            .unwrap();
        assert_eq!(version(&path), USER_VERSION);
        let mut u = unlock(&path, b"pw").unwrap();
        assert_eq!(ids(&u.read().unwrap()), ["n", "a", "b", "c"]);
        assert!(u.remove("b").unwrap());
        assert_eq!(ids(&u.read().unwrap()), ["n", "a", "c"]);

        // The id-list manifest still catches what it caught.
        let path = new_store(&tmp.path().join("d").tap_mkdir());
        downgrade_to_id_list(&path);
        tamper(&path, "DELETE FROM kms_wallets WHERE signature_id = 'b';");
        assert_corrupt(&path, "manifest");
        assert!(unlock(&path, b"pw")
            .unwrap()
            .insert_first(vec![("n".into(), entry("kn", Chain::Eth, false))])
            .is_err());
    }

    #[test]
    fn row_tag_is_keyed_blake2b() {
        // hashlib.blake2b(b"tatum-kms v2 row tag key", key=bytes(range(32)), digest_size=32)
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(
            hex::encode(*tag_key(&key)),
            "07325dbfc7442ac3bef7f53e49baf8800eeee4a4d72328f58f7f841ad8ab1f78"
        );
        let framed_by_hand = {
            let mut m = ROW_TAG_LABEL.to_vec();
            push_lp(&mut m, b"id");
            m.extend_from_slice(&7i64.to_be_bytes());
            push_lp(&mut m, b"ETH");
            push_lp(&mut m, b"mainnet");
            push_lp(&mut m, b"sealed");
            m
        };
        assert_eq!(
            row_tag(&key, "id", 7, "ETH", "mainnet", b"sealed"),
            keyed_blake2b(&key, &[&framed_by_hand])
        );
    }
}
