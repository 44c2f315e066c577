//! XRP Ledger keys (spec §6.13, §7), as ripple-keypairs (xrpl 2.14) derives them from a
//! family seed:
//!
//! - seed: base58check (Ripple alphabet) of `version ‖ 16 bytes of entropy`; version
//!   `01 E1 4B` (`sEd…`) for ed25519, `21` (`s…`) for secp256k1;
//! - ed25519: private key = SHA-512Half(entropy), public key `ED ‖ 32 bytes`;
//! - secp256k1: the root scalar is the first SHA-512Half(entropy ‖ u32be(i)) below the
//!   curve order, and the account key adds SHA-512Half(root public ‖ u32be(0) ‖ u32be(j))
//!   to it (account 0);
//! - address: base58check (Ripple alphabet) of `00 ‖ RIPEMD160(SHA256(public key))`.
//!
//! New wallets are ed25519 (`Wallet.generate()`), stored as `{address, secret}`.
//!
//! A wallet stored from a BIP39 mnemonic (`storemanagedwallet XRP`; the original ignores the
//! mnemonic and stores a random wallet, this crate uses it) is the secp256k1 key at
//! **`m/44'/144'/0'/0/0`**: BIP32 over the BIP39 seed, SLIP-44 coin type 144, the path that
//! Xaman (Xumm), Ledger and xrpl.js `Wallet.fromMnemonic` use for mnemonics. It is stored as
//! `{mnemonic, address, secret}` where `secret` is that key as xrpl.js writes
//! `wallet.privateKey`: `00` + 64 upper-case hex digits. No family seed exists for a BIP32
//! key, so [`keypair`] reads this 66-digit form as well as family seeds (and `ED` + 64 hex
//! digits for an ed25519 key), and XRP signing takes the key from `secret` either way.

use ed25519_dalek::SigningKey as Ed25519Key;
use k256::ecdsa::SigningKey as Secp256k1Key;
use k256::Scalar;
use kms_core::Chain;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use crate::hash::hash160;
use crate::hd::{self, compressed};
use crate::{mnemonic, ChainError, GeneratedWallet};

const ED25519_SEED_VERSION: [u8; 3] = [0x01, 0xE1, 0x4B];
const SECP256K1_SEED_VERSION: u8 = 0x21;
const ACCOUNT_ID_VERSION: u8 = 0x00;
const ALPHABET: &bs58::Alphabet = bs58::Alphabet::RIPPLE;
/// BIP44 account chain of mnemonic wallets; address `i` is its child `i`.
const BIP44_PATH: &str = "m/44'/144'/0'/0";
/// `00` or `ED` + 32 bytes, in hex.
const PRIVATE_KEY_HEX_LEN: usize = 66;

fn invalid(reason: &str) -> ChainError {
    ChainError::InvalidPrivateKey {
        chain: Chain::Xrp,
        reason: reason.into(),
    }
}

/// The two key types a family seed can encode.
pub enum Keypair {
    Ed25519(Ed25519Key),
    Secp256k1(Secp256k1Key),
}

impl Keypair {
    /// 33 bytes: `ED ‖ ed25519 key`, or the compressed secp256k1 key.
    pub fn public_key(&self) -> [u8; 33] {
        match self {
            Keypair::Ed25519(key) => {
                let mut out = [0u8; 33];
                out[0] = 0xED;
                out[1..].copy_from_slice(key.verifying_key().as_bytes());
                out
            }
            Keypair::Secp256k1(key) => compressed(key.verifying_key()),
        }
    }

    /// Upper-case hex, as xrpl's `wallet.publicKey` and a tx's `SigningPubKey`.
    pub fn public_key_hex(&self) -> String {
        hex::encode_upper(self.public_key())
    }

    /// Upper-case hex with xrpl's prefix: `ED` for ed25519, `00` for secp256k1.
    pub fn private_key_hex(&self) -> Zeroizing<String> {
        match self {
            Keypair::Ed25519(key) => {
                Zeroizing::new(format!("ED{}", hex::encode_upper(key.as_bytes())))
            }
            Keypair::Secp256k1(key) => {
                let bytes = Zeroizing::new(<[u8; 32]>::from(key.to_bytes()));
                Zeroizing::new(format!("00{}", hex::encode_upper(bytes.as_slice())))
            }
        }
    }

