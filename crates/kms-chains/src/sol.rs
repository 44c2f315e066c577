//! Solana keys (spec §6.12, §7): SLIP-0010 ed25519 at `m/44'/501'/0'/0'/i'` on both
//! networks, as the v2 SDK's `generateAddressFromMnemonic(mnemonic, i)` derives them.
//!
//! - address: base58 of the 32-byte public key;
//! - private key: base58 of the 64-byte secret key (seed ‖ public key), 87–88 characters;
//!   a 128-hex-digit form of the same 64 bytes is accepted too, as the SDK accepts it.
//!
//! The original's `generatemanagedwallet SOL` stores `{mnemonic, address, privateKey}` for a
//! new mnemonic, with the key at index 0. (Its `storemanagedwallet SOL` ignores the typed
//! mnemonic and makes a new one, and its `getprivatekey` on a SOL wallet fails with
//! "Unsupported blockchain."; quirk Q4. This crate derives from the mnemonic it is given;
//! what the CLI does with that is the CLI's choice.)

use ed25519_dalek::SigningKey;
use kms_core::Chain;
use zeroize::Zeroizing;

use crate::{mnemonic, slip10, ChainError, GeneratedWallet};

const ACCOUNT_PATH: [u32; 4] = [44, 501, 0, 0];

fn invalid(reason: &str) -> ChainError {
    ChainError::InvalidPrivateKey {
        chain: Chain::Sol,
        reason: reason.into(),
    }
}

/// The key pair at index `i` (`m/44'/501'/0'/0'/i'`).
pub fn signing_key(mnemonic: &str, index: u32) -> Result<SigningKey, ChainError> {
    let mut path = [0u32; 5];
    path[..4].copy_from_slice(&ACCOUNT_PATH);
    path[4] = index;
    let seed = slip10::derive(mnemonic::seed(mnemonic).as_slice(), &path)?;
    Ok(SigningKey::from_bytes(&seed))
}

fn address_of(key: &SigningKey) -> String {
    bs58::encode(key.verifying_key().as_bytes()).into_string()
}

fn private_key_of(key: &SigningKey) -> Zeroizing<String> {
    let keypair = Zeroizing::new(key.to_keypair_bytes());
    Zeroizing::new(bs58::encode(keypair.as_slice()).into_string())
}

/// `{mnemonic, address, privateKey}` with the key at index 0, the stored SOL wallet.
pub fn wallet(mnemonic: &str) -> Result<GeneratedWallet, ChainError> {
    let key = signing_key(mnemonic, 0)?;
    let private_key = private_key_of(&key);
    Ok(GeneratedWallet::new()
        .with("mnemonic", mnemonic)
        .with("address", address_of(&key))
        .with("privateKey", private_key.as_str()))
}

/// The base58 address at index `i`.
pub fn address(mnemonic: &str, index: u32) -> Result<String, ChainError> {
    Ok(address_of(&signing_key(mnemonic, index)?))
}

/// The base58 64-byte secret key at index `i`.
pub fn private_key(mnemonic: &str, index: u32) -> Result<Zeroizing<String>, ChainError> {
    Ok(private_key_of(&signing_key(mnemonic, index)?))
}

/// Parses a stored private key: 128 hex digits, else base58, of the 64-byte secret key.
/// Like web3.js `Keypair.fromSecretKey`, the public half must belong to the seed half.
pub fn signing_key_from_private_key(private_key: &str) -> Result<SigningKey, ChainError> {
    let text = private_key.trim();
    let mut bytes = Zeroizing::new([0u8; 64]);
    if text.len() == 128 {
        hex::decode_to_slice(text, bytes.as_mut())
            .map_err(|_| invalid("expected 128 hex digits or base58"))?;
    } else {
        // Decoded straight into the zeroizing buffer; a longer key does not fit.
        let len = bs58::decode(text)
            .onto(bytes.as_mut_slice())
            .map_err(|_| invalid("expected base58 or 128 hex digits of a 64-byte secret key"))?;
        if len != 64 {
            return Err(invalid("expected a 64-byte secret key"));
        }
    }
    SigningKey::from_keypair_bytes(&bytes)
        .map_err(|_| invalid("the public key does not match the secret key"))
}

/// The address of a stored private key (base58 or 128 hex).
pub fn address_from_private_key(private_key: &str) -> Result<String, ChainError> {
    Ok(address_of(&signing_key_from_private_key(private_key)?))
}

/// `{address, privateKey}` for a private key, as the SDK's `wallet.wallet(privateKey)`
/// returns it: the key is given back in base58 whichever form came in.
pub fn wallet_from_private_key(private_key: &str) -> Result<GeneratedWallet, ChainError> {
    let key = signing_key_from_private_key(private_key)?;
    let private_key = private_key_of(&key);
    Ok(GeneratedWallet::new()
        .with("address", address_of(&key))
        .with("privateKey", private_key.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                     abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

    /// Spec §10.2: the SOL wallet of M.
    #[test]
    fn spec_vector_for_m() {
        let w = wallet(M).unwrap();
        assert_eq!(
            w.get("address"),
            Some("9QCcesHEZEuD3BW7SsMhfGKfLkWo3AYooDs9ZPrBFpnD")
        );
        assert_eq!(
            w.get("privateKey"),
            Some("2wrE7eFQxhftonWwUApER19bJtYS2mkx8cpft4teFRZGorTVuPXRBX2aNkTc3neqGihRJovMvCK29Z4ijewE1xnD")
        );
        let names: Vec<&str> = w.fields().map(|(n, _)| n).collect();
        assert_eq!(names, ["mnemonic", "address", "privateKey"]);
    }

    #[test]
    fn rejects_mismatched_or_malformed_keys() {
        let key = signing_key(M, 0).unwrap();
        let mut bytes = key.to_keypair_bytes();
        bytes[40] ^= 1;
        assert!(address_from_private_key(&hex::encode(bytes)).is_err());
        assert!(address_from_private_key(&bs58::encode(bytes).into_string()).is_err());
        assert!(address_from_private_key("0OIl").is_err());
        assert!(address_from_private_key(&bs58::encode([1u8; 32]).into_string()).is_err());
        assert!(address_from_private_key(&"zz".repeat(64)).is_err());
    }
}
