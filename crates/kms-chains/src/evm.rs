//! Keys and addresses of the secp256k1 account chains that share Ethereum's derivation:
//! ETH, BSC, MATIC, CELO, KLAY, XDC, ONE, KCS and VET (spec §6.0).

use k256::ecdsa::SigningKey;
use kms_core::{Chain, Network};
use zeroize::Zeroizing;

use crate::hash::keccak256;
use crate::hd::{self, XPUB};
use crate::{mnemonic, ChainError, GeneratedWallet};

pub fn is_evm(chain: Chain) -> bool {
    matches!(
        chain,
        Chain::Eth
            | Chain::Bsc
            | Chain::Matic
            | Chain::Celo
            | Chain::Klay
            | Chain::Xdc
            | Chain::One
            | Chain::Kcs
            | Chain::Vet
    )
}

/// Account path; every EVM testnet shares `m/44'/1'/0'/0`.
fn path(chain: Chain, network: Network) -> Result<&'static str, ChainError> {
    if !is_evm(chain) {
        return Err(ChainError::Unsupported(format!(
            "{chain} is not an EVM chain"
        )));
    }
    if network.is_testnet() {
        return Ok("m/44'/1'/0'/0");
    }
    Ok(match chain {
        Chain::Matic => "m/44'/966'/0'/0",
        Chain::Celo => "m/44'/52752'/0'/0",
        Chain::Klay => "m/44'/8217'/0'/0",
        Chain::Xdc => "m/44'/550'/0'/0",
        Chain::One => "m/44'/1023'/0'/0",
        Chain::Vet => "m/44'/818'/0'/0",
        _ => "m/44'/60'/0'/0", // ETH, BSC, KCS
    })
}

/// Lowercase hex without EIP-55 checksum; `xdc` instead of `0x` for XDC (ONE keeps `0x`).
fn format_address(chain: Chain, xy: &[u8; 64]) -> String {
    let hash = keccak256(xy);
    let prefix = if chain == Chain::Xdc { "xdc" } else { "0x" };
    format!("{prefix}{}", hex::encode(&hash[12..]))
}

/// `{xpub, mnemonic}`, as v1 `generateWallet` returns it; the xpub always has `xpub`
/// version bytes, testnet included.
pub fn wallet(
    chain: Chain,
    network: Network,
    mnemonic: &str,
) -> Result<GeneratedWallet, ChainError> {
    let xprv = hd::derive(&mnemonic::seed(mnemonic), path(chain, network)?)?;
    Ok(GeneratedWallet::new()
        .with("xpub", hd::xpub_string(&xprv, XPUB))
        .with("mnemonic", mnemonic))
}

pub fn address_from_xpub(
    chain: Chain,
    network: Network,
    xpub: &str,
    index: u32,
) -> Result<String, ChainError> {
    path(chain, network)?;
    let key = hd::child_public(chain, xpub, XPUB, index)?;
    Ok(format_address(chain, &hd::uncompressed_xy(&key)))
}

/// The address of a public key, as `address_from_xpub` writes it.
pub(crate) fn address_of_key(chain: Chain, key: &k256::ecdsa::VerifyingKey) -> String {
    format_address(chain, &hd::uncompressed_xy(key))
}

/// `0x` + 64 lowercase hex digits, for every EVM chain (XDC included).
pub fn private_key(
    chain: Chain,
    network: Network,
    mnemonic: &str,
    index: u32,
) -> Result<Zeroizing<String>, ChainError> {
    let account = hd::derive(&mnemonic::seed(mnemonic), path(chain, network)?)?;
    let child = hd::child_private(&account, index)?;
    let bytes = Zeroizing::new(<[u8; 32]>::from(child.private_key().to_bytes()));
    Ok(Zeroizing::new(format!(
        "0x{}",
        hex::encode(bytes.as_slice())
    )))
}

pub fn address_from_private_key(chain: Chain, private_key: &str) -> Result<String, ChainError> {
    let secret = parse_hex_key(chain, private_key)?;
    let signing =
        SigningKey::from_slice(secret.as_slice()).map_err(|_| ChainError::InvalidPrivateKey {
            chain,
            reason: "not a valid secp256k1 scalar".into(),
        })?;
    Ok(format_address(
        chain,
        &hd::uncompressed_xy(signing.verifying_key()),
    ))
}

/// 64 hex digits with or without `0x`.
pub(crate) fn parse_hex_key(chain: Chain, text: &str) -> Result<Zeroizing<[u8; 32]>, ChainError> {
    let t = text.trim();
    let digits = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let mut out = Zeroizing::new([0u8; 32]);
    if digits.len() != 64 || hex::decode_to_slice(digits, out.as_mut()).is_err() {
        return Err(ChainError::InvalidPrivateKey {
            chain,
            reason: "expected 64 hex digits".into(),
        });
    }
    Ok(out)
}

/// EIP-55 mixed-case checksum form of a 20-byte address given as hex (with or without
/// `0x`/`xdc`); the original uses it for the Tatum REST nonce call.
pub fn to_checksum_address(address: &str) -> Result<String, ChainError> {
    let t = address.trim();
    let digits = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .or_else(|| t.strip_prefix("xdc"))
        .unwrap_or(t);
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ChainError::Unsupported(format!(
            "'{address}' is not a 20-byte hex address"
        )));
    }
    let lower = digits.to_ascii_lowercase();
    let hash = keccak256(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        if c.is_ascii_alphabetic() && nibble >= 8 {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of EIP-55 itself.
    #[test]
    fn eip55_examples() {
        for expected in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
            "0xde709f2102306220921060314715629080e2fb77",
            "0x27b1fdb04752bbc536007a920d24acb045561c26",
        ] {
            assert_eq!(
                to_checksum_address(&expected.to_lowercase()).unwrap(),
                expected
            );
        }
        assert!(to_checksum_address("0x1234").is_err());
    }

    /// The ETH address of the BIP39 "abandon ... about" mnemonic at m/44'/60'/0'/0/0, as
    /// every wallet (MetaMask, ethers) derives it, in its EIP-55 form.
    #[test]
    fn well_known_eth_address() {
        let phrase = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        let w = wallet(Chain::Eth, Network::Mainnet, phrase).unwrap();
        let addr =
            address_from_xpub(Chain::Eth, Network::Mainnet, w.get("xpub").unwrap(), 0).unwrap();
        assert_eq!(
            to_checksum_address(&addr).unwrap(),
            "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
        );
    }
}
