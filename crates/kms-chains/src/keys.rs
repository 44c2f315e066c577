//! One entry point per key operation, dispatching to the chain family. These are the
//! operations the CLI commands and the daemon need; each behaves as the original's SDK
//! call of the same purpose (spec §2.2, §7), except where `docs/COMPATIBILITY.md` says
//! why not.

use kms_core::{Chain, DerivationIndex, Network};
use zeroize::Zeroizing;

use crate::{evm, mnemonic, tron, utxo, ChainError, GeneratedWallet};

/// A new wallet for `generatewallet` / `generatemanagedwallet`, from 32 random bytes.
/// Mnemonic chains turn them into a 24-word mnemonic.
pub fn generate_wallet(chain: Chain, network: Network, entropy: &[u8; 32]) -> Result<GeneratedWallet, ChainError> {
    if is_mnemonic_chain(chain) {
        let phrase = mnemonic::from_entropy(entropy)?;
        return wallet_from_mnemonic(chain, network, &phrase);
    }
    Err(ChainError::NotSupported(chain))
}

/// Chains whose wallets are a mnemonic plus (usually) an xpub.
pub fn is_mnemonic_chain(chain: Chain) -> bool {
    utxo::is_utxo(chain) || evm::is_evm(chain) || chain == Chain::Tron
}

/// The wallet the original stores for a mnemonic (`storemanagedwallet`).
pub fn wallet_from_mnemonic(chain: Chain, network: Network, mnemonic: &str) -> Result<GeneratedWallet, ChainError> {
    match chain {
        c if utxo::is_utxo(c) => utxo::wallet(c, network, mnemonic),
        c if evm::is_evm(c) => evm::wallet(c, network, mnemonic),
        Chain::Tron => tron::wallet(mnemonic),
        other => Err(ChainError::NotSupported(other)),
    }
}

/// The address at `index` below a stored xpub.
pub fn address_from_xpub(chain: Chain, network: Network, xpub: &str, index: DerivationIndex) -> Result<String, ChainError> {
    let i = index.value();
    match chain {
        c if utxo::is_utxo(c) => utxo::address_from_xpub(c, network, xpub, i),
        c if evm::is_evm(c) => evm::address_from_xpub(c, network, xpub, i),
        Chain::Tron => tron::address_from_xpub(xpub, i),
        other => Err(ChainError::NotSupported(other)),
    }
}

/// The private key at `index`, in the chain's text format (WIF, 0x-hex, hex, …).
pub fn private_key_from_mnemonic(
    chain: Chain,
    network: Network,
    mnemonic: &str,
    index: DerivationIndex,
) -> Result<Zeroizing<String>, ChainError> {
    let i = index.value();
    match chain {
        c if utxo::is_utxo(c) => utxo::private_key(c, network, mnemonic, i),
        c if evm::is_evm(c) => evm::private_key(c, network, mnemonic, i),
        Chain::Tron => tron::private_key(mnemonic, i),
        other => Err(ChainError::NotSupported(other)),
    }
}

/// The address of a stored private key, in the same format as the xpub-derived ones.
pub fn address_from_private_key(chain: Chain, network: Network, private_key: &str) -> Result<String, ChainError> {
    match chain {
        c if utxo::is_utxo(c) => utxo::address_from_private_key(c, network, private_key),
        c if evm::is_evm(c) => evm::address_from_private_key(c, private_key),
        Chain::Tron => tron::address_from_private_key(private_key),
        other => Err(ChainError::NotSupported(other)),
    }
}
