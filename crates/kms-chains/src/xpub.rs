//! Addresses below one extended public key, parsed once.
//!
//! `keys::address_from_xpub` answers one index; deriving many addresses of one wallet
//! (a batch, a scan, the benchmark) would otherwise base58-decode, checksum and decompress
//! the same xpub for every index. [`XpubDeriver`] does that once, so each address costs one
//! BIP32 public child derivation plus the chain's encoding (about half the time).

use bip32::XPub;
use kms_core::{Chain, DerivationIndex, Network};

use crate::hd::{self, XPUB};
use crate::{ada, evm, flow, tron, utxo, ChainError};

/// The parsed xpub of one wallet, ready to derive the address at any non-hardened index,
/// in the same format as [`crate::keys::address_from_xpub`] (which uses it).
pub struct XpubDeriver {
    chain: Chain,
    network: Network,
    parent: Parent,
}

enum Parent {
    /// BIP32 secp256k1 (UTXO, EVM, TRON, FLOW), version bytes already checked.
    Secp256k1(XPub),
    /// Cardano's 128- or 256-hex-digit xpub (hex decoding is all there is to parse).
    Ada(String),
}

impl XpubDeriver {
    /// Parses `xpub` for `chain` on `network`, checking its version bytes as
    /// `address_from_xpub` does. Chains whose wallets have no xpub are refused.
    pub fn new(chain: Chain, network: Network, xpub: &str) -> Result<Self, ChainError> {
        let parent = if utxo::is_utxo(chain) {
            let version = utxo::xpub_version(chain, network)?;
            Parent::Secp256k1(hd::parse_xpub(chain, xpub, version)?)
        } else if evm::is_evm(chain) || matches!(chain, Chain::Tron | Chain::Flow) {
            Parent::Secp256k1(hd::parse_xpub(chain, xpub, XPUB)?)
        } else if chain == Chain::Ada {
            Parent::Ada(xpub.trim().to_string())
        } else {
            return Err(ChainError::Unsupported(format!(
                "{chain} wallets have no xpub"
            )));
        };
        Ok(Self {
            chain,
            network,
            parent,
        })
    }

    pub fn chain(&self) -> Chain {
        self.chain
    }

    pub fn network(&self) -> Network {
        self.network
    }

    /// The address at `index`.
    pub fn address(&self, index: DerivationIndex) -> Result<String, ChainError> {
        let i = index.value();
        match &self.parent {
            Parent::Secp256k1(parent) => {
                let key = hd::public_child(self.chain, parent, i)?;
                match self.chain {
                    c if utxo::is_utxo(c) => utxo::address_of_key(c, self.network, &key),
                    c if evm::is_evm(c) => Ok(evm::address_of_key(c, &key)),
                    Chain::Tron => Ok(tron::address_of_key(&key)),
                    _ => Ok(flow::address_of_key(&key)),
                }
            }
            Parent::Ada(xpub) => ada::address_from_xpub(self.network, xpub, i),
        }
    }
}

impl std::fmt::Debug for XpubDeriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XpubDeriver")
            .field("chain", &self.chain)
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;

    const M: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    /// One parse, many indices: the same addresses as `address_from_xpub`, every family.
    #[test]
    fn agrees_with_address_from_xpub() {
        for network in [Network::Mainnet, Network::Testnet] {
            for chain in [
                Chain::Btc,
                Chain::Ltc,
                Chain::Doge,
                Chain::Bch,
                Chain::Eth,
                Chain::Xdc,
                Chain::Tron,
                Chain::Flow,
                Chain::Ada,
            ] {
                let wallet = keys::wallet_from_mnemonic(chain, network, M).unwrap();
                let xpub = wallet.get("xpub").unwrap();
                let deriver = XpubDeriver::new(chain, network, xpub).unwrap();
                for i in [0, 1, 7, 0x7fff_ffff] {
                    let i = DerivationIndex::new(i).unwrap();
                    assert_eq!(
                        deriver.address(i).unwrap(),
                        keys::address_from_xpub(chain, network, xpub, i).unwrap(),
                        "{chain} {network} {i:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn refuses_wrong_versions_and_chains_without_xpub() {
        let tpub = keys::wallet_from_mnemonic(Chain::Btc, Network::Testnet, M).unwrap();
        let tpub = tpub.get("xpub").unwrap();
        assert!(matches!(
            XpubDeriver::new(Chain::Btc, Network::Mainnet, tpub),
            Err(ChainError::InvalidXpub { .. })
        ));
        assert!(XpubDeriver::new(Chain::Btc, Network::Testnet, tpub).is_ok());
        assert!(XpubDeriver::new(Chain::Eth, Network::Mainnet, "xpub-garbage").is_err());
        for chain in [Chain::Sol, Chain::Egld, Chain::Xrp, Chain::Xlm, Chain::Algo] {
            assert!(XpubDeriver::new(chain, Network::Mainnet, tpub).is_err());
        }
    }
}
