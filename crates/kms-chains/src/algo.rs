//! Algorand keys (spec §6.15, §7), as algosdk 1.16 and the v1 SDK's `generateAlgoWallet`
//! make them:
//!
//! - a random ed25519 account (`algosdk.generateAccount()`), or the account of a
//!   **25-word Algorand mnemonic** (`mnemonicToSecretKey`); a BIP39 mnemonic fails with
//!   "failed to decode mnemonic" (quirk Q5);
//! - `secret`: RFC 4648 base32, no padding, of the 64-byte secret key (seed ‖ public key),
//!   103 characters;
//! - `address`: base32 of `public key ‖ last 4 bytes of SHA-512/256(public key)`, 58
//!   characters.

use ed25519_dalek::SigningKey;
use kms_core::Chain;
use sha2::{Digest, Sha512_256};
use zeroize::Zeroizing;

use crate::{base32, ChainError, GeneratedWallet};

const FAILED_TO_DECODE: &str = "failed to decode mnemonic";
const NOT_IN_WORD_LIST: &str = "the mnemonic contains a word that is not in the wordlist";

fn invalid(reason: &str) -> ChainError {
    ChainError::InvalidPrivateKey {
        chain: Chain::Algo,
        reason: reason.into(),
    }
}

/// The 58-character address of a public key.
pub fn encode_address(public_key: &[u8; 32]) -> String {
    let hash = Sha512_256::digest(public_key);
    let mut payload = [0u8; 36];
    payload[..32].copy_from_slice(public_key);
    payload[32..].copy_from_slice(&hash[28..32]);
    base32::encode(&payload)
}

/// The public key of a 58-character address, checking its checksum.
pub fn decode_address(address: &str) -> Result<[u8; 32], ChainError> {
    let bad = |reason: &str| ChainError::Unsupported(format!("invalid Algorand address: {reason}"));
    let text = address.trim();
    if text.len() != 58 {
        return Err(bad("expected 58 characters"));
    }
    let bytes = base32::decode(text).ok_or_else(|| bad("not base32"))?;
    let mut public_key = [0u8; 32];
    public_key.copy_from_slice(&bytes[..32]);
    if encode_address(&public_key) != text {
        return Err(bad("checksum mismatch"));
    }
    Ok(public_key)
}

fn secret_of(key: &SigningKey) -> Zeroizing<String> {
    let bytes = Zeroizing::new(key.to_keypair_bytes());
    Zeroizing::new(base32::encode(bytes.as_slice()))
}

fn wallet_of(key: &SigningKey) -> GeneratedWallet {
    let secret = secret_of(key);
    GeneratedWallet::new()
        .with("address", encode_address(key.verifying_key().as_bytes()))
        .with("secret", secret.as_str())
}

/// Parses a stored secret (base32 of the 64-byte secret key). The original reads the
/// address from the public half and signs with both halves; a secret whose halves do not
/// belong together is refused here.
pub fn signing_key(secret: &str) -> Result<SigningKey, ChainError> {
    let decoded = base32::decode(secret.trim()).ok_or_else(|| invalid("not upper-case base32"))?;
    let bytes: &[u8; 64] = decoded
        .as_slice()
        .try_into()
        .map_err(|_| invalid("expected a 64-byte secret key"))?;
    SigningKey::from_keypair_bytes(bytes)
        .map_err(|_| invalid("the public key does not match the secret key"))
}

/// A new random account `{address, secret}` whose ed25519 seed is the 32 given bytes.
pub fn generate(entropy: &[u8; 32]) -> GeneratedWallet {
    wallet_of(&SigningKey::from_bytes(entropy))
}

/// `{address, secret}` for a stored secret.
pub fn wallet_from_secret(secret: &str) -> Result<GeneratedWallet, ChainError> {
    Ok(wallet_of(&signing_key(secret)?))
}

/// The address of a stored secret (`generateAlgodAddressFromPrivatetKey`).
pub fn address_from_secret(secret: &str) -> Result<String, ChainError> {
    Ok(encode_address(
        signing_key(secret)?.verifying_key().as_bytes(),
    ))
}

/// Little-endian 11-bit groups of bytes, the last group holding the leftover bits
/// (algosdk `toUint11Array`).
fn to_u11(bytes: &[u8]) -> Vec<u16> {
    let mut out = Vec::with_capacity(bytes.len() * 8 / 11 + 1);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        acc |= u32::from(b) << bits;
        bits += 8;
        if bits >= 11 {
            out.push((acc & 0x7ff) as u16);
            acc >>= 11;
            bits -= 11;
        }
    }
    if bits > 0 {
        out.push(acc as u16);
    }
    out
}

/// The inverse regrouping into bytes (algosdk `toUint8Array`).
fn to_u8(words: &[u16]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(words.len() * 11 / 8 + 1));
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &w in words {
        acc |= u32::from(w) << bits;
        bits += 11;
        while bits >= 8 {
            out.push((acc & 0xff) as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        out.push(acc as u8);
    }
    out
}

fn word(index: u16) -> &'static str {
    bip39::Language::English.word_list()[usize::from(index & 0x7ff)]
}

