use kms_core::Chain;

/// Why a key, address or wallet could not be produced. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("chain {0} is not supported yet")]
    NotSupported(Chain),
    #[error("{0}")]
    Unsupported(String),
    #[error("invalid mnemonic: {0}")]
    InvalidMnemonic(String),
    #[error("invalid extended public key for {chain}: {reason}")]
    InvalidXpub { chain: Chain, reason: String },
    #[error("invalid private key for {chain}: {reason}")]
    InvalidPrivateKey { chain: Chain, reason: String },
    #[error("key derivation failed: {0}")]
    Derivation(String),
}
