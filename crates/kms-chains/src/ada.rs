//! Cardano (ADA) keys and addresses (spec §6.10, §7; vectors README "Caveat on ADA").
//!
//! Keys are BIP32-Ed25519 (V2 derivation) from the Icarus master key: PBKDF2-HMAC-SHA512
//! with an empty password, the mnemonic's BIP39 **entropy** as salt, 4096 iterations and 96
//! bytes, then clamped (`kL[0] &= 0xf8; kL[31] &= 0x1f; kL[31] |= 0x40`), the same as
//! cardano-serialization-lib's `Bip32PrivateKey.from_bip39_entropy(entropy, "")`. Paths
//! follow CIP-1852 on both networks: payment key `m/1852'/1815'/0'/0/i`, stake key
//! `m/1852'/1815'/0'/2/0`.
//!
//! Two xpub forms exist in wallet files, and both give addresses:
//! - **v1, 256 hex digits** (what the original's SDK v1 `generateWallet(ADA)` returns and what
//!   the recorded `storemanagedwallet ADA` stored): the payment-chain xpub
//!   `m/1852'/1815'/0'/0` followed by the xpub of the staking **key** `m/1852'/1815'/0'/2/0`,
//!   each 32-byte public key ‖ 32-byte chain code (found from the vectors: the second half
//!   is the stake key itself, not the role-2 chain). Address `i` is the CIP-19 **base**
//!   address of payment child `i` and that staking key: header `0x01` (mainnet) / `0x00`
//!   (testnet), blake2b-224 of both public keys, bech32 `addr` / `addr_test`. This is what
//!   the golden vectors and the CLI runs show.
//! - **v2, 128 hex digits** (SDK v2 `generateWallet`, spec §6.10): only the role-0 xpub,
//!   the same 64 bytes as the first half of a v1 xpub. It has no staking key, so no base
//!   address can come from it. The original asks Tatum's Rosetta `/construction/derive`
//!   for the address of child `i`'s public key, with no metadata; Cardano Rosetta then
//!   answers an **enterprise** address (CIP-19 type 6, header `0x61` mainnet / `0x60`
//!   preprod). We compute that address locally. UNCONFIRMED by a recorded run (spec §6.10
//!   says "probably an enterprise address").
//!
//! Private keys are v1's 128-byte form, 256 hex digits: `kL ‖ kR ‖ public key ‖ chain code`
//! (cardano-serialization-lib `to_128_xprv`), the same on both networks (the original
//! forces `testnet = false` when deriving ADA keys; the derivation ignores it anyway).

use bech32::{Bech32, Hrp};
use bip39::{Language, Mnemonic};
use blake2::digest::consts::U28;
use blake2::{Blake2b, Digest};
use ed25519_bip32::{DerivationScheme, XPrv, XPub, XPRV_SIZE, XPUB_SIZE};
use kms_core::{Chain, Network};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::{ChainError, GeneratedWallet};

const HARDENED: u32 = 0x8000_0000;
/// `m/1852'/1815'/0'`: CIP-1852 purpose, Cardano coin type, account 0.
const ACCOUNT_PATH: [u32; 3] = [HARDENED | 1852, HARDENED | 1815, HARDENED];
/// Role of external (payment) keys and of staking keys below the account.
const ROLE_PAYMENT: u32 = 0;
const ROLE_STAKE: u32 = 2;

/// The BIP39 entropy of a stored mnemonic, as bip39's `mnemonicToEntropy` (checksum
/// checked, English word list).
fn entropy(mnemonic: &str) -> Result<Zeroizing<Vec<u8>>, ChainError> {
    let parsed = Mnemonic::parse_in_normalized(Language::English, mnemonic)
        .map_err(|e| ChainError::InvalidMnemonic(e.to_string()))?;
    let (bytes, len) = parsed.to_entropy_array();
    let bytes = Zeroizing::new(bytes);
    Ok(Zeroizing::new(bytes[..len].to_vec()))
}

/// The Icarus master key (CIP-3) of a mnemonic.
fn root(mnemonic: &str) -> Result<XPrv, ChainError> {
    let entropy = entropy(mnemonic)?;
    let mut bytes = Zeroizing::new([0u8; XPRV_SIZE]);
    pbkdf2::pbkdf2_hmac::<Sha512>(b"", &entropy, 4096, bytes.as_mut());
    Ok(XPrv::normalize_bytes_force3rd(*bytes))
}

