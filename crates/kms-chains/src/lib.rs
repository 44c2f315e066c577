//! Per-chain key derivation, addresses and private-key formats of the original Tatum KMS,
//! byte for byte. Pure code: no I/O, no clock, and randomness only as bytes the caller
//! passes in.
//!
//! [`keys`] is the entry point the CLI and the daemon use; each chain family lives in its
//! own module. Derivation paths, version bytes and encodings per chain are listed in
//! `docs/CHAINS.md`.
#![forbid(unsafe_code)]

pub mod ada;
pub mod ada_tx;
pub mod algo;
pub mod algo_tx;
mod base32;
pub mod bch_tx;
pub mod decode;
pub mod egld;
pub mod egld_tx;
mod error;
pub mod evm;
pub mod evm_tx;
pub mod flow;
pub mod flow_tx;
mod hash;
mod hd;
mod js;
pub mod keys;
pub mod mnemonic;
pub mod node;
pub mod signing;
mod slip10;
pub mod sol;
pub mod sol_tx;
pub mod tron;
pub mod tron_tx;
pub mod utxo;
mod utxo_raw;
pub mod utxo_tx;
mod wallet;
pub mod xlm;
pub mod xlm_tx;
mod xpub;
pub mod xrp;
pub mod xrp_tx;

pub use error::ChainError;
pub use wallet::GeneratedWallet;
