//! The tatum-kms wallet store.
//!
//! [`legacy`] is the original's crypto-js file format, byte-compatible both ways; [`v2`] is
//! the SQLite store with sealed rows (docs/STORE-V2.md) that new files use. [`Format`]
//! tells them apart by their first bytes, and [`WalletStore`] reads and writes both.
//! [`WalletStore`] wraps a file path with the guarantees the original lacks: every write is
//! atomic (temp file, fsync, rename, fsync of the directory), read-modify-write cycles hold
//! an exclusive lock so concurrent processes lose nothing, and files are created `0600` in
//! `0700` directories.
#![forbid(unsafe_code)]

pub mod legacy;
mod store;
pub mod v2;
mod wallets;

pub use store::{Format, Migration, StoreError, WalletStore};
pub use v2::KdfParams;
pub use wallets::{PlaintextError, Wallets};