fn derive_path(key: &XPrv, path: &[u32]) -> XPrv {
    let mut iter = path.iter();
    let Some(first) = iter.next() else {
        return key.clone();
    };
    let mut current = key.derive(DerivationScheme::V2, *first);
    for index in iter {
        current = current.derive(DerivationScheme::V2, *index);
    }
    current
}

/// The account key `m/1852'/1815'/0'`.
fn account(mnemonic: &str) -> Result<XPrv, ChainError> {
    Ok(derive_path(&root(mnemonic)?, &ACCOUNT_PATH))
}

/// The payment chain `m/1852'/1815'/0'/0` and the staking key `m/1852'/1815'/0'/2/0`.
fn role_keys(mnemonic: &str) -> Result<(XPrv, XPrv), ChainError> {
    let account = account(mnemonic)?;
    Ok((
        account.derive(DerivationScheme::V2, ROLE_PAYMENT),
        derive_path(&account, &[ROLE_STAKE, 0]),
    ))
}

/// `{mnemonic, xpub}` with the v1 256-hex xpub (payment chain ‖ staking key), the same on
/// both networks.
pub fn wallet(mnemonic: &str) -> Result<GeneratedWallet, ChainError> {
    let (payment, stake) = role_keys(mnemonic)?;
    let xpub = format!(
        "{}{}",
        hex::encode(payment.public().as_ref()),
        hex::encode(stake.public().as_ref())
    );
    Ok(GeneratedWallet::new()
        .with("mnemonic", mnemonic)
        .with("xpub", xpub))
}

/// The address at `index` of a v1 (256-hex, base address) or v2 (128-hex, enterprise
/// address) xpub; see the module documentation.
pub fn address_from_xpub(network: Network, xpub: &str, index: u32) -> Result<String, ChainError> {
    let invalid = |reason: String| ChainError::InvalidXpub {
        chain: Chain::Ada,
        reason,
    };
    let bytes =
        hex::decode(xpub.trim()).map_err(|_| invalid("expected 128 or 256 hex digits".into()))?;
    match bytes.len() {
        l if l == 2 * XPUB_SIZE => {
            let payment = soft_child(&bytes[..XPUB_SIZE], index).map_err(invalid)?;
            let mut stake = [0u8; 32];
            stake.copy_from_slice(&bytes[XPUB_SIZE..XPUB_SIZE + 32]);
            base_address(network, &payment, &stake)
        }
        XPUB_SIZE => {
            let payment = soft_child(&bytes, index).map_err(invalid)?;
            enterprise_address(network, &payment)
        }
        n => Err(invalid(format!(
            "{} hex digits; expected 128 (v2) or 256 (v1)",
            n * 2
        ))),
    }
}

/// The raw public key of the non-hardened child `index` of a 64-byte extended public key.
fn soft_child(xpub: &[u8], index: u32) -> Result<[u8; 32], String> {
    if index >= HARDENED {
        return Err(format!(
            "index {index} is hardened; an xpub derives only below 2^31"
        ));
    }
    let parent =
        XPub::from_slice(xpub).map_err(|_| "expected a 64-byte extended public key".to_string())?;
    let child = parent
        .derive(DerivationScheme::V2, index)
        .map_err(|e| format!("derivation failed: {e}"))?;
    Ok(child.public_key())
}

/// The private key at `index`: 256 hex digits, `kL ‖ kR ‖ public key ‖ chain code` of
/// `m/1852'/1815'/0'/0/index`.
pub fn private_key(mnemonic: &str, index: u32) -> Result<Zeroizing<String>, ChainError> {
    if index >= HARDENED {
        return Err(ChainError::Derivation(format!(
            "index {index} is not below 2^31"
        )));
    }
    let child = derive_path(&account(mnemonic)?, &[ROLE_PAYMENT, index]);
    let mut bytes = Zeroizing::new([0u8; 128]);
    bytes[..64].copy_from_slice(child.extended_secret_key_bytes());
    bytes[64..96].copy_from_slice(&child.public().public_key());
    bytes[96..].copy_from_slice(child.chain_code());
    Ok(Zeroizing::new(hex::encode(bytes.as_slice())))
}

