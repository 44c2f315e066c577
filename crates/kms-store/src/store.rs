use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use kms_core::{SecretString, WalletEntry};
use tempfile::NamedTempFile;
use zeroize::Zeroizing;

use crate::legacy;
use crate::v2::{self, KdfParams, V2Error};
use crate::wallets::Wallets;

const TEMP_SUFFIX: &str = ".tmp";

/// What can go wrong with the wallet file. Messages name the file and never contain secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no wallet file at {0}")]
    NotFound(PathBuf),
    #[error("wrong password or corrupt wallet file: {path} ({reason})")]
    WrongPasswordOrCorrupt { path: PathBuf, reason: String },
    #[error("cannot read wallet file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write wallet file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot lock wallet file {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    #[error("wrong password for wallet file {0}")]
    WrongPassword(PathBuf),
    #[error("corrupt wallet file {path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot use wallet file {path}: {reason}")]
    Database { path: PathBuf, reason: String },
    #[error("wallet file {path} is already in the {format} format")]
    AlreadyInFormat { path: PathBuf, format: Format },
    #[error("migration of {path} stopped, nothing was changed: {reason}")]
    Migration { path: PathBuf, reason: String },
}

/// The two on-disk formats (see docs/STORE-V2.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The original's crypto-js file.
    Legacy,
    /// The SQLite store with sealed rows.
    V2,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Legacy => "legacy",
            Format::V2 => "v2",
        }
    }

    /// Recognises a file by its first bytes: SQLite's magic (or a non-empty prefix of it,
    /// a truncated v2 file) is v2; anything else, including an empty file, is legacy.
    pub fn detect(head: &[u8]) -> Format {
        let magic = v2::SQLITE_MAGIC.as_slice();
        let n = head.len().min(magic.len());
        if n > 0 && head[..n] == magic[..n] {
            Format::V2
        } else {
            Format::Legacy
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "legacy" => Ok(Format::Legacy),
            "v2" => Ok(Format::V2),
            other => Err(format!(
                "unknown wallet format '{other}': expected v2 or legacy"
            )),
        }
    }
}

/// What [`WalletStore::migrate`] did.
#[derive(Debug, Clone)]
pub struct Migration {
    pub from: Format,
    pub to: Format,
    pub wallets: usize,
    pub backup: PathBuf,
}

/// The wallet file at one path, in either format.
#[derive(Debug, Clone)]
pub struct WalletStore {
    path: PathBuf,
    new_format: Format,
    kdf: KdfParams,
}

