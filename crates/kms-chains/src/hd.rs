//! BIP32 over secp256k1, with the version bytes each chain uses.

use bip32::{
    ChildNumber, DerivationPath, ExtendedKey, ExtendedKeyAttrs, Prefix, PublicKey as _, XPrv, XPub,
};
use k256::ecdsa::VerifyingKey;
use k256::{NonZeroScalar, ProjectivePoint};
use kms_core::Chain;

use crate::ChainError;

/// Version bytes and the 4 characters they encode to, for an extended public key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct XpubVersion {
    pub chars: &'static str,
    pub version: u32,
}

pub(crate) const XPUB: XpubVersion = XpubVersion {
    chars: "xpub",
    version: 0x0488_B21E,
};
pub(crate) const TPUB: XpubVersion = XpubVersion {
    chars: "tpub",
    version: 0x0435_87CF,
};

/// Derives the account-level extended private key at a fully written path (`m/44'/0'/0'/0`).
pub(crate) fn derive(seed: &[u8; 64], path: &str) -> Result<XPrv, ChainError> {
    let path: DerivationPath = path
        .parse()
        .map_err(|e| ChainError::Derivation(format!("bad path {path}: {e}")))?;
    XPrv::derive_from_path(seed, &path).map_err(|e| ChainError::Derivation(e.to_string()))
}

pub(crate) fn xpub_string(xprv: &XPrv, version: XpubVersion) -> String {
    xprv.public_key()
        .to_string(Prefix::from_parts_unchecked(version.chars, version.version))
}

/// Non-hardened child of a private extended key: the private key at index `i`.
pub(crate) fn child_private(xprv: &XPrv, index: u32) -> Result<XPrv, ChainError> {
    let child =
        ChildNumber::new(index, false).map_err(|e| ChainError::Derivation(e.to_string()))?;
    xprv.derive_child(child)
        .map_err(|e| ChainError::Derivation(e.to_string()))
}

/// Parses an extended public key, insisting on the version the chain writes (as the
/// original's bitcoinjs and hdkey do).
pub(crate) fn parse_xpub(
    chain: Chain,
    xpub: &str,
    expected: XpubVersion,
) -> Result<XPub, ChainError> {
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
    Ok(XPub::new(public, attrs))
}

/// The public key of the non-hardened child `index` of a parsed extended public key
/// (BIP32 CKDpub): `IL = HMAC-SHA512(chain code, parent ‖ ser32(i))[..32]`, child =
/// `IL·G + parent`. `IL·G` uses k256's precomputed base-point table, which makes this about
/// twice as fast as `XPub::derive_child` (a generic scalar multiplication, plus a parent
/// fingerprint nobody reads here).
pub(crate) fn public_child(
    chain: Chain,
    parent: &XPub,
    index: u32,
) -> Result<VerifyingKey, ChainError> {
    let invalid = |reason: String| ChainError::InvalidXpub { chain, reason };
    let child = ChildNumber::new(index, false).map_err(|e| invalid(e.to_string()))?;
    let (tweak, _) = parent
        .public_key()
        .derive_tweak(&parent.attrs().chain_code, child)
        .map_err(|e| invalid(e.to_string()))?;
    // BIP32: an IL not below the curve order (probability < 2^-127) has no child here.
    let il =
        Option::<NonZeroScalar>::from(NonZeroScalar::from_repr(tweak.into())).ok_or_else(|| {
            invalid(format!(
                "index {index} has no child key (BIP32: IL is not a valid scalar)"
            ))
        })?;
    let point = ProjectivePoint::mul_by_generator(&il)
        + ProjectivePoint::from(*parent.public_key().as_affine());
    VerifyingKey::from_affine(point.to_affine()).map_err(|_| {
        invalid(format!(
            "index {index} has no child key (the point at infinity)"
        ))
    })
}

/// Parses an extended public key (see [`parse_xpub`]) and returns its non-hardened child
/// `index`.
pub(crate) fn child_public(
    chain: Chain,
    xpub: &str,
    expected: XpubVersion,
    index: u32,
) -> Result<VerifyingKey, ChainError> {
    public_child(chain, &parse_xpub(chain, xpub, expected)?, index)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn derive_hex(seed_hex: &str, path: &str) -> (String, String) {
        let seed = hex::decode(seed_hex).unwrap();
        let path: DerivationPath = path.parse().unwrap();
        let xprv = XPrv::derive_from_path(&seed, &path).unwrap();
        (
            xprv.to_string(Prefix::XPRV).to_string(),
            xprv.public_key().to_string(Prefix::XPUB),
        )
    }

    /// BIP-0032 test vector 1 (seed 000102…0f), published in the BIP.
    #[test]
    fn bip32_test_vector_1() {
        let seed = "000102030405060708090a0b0c0d0e0f";
        let (prv, publ) = derive_hex(seed, "m");
        assert_eq!(prv, "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi");
        assert_eq!(publ, "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8");
        let (prv, publ) = derive_hex(seed, "m/0'/1/2'/2/1000000000");
        assert_eq!(prv, "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76");
        assert_eq!(publ, "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy");
    }

    /// BIP-0032 test vector 2, public derivation of a non-hardened child from an xpub.
    #[test]
    fn bip32_test_vector_2_public_child() {
        let seed = "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542";
        let (_, master_pub) = derive_hex(seed, "m");
        assert_eq!(master_pub, "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB");
        let child = child_public(Chain::Btc, &master_pub, XPUB, 0).unwrap();
        let (_, expected) = derive_hex(seed, "m/0");
        let parsed: ExtendedKey = expected.parse().unwrap();
        assert_eq!(compressed(&child).as_slice(), parsed.key_bytes.as_slice());
    }

    #[test]
    fn xpub_with_the_wrong_version_is_refused() {
        let tpub = "tpubDEQBfiy13hMZzGT4NWqNnaSWwVqYQ58kuu2pDYjkrf8F6DLKAprm8c6";
        assert!(child_public(Chain::Btc, tpub, XPUB, 0).is_err());
        assert!(child_public(Chain::Btc, "garbage", XPUB, 0).is_err());
    }
}
