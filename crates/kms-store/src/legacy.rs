//! The original's wallet file format: crypto-js passphrase AES.
//!
//! `CryptoJS.AES.encrypt(json, password).toString()` is OpenSSL's `enc` format:
//! base64( "Salted__" ‖ salt[8] ‖ AES-256-CBC/PKCS#7(plaintext) ), with key and IV from
//! EVP_BytesToKey(MD5, 1 iteration, password, salt). There is no MAC, so a wrong password
//! is recognised by its symptoms: bad padding, invalid UTF-8 or invalid JSON.

use aes::cipher::{block_padding::Pkcs7, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use base64::Engine;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"Salted__";
const SALT_LEN: usize = 8;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;
const BLOCK: usize = 16;

/// Why a legacy blob could not be decrypted. Deliberately coarse: without a MAC, a wrong
/// password and a damaged file look alike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyError {
    #[error("not base64 text")]
    NotBase64,
    #[error("missing the 'Salted__' header")]
    NoSaltHeader,
    #[error("ciphertext length is not a whole number of AES blocks")]
    BadLength,
    #[error("the decrypted data has no valid padding")]
    BadPadding,
}

/// OpenSSL EVP_BytesToKey with MD5 and one iteration, producing key ‖ IV.
fn evp_bytes_to_key(password: &[u8], salt: &[u8; SALT_LEN]) -> Zeroizing<[u8; KEY_LEN + IV_LEN]> {
    let mut out = Zeroizing::new([0u8; KEY_LEN + IV_LEN]);
    let mut previous: Option<Zeroizing<[u8; 16]>> = None;
    let mut filled = 0;
    while filled < out.len() {
        let mut md5 = Md5::new();
        if let Some(prev) = &previous {
            md5.update(prev.as_slice());
        }
        md5.update(password);
        md5.update(salt);
        let block: Zeroizing<[u8; 16]> = Zeroizing::new(md5.finalize().into());
        let take = (out.len() - filled).min(block.len());
        out[filled..filled + take].copy_from_slice(&block[..take]);
        filled += take;
        previous = Some(block);
    }
    out
}

/// Encrypts exactly as crypto-js does, with the given salt (callers pass a random one).
pub fn encrypt_with_salt(plaintext: &[u8], password: &[u8], salt: [u8; SALT_LEN]) -> String {
    let key_iv = evp_bytes_to_key(password, &salt);
    let (key, iv) = key_iv.split_at(KEY_LEN);
    let cipher = cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
        .unwrap_or_else(|_| unreachable!("key and IV lengths are fixed"));
    let ciphertext = cipher.encrypt_padded_vec::<Pkcs7>(plaintext);
    let mut blob = Vec::with_capacity(MAGIC.len() + SALT_LEN + ciphertext.len());
    blob.extend_from_slice(MAGIC);
    blob.extend_from_slice(&salt);
    blob.extend_from_slice(&ciphertext);
    base64::engine::general_purpose::STANDARD.encode(blob)
}

/// Encrypts under a fresh random salt from the operating system.
pub fn encrypt(plaintext: &[u8], password: &[u8]) -> Result<String, getrandom::Error> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt)?;
    Ok(encrypt_with_salt(plaintext, password, salt))
}

/// Decrypts a crypto-js blob and checks the PKCS#7 padding. The result still has to be
/// checked for UTF-8 and JSON by the caller.
pub fn decrypt(text: &str, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, LegacyError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let blob = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| LegacyError::NotBase64)?;
    if blob.len() < MAGIC.len() + SALT_LEN || &blob[..MAGIC.len()] != MAGIC {
        return Err(LegacyError::NoSaltHeader);
    }
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&blob[MAGIC.len()..MAGIC.len() + SALT_LEN]);
    let ciphertext = &blob[MAGIC.len() + SALT_LEN..];
    if ciphertext.is_empty() || ciphertext.len() % BLOCK != 0 {
        return Err(LegacyError::BadLength);
    }
    let key_iv = evp_bytes_to_key(password, &salt);
    let (key, iv) = key_iv.split_at(KEY_LEN);
    let cipher = cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
        .unwrap_or_else(|_| unreachable!("key and IV lengths are fixed"));
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = cipher
        .decrypt_padded::<Pkcs7>(&mut buf)
        .map_err(|_| LegacyError::BadPadding)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// spec §10.1: password `secret`, salt 00..07, plaintext `{"x":1}`.
    #[test]
    fn known_vector_from_the_spec() {
        let key_iv = evp_bytes_to_key(b"secret", &[0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(
            hex::encode(&key_iv[..32]),
            "035fb8145b73cf111570dc936112be9c375a5d3d8b915bc213bdbef9dbfb7851"
        );
        assert_eq!(
            hex::encode(&key_iv[32..]),
            "1d112c3c48b1d30dbceeaff080816be4"
        );
        let text = encrypt_with_salt(br#"{"x":1}"#, b"secret", [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(text, "U2FsdGVkX18AAQIDBAUGBxV2OBlV/1AZAFtF2bsim6g=");
        assert_eq!(decrypt(&text, b"secret").unwrap().as_slice(), br#"{"x":1}"#);
    }

    #[test]
    fn wrong_password_is_detected_or_yields_no_plaintext() {
        let text = encrypt_with_salt(br#"{"x":1}"#, b"secret", [9; 8]);
        match decrypt(&text, b"Secret") {
            Err(LegacyError::BadPadding) => {}
            Ok(garbage) => assert_ne!(garbage.as_slice(), br#"{"x":1}"#),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn garbled_and_truncated_input_is_rejected() {
        let text = encrypt_with_salt(b"hello world, longer than a block", b"pw", [1; 8]);
        assert_eq!(decrypt("not base64 !!", b"pw"), Err(LegacyError::NotBase64));
        assert_eq!(
            decrypt("aGVsbG8gd29ybGQ=", b"pw"),
            Err(LegacyError::NoSaltHeader)
        );
        let blob = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .unwrap();
        let cut = base64::engine::general_purpose::STANDARD.encode(&blob[..blob.len() - 5]);
        assert_eq!(decrypt(&cut, b"pw"), Err(LegacyError::BadLength));
        let header_only = base64::engine::general_purpose::STANDARD.encode(&blob[..16]);
        assert_eq!(decrypt(&header_only, b"pw"), Err(LegacyError::BadLength));
    }

    proptest! {
        #[test]
        fn round_trip(plain in proptest::collection::vec(any::<u8>(), 0..300),
                      pw in proptest::collection::vec(any::<u8>(), 0..40),
                      salt in any::<[u8; 8]>()) {
            let text = encrypt_with_salt(&plain, &pw, salt);
            prop_assert!(text.starts_with("U2FsdGVkX1"));
            let back = decrypt(&text, &pw).unwrap();
            prop_assert_eq!(back.as_slice(), plain.as_slice());
        }

        #[test]
        fn decrypt_never_panics(text in ".{0,200}", pw in ".{0,20}") {
            let _ = decrypt(&text, pw.as_bytes());
        }
    }
}
