//! One entry point per key operation, dispatching to the chain family. These are the
//! operations the CLI commands and the daemon need; each behaves as the original's SDK
//! call of the same purpose (spec §2.2, §7), except where `docs/COMPATIBILITY.md` says
//! why not.

use kms_core::{Chain, DerivationIndex, Network};
use zeroize::Zeroizing;

use crate::{
    ada, algo, egld, evm, flow, mnemonic, sol, tron, utxo, xlm, xrp, ChainError, GeneratedWallet,
};

/// A new wallet for `generatewallet` / `generatemanagedwallet`, from 32 random bytes.
/// Mnemonic chains turn them into a 24-word mnemonic; XRP, XLM and ALGO make a random
/// account from them (`{address, secret}`).
pub fn generate_wallet(
    chain: Chain,
    network: Network,
    entropy: &[u8; 32],
) -> Result<GeneratedWallet, ChainError> {
    match chain {
        Chain::Xrp => return xrp::generate(entropy),
        Chain::Xlm => return Ok(xlm::generate(entropy)),
        Chain::Algo => return Ok(algo::generate(entropy)),
        _ => {}
    }
    if is_mnemonic_chain(chain) {
        let phrase = mnemonic::from_entropy(entropy)?;
        return wallet_from_mnemonic(chain, network, &phrase);
    }
    Err(ChainError::NotSupported(chain))
}

/// Chains whose wallets are a mnemonic plus (usually) an xpub; SOL stores an address and
/// private key beside its mnemonic, EGLD the mnemonic alone.
pub fn is_mnemonic_chain(chain: Chain) -> bool {
    utxo::is_utxo(chain)
        || evm::is_evm(chain)
        || matches!(
            chain,
            Chain::Tron | Chain::Flow | Chain::Ada | Chain::Sol | Chain::Egld
        )
}

/// The wallet the original stores for a mnemonic (`storemanagedwallet`).
pub fn wallet_from_mnemonic(
    chain: Chain,
    network: Network,
    mnemonic: &str,
) -> Result<GeneratedWallet, ChainError> {
    match chain {
        c if utxo::is_utxo(c) => utxo::wallet(c, network, mnemonic),
        c if evm::is_evm(c) => evm::wallet(c, network, mnemonic),
        Chain::Tron => tron::wallet(mnemonic),
        Chain::Flow => flow::wallet(mnemonic),
        Chain::Ada => ada::wallet(mnemonic),
        Chain::Sol => sol::wallet(mnemonic),
        Chain::Egld => Ok(egld::wallet(mnemonic)),
        // A 25-word Algorand mnemonic; a BIP39 one fails as in the original.
        Chain::Algo => algo::wallet_from_mnemonic(mnemonic),
        Chain::Xrp | Chain::Xlm => Err(ChainError::Unsupported(format!(
            "{chain} wallets are random accounts, not derived from a mnemonic (the original ignores a supplied one)"
        ))),
        other => Err(ChainError::NotSupported(other)),
    }
}

/// The address at `index` below a stored xpub.
pub fn address_from_xpub(
    chain: Chain,
    network: Network,
    xpub: &str,
    index: DerivationIndex,
) -> Result<String, ChainError> {
    let i = index.value();
    match chain {
        c if utxo::is_utxo(c) => utxo::address_from_xpub(c, network, xpub, i),
        c if evm::is_evm(c) => evm::address_from_xpub(c, network, xpub, i),
        Chain::Tron => tron::address_from_xpub(xpub, i),
        Chain::Flow => flow::address_from_xpub(xpub, i),
        Chain::Ada => ada::address_from_xpub(network, xpub, i),
        Chain::Egld | Chain::Sol | Chain::Xrp | Chain::Xlm | Chain::Algo => Err(no_xpub(chain)),
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
        Chain::Flow => flow::private_key(mnemonic, i),
        Chain::Ada => ada::private_key(mnemonic, i),
        Chain::Sol => sol::private_key(mnemonic, i),
        Chain::Egld => egld::private_key(network, mnemonic, i),
        Chain::Xrp | Chain::Xlm | Chain::Algo => Err(no_mnemonic(chain)),
        other => Err(ChainError::NotSupported(other)),
    }
}

