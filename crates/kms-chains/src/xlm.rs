//! Stellar keys (spec §6.14, §7): a random ed25519 key pair, stored as
//! `{address: "G…", secret: "S…"}` in StrKey form (stellar-base `Keypair.random()`).
//!
//! A wallet stored from a BIP39 mnemonic (`storemanagedwallet XLM`; the original ignores the
//! mnemonic and stores a random wallet, this crate uses it) follows SEP-0005, as Stellar
//! wallets do: SLIP-0010 ed25519 over the BIP39 seed (no passphrase) at `m/44'/148'/0'`
//! (account `n` is `m/44'/148'/n'`); the 32-byte key is the ed25519 seed, stored as its
//! `S…` StrKey: `{mnemonic, address, secret}`.
//!
//! StrKey = RFC 4648 base32 (no padding) of `version ‖ 32 bytes ‖ CRC16-XModem`, the CRC
//! little-endian; version `6 << 3` for public keys (`G`), `18 << 3` for seeds (`S`).

use ed25519_dalek::SigningKey;
use kms_core::Chain;
use zeroize::Zeroizing;

use crate::{base32, mnemonic, slip10, ChainError, GeneratedWallet};

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

/// The SEP-0005 key pair of account `account` (`m/44'/148'/account'`) of a BIP39 mnemonic.
pub fn signing_key_from_mnemonic(mnemonic: &str, account: u32) -> Result<SigningKey, ChainError> {
    let seed = slip10::derive(mnemonic::seed(mnemonic).as_slice(), &[44, 148, account])?;
    Ok(SigningKey::from_bytes(&seed))
}

/// `{mnemonic, address, secret}` of SEP-0005 account 0 of a BIP39 mnemonic.
pub fn wallet_from_mnemonic(mnemonic: &str) -> Result<GeneratedWallet, ChainError> {
    let key = signing_key_from_mnemonic(mnemonic, 0)?;
    let mut wallet = GeneratedWallet::new().with("mnemonic", mnemonic);
    for (name, value) in wallet_of(&key).fields() {
        wallet = wallet.with(name, value);
    }
    Ok(wallet)
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

    /// SEP-0005 test 1 (12 words): the seed, the `m/44'/148'` key, and accounts 0, 1, 9.
    #[test]
    fn sep0005_test_1() {
        let m = "illness spike retreat truth genius clock brain pass fit cave bargain toe";
        assert_eq!(
            hex::encode(*mnemonic::seed(m)),
            "e4a5a632e70943ae7f07659df1332160937fad82587216a4c64315a0fb39497ee4a01f76ddab4cba68147977f3a147b6ad584c41808e8238a07f6cc4b582f186"
        );
        assert_eq!(
            hex::encode(*slip10::derive(mnemonic::seed(m).as_slice(), &[44, 148]).unwrap()),
            "e0eec84fe165cd427cb7bc9b6cfdef0555aa1cb6f9043ff1fe986c3c8ddd22e3"
        );
        let w = wallet_from_mnemonic(m).unwrap();
        let fields: Vec<(&str, &str)> = w.fields().collect();
        assert_eq!(
            fields,
            [
                ("mnemonic", m),
                (
                    "address",
                    "GDRXE2BQUC3AZNPVFSCEZ76NJ3WWL25FYFK6RGZGIEKWE4SOOHSUJUJ6"
                ),
                (
                    "secret",
                    "SBGWSG6BTNCKCOB3DIFBGCVMUPQFYPA2G4O34RMTB343OYPXU5DJDVMN"
                ),
            ]
        );
        let account = |n| wallet_of(&signing_key_from_mnemonic(m, n).unwrap());
        assert_eq!(
            account(1).get("address"),
            Some("GBAW5XGWORWVFE2XTJYDTLDHXTY2Q2MO73HYCGB3XMFMQ562Q2W2GJQX")
        );
        assert_eq!(
            account(1).get("secret"),
            Some("SCEPFFWGAG5P2VX5DHIYK3XEMZYLTYWIPWYEKXFHSK25RVMIUNJ7CTIS")
        );
        assert_eq!(
            account(9).get("address"),
            Some("GBTVYYDIYWGUQUTKX6ZMLGSZGMTESJYJKJWAATGZGITA25ZB6T5REF44")
        );
        assert_eq!(
            account(9).get("secret"),
            Some("SCJGVMJ66WAUHQHNLMWDFGY2E72QKSI3XGSBYV6BANDFUFE7VY4XNXXR")
        );
        assert_eq!(
            address_from_secret(w.get("secret").unwrap()).unwrap(),
            w.get("address").unwrap()
        );
    }

    /// SEP-0005 test 3 (24 words) and test 5 (the BIP39 "abandon … about" phrase), account 0.
    #[test]
    fn sep0005_tests_3_and_5() {
        let cases = [
            (
                "bench hurt jump file august wise shallow faculty impulse spring exact slush thunder author capable act festival slice deposit sauce coconut afford frown better",
                "GC3MMSXBWHL6CPOAVERSJITX7BH76YU252WGLUOM5CJX3E7UCYZBTPJQ",
            ),
            (
                "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
                "GB3JDWCQJCWMJ3IILWIGDTQJJC5567PGVEVXSCVPEQOTDN64VJBDQBYX",
            ),
        ];
        for (m, address) in cases {
            assert_eq!(
                wallet_from_mnemonic(m).unwrap().get("address"),
                Some(address)
            );
        }
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