/// A private key alone has no staking key, so it cannot give the base address the wallet's
/// xpub gives; the CLI should derive the address from the xpub instead.
pub fn address_from_private_key(_private_key: &str) -> Result<String, ChainError> {
    Err(ChainError::Unsupported(
        "an ADA private key has no staking key, so it cannot give the wallet's base address; \
         derive the address from the wallet's xpub"
            .into(),
    ))
}

/// The enterprise address (payment key only, no staking part) of an ADA private key: what
/// the original's Rosetta `/construction/derive` call gives for the key's public key when it
/// maps signing keys to addresses (spec §6.10). Accepts v1's 256 hex digits
/// (`kL ‖ kR ‖ A ‖ cc`), whose public key is recomputed rather than trusted, and v2's 128
/// (`kL ‖ kR`).
pub fn enterprise_address_from_private_key(
    network: Network,
    private_key: &str,
) -> Result<String, ChainError> {
    let public = public_key_of_private_key(private_key)?;
    enterprise_address(network, &public)
}

/// The Ed25519 public key of a v1 (256-hex) or v2 (128-hex) ADA private key.
pub fn public_key_of_private_key(private_key: &str) -> Result<[u8; 32], ChainError> {
    let invalid = |reason: &str| ChainError::InvalidPrivateKey {
        chain: Chain::Ada,
        reason: reason.into(),
    };
    let text = private_key.trim().as_bytes();
    if text.len() != 256 && text.len() != 128 {
        return Err(invalid(
            "expected 256 (kL‖kR‖A‖cc) or 128 (kL‖kR) hex digits",
        ));
    }
    let mut decoded = Zeroizing::new([0u8; 128]);
    hex::decode_to_slice(text, &mut decoded[..text.len() / 2]).map_err(|_| invalid("not hex"))?;
    // The chain code does not affect the public key; a zero one is fine for `public()`.
    let mut extended = Zeroizing::new([0u8; XPRV_SIZE]);
    extended[..64].copy_from_slice(&decoded[..64]);
    let key = XPrv::from_bytes_verified(*extended)
        .map_err(|_| invalid("not a clamped Ed25519 extended secret key"))?;
    Ok(key.public().public_key())
}

fn blake2b224(data: &[u8]) -> [u8; 28] {
    Blake2b::<U28>::digest(data).into()
}

fn hrp(network: Network) -> Hrp {
    Hrp::parse_unchecked(if network.is_testnet() {
        "addr_test"
    } else {
        "addr"
    })
}

/// CIP-19 network id in the header's low nibble: 1 mainnet, 0 any testnet.
fn network_id(network: Network) -> u8 {
    u8::from(!network.is_testnet())
}

fn encode(network: Network, payload: &[u8]) -> Result<String, ChainError> {
    // ADA addresses exceed BIP173's 90 characters; bech32 0.12's `encode::<Bech32>` allows
    // up to the checksum's 1023-character code length (the 90 limit is only in `segwit`).
    bech32::encode::<Bech32>(hrp(network), payload)
        .map_err(|e| ChainError::Derivation(format!("bech32: {e}")))
}

/// CIP-19 type 0: key-hash payment part and key-hash staking part.
fn base_address(
    network: Network,
    payment: &[u8; 32],
    stake: &[u8; 32],
) -> Result<String, ChainError> {
    let mut payload = Vec::with_capacity(57);
    payload.push(network_id(network));
    payload.extend_from_slice(&blake2b224(payment));
    payload.extend_from_slice(&blake2b224(stake));
    encode(network, &payload)
}

