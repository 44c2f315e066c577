//! FLOW keys (spec §6.16, §7, Q12): secp256k1 BIP32 at `m/44'/539'/0'/0` on both networks.
//!
//! The original has no FLOW address derivation: what `getaddress` prints for a FLOW wallet is
//! the child's uncompressed public key, X‖Y as 128 hex digits without the `04` tag (the key
//! one registers on a Flow account). Private keys are elliptic's `BN.toString(16)`: lowercase
//! hex **without** zero padding, so a key with a leading zero nibble has fewer than 64 digits.

use k256::ecdsa::SigningKey;
use kms_core::Chain;
use zeroize::Zeroizing;

use crate::hd::{self, XPUB};
use crate::{mnemonic, ChainError, GeneratedWallet};

const PATH: &str = "m/44'/539'/0'/0";

/// `{mnemonic, xpub}`, the same on both networks; the xpub has `xpub` version bytes.
pub fn wallet(mnemonic: &str) -> Result<GeneratedWallet, ChainError> {
    let xprv = hd::derive(&mnemonic::seed(mnemonic), PATH)?;
    Ok(GeneratedWallet::new()
        .with("mnemonic", mnemonic)
        .with("xpub", hd::xpub_string(&xprv, XPUB)))
}

/// The "address" at `index`: the child public key X‖Y, 128 lowercase hex digits.
pub fn address_from_xpub(xpub: &str, index: u32) -> Result<String, ChainError> {
    let key = hd::child_public(Chain::Flow, xpub, XPUB, index)?;
    Ok(hex::encode(hd::uncompressed_xy(&key)))
}

/// The "address" (X‖Y public key hex) of a public key.
pub(crate) fn address_of_key(key: &k256::ecdsa::VerifyingKey) -> String {
    hex::encode(hd::uncompressed_xy(key))
}

/// The private key at `index` as lowercase hex with leading zeros dropped (Q12).
pub fn private_key(mnemonic: &str, index: u32) -> Result<Zeroizing<String>, ChainError> {
    let account = hd::derive(&mnemonic::seed(mnemonic), PATH)?;
    let child = hd::child_private(&account, index)?;
    let bytes = Zeroizing::new(<[u8; 32]>::from(child.private_key().to_bytes()));
    Ok(unpadded_hex(bytes.as_ref()))
}

/// The public key (as [`address_from_xpub`] writes it) of a FLOW private key: up to 64 hex
/// digits, padded or not, with or without `0x`.
pub fn address_from_private_key(private_key: &str) -> Result<String, ChainError> {
    let secret = parse_key(private_key)?;
    let signing =
        SigningKey::from_slice(secret.as_slice()).map_err(|_| ChainError::InvalidPrivateKey {
            chain: Chain::Flow,
            reason: "not a valid secp256k1 scalar".into(),
        })?;
    Ok(hex::encode(hd::uncompressed_xy(signing.verifying_key())))
}

/// Like bn.js `toString(16)`: no leading zeros, and `0` for zero.
fn unpadded_hex(bytes: &[u8]) -> Zeroizing<String> {
    let full = Zeroizing::new(hex::encode(bytes));
    let trimmed = full.trim_start_matches('0');
    Zeroizing::new(if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    })
}

/// 1 to 64 hex digits (the original writes them unpadded), left-padded to 32 bytes.
pub(crate) fn parse_key(text: &str) -> Result<Zeroizing<[u8; 32]>, ChainError> {
    let invalid = || ChainError::InvalidPrivateKey {
        chain: Chain::Flow,
        reason: "expected 1 to 64 hex digits".into(),
    };
    let t = text.trim();
    let digits = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let mut padded = Zeroizing::new(String::with_capacity(64));
    padded.extend(std::iter::repeat_n('0', 64 - digits.len()));
    padded.push_str(digits);
    let mut out = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(padded.as_bytes(), out.as_mut()).map_err(|_| invalid())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                     abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

    /// Spec §10.2 (FLOW, both nets).
    #[test]
    fn spec_vector() {
        let w = wallet(M).unwrap();
        let xpub = "xpub6EY2qwCnHZ3PqVSxRePp86VF2dbp1FqTPY76fiGqstZFjwqnqv8zQZLeZLd5FghbzaX3ERsu7wotEWfoLnJWW3adTb7Vjw1bYSZ64mEaNdS";
        assert_eq!(w.get("xpub"), Some(xpub));
        assert_eq!(
            address_from_xpub(xpub, 0).unwrap(),
            "88ced571f6b2b3d16757086c51c888342437a0defd126bece1426a00cdeebd1b7fc07b9cf221dcf4d68044782c522fc4cb3a85b0987bdb8e5e7fd106d356892f"
        );
        assert_eq!(
            private_key(M, 0).unwrap().as_str(),
            "26fc9ce54aacd33490c15f388802867ebc376ed298b67b2ee95717177d5634bc"
        );
    }

    #[test]
    fn unpadded_keys_round_trip() {
        assert_eq!(unpadded_hex(&[0, 0x0a, 0xbc]).as_str(), "abc");
        assert_eq!(unpadded_hex(&[0, 0]).as_str(), "0");
        // M1 index 2 has a leading zero nibble in keys.json: 63 digits.
        let m1 = "casual black drip priority naive deal skate cliff electric program coyote insect";
        let pk = private_key(m1, 2).unwrap();
        assert_eq!(
            pk.as_str(),
            "d8c5744d2a4bd2610454bebbb6d8a5fc0f6331b0b55699cb970130a9f1347ea"
        );
        let xpub = wallet(m1).unwrap().get("xpub").unwrap().to_string();
        assert_eq!(
            address_from_private_key(&pk).unwrap(),
            address_from_xpub(&xpub, 2).unwrap()
        );
        assert_eq!(
            address_from_private_key(&format!("0x0{}", pk.as_str())).unwrap(),
            address_from_xpub(&xpub, 2).unwrap()
        );
        assert!(address_from_private_key("").is_err());
        assert!(address_from_private_key(&"1".repeat(65)).is_err());
        assert!(address_from_private_key("xyz").is_err());
        assert!(address_from_private_key("0").is_err());
    }

    #[test]
    fn rejects_a_tpub() {
        let tpub = "tpubDDzZJQ61k3M4VA7HSqhsDr3ESF9UGwJGngfFsuYJExpLRsc8cnnAQ6T8RHbXZA99aYadZC9ctfvCdkSZEJDXQ8DBbvZh21kG1bmFvZAfJyr";
        assert!(matches!(
            address_from_xpub(tpub, 0),
            Err(ChainError::InvalidXpub {
                chain: Chain::Flow,
                ..
            })
        ));
    }
}
