use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use kms_core::SecretString;
use zeroize::Zeroizing;

use crate::legacy;
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
}

/// The wallet file at one path.
#[derive(Debug, Clone)]
pub struct WalletStore {
    path: PathBuf,
}

impl WalletStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
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
        match self.read_text()? {
            None => Err(StoreError::NotFound(self.path.clone())),
            Some(text) => self.decode(&text, password),
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
        let mut wallets = match self.read_text()? {
            None => Wallets::new(),
            Some(text) => self.decode(&text, password)?,
        };
        let result = change(&mut wallets)?;
        self.write(&wallets, password)?;
        Ok(result)
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
            if name.starts_with(prefix) && name.ends_with(TEMP_SUFFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Encrypts and replaces the file: temp file in the same directory (created 0600),
    /// fsync, rename over the old file, fsync the directory.
    fn write(&self, wallets: &Wallets, password: &SecretString) -> Result<(), StoreError> {
        let plaintext = wallets.to_plaintext();
        let text = legacy::encrypt(&plaintext, password.expose().as_bytes())
            .map_err(|e| StoreError::Random(e.to_string()))?;
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
        temp.write_all(text.as_bytes()).map_err(write_err)?;
        temp.as_file().sync_all().map_err(write_err)?;
        temp.persist(&self.path).map_err(|e| write_err(e.error))?;
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(write_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_core::{Chain, WalletEntry};

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

    #[test]
    fn wrong_password_leaves_the_file_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let store = WalletStore::new(tmp.path().join("wallet.dat"));
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
