//! The tatum-kms wallet store.
//!
//! [`legacy`] is the original's crypto-js file format, byte-compatible both ways.
//! [`WalletStore`] wraps a file path with the guarantees the original lacks: every write is
//! atomic (temp file, fsync, rename, fsync of the directory), read-modify-write cycles hold
//! an exclusive lock so concurrent processes lose nothing, and files are created `0600` in
//! `0700` directories.
#![forbid(unsafe_code)]

pub mod legacy;
mod store;
mod wallets;

pub use store::{StoreError, WalletStore};
pub use wallets::{PlaintextError, Wallets};
