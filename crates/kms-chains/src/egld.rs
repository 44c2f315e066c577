//! MultiversX (Elrond, EGLD) keys (spec §6.17, §7): SLIP-0010 ed25519 at
//! `m/44'/508'/0'/0'/i'` on mainnet and `m/44'/1'/0'/0'/i'` on testnet.
//!
//! - stored wallet: `{mnemonic}` only; there is no xpub;
//! - private key: the 32-byte ed25519 seed as 64 lowercase hex digits;
//! - address: bech32 with HRP `erd` of the 32-byte public key.
//!
//! The original's `getaddress` on an EGLD wallet passes the (missing) xpub to the SDK as
//! the mnemonic, so it prints the address derived from the *string* "undefined" (quirk Q3).
//! This crate returns the real address of the wallet's key instead: see
//! [`crate::keys::address_from_mnemonic`].

use bech32::{Bech32, Hrp};
use ed25519_dalek::SigningKey;
use kms_core::{Chain, Network};
use zeroize::Zeroizing;

use crate::evm::parse_hex_key;
use crate::{mnemonic, slip10, ChainError, GeneratedWallet};

const HRP: Hrp = Hrp::parse_unchecked("erd");

fn path(network: Network, index: u32) -> [u32; 5] {
    let coin = if network.is_testnet() { 1 } else { 508 };
    [44, coin, 0, 0, index]
}

/// `{mnemonic}`, as v1 `generateEgldWallet` returns it.
pub fn wallet(mnemonic: &str) -> GeneratedWallet {
    GeneratedWallet::new().with("mnemonic", mnemonic)
}

/// The key pair at index `i`.
pub fn signing_key(network: Network, mnemonic: &str, index: u32) -> Result<SigningKey, ChainError> {
    let seed = slip10::derive(mnemonic::seed(mnemonic).as_slice(), &path(network, index))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// 64 lowercase hex digits, no `0x`.
pub fn private_key(
    network: Network,
    mnemonic: &str,
    index: u32,
) -> Result<Zeroizing<String>, ChainError> {
    let key = signing_key(network, mnemonic, index)?;
    Ok(Zeroizing::new(hex::encode(key.as_bytes())))
}

/// The `erd1…` address of a public key.
pub fn encode_address(public_key: &[u8; 32]) -> Result<String, ChainError> {
    bech32::encode::<Bech32>(HRP, public_key).map_err(|e| ChainError::Derivation(e.to_string()))
}

/// The real `erd1…` address of the key at index `i`.
pub fn address(network: Network, mnemonic: &str, index: u32) -> Result<String, ChainError> {
    encode_address(
        signing_key(network, mnemonic, index)?
            .verifying_key()
            .as_bytes(),
    )
}

/// Parses a stored private key: 64 hex digits (with or without `0x`).
pub fn signing_key_from_private_key(private_key: &str) -> Result<SigningKey, ChainError> {
    let seed = parse_hex_key(Chain::Egld, private_key)?;
    Ok(SigningKey::from_bytes(&seed))
}

pub fn address_from_private_key(private_key: &str) -> Result<String, ChainError> {
    encode_address(
        signing_key_from_private_key(private_key)?
            .verifying_key()
            .as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                     abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

    /// Spec §10.2 (EGLD and EGLD-test for M).
    #[test]
    fn spec_vectors_for_m() {
        let cases = [
            (
                Network::from_testnet(false),
                0,
                "erd1a5vavfnxts07s46jpsp0u4klax6u2ka7t9ly7y5cax76fk7mw67s2plkan",
                "7ebe30f8135120c9f9efc65a93139fa72c9dcffe6d992235d21fd38930cc68b5",
            ),
            (
                Network::from_testnet(true),
                0,
                "erd1sydnytuu9zrhh704gw5w3kcl838agknve3k2muc4fxvf84yms2vs82hu3v",
                "99da0b339e5c3e3dddd59678b52a7c7e5f9e02bd07af4e220cd69228766bcddb",
            ),
            (
                Network::from_testnet(true),
                1,
                "erd10nm8ae5qhpvnnl9tk67yqs2jyakafwcuqs4pmwwcdsqaxphad6dqar6u93",
                "213a6de15d49a2b0ede9e7823516b6b58468aaa60f01e7325b3e1e54de1fdde5",
            ),
        ];
        for (network, i, addr, pk) in cases {
            assert_eq!(address(network, M, i).unwrap(), addr, "{network} {i}");
            assert_eq!(
                private_key(network, M, i).unwrap().as_str(),
                pk,
                "{network} {i}"
            );
            assert_eq!(address_from_private_key(pk).unwrap(), addr, "{network} {i}");
        }
    }

    #[test]
    fn rejects_malformed_private_keys() {
        assert!(address_from_private_key("abc").is_err());
        assert!(address_from_private_key(&"g".repeat(64)).is_err());
    }
}