/// The address of a stored private key, in the same format as the xpub-derived ones. For
/// XRP, XLM and ALGO the private key is the stored secret (`generatemanagedprivatekeybatch`
/// stores the secret as `privateKey`).
pub fn address_from_private_key(
    chain: Chain,
    network: Network,
    private_key: &str,
) -> Result<String, ChainError> {
    match chain {
        c if utxo::is_utxo(c) => utxo::address_from_private_key(c, network, private_key),
        c if evm::is_evm(c) => evm::address_from_private_key(c, private_key),
        Chain::Tron => tron::address_from_private_key(private_key),
        Chain::Flow => flow::address_from_private_key(private_key),
        Chain::Ada => ada::address_from_private_key(private_key),
        Chain::Sol => sol::address_from_private_key(private_key),
        Chain::Egld => egld::address_from_private_key(private_key),
        Chain::Xrp | Chain::Xlm | Chain::Algo => address_from_secret(chain, network, private_key),
        other => Err(ChainError::NotSupported(other)),
    }
}

/// The address at `index` of a wallet whose addresses come from its mnemonic, not from an
/// xpub: EGLD (`m/44'/508'/0'/0'/i'`, testnet `m/44'/1'/0'/0'/i'`) and SOL
/// (`m/44'/501'/0'/0'/i'`).
///
/// For EGLD this deliberately differs from the original: its `getaddress` passes the missing
/// xpub as the mnemonic and prints the address derived from the string "undefined" (quirk
/// Q3). This returns the real address of the key at that index, the one
/// `private_key_from_mnemonic` gives the key for.
pub fn address_from_mnemonic(
    chain: Chain,
    network: Network,
    mnemonic: &str,
    index: DerivationIndex,
) -> Result<String, ChainError> {
    let i = index.value();
    match chain {
        Chain::Egld => egld::address(network, mnemonic, i),
        Chain::Sol => sol::address(mnemonic, i),
        Chain::Xrp | Chain::Xlm | Chain::Algo => Err(no_mnemonic(chain)),
        c if is_mnemonic_chain(c) => Err(ChainError::Unsupported(format!(
            "{chain} addresses come from the wallet's xpub (address_from_xpub)"
        ))),
        other => Err(ChainError::NotSupported(other)),
    }
}

/// The stored wallet for a secret: `{address, secret}` for XRP (family seed `s…`/`sEd…`),
/// XLM (`S…`) and ALGO (base32 secret key); `{address, privateKey}` for a SOL private key
/// (base58 or 128 hex, given back in base58), as the SDK's `wallet.wallet(privateKey)`.
pub fn wallet_from_secret(
    chain: Chain,
    network: Network,
    secret: &str,
) -> Result<GeneratedWallet, ChainError> {
    let _ = network;
    match chain {
        Chain::Xrp => xrp::wallet_from_secret(secret),
        Chain::Xlm => xlm::wallet_from_secret(secret),
        Chain::Algo => algo::wallet_from_secret(secret),
        Chain::Sol => sol::wallet_from_private_key(secret),
        other => Err(ChainError::Unsupported(format!(
            "{other} wallets have no secret"
        ))),
    }
}

/// The address of a stored secret (XRP, XLM, ALGO) or SOL private key.
pub fn address_from_secret(
    chain: Chain,
    network: Network,
    secret: &str,
) -> Result<String, ChainError> {
    let _ = network;
    match chain {
        Chain::Xrp => xrp::address_from_secret(secret),
        Chain::Xlm => xlm::address_from_secret(secret),
        Chain::Algo => algo::address_from_secret(secret),
        Chain::Sol => sol::address_from_private_key(secret),
        other => Err(ChainError::Unsupported(format!(
            "{other} wallets have no secret"
        ))),
    }
}

fn no_xpub(chain: Chain) -> ChainError {
    let hint = match chain {
        Chain::Egld | Chain::Sol => "derive from the mnemonic (address_from_mnemonic)",
        _ => "the wallet stores its address",
    };
    ChainError::Unsupported(format!("{chain} wallets have no xpub: {hint}"))
}

fn no_mnemonic(chain: Chain) -> ChainError {
    ChainError::Unsupported(format!(
        "{chain} keys are not derived from a mnemonic: the wallet's secret is its key"
    ))
}