/// CIP-19 type 6: key-hash payment part, no staking part.
fn enterprise_address(network: Network, payment: &[u8; 32]) -> Result<String, ChainError> {
    let mut payload = Vec::with_capacity(29);
    payload.push(0x60 | network_id(network));
    payload.extend_from_slice(&blake2b224(payment));
    encode(network, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cardano-addresses README (IOHK): a 15-word phrase, its Shelley (Icarus) root key,
    /// payment key `1852H/1815H/0H/0/0`, stake key `1852H/1815H/0H/2/0` and the testnet
    /// addresses built from them.
    const PHRASE: &str =
        "exercise club noble adult miracle awkward problem olympic puppy private goddess piano fatal fashion vacuum";
    const ROOT_XSK: &str = "root_xsk1hqzfzrgskgnpwskxxrv5khs7ess82ecy8za9l5ef7e0afd2849p3zryje8chk39nxtva0sww5me3pzkej4rvd5cae3q3v8eu7556n6pdrp4fdu8nsglynpmcppxxvfdyzdz5gfq3fefjepxhvqspmuyvmvqg8983";
    const ADDR_XVK: &str = "addr_xvk1grvg8qzmkmw2n0dm4pd0h3j4dv6yglyammyp733eyj629dc3z28v6wk22nfmru6xz0vl2s3y5xndyd57fu70hrt84c6zkvlwx6fdl7ct9j7yc";
    const STAKE_XVK: &str = "stake_xvk1658atzttunamzn80204khrg0qfdk5nvmrutlmmpg7xlsyaggwa7h9z4smmeqsvs67qhyqmc2lqa0vy36rf2la74ym8a5p93zp4qtpuq6ky3ve";
    const BASE_TEST: &str = "addr_test1qp2fg770ddmqxxduasjsas39l5wwvwa04nj8ud95fde7f70k6tew7wrnx0s4465nx05ajz890g44z0kx6a3gsnms4c4qq8ve0n";
    const ENTERPRISE_TEST: &str = "addr_test1vp2fg770ddmqxxduasjsas39l5wwvwa04nj8ud95fde7f7guscp6v";

    fn bech32_bytes(s: &str) -> Vec<u8> {
        bech32::decode(s).unwrap().1
    }

    #[test]
    fn icarus_root_and_cip1852_keys_match_cardano_addresses() {
        assert_eq!(
            root(PHRASE).unwrap().as_ref(),
            bech32_bytes(ROOT_XSK).as_slice()
        );
        let (payment, stake) = role_keys(PHRASE).unwrap();
        let payment0 = payment.derive(DerivationScheme::V2, 0).public();
        assert_eq!(payment0.as_ref(), bech32_bytes(ADDR_XVK).as_slice());
        assert_eq!(stake.public().as_ref(), bech32_bytes(STAKE_XVK).as_slice());
    }

    #[test]
    fn both_xpub_forms_give_cip19_addresses() {
        let v1 = wallet(PHRASE).unwrap().get("xpub").unwrap().to_string();
        assert_eq!(v1.len(), 256);
        assert_eq!(
            address_from_xpub(Network::Testnet, &v1, 0).unwrap(),
            BASE_TEST
        );
        let v2 = &v1[..128];
        assert_eq!(
            address_from_xpub(Network::Testnet, v2, 0).unwrap(),
            ENTERPRISE_TEST
        );
        assert!(address_from_xpub(Network::Mainnet, v2, 0)
            .unwrap()
            .starts_with("addr1v"));
        // The private key's enterprise address is the v2 xpub's, in both key forms.
        let pk = private_key(PHRASE, 0).unwrap();
        assert_eq!(
            enterprise_address_from_private_key(Network::Testnet, &pk).unwrap(),
            ENTERPRISE_TEST
        );
        assert_eq!(
            enterprise_address_from_private_key(Network::Testnet, &pk[..128]).unwrap(),
            ENTERPRISE_TEST
        );
        assert_eq!(&pk[128..192], &hex::encode(&bech32_bytes(ADDR_XVK)[..32]));
    }

    #[test]
    fn bad_input_is_an_error() {
        let v1 = wallet(PHRASE).unwrap().get("xpub").unwrap().to_string();
        assert!(address_from_xpub(Network::Mainnet, &v1[..100], 0).is_err());
        assert!(address_from_xpub(Network::Mainnet, "zz", 0).is_err());
        assert!(address_from_xpub(Network::Mainnet, &v1, HARDENED).is_err());
        assert!(private_key(PHRASE, HARDENED).is_err());
        assert!(matches!(
            wallet("abandon abandon"),
            Err(ChainError::InvalidMnemonic(_))
        ));
        assert!(public_key_of_private_key("00").is_err());
        assert!(public_key_of_private_key(&"g".repeat(128)).is_err());
        assert!(public_key_of_private_key(&"é".repeat(64)).is_err());
        let pk = private_key(PHRASE, 0).unwrap();
        assert!(public_key_of_private_key(&format!("{}zz", &pk[..254])).is_err());
        assert!(matches!(
            address_from_private_key("00"),
            Err(ChainError::Unsupported(_))
        ));
    }
}