    /// The classic `r…` address.
    pub fn address(&self) -> String {
        encode_account_id(&hash160(&self.public_key()))
    }
}

/// The classic `r…` address of a 20-byte account id.
pub fn encode_account_id(account_id: &[u8; 20]) -> String {
    let mut payload = [0u8; 21];
    payload[0] = ACCOUNT_ID_VERSION;
    payload[1..].copy_from_slice(account_id);
    bs58::encode(payload)
        .with_alphabet(ALPHABET)
        .with_check()
        .into_string()
}

fn sha512_half(parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    let mut hasher = Sha512::new();
    for part in parts {
        hasher.update(part);
    }
    let full = Zeroizing::new(<[u8; 64]>::from(hasher.finalize()));
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&full[..32]);
    out
}

/// ripple-keypairs `deriveScalar`: the first SHA-512Half(bytes [‖ discriminator] ‖ i) that is
/// a valid secp256k1 private key.
fn derive_scalar(bytes: &[u8], discriminator: Option<u32>) -> Result<Secp256k1Key, ChainError> {
    let disc = discriminator.map(u32::to_be_bytes);
    for i in 0..=u32::MAX {
        let counter = i.to_be_bytes();
        let candidate = match &disc {
            Some(d) => sha512_half(&[bytes, d, &counter]),
            None => sha512_half(&[bytes, &counter]),
        };
        if let Ok(key) = Secp256k1Key::from_slice(candidate.as_slice()) {
            return Ok(key);
        }
    }
    Err(ChainError::Derivation(
        "no valid secp256k1 scalar for this seed".into(),
    ))
}

fn secp256k1_keypair(entropy: &[u8; 16]) -> Result<Secp256k1Key, ChainError> {
    let root = derive_scalar(entropy, None)?;
    let root_public = compressed(root.verifying_key());
    let tweak = derive_scalar(&root_public, Some(0))?;
    let sum: Scalar = **root.as_nonzero_scalar() + **tweak.as_nonzero_scalar();
    let bytes = Zeroizing::new(<[u8; 32]>::from(sum.to_bytes()));
    Secp256k1Key::from_slice(bytes.as_slice())
        .map_err(|_| ChainError::Derivation("derived secp256k1 key is zero".into()))
}

fn encode_ed25519_seed(entropy: &[u8; 16]) -> Zeroizing<String> {
    let mut payload = Zeroizing::new([0u8; 19]);
    payload[..3].copy_from_slice(&ED25519_SEED_VERSION);
    payload[3..].copy_from_slice(entropy);
    Zeroizing::new(
        bs58::encode(payload.as_slice())
            .with_alphabet(ALPHABET)
            .with_check()
            .into_string(),
    )
}

/// The key pair of a stored secret: a family seed (`sEd…` ed25519, `s…` secp256k1), as
/// xrpl `Wallet.fromSeed(secret)` builds it, or a 66-hex-digit private key as xrpl.js writes
/// `wallet.privateKey` (`00…` secp256k1, `ED…` ed25519; what mnemonic wallets store).
pub fn keypair(secret: &str) -> Result<Keypair, ChainError> {
    let text = secret.trim();
    if text.len() == PRIVATE_KEY_HEX_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return keypair_from_private_key_hex(text);
    }
    let mut decoded = Zeroizing::new([0u8; 32]);
    let len = bs58::decode(text)
        .with_alphabet(ALPHABET)
        .with_check(None)
        .onto(decoded.as_mut_slice())
        .map_err(|_| invalid("not a base58check family seed"))?;
    let mut entropy = Zeroizing::new([0u8; 16]);
    match len {
        19 if decoded[..3] == ED25519_SEED_VERSION => {
            entropy.copy_from_slice(&decoded[3..19]);
            let private = sha512_half(&[entropy.as_slice()]);
            Ok(Keypair::Ed25519(Ed25519Key::from_bytes(&private)))
        }
        17 if decoded[0] == SECP256K1_SEED_VERSION => {
            entropy.copy_from_slice(&decoded[1..17]);
            Ok(Keypair::Secp256k1(secp256k1_keypair(&entropy)?))
        }
        _ => Err(invalid(
            "version bytes do not match an ed25519 or secp256k1 family seed",
        )),
    }
}

