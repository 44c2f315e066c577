//! Shared vocabulary of tatum-kms: which chains exist, which network a wallet is on,
//! what a wallet entry holds, and types that keep secrets out of logs.
//!
//! Nothing here does I/O.
#![forbid(unsafe_code)]

mod chain;
mod entry;
mod index;
mod pending;
mod secret;

pub use chain::{Chain, Network, UnknownChain};
pub use entry::{EntryKind, WalletEntry};
pub use index::{DerivationIndex, InvalidIndex};
pub use pending::{PendingTransaction, SignatureRef, WithdrawalAddress, WithdrawalResponse};
pub use secret::SecretString;
