//! Stellar keys (spec §6.14, §7): a random ed25519 key pair, stored as
//! `{address: "G…", secret: "S…"}` in StrKey form (stellar-base `Keypair.random()`).
//!
//! StrKey = RFC 4648 base32 (no padding) of `version ‖ 32 bytes ‖ CRC16-XModem`, the CRC
//! little-endian; version `6 << 3` for public keys (`G`), `18 << 3` for seeds (`S`).

use ed25519_dalek::SigningKey;
use kms_core::Chain;
use zeroize::Zeroizing;

use crate::{base32, ChainError, GeneratedWallet};

const VERSION_PUBLIC: u8 = 6 << 3;
const VERSION_SEED: u8 = 18 << 3;
/// 1 version byte + 32 bytes + 2 checksum bytes = 35 bytes = 56 base32 characters.
const STRKEY_LEN: usize = 56;

fn invalid(reason: &str) -> ChainError {
    ChainError::InvalidPrivateKey {
        chain: Chain::Xlm,
        reason: reason.into(),
    }
}

/// CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection.
pub(crate) fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn encode_check(version: u8, data: &[u8; 32]) -> Zeroizing<String> {
    let mut payload = Zeroizing::new([0u8; 35]);
    payload[0] = version;
    payload[1..33].copy_from_slice(data);
    let crc = crc16_xmodem(&payload[..33]);
    payload[33..].copy_from_slice(&crc.to_le_bytes());
    Zeroizing::new(base32::encode(payload.as_slice()))
}

/// Decodes a StrKey of the given version, checking its length, version byte and checksum.
fn decode_check(version: u8, text: &str) -> Result<Zeroizing<[u8; 32]>, &'static str> {
    if text.len() != STRKEY_LEN {
        return Err("expected 56 characters");
    }
    let decoded = base32::decode(text).ok_or("not base32")?;
    if decoded.len() != 35 {
        return Err("expected 35 bytes");
    }
    if decoded[0] != version {
        return Err("wrong version byte");
    }
    let crc = crc16_xmodem(&decoded[..33]);
    if decoded[33..] != crc.to_le_bytes() {
        return Err("invalid checksum");
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&decoded[1..33]);
    Ok(out)
}

/// The `G…` account id of a public key.
pub fn encode_public_key(public_key: &[u8; 32]) -> String {
    encode_check(VERSION_PUBLIC, public_key).to_string()
}

/// The public key of a `G…` account id.
pub fn decode_public_key(address: &str) -> Result<[u8; 32], ChainError> {
    let bytes = decode_check(VERSION_PUBLIC, address.trim())
        .map_err(|reason| ChainError::Unsupported(format!("invalid Stellar address: {reason}")))?;
    Ok(*bytes)
}

/// The key pair of an `S…` secret seed (stellar-base `Keypair.fromSecret`).
pub fn signing_key(secret: &str) -> Result<SigningKey, ChainError> {
    let seed = decode_check(VERSION_SEED, secret.trim()).map_err(invalid)?;
    Ok(SigningKey::from_bytes(&seed))
}

fn wallet_of(key: &SigningKey) -> GeneratedWallet {
    let secret = encode_check(VERSION_SEED, key.as_bytes());
    GeneratedWallet::new()
        .with("address", encode_public_key(key.verifying_key().as_bytes()))
        .with("secret", secret.as_str())
}

/// A new `{address, secret}` whose seed is the 32 given random bytes (`Keypair.random()`).
pub fn generate(entropy: &[u8; 32]) -> GeneratedWallet {
    wallet_of(&SigningKey::from_bytes(entropy))
}

/// `{address, secret}` for a stored secret, as v1 `generateXlmWallet(secret)` returns it.
pub fn wallet_from_secret(secret: &str) -> Result<GeneratedWallet, ChainError> {
    Ok(wallet_of(&signing_key(secret)?))
}

/// The `G…` address of an `S…` secret.
pub fn address_from_secret(secret: &str) -> Result<String, ChainError> {
    Ok(encode_public_key(
        signing_key(secret)?.verifying_key().as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_xmodem_check_value() {
        assert_eq!(crc16_xmodem(b"123456789"), 0x31C3);
    }

    /// The secret of the first XLM golden vector (its address is checked in tests/).
    #[test]
    fn strkey_round_trip_and_rejections() {
        let secret = "SC7YJQFYJG2FKIMEC4V4ZUKIOJL6ZRIHY47D5PFRW3R6B2AFJHUI4XMV";
        let key = signing_key(secret).unwrap();
        assert_eq!(encode_check(VERSION_SEED, key.as_bytes()).as_str(), secret);
        let address = address_from_secret(secret).unwrap();
        assert_eq!(
            decode_public_key(&address).unwrap(),
            key.verifying_key().to_bytes()
        );
        // A public key is not a secret, and a changed character breaks the checksum.
        assert!(signing_key(&address).is_err());
        let mut broken = secret.to_string();
        broken.replace_range(10..11, if &secret[10..11] == "A" { "B" } else { "A" });
        assert!(signing_key(&broken).is_err());
        assert!(signing_key(&secret[..55]).is_err());
        assert!(signing_key(&secret.to_lowercase()).is_err());
    }

    #[test]
    fn generated_wallet_round_trips() {
        let w = generate(&[9u8; 32]);
        let names: Vec<&str> = w.fields().map(|(n, _)| n).collect();
        assert_eq!(names, ["address", "secret"]);
        let secret = w.get("secret").unwrap();
        assert!(secret.starts_with('S') && secret.len() == 56);
        assert_eq!(
            address_from_secret(secret).unwrap(),
            w.get("address").unwrap()
        );
        assert!(w.get("address").unwrap().starts_with('G'));
    }
}