/// `00` + 32-byte secp256k1 key, or `ED` + 32-byte ed25519 key, in hex (either case).
fn keypair_from_private_key_hex(text: &str) -> Result<Keypair, ChainError> {
    let mut bytes = Zeroizing::new([0u8; 33]);
    hex::decode_to_slice(text, bytes.as_mut()).map_err(|_| invalid("not hex"))?;
    match bytes[0] {
        0x00 => Secp256k1Key::from_slice(&bytes[1..])
            .map(Keypair::Secp256k1)
            .map_err(|_| invalid("not a valid secp256k1 private key")),
        0xED => {
            let mut seed = Zeroizing::new([0u8; 32]);
            seed.copy_from_slice(&bytes[1..]);
            Ok(Keypair::Ed25519(Ed25519Key::from_bytes(&seed)))
        }
        _ => Err(invalid(
            "a 66-hex-digit private key starts with 00 (secp256k1) or ED (ed25519)",
        )),
    }
}

/// The secp256k1 key pair at `m/44'/144'/0'/0/index` of a BIP39 mnemonic.
pub fn keypair_from_mnemonic(mnemonic: &str, index: u32) -> Result<Keypair, ChainError> {
    let account = hd::derive(&mnemonic::seed(mnemonic), BIP44_PATH)?;
    let child = hd::child_private(&account, index)?;
    Ok(Keypair::Secp256k1(child.private_key().clone()))
}

/// `{mnemonic, address, secret}` of a BIP39 mnemonic: the key at `m/44'/144'/0'/0/0`, its
/// classic address, and the key as `00` + 64 upper-case hex digits (see the module
/// documentation).
pub fn wallet_from_mnemonic(mnemonic: &str) -> Result<GeneratedWallet, ChainError> {
    let keypair = keypair_from_mnemonic(mnemonic, 0)?;
    let secret = keypair.private_key_hex();
    Ok(GeneratedWallet::new()
        .with("mnemonic", mnemonic)
        .with("address", keypair.address())
        .with("secret", secret.as_str()))
}

/// A new ed25519 wallet `{address, secret}` from the first 16 of the given random bytes
/// (xrpl `Wallet.generate()`, whose seed is 16 random bytes).
pub fn generate(entropy: &[u8; 32]) -> Result<GeneratedWallet, ChainError> {
    let mut seed_entropy = Zeroizing::new([0u8; 16]);
    seed_entropy.copy_from_slice(&entropy[..16]);
    let secret = encode_ed25519_seed(&seed_entropy);
    wallet_from_secret(&secret)
}

/// `{address, secret}` for a stored family seed.
pub fn wallet_from_secret(secret: &str) -> Result<GeneratedWallet, ChainError> {
    let address = address_from_secret(secret)?;
    Ok(GeneratedWallet::new()
        .with("address", address)
        .with("secret", secret.trim()))
}

