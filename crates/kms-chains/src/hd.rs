//! BIP32 over secp256k1, with the version bytes each chain uses.

use bip32::{ChildNumber, DerivationPath, ExtendedKey, ExtendedKeyAttrs, Prefix, XPrv, XPub};
use k256::ecdsa::VerifyingKey;
use kms_core::Chain;

use crate::ChainError;

/// Version bytes and the 4 characters they encode to, for an extended public key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct XpubVersion {
    pub chars: &'static str,
    pub version: u32,
}

pub(crate) const XPUB: XpubVersion = XpubVersion { chars: "xpub", version: 0x0488_B21E };
pub(crate) const TPUB: XpubVersion = XpubVersion { chars: "tpub", version: 0x0435_87CF };

/// Derives the account-level extended private key at a fully written path (`m/44'/0'/0'/0`).
pub(crate) fn derive(seed: &[u8; 64], path: &str) -> Result<XPrv, ChainError> {
    let path: DerivationPath = path
        .parse()
        .map_err(|e| ChainError::Derivation(format!("bad path {path}: {e}")))?;
    XPrv::derive_from_path(seed, &path).map_err(|e| ChainError::Derivation(e.to_string()))
}

pub(crate) fn xpub_string(xprv: &XPrv, version: XpubVersion) -> String {
    xprv.public_key().to_string(Prefix::from_parts_unchecked(version.chars, version.version))
}

/// Non-hardened child of a private extended key: the private key at index `i`.
pub(crate) fn child_private(xprv: &XPrv, index: u32) -> Result<XPrv, ChainError> {
    let child = ChildNumber::new(index, false).map_err(|e| ChainError::Derivation(e.to_string()))?;
    xprv.derive_child(child).map_err(|e| ChainError::Derivation(e.to_string()))
}

/// Parses an extended public key, insisting on the version the chain writes (as the
/// original's bitcoinjs and hdkey do), and returns its non-hardened child `index`.
pub(crate) fn child_public(
    chain: Chain,
    xpub: &str,
    expected: XpubVersion,
    index: u32,
) -> Result<VerifyingKey, ChainError> {
    let invalid = |reason: String| ChainError::InvalidXpub { chain, reason };
    let key: ExtendedKey = xpub.trim().parse().map_err(|e| invalid(format!("{e}")))?;
    if key.prefix.version() != expected.version {
        return Err(invalid(format!(
            "version {:#010x} is not {}'s {:#010x} ({})",
            key.prefix.version(),
            chain,
            expected.version,
            expected.chars
        )));
    }
    let public = VerifyingKey::from_sec1_bytes(&key.key_bytes)
        .map_err(|_| invalid("not a valid secp256k1 public key".into()))?;
    let attrs: ExtendedKeyAttrs = key.attrs.clone();
    let parent = XPub::new(public, attrs);
    let child = ChildNumber::new(index, false).map_err(|e| invalid(e.to_string()))?;
    let derived = parent.derive_child(child).map_err(|e| invalid(e.to_string()))?;
    Ok(*derived.public_key())
}

pub(crate) fn compressed(key: &VerifyingKey) -> [u8; 33] {
    let point = key.to_sec1_point(true);
    let mut out = [0u8; 33];
    out.copy_from_slice(point.as_bytes());
    out
}

/// The 64-byte X‖Y of an uncompressed public key (no 0x04 tag).
pub(crate) fn uncompressed_xy(key: &VerifyingKey) -> [u8; 64] {
    let point = key.to_sec1_point(false);
    let mut out = [0u8; 64];
    out.copy_from_slice(&point.as_bytes()[1..]);
    out
}