/// The checksum word: the first 11 bits of SHA-512/256(seed).
fn checksum_word(seed: &[u8]) -> &'static str {
    let hash = Sha512_256::digest(seed);
    word(to_u11(&hash)[0])
}

/// The 25-word Algorand mnemonic of a 32-byte ed25519 seed (`mnemonicFromSeed`).
pub fn mnemonic_from_seed(seed: &[u8; 32]) -> Zeroizing<String> {
    let mut words: Vec<&str> = to_u11(seed).into_iter().map(word).collect();
    words.push(checksum_word(seed));
    Zeroizing::new(words.join(" "))
}

/// The 32-byte seed of a 25-word Algorand mnemonic (`seedFromMnemonic`): 24 words of
/// 11 bits little-endian make 33 bytes whose last must be zero, and the 25th word is the
/// checksum. Words are separated by any whitespace (algosdk splits on single spaces).
pub fn seed_from_mnemonic(mnemonic: &str) -> Result<Zeroizing<[u8; 32]>, ChainError> {
    let fail = || ChainError::InvalidMnemonic(FAILED_TO_DECODE.into());
    let words: Vec<&str> = mnemonic.split_whitespace().collect();
    let (checksum, _) = words.split_last().ok_or_else(fail)?;
    let mut indices = Vec::with_capacity(24);
    for w in words.iter().take(24) {
        let index = bip39::Language::English
            .find_word(w)
            .ok_or_else(|| ChainError::InvalidMnemonic(NOT_IN_WORD_LIST.into()))?;
        indices.push(index);
    }
    let bytes = to_u8(&indices);
    if bytes.len() != 33 || bytes[32] != 0 {
        return Err(fail());
    }
    if checksum_word(&bytes[..32]) != *checksum {
        return Err(fail());
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&bytes[..32]);
    Ok(seed)
}

/// `{address, secret}` of the account of a 25-word Algorand mnemonic (v1
/// `generateAlgoWallet(mnemonic)`).
pub fn wallet_from_mnemonic(mnemonic: &str) -> Result<GeneratedWallet, ChainError> {
    let seed = seed_from_mnemonic(mnemonic)?;
    Ok(wallet_of(&SigningKey::from_bytes(&seed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §10.5: seed bytes 01..20.
    #[test]
    fn spec_vector() {
        let seed: [u8; 32] = core::array::from_fn(|i| i as u8 + 1);
        let w = generate(&seed);
        assert_eq!(
            w.get("address"),
            Some("PG2VMLUP4ZKPSQDYWEJORKMLU6IB7BJ242K35V7A4OIQXLIESZSCUKNU44")
        );
        assert_eq!(
            w.get("secret"),
            Some("AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QHTNKWF2H6MVHZIB4LCEXIVGF2PEA7QU5ONFN627QOHEILVUCJMZA")
        );
        let names: Vec<&str> = w.fields().map(|(n, _)| n).collect();
        assert_eq!(names, ["address", "secret"]);
        let address = w.get("address").unwrap();
        assert_eq!(
            decode_address(address).unwrap(),
            SigningKey::from_bytes(&seed).verifying_key().to_bytes()
        );
    }

    #[test]
    fn mnemonic_round_trip() {
        let seed = [0x5au8; 32];
        let phrase = mnemonic_from_seed(&seed);
        assert_eq!(phrase.split(' ').count(), 25);
        assert_eq!(*seed_from_mnemonic(&phrase).unwrap(), seed);
        // A changed checksum word fails.
        let mut words: Vec<&str> = phrase.split(' ').collect();
        words[24] = if words[24] == "abandon" {
            "ability"
        } else {
            "abandon"
        };
        assert_eq!(
            seed_from_mnemonic(&words.join(" ")).unwrap_err(),
            ChainError::InvalidMnemonic(FAILED_TO_DECODE.into())
        );
    }

    #[test]
    fn bip39_mnemonics_fail_like_the_original() {
        let twelve = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        assert_eq!(
            wallet_from_mnemonic(twelve).unwrap_err().to_string(),
            "invalid mnemonic: failed to decode mnemonic"
        );
        assert!(wallet_from_mnemonic("").is_err());
        assert!(wallet_from_mnemonic("notaword ".repeat(25).trim()).is_err());
    }

    #[test]
    fn rejects_bad_secrets() {
        let secret = generate(&[1u8; 32]).get("secret").unwrap().to_string();
        assert!(signing_key(&secret.to_lowercase()).is_err());
        assert!(signing_key(&secret[..100]).is_err());
        // Swap the public half for another key's.
        let other = generate(&[2u8; 32]).get("secret").unwrap().to_string();
        let mut mixed = base32::decode(&secret).unwrap().to_vec();
        mixed[32..].copy_from_slice(&base32::decode(&other).unwrap()[32..]);
        assert!(signing_key(&base32::encode(&mixed)).is_err());
        assert!(
            decode_address("PG2VMLUP4ZKPSQDYWEJORKMLU6IB7BJ242K35V7A4OIQXLIESZSCUKNU45").is_err()
        );
    }
}