/// The classic address of a family seed.
pub fn address_from_secret(secret: &str) -> Result<String, ChainError> {
    Ok(keypair(secret)?.address())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §10.6 and the CLI's generated wallet.
    #[test]
    fn ed25519_seeds() {
        assert_eq!(
            address_from_secret("sEdTM1uX8pu2do5XvTnutH6HsouMaM2").unwrap(),
            "rG31cLyErnqeVj2eomEjBZtq7PYaupGYzL"
        );
        assert_eq!(
            address_from_secret("sEdTxpQWQBs4NL7VqPgyvAgycbbMDQC").unwrap(),
            "rs5K5zHoybHcEPBQ8tVxEJyhwVFWiknJGs"
        );
    }

    /// The XRP Ledger documentation's secp256k1 example, `snoPBrXtMeMyMHUVTgbuqAfg1SUTb`
    /// → `rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh` (the genesis account's seed, "masterpassphrase").
    #[test]
    fn secp256k1_genesis_seed() {
        assert_eq!(
            address_from_secret("snoPBrXtMeMyMHUVTgbuqAfg1SUTb").unwrap(),
            "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
        );
    }

    #[test]
    fn generated_seed_round_trips() {
        let w = generate(&[3u8; 32]).unwrap();
        let names: Vec<&str> = w.fields().map(|(n, _)| n).collect();
        assert_eq!(names, ["address", "secret"]);
        let secret = w.get("secret").unwrap();
        assert!(secret.starts_with("sEd") && secret.len() == 31, "{secret}");
        assert!(matches!(keypair(secret).unwrap(), Keypair::Ed25519(_)));
        // Only the first 16 bytes are used.
        let mut other = [3u8; 32];
        other[20] = 9;
        assert_eq!(generate(&other).unwrap().get("secret"), Some(secret));
    }

    const ABOUT: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    /// BIP44 m/44'/144'/0'/0/i of the BIP39 test mnemonic, as xrpl.js `Wallet.fromMnemonic`,
    /// Xaman and Ledger derive it (published in several XRPL wallet test suites: public
    /// key and address of indices 0 and 1).
    #[test]
    fn bip44_mnemonic_vectors() {
        for (i, public, address) in [
            (
                0,
                "031D68BC1A142E6766B2BDFB006CCFE135EF2E0E2E94ABB5CF5C9AB6104776FBAE",
                "rHsMGQEkVNJmpGWs8XUBoTBiAAbwxZN5v3",
            ),
            (
                1,
                "038BF420B5271ADA2D7479358FF98A29954CF18DC25155184AEAD05796DA737E89",
                "r3AgF9mMBFtaLhKcg96weMhbbEFLZ3mx17",
            ),
        ] {
            let keypair = keypair_from_mnemonic(ABOUT, i).unwrap();
            assert_eq!(keypair.public_key_hex(), public, "index {i}");
            assert_eq!(keypair.address(), address, "index {i}");
        }
    }

    /// The stored shape, and the stored secret reads back through `keypair` (so signing
    /// and `getaddress` of a `privateKey` entry find the same account).
    #[test]
    fn mnemonic_wallet_shape_and_secret_round_trip() {
        let w = wallet_from_mnemonic(ABOUT).unwrap();
        let names: Vec<&str> = w.fields().map(|(n, _)| n).collect();
        assert_eq!(names, ["mnemonic", "address", "secret"]);
        assert_eq!(w.get("address"), Some("rHsMGQEkVNJmpGWs8XUBoTBiAAbwxZN5v3"));
        let secret = w.get("secret").unwrap();
        assert_eq!(secret.len(), 66);
        assert!(secret.starts_with("00"));
        assert_eq!(secret, secret.to_uppercase());
        assert_eq!(
            address_from_secret(secret).unwrap(),
            "rHsMGQEkVNJmpGWs8XUBoTBiAAbwxZN5v3"
        );
        assert_eq!(
            address_from_secret(&secret.to_lowercase()).unwrap(),
            "rHsMGQEkVNJmpGWs8XUBoTBiAAbwxZN5v3"
        );
        assert_eq!(
            wallet_from_secret(secret).unwrap().get("address"),
            w.get("address")
        );
    }

    /// xrpl.js writes an ed25519 wallet's private key as `ED` + the SHA-512Half of the seed
    /// entropy; that form gives the seed's address too.
    #[test]
    fn hex_private_keys_of_both_algorithms() {
        let seed = "sEdTM1uX8pu2do5XvTnutH6HsouMaM2";
        let from_seed = keypair(seed).unwrap();
        let hex_key = from_seed.private_key_hex();
        assert!(hex_key.starts_with("ED"));
        assert_eq!(
            address_from_secret(&hex_key).unwrap(),
            "rG31cLyErnqeVj2eomEjBZtq7PYaupGYzL"
        );
        let genesis = keypair("snoPBrXtMeMyMHUVTgbuqAfg1SUTb").unwrap();
        assert_eq!(
            address_from_secret(&genesis.private_key_hex()).unwrap(),
            "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
        );
        // Unknown prefix, zero scalar, not hex.
        assert!(keypair(&format!("01{}", "11".repeat(32))).is_err());
        assert!(keypair(&format!("00{}", "00".repeat(32))).is_err());
        assert!(keypair(&format!("00{}", "zz".repeat(32))).is_err());
    }

    #[test]
    fn rejects_bad_seeds() {
        assert!(keypair("sEdTM1uX8pu2do5XvTnutH6HsouMaM3").is_err());
        assert!(keypair("rG31cLyErnqeVj2eomEjBZtq7PYaupGYzL").is_err());
        assert!(keypair("").is_err());
        assert!(keypair("0OIl").is_err());
    }
}
