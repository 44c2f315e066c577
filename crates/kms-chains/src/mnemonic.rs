//! BIP39 mnemonics as the original uses them: English, 24 words for new wallets, and a seed
//! computed from the stored string itself (so a legacy entry with unusual spacing or a bad
//! checksum derives exactly what the original derived).

use bip39::{Language, Mnemonic};
use sha2::Sha512;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::ChainError;

/// A new 24-word English mnemonic from 32 bytes of entropy.
pub fn from_entropy(entropy: &[u8; 32]) -> Result<Zeroizing<String>, ChainError> {
    let mnemonic = Mnemonic::from_entropy_in(Language::English, entropy)
        .map_err(|e| ChainError::InvalidMnemonic(e.to_string()))?;
    Ok(Zeroizing::new(mnemonic.to_string()))
}

/// Checks a mnemonic typed by a user (English word list and BIP39 checksum) and returns it
/// in canonical form: lower case, single spaces.
pub fn validate(input: &str) -> Result<Zeroizing<String>, ChainError> {
    let lowered = Zeroizing::new(input.to_lowercase());
    let mnemonic = Mnemonic::parse_in_normalized(Language::English, &lowered)
        .map_err(|e| ChainError::InvalidMnemonic(describe(e)))?;
    Ok(Zeroizing::new(mnemonic.to_string()))
}

fn describe(e: bip39::Error) -> String {
    match e {
        bip39::Error::BadWordCount(n) => {
            format!("{n} words; a BIP39 mnemonic has 12, 15, 18, 21 or 24 words")
        }
        bip39::Error::UnknownWord(i) => {
            format!("word #{} is not in the BIP39 English word list", i + 1)
        }
        bip39::Error::InvalidChecksum => "the BIP39 checksum does not match".to_string(),
        other => other.to_string(),
    }
}

/// BIP39 seed: PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic", 2048), no passphrase,
/// computed over the string as stored, like bip39's `mnemonicToSeedSync`.
pub fn seed(mnemonic: &str) -> Zeroizing<[u8; 64]> {
    let normalized: Zeroizing<String> = Zeroizing::new(mnemonic.nfkd().collect());
    let mut out = Zeroizing::new([0u8; 64]);
    pbkdf2::pbkdf2_hmac::<Sha512>(normalized.as_bytes(), b"mnemonic", 2048, out.as_mut());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BIP39 reference vector (Trezor), empty passphrase replaced by the KMS's none:
    /// checked against the seed that bip39 itself produces for the parsed mnemonic.
    #[test]
    fn seed_matches_the_bip39_crate_for_canonical_phrases() {
        let phrase = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        let parsed = Mnemonic::parse_in_normalized(Language::English, phrase).unwrap();
        assert_eq!(*seed(phrase), parsed.to_seed_normalized(""));
        assert_eq!(
            hex::encode(*seed(phrase)),
            "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4"
        );
    }

    #[test]
    fn entropy_gives_24_words_that_validate() {
        let m = from_entropy(&[7u8; 32]).unwrap();
        assert_eq!(m.split(' ').count(), 24);
        assert_eq!(validate(&m).unwrap().as_str(), m.as_str());
    }

    #[test]
    fn validation_normalizes_and_rejects_bad_phrases() {
        let ok = validate("  Abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon  ABOUT\n").unwrap();
        assert_eq!(ok.as_str(), "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about");
        let bad_checksum = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon";
        assert!(validate(bad_checksum)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
        assert!(validate("abandon abandon")
            .unwrap_err()
            .to_string()
            .contains("2 words"));
        assert!(validate("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon zzzz")
            .unwrap_err()
            .to_string()
            .contains("word #12"));
    }
}
