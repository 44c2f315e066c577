//! One entry point per key operation, dispatching to the chain family. These are the
//! operations the CLI commands and the daemon need; each behaves as the original's SDK
//! call of the same purpose (spec §2.2, §7), except where `docs/COMPATIBILITY.md` says
//! why not.

use kms_core::{Chain, DerivationIndex, Network};
use zeroize::Zeroizing;

use crate::{
    ada, algo, egld, evm, flow, mnemonic, sol, tron, utxo, xlm, xrp, ChainError, GeneratedWallet,
};

pub use crate::xpub::XpubDeriver;

/// Why BNB wallets and keys are no longer made (spec §6.18).
pub const BNB_SHUT_DOWN: &str =
    "BNB Beacon Chain has been shut down: BNB wallets and keys can no longer be created or stored \
     (stored BNB entries can still be read with getmanagedwallet, export and getaddress)";

/// Refuses chains that no longer take new wallets or keys (BNB Beacon Chain, shut down);
/// commands that create or store a wallet call this first.
pub fn ensure_accepts_new_wallets(chain: Chain) -> Result<(), ChainError> {
    match chain {
        Chain::Bnb => Err(ChainError::Unsupported(BNB_SHUT_DOWN.into())),
        _ => Ok(()),
    }
}

/// A new wallet for `generatewallet` / `generatemanagedwallet`, from 32 random bytes.
/// Mnemonic chains turn them into a 24-word mnemonic; XRP, XLM and ALGO make a random
/// account from them (`{address, secret}`). BNB is refused ([`BNB_SHUT_DOWN`]).
pub fn generate_wallet(
    chain: Chain,
    network: Network,
    entropy: &[u8; 32],
) -> Result<GeneratedWallet, ChainError> {
    ensure_accepts_new_wallets(chain)?;
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

/// The wallet the original stores for a mnemonic (`storemanagedwallet`). For XRP and XLM,
/// whose original ignores the mnemonic and stores a random account, this derives the
/// account from it instead: `{mnemonic, address, secret}`, XRP at BIP44 `m/44'/144'/0'/0/0`
/// (secp256k1; `secret` = `00` + 64 hex digits), XLM at SEP-0005 `m/44'/148'/0'`
/// (`secret` = `S…`). BNB is refused ([`BNB_SHUT_DOWN`]).
pub fn wallet_from_mnemonic(
    chain: Chain,
    network: Network,
    mnemonic: &str,
) -> Result<GeneratedWallet, ChainError> {
    ensure_accepts_new_wallets(chain)?;
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
        Chain::Xrp => xrp::wallet_from_mnemonic(mnemonic),
        Chain::Xlm => xlm::wallet_from_mnemonic(mnemonic),
        other => Err(not_supported(other)),
    }
}

/// The address at `index` below a stored xpub. To derive many addresses of one xpub, parse
/// it once with [`XpubDeriver`] (this function does the same per call).
pub fn address_from_xpub(
    chain: Chain,
    network: Network,
    xpub: &str,
    index: DerivationIndex,
) -> Result<String, ChainError> {
    match chain {
        Chain::Egld | Chain::Sol | Chain::Xrp | Chain::Xlm | Chain::Algo | Chain::Bnb => {
            Err(no_xpub(chain))
        }
        _ => XpubDeriver::new(chain, network, xpub)?.address(index),
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
        other => Err(not_supported(other)),
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
        other => Err(not_supported(other)),
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
        other => Err(not_supported(other)),
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

/// BNB (the one chain without key code) gets the shut-down message; any chain added to
/// `Chain` before its module exists says it is not supported yet.
fn not_supported(chain: Chain) -> ChainError {
    match chain {
        Chain::Bnb => ChainError::Unsupported(BNB_SHUT_DOWN.into()),
        other => ChainError::NotSupported(other),
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
        "{chain} wallets hold one account: its key is the wallet's stored secret, not derived per index"
    ))
}