impl WalletStore {
    /// A store whose new file (when `modify` finds none) is v2 with the default Argon2id
    /// parameters.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            new_format: Format::V2,
            kdf: KdfParams::DEFAULT,
        }
    }

    /// The format `modify` creates a missing file in. An existing file keeps its format.
    pub fn with_new_file_format(mut self, format: Format) -> Self {
        self.new_format = format;
        self
    }

    /// The Argon2id parameters for new v2 files and password changes.
    pub fn with_kdf(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// The format of the file on disk, or `None` when there is no file.
    pub fn format(&self) -> Result<Option<Format>, StoreError> {
        format_at(&self.path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// The lock file beside the wallet. A separate file, because the wallet itself is
    /// replaced by rename on every write and a lock on the old inode would not exclude
    /// a process that opened the new one.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "wallet.dat".into());
        name.push(".lock");
        self.path.with_file_name(name)
    }

    /// Reads and decrypts the whole store. An empty file is an empty store, as in the
    /// original. Reads need no lock: writers replace the file atomically.
    pub fn read(&self, password: &SecretString) -> Result<Wallets, StoreError> {
        match self.format()? {
            None => Err(StoreError::NotFound(self.path.clone())),
            Some(format) => self.read_as(format, password),
        }
    }

    /// Unlocks the v2 file and runs `f` on it; errors name the file.
    fn with_v2<T>(
        &self,
        password: &SecretString,
        f: impl FnOnce(&mut v2::Unlocked) -> Result<T, v2::V2Error>,
    ) -> Result<T, StoreError> {
        v2::unlock(&self.path, password.expose().as_bytes())
            .and_then(|mut store| f(&mut store))
            .map_err(|e| v2_error(&self.path, e))
    }

    fn read_as(&self, format: Format, password: &SecretString) -> Result<Wallets, StoreError> {
        match format {
            Format::V2 => self.with_v2(password, |store| store.read()),
            Format::Legacy => match self.read_text()? {
                None => Err(StoreError::NotFound(self.path.clone())),
                Some(text) => self.decode(&text, password),
            },
        }
    }

    /// One wallet by signatureId (`None` when there is none). v2 reads the header and that
    /// row only (plus SQLite's row count), whatever the number of wallets; legacy decrypts
    /// the whole file. Needs no lock, like [`WalletStore::read`].
    pub fn get(
        &self,
        password: &SecretString,
        signature_id: &str,
    ) -> Result<Option<WalletEntry>, StoreError> {
        match self.format()? {
            None => Err(StoreError::NotFound(self.path.clone())),
            Some(Format::V2) => self.with_v2(password, |store| store.get(signature_id)),
            Some(Format::Legacy) => {
                Ok(self.read_as(Format::Legacy, password)?.remove(signature_id))
            }
        }
    }

    /// Puts the entries in front of the others, in order (the last one ends up first), as
    /// `modify` with [`Wallets::insert_first`] for each would; an existing id is replaced.
    /// On a v2 file this writes the new rows and the manifest only, in one transaction,
    /// whatever the number of wallets; otherwise it is `modify`.
    pub fn insert_first(
        &self,
        password: &SecretString,
        entries: impl IntoIterator<Item = (String, WalletEntry)>,
    ) -> Result<(), StoreError> {
        let entries: Vec<(String, WalletEntry)> = entries.into_iter().collect();
        self.ensure_directory()?;
        let _lock = self.lock()?;
        if self.format()? != Some(Format::V2) {
            return self.modify_locked(password, |wallets| {
                wallets.insert_first_all(entries);
                Ok::<_, StoreError>(())
            });
        }
        self.with_v2(password, |store| store.insert_first(entries))
    }

    /// Removes one wallet; `false`, with nothing written, when there is none with that id.
    /// On a v2 file this deletes one row and updates the manifest, in one transaction.
    pub fn remove(&self, password: &SecretString, signature_id: &str) -> Result<bool, StoreError> {
        if !self.exists() {
            return Err(StoreError::NotFound(self.path.clone()));
        }
        let _lock = self.lock()?;
        match self.format()? {
            None => Err(StoreError::NotFound(self.path.clone())),
            Some(Format::V2) => self.with_v2(password, |store| store.remove(signature_id)),
            Some(Format::Legacy) => {
                /// Aborts the change (nothing written) when the id is absent.
                enum Outcome {
                    Absent,
                    Failed(StoreError),
                }
                impl From<StoreError> for Outcome {
                    fn from(e: StoreError) -> Self {
                        Outcome::Failed(e)
                    }
                }
                let removed = self.modify_locked(password, |wallets| {
                    wallets
                        .remove(signature_id)
                        .map(|_| ())
                        .ok_or(Outcome::Absent)
                });
                match removed {
                    Ok(()) => Ok(true),
                    Err(Outcome::Absent) => Ok(false),
                    Err(Outcome::Failed(e)) => Err(e),
                }
            }
        }
    }

    /// Runs `change` on the decrypted store under an exclusive lock and writes the result
    /// atomically when `change` succeeds. A missing file starts as an empty store; the file
    /// and its directory are created. When `change` fails, nothing is written.
    pub fn modify<T, E>(
        &self,
        password: &SecretString,
        change: impl FnOnce(&mut Wallets) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.ensure_directory()?;
        let _lock = self.lock()?;
        self.modify_locked(password, change)
    }

    /// `modify` for a caller that holds the lock.
    fn modify_locked<T, E>(
        &self,
        password: &SecretString,
        change: impl FnOnce(&mut Wallets) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match self.format()? {
            Some(Format::V2) => {
                let mut store = v2::unlock(&self.path, password.expose().as_bytes())
                    .map_err(|e| v2_error(&self.path, e))?;
                let outcome = store.modify(change).map_err(|e| v2_error(&self.path, e))?;
                Ok(outcome?)
            }
            Some(Format::Legacy) => {
                let mut wallets = match self.read_text()? {
                    None => Wallets::new(),
                    Some(text) => self.decode(&text, password)?,
                };
                let result = change(&mut wallets)?;
                self.write(&wallets, password)?;
                Ok(result)
            }
            None => {
                let mut wallets = Wallets::new();
                let result = change(&mut wallets)?;
                let temp = self.temp_file(self.new_format, &wallets, password)?;
                self.install(temp)?;
                Ok(result)
            }
        }
    }

    /// Changes the password. v2: the data key is rewrapped under the new password (one row
    /// written, whatever the number of wallets); legacy: the file is re-encrypted. Returns
    /// the file's format.
    pub fn change_password(
        &self,
        old: &SecretString,
        new: &SecretString,
    ) -> Result<Format, StoreError> {
        if !self.exists() {
            return Err(StoreError::NotFound(self.path.clone()));
        }
        let _lock = self.lock()?;
        match self.format()? {
            None => Err(StoreError::NotFound(self.path.clone())),
            Some(Format::V2) => {
                self.with_v2(old, |store| store.rewrap(new.expose().as_bytes(), self.kdf))?;
                Ok(Format::V2)
            }
            Some(Format::Legacy) => {
                let wallets = self.read_as(Format::Legacy, old)?;
                self.write(&wallets, new)?;
                Ok(Format::Legacy)
            }
        }
    }

    /// Converts the file to `to`: writes the converted store to a temp file, re-reads it
    /// and the source, compares every entry, keeps the old file as
    /// `<name>.bak-<unix time>` (0600), then renames the new file into place. Until that
    /// rename the original file is untouched.
    pub fn migrate(&self, password: &SecretString, to: Format) -> Result<Migration, StoreError> {
        if !self.exists() {
            return Err(StoreError::NotFound(self.path.clone()));
        }
        let _lock = self.lock()?;
        let from = self
            .format()?
            .ok_or_else(|| StoreError::NotFound(self.path.clone()))?;
        if from == to {
            return Err(StoreError::AlreadyInFormat {
                path: self.path.clone(),
                format: to,
            });
        }
        let wallets = self.read_as(from, password)?;
        let temp = self.temp_file(to, &wallets, password)?;
        let converted = read_path(temp.path(), to, password)?;
        let again = self.read_as(from, password)?;
        let mismatch = |reason: String| StoreError::Migration {
            path: self.path.clone(),
            reason,
        };
        compare(&wallets, &converted).map_err(|r| mismatch(format!("the {to} copy {r}")))?;
        compare(&wallets, &again).map_err(|r| mismatch(format!("the source, read again, {r}")))?;
        let backup = self.backup()?;
        self.install(temp)?;
        Ok(Migration {
            from,
            to,
            wallets: wallets.len(),
            backup,
        })
    }

    /// Keeps the current file as `<name>.bak-<unix time>`, 0600: a hard link when the file
    /// system allows it (the old inode survives the rename), a synced copy otherwise.
    fn backup(&self) -> Result<PathBuf, StoreError> {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "wallet.dat".into());
        name.push(format!(".bak-{secs}"));
        let backup = self.path.with_file_name(name);
        let err = |source| StoreError::Write {
            path: backup.clone(),
            source,
        };
        if fs::hard_link(&self.path, &backup).is_err() {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut out = options.open(&backup).map_err(err)?;
            let bytes = Zeroizing::new(fs::read(&self.path).map_err(err)?);
            out.write_all(&bytes).map_err(err)?;
            out.sync_all().map_err(err)?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&backup, fs::Permissions::from_mode(0o600)).map_err(err)?;
        }
        File::open(self.directory())
            .and_then(|d| d.sync_all())
            .map_err(err)?;
        Ok(backup)
    }

    fn read_text(&self) -> Result<Option<Zeroizing<String>>, StoreError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(Some(Zeroizing::new(text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                Err(self.corrupt("the file is not text"))
            }
            Err(source) => Err(StoreError::Read {
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn decode(&self, text: &str, password: &SecretString) -> Result<Wallets, StoreError> {
        if text.trim().is_empty() {
            return Ok(Wallets::new());
        }
        let plaintext = legacy::decrypt(text, password.expose().as_bytes())
            .map_err(|e| self.corrupt(&e.to_string()))?;
        Wallets::from_plaintext(&plaintext).map_err(|e| self.corrupt(&e.to_string()))
    }

    fn corrupt(&self, reason: &str) -> StoreError {
        StoreError::WrongPasswordOrCorrupt {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }

    fn directory(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    fn ensure_directory(&self) -> Result<(), StoreError> {
        let dir = self.directory();
        if dir.exists() {
            return Ok(());
        }
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(|source| StoreError::Write {
            path: dir.clone(),
            source,
        })
    }

    fn lock(&self) -> Result<File, StoreError> {
        let path = self.lock_path();
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(|source| StoreError::Lock {
            path: path.clone(),
            source,
        })?;
        file.lock()
            .map_err(|source| StoreError::Lock { path, source })?;
        Ok(file)
    }

    fn temp_prefix(&self) -> String {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        format!(".{}.", name.unwrap_or_else(|| "wallet.dat".into()))
    }

    /// Temp files of writers that were killed before their rename. Only called under the
    /// lock, so no live writer owns one. Failure to remove one is harmless.
    fn remove_stale_temp_files(&self, dir: &Path, prefix: &str) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let temp = name.ends_with(TEMP_SUFFIX) || name.ends_with(".tmp-journal");
            if name.starts_with(prefix) && temp {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Encrypts and replaces the file (legacy format).
    fn write(&self, wallets: &Wallets, password: &SecretString) -> Result<(), StoreError> {
        let temp = self.temp_file(Format::Legacy, wallets, password)?;
        self.install(temp)
    }

    /// A complete file in `format` holding `wallets`, in a temp file (0600) in the same
    /// directory, synced. Stale temp files of killed writers are removed first (we hold
    /// the lock, so none belongs to a live writer).
    fn temp_file(
        &self,
        format: Format,
        wallets: &Wallets,
        password: &SecretString,
    ) -> Result<NamedTempFile, StoreError> {
        let dir = self.directory();
        let write_err = |source| StoreError::Write {
            path: self.path.clone(),
            source,
        };
        let prefix = self.temp_prefix();
        self.remove_stale_temp_files(&dir, &prefix);
        let mut temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(&dir)
            .map_err(write_err)?;
        match format {
            Format::Legacy => {
                let plaintext = wallets.to_plaintext();
                let text = legacy::encrypt(&plaintext, password.expose().as_bytes())
                    .map_err(|e| StoreError::Random(e.to_string()))?;
                temp.write_all(text.as_bytes()).map_err(write_err)?;
            }
            Format::V2 => {
                v2::create(temp.path(), wallets, password.expose().as_bytes(), self.kdf)
                    .map_err(|e| v2_error(temp.path(), e))?;
            }
        }
        temp.as_file().sync_all().map_err(write_err)?;
        Ok(temp)
    }

    /// Renames a finished temp file over the wallet file and syncs the directory.
    fn install(&self, temp: NamedTempFile) -> Result<(), StoreError> {
        let write_err = |source| StoreError::Write {
            path: self.path.clone(),
            source,
        };
        temp.persist(&self.path).map_err(|e| write_err(e.error))?;
        File::open(self.directory())
            .and_then(|d| d.sync_all())
            .map_err(write_err)?;
        Ok(())
    }
}

/// The format of the file at `path`, `None` when there is none.
fn format_at(path: &Path) -> Result<Option<Format>, StoreError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut head = [0u8; 16];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(StoreError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    Ok(Some(Format::detect(&head[..filled])))
}

/// Reads a file of a known format at any path (migration's check of its temp file).
fn read_path(path: &Path, format: Format, password: &SecretString) -> Result<Wallets, StoreError> {
    WalletStore::new(path).read_as(format, password)
}

/// `Ok` when both maps hold the same ids, in the same order, with equal entries.
fn compare(a: &Wallets, b: &Wallets) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("holds {} wallets instead of {}", b.len(), a.len()));
    }
    for ((id_a, entry_a), (id_b, entry_b)) in a.iter().zip(b.iter()) {
        if id_a != id_b {
            return Err(format!("has wallet {id_b} where {id_a} was expected"));
        }
        if entry_a != entry_b {
            return Err(format!("differs in wallet {id_a}"));
        }
    }
    Ok(())
}

fn v2_error(path: &Path, e: V2Error) -> StoreError {
    let path = path.to_path_buf();
    match e {
        V2Error::WrongPassword => StoreError::WrongPassword(path),
        V2Error::Corrupt(reason) => StoreError::Corrupt { path, reason },
        V2Error::Database(reason) => StoreError::Database { path, reason },
        V2Error::Random(reason) => StoreError::Random(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_core::Chain;

    fn pw(s: &str) -> SecretString {
        SecretString::from(s)
    }

    #[test]
    fn creates_private_file_and_directory_and_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let store = WalletStore::new(tmp.path().join("sub/dir/wallet.dat"));
        store
            .modify(&pw("pw"), |w| {
                w.insert_first(
                    "id1".into(),
                    WalletEntry::build([("privateKey", "k".into())], Chain::Eth, false),
                );
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let wallets = store.read(&pw("pw")).unwrap();
        assert_eq!(wallets.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(store.path()), 0o600);
            assert_eq!(mode(&tmp.path().join("sub/dir")), 0o700);
            assert_eq!(mode(&tmp.path().join("sub")), 0o700);
        }
    }

    fn test_store(dir: &Path, format: Format) -> WalletStore {
        WalletStore::new(dir.join("wallet.dat"))
            .with_new_file_format(format)
            .with_kdf(KdfParams::TEST)
    }

    fn add(store: &WalletStore, password: &str, id: &str) {
        store
            .modify(&pw(password), |w| {
                w.insert_first(
                    id.into(),
                    WalletEntry::build([("privateKey", format!("k-{id}"))], Chain::Eth, false),
                );
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    fn ids(store: &WalletStore, password: &str) -> Vec<String> {
        let wallets = store.read(&pw(password)).unwrap();
        wallets.ids().map(str::to_string).collect()
    }

    #[test]
    fn new_files_are_v2_and_legacy_files_stay_legacy() {
        let tmp = tempfile::tempdir().unwrap();
        let store = WalletStore::new(tmp.path().join("wallet.dat")).with_kdf(KdfParams::TEST);
        add(&store, "pw", "a");
        assert_eq!(store.format().unwrap(), Some(Format::V2));
        add(&store, "pw", "b");
        assert_eq!(ids(&store, "pw"), ["b", "a"]);

        let legacy_dir = tmp.path().join("l");
        let legacy = test_store(&legacy_dir, Format::Legacy);
        add(&legacy, "pw", "a");
        assert_eq!(legacy.format().unwrap(), Some(Format::Legacy));
        // A store configured for v2 keeps an existing legacy file legacy.
        let same = test_store(&legacy_dir, Format::V2);
        add(&same, "pw", "b");
        assert_eq!(same.format().unwrap(), Some(Format::Legacy));
        assert!(fs::read_to_string(same.path())
            .unwrap()
            .starts_with("U2FsdGVkX1"));
        assert_eq!(ids(&same, "pw"), ["b", "a"]);
    }

    #[test]
    fn detection_by_first_bytes() {
        assert_eq!(Format::detect(b"SQLite format 3\0rest"), Format::V2);
        assert_eq!(Format::detect(b"SQLite f"), Format::V2);
        assert_eq!(Format::detect(b"U2FsdGVkX1"), Format::Legacy);
        assert_eq!(Format::detect(b""), Format::Legacy);
        assert_eq!("V2".parse::<Format>().unwrap(), Format::V2);
        assert!("v3".parse::<Format>().is_err());
    }

    #[test]
    fn change_password_in_both_formats() {
        for format in [Format::V2, Format::Legacy] {
            let tmp = tempfile::tempdir().unwrap();
            let store = test_store(tmp.path(), format);
            add(&store, "old", "a");
            add(&store, "old", "b");
            assert!(matches!(
                store.change_password(&pw("bad"), &pw("new")),
                Err(StoreError::WrongPassword(_) | StoreError::WrongPasswordOrCorrupt { .. })
            ));
            assert_eq!(
                store.change_password(&pw("old"), &pw("new")).unwrap(),
                format
            );
            assert_eq!(store.format().unwrap(), Some(format));
            assert!(store.read(&pw("old")).is_err());
            assert_eq!(ids(&store, "new"), ["b", "a"]);
        }
    }

    #[test]
    fn migrate_both_ways_keeps_entries_and_a_private_backup() {
        let tmp = tempfile::tempdir().unwrap();
        let store = test_store(tmp.path(), Format::Legacy);
        add(&store, "pw", "a");
        add(&store, "pw", "b");
        let legacy_bytes = fs::read(store.path()).unwrap();
        let before = store.read(&pw("pw")).unwrap().to_plaintext();
        assert!(matches!(
            store.migrate(&pw("wrong"), Format::V2),
            Err(StoreError::WrongPasswordOrCorrupt { .. })
        ));
        let m = store.migrate(&pw("pw"), Format::V2).unwrap();
        assert_eq!((m.from, m.to, m.wallets), (Format::Legacy, Format::V2, 2));
        assert_eq!(store.format().unwrap(), Some(Format::V2));
        assert_eq!(fs::read(&m.backup).unwrap(), legacy_bytes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&m.backup).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(store.read(&pw("pw")).unwrap().to_plaintext(), before);
        assert!(matches!(
            store.migrate(&pw("pw"), Format::V2),
            Err(StoreError::AlreadyInFormat { .. })
        ));
        fs::remove_file(&m.backup).unwrap();
        let m = store.migrate(&pw("pw"), Format::Legacy).unwrap();
        assert_eq!(m.to, Format::Legacy);
        let text = fs::read_to_string(store.path()).unwrap();
        let plain = legacy::decrypt(&text, b"pw").unwrap();
        assert_eq!(plain.as_slice(), before.as_slice());
    }

    #[test]
    fn v2_wrong_password_and_corruption_are_told_apart() {
        let tmp = tempfile::tempdir().unwrap();
        let store = test_store(tmp.path(), Format::V2);
        add(&store, "pw", "a");
        let err = store.read(&pw("nope")).unwrap_err();
        assert!(matches!(err, StoreError::WrongPassword(_)), "{err}");
        assert!(err.to_string().starts_with("wrong password"), "{err}");
        let bytes = fs::read(store.path()).unwrap();
        fs::write(store.path(), &bytes[..bytes.len() / 2]).unwrap();
        let err = store.read(&pw("pw")).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().starts_with("corrupt wallet file"), "{err}");
    }

    #[test]
    fn wrong_password_leaves_the_file_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let store = test_store(tmp.path(), Format::Legacy);
        store
            .modify(&pw("right"), |w| {
                w.insert_first(
                    "id".into(),
                    WalletEntry::build([("privateKey", "k".into())], Chain::Btc, true),
                );
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let before = fs::read(store.path()).unwrap();
        let err = store.read(&pw("wrong")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("wrong password or corrupt wallet file"),
            "{err}"
        );
        let err = store
            .modify(&pw("wrong"), |_| Ok::<_, StoreError>(()))
            .unwrap_err();
        assert!(matches!(err, StoreError::WrongPasswordOrCorrupt { .. }));
        assert_eq!(fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn failed_change_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let store = WalletStore::new(tmp.path().join("wallet.dat"));
        let result: Result<(), StoreError> =
            store.modify(&pw("pw"), |_| Err(StoreError::Random("boom".into())));
        assert!(result.is_err());
        assert!(!store.exists());
    }

    #[test]
    fn missing_file_is_not_found() {
        let tmp = tempfile::tempdir().unwrap();
        let store = WalletStore::new(tmp.path().join("wallet.dat"));
        assert!(matches!(store.read(&pw("x")), Err(StoreError::NotFound(_))));
    }
}
