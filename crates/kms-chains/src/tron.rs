//! TRON keys and addresses (spec §6.11, §7): `m/44'/195'/0'/0` on both networks.

use k256::ecdsa::SigningKey;
use kms_core::Chain;
use zeroize::Zeroizing;

use crate::evm::parse_hex_key;
use crate::hash::keccak256;
use crate::hd::{self, XPUB};
use crate::{mnemonic, ChainError, GeneratedWallet};

const PATH: &str = "m/44'/195'/0'/0";

fn format_address(xy: &[u8; 64]) -> String {
    let hash = keccak256(xy);
    let mut payload = Vec::with_capacity(21);
    payload.push(0x41);
    payload.extend_from_slice(&hash[12..]);
    bs58::encode(payload).with_check().into_string()
}

/// `{mnemonic, xpub}` (the v2 TRON SDK's order), the same on both networks.
pub fn wallet(mnemonic: &str) -> Result<GeneratedWallet, ChainError> {
    let xprv = hd::derive(&mnemonic::seed(mnemonic), PATH)?;
    Ok(GeneratedWallet::new()
        .with("mnemonic", mnemonic)
        .with("xpub", hd::xpub_string(&xprv, XPUB)))
}

pub fn address_from_xpub(xpub: &str, index: u32) -> Result<String, ChainError> {
    let key = hd::child_public(Chain::Tron, xpub, XPUB, index)?;
    Ok(format_address(&hd::uncompressed_xy(&key)))
}

/// The `T…` address of a public key.
pub(crate) fn address_of_key(key: &k256::ecdsa::VerifyingKey) -> String {
    format_address(&hd::uncompressed_xy(key))
}

/// 64 lowercase hex digits, no `0x`.
pub fn private_key(mnemonic: &str, index: u32) -> Result<Zeroizing<String>, ChainError> {
    let account = hd::derive(&mnemonic::seed(mnemonic), PATH)?;
    let child = hd::child_private(&account, index)?;
    let bytes = Zeroizing::new(<[u8; 32]>::from(child.private_key().to_bytes()));
    Ok(Zeroizing::new(hex::encode(bytes.as_slice())))
}

pub fn address_from_private_key(private_key: &str) -> Result<String, ChainError> {
    let secret = parse_hex_key(Chain::Tron, private_key)?;
    let signing =
        SigningKey::from_slice(secret.as_slice()).map_err(|_| ChainError::InvalidPrivateKey {
            chain: Chain::Tron,
            reason: "not a valid secp256k1 scalar".into(),
        })?;
    Ok(format_address(&hd::uncompressed_xy(
        signing.verifying_key(),
    )))
}
