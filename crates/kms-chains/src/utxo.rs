//! BTC, LTC, DOGE and BCH keys and addresses (spec §5, §7).

use k256::ecdsa::{SigningKey, VerifyingKey};
use kms_core::{Chain, Network};
use zeroize::Zeroizing;

use crate::hash::hash160;
use crate::hd::{self, XpubVersion, TPUB, XPUB};
use crate::{mnemonic, ChainError, GeneratedWallet};

/// How a chain writes the address of a public key.
#[derive(Clone, Copy, Debug)]
enum AddressFormat {
    /// Native segwit v0 P2WPKH, bech32 with this human-readable part.
    P2wpkh(&'static str),
    /// Legacy pay-to-pubkey-hash, base58check with this version byte.
    P2pkh(u8),
    /// CashAddr P2PKH with this prefix, written with the prefix.
    CashAddr(&'static str),
}

/// Everything that differs between the UTXO chains and their networks.
#[derive(Clone, Copy, Debug)]
struct Params {
    path: &'static str,
    xpub: XpubVersion,
    wif: u8,
    address: AddressFormat,
}

const LTUB: XpubVersion = XpubVersion {
    chars: "Ltub",
    version: 0x019D_A462,
};
const TTUB: XpubVersion = XpubVersion {
    chars: "ttub",
    version: 0x0436_F6E1,
};

fn params(chain: Chain, network: Network) -> Result<Params, ChainError> {
    use AddressFormat::*;
    let testnet = network.is_testnet();
    let p = match (chain, testnet) {
        (Chain::Btc, false) => Params {
            path: "m/44'/0'/0'/0",
            xpub: XPUB,
            wif: 0x80,
            address: P2wpkh("bc"),
        },
        (Chain::Btc, true) => Params {
            path: "m/44'/1'/0'/0",
            xpub: TPUB,
            wif: 0xEF,
            address: P2wpkh("tb"),
        },
        (Chain::Ltc, false) => Params {
            path: "m/44'/2'/0'/0",
            xpub: LTUB,
            wif: 0xB0,
            address: P2pkh(0x30),
        },
        (Chain::Ltc, true) => Params {
            path: "m/44'/1'/0'/0",
            xpub: TTUB,
            wif: 0xEF,
            address: P2pkh(0x6F),
        },
        (Chain::Doge, false) => Params {
            path: "m/44'/3'/0'/0",
            xpub: XPUB,
            wif: 0x9E,
            address: P2pkh(0x1E),
        },
        (Chain::Doge, true) => Params {
            path: "m/44'/1'/0'/0",
            xpub: TPUB,
            wif: 0xF1,
            address: P2pkh(0x71),
        },
        // BCH keeps the mainnet path on testnet; only the version bytes change (spec §5.4).
        (Chain::Bch, false) => Params {
            path: "m/44'/145'/0'/0",
            xpub: XPUB,
            wif: 0x80,
            address: CashAddr("bitcoincash"),
        },
        (Chain::Bch, true) => Params {
            path: "m/44'/145'/0'/0",
            xpub: TPUB,
            wif: 0xEF,
            address: CashAddr("bchtest"),
        },
        _ => {
            return Err(ChainError::Unsupported(format!(
                "{chain} is not a UTXO chain"
            )))
        }
    };
    Ok(p)
}

pub fn is_utxo(chain: Chain) -> bool {
    matches!(chain, Chain::Btc | Chain::Ltc | Chain::Doge | Chain::Bch)
}

/// `{mnemonic, xpub}`, as v1 `generateWallet` returns it.
pub fn wallet(
    chain: Chain,
    network: Network,
    mnemonic: &str,
) -> Result<GeneratedWallet, ChainError> {
    let p = params(chain, network)?;
    let xprv = hd::derive(&mnemonic::seed(mnemonic), p.path)?;
    Ok(GeneratedWallet::new()
        .with("mnemonic", mnemonic)
        .with("xpub", hd::xpub_string(&xprv, p.xpub)))
}

pub fn address_from_xpub(
    chain: Chain,
    network: Network,
    xpub: &str,
    index: u32,
) -> Result<String, ChainError> {
    let p = params(chain, network)?;
    let key = hd::child_public(chain, xpub, p.xpub, index)?;
    address(chain, p.address, &hd::compressed(&key))
}

/// The xpub version bytes of the chain's wallets on that network.
pub(crate) fn xpub_version(chain: Chain, network: Network) -> Result<XpubVersion, ChainError> {
    Ok(params(chain, network)?.xpub)
}

/// The address of a public key, in the format `address_from_xpub` writes.
pub(crate) fn address_of_key(
    chain: Chain,
    network: Network,
    key: &VerifyingKey,
) -> Result<String, ChainError> {
    let p = params(chain, network)?;
    address(chain, p.address, &hd::compressed(key))
}

/// The compressed WIF of the key at `path/index`.
pub fn private_key(
    chain: Chain,
    network: Network,
    mnemonic: &str,
    index: u32,
) -> Result<Zeroizing<String>, ChainError> {
    let p = params(chain, network)?;
    let account = hd::derive(&mnemonic::seed(mnemonic), p.path)?;
    let child = hd::child_private(&account, index)?;
    let secret = Zeroizing::new(<[u8; 32]>::from(child.private_key().to_bytes()));
    Ok(wif(p.wif, &secret, true))
}

/// The address of a stored private key (WIF of this chain and network, or 64 hex digits),
/// in the same format as the xpub-derived addresses.
pub fn address_from_private_key(
    chain: Chain,
    network: Network,
    private_key: &str,
) -> Result<String, ChainError> {
    let p = params(chain, network)?;
    let (secret, compressed) = decode_private_key(chain, p.wif, private_key)?;
    let signing =
        SigningKey::from_slice(secret.as_slice()).map_err(|_| ChainError::InvalidPrivateKey {
            chain,
            reason: "not a valid secp256k1 scalar".into(),
        })?;
    let public: &VerifyingKey = signing.verifying_key();
    if compressed {
        address(chain, p.address, &hd::compressed(public))
    } else {
        let point = public.to_sec1_point(false);
        match p.address {
            AddressFormat::P2wpkh(_) => Err(ChainError::InvalidPrivateKey {
                chain,
                reason: "an uncompressed key has no segwit address".into(),
            }),
            format => address(chain, format, point.as_bytes()),
        }
    }
}

fn address(chain: Chain, format: AddressFormat, public_key: &[u8]) -> Result<String, ChainError> {
    let h = hash160(public_key);
    match format {
        AddressFormat::P2wpkh(hrp) => {
            let hrp = bech32::Hrp::parse(hrp).map_err(|e| ChainError::Derivation(e.to_string()))?;
            bech32::segwit::encode_v0(hrp, &h)
                .map_err(|e| ChainError::Derivation(format!("{chain}: {e}")))
        }
        AddressFormat::P2pkh(version) => {
            let mut payload = Vec::with_capacity(21);
            payload.push(version);
            payload.extend_from_slice(&h);
            Ok(bs58::encode(payload).with_check().into_string())
        }
        AddressFormat::CashAddr(prefix) => Ok(cashaddr::encode_p2pkh(prefix, &h)),
    }
}

/// The address an output script pays to, for the decoded view: P2PKH, P2SH, P2WPKH and
/// P2WSH (CashAddr P2PKH/P2SH on BCH); `None` for any other script.
pub(crate) fn script_address(chain: Chain, network: Network, script: &[u8]) -> Option<String> {
    let testnet = network.is_testnet();
    let base58 = |version: u8, hash: &[u8]| {
        let mut payload = Vec::with_capacity(21);
        payload.push(version);
        payload.extend_from_slice(hash);
        bs58::encode(payload).with_check().into_string()
    };
    let p2sh_version = match (chain, testnet) {
        (Chain::Ltc, false) => 0x32,
        (Chain::Ltc, true) => 0x3A,
        (Chain::Doge, false) => 0x16,
        (Chain::Btc | Chain::Bch, false) => 0x05,
        _ => 0xC4,
    };
    let cash_prefix = if testnet { "bchtest" } else { "bitcoincash" };
    match script {
        [0x76, 0xa9, 0x14, hash @ .., 0x88, 0xac] if hash.len() == 20 => {
            let h: &[u8; 20] = hash.try_into().ok()?;
            match params(chain, network).ok()?.address {
                AddressFormat::P2pkh(version) => Some(base58(version, h)),
                AddressFormat::CashAddr(prefix) => Some(cashaddr::encode_typed(prefix, 0, h)),
                // BTC's own addresses are segwit; a legacy output keeps its legacy form.
                AddressFormat::P2wpkh(_) => Some(base58(if testnet { 0x6F } else { 0x00 }, h)),
            }
        }
        [0xa9, 0x14, hash @ .., 0x87] if hash.len() == 20 => {
            let h: &[u8; 20] = hash.try_into().ok()?;
            if chain == Chain::Bch {
                Some(cashaddr::encode_typed(cash_prefix, 8, h))
            } else {
                Some(base58(p2sh_version, h))
            }
        }
        [0x00, len, program @ ..]
            if usize::from(*len) == program.len()
                && (program.len() == 20 || program.len() == 32) =>
        {
            let hrp = match (chain, testnet) {
                (Chain::Btc, false) => "bc",
                (Chain::Btc, true) => "tb",
                (Chain::Ltc, false) => "ltc",
                (Chain::Ltc, true) => "tltc",
                _ => return None,
            };
            let hrp = bech32::Hrp::parse(hrp).ok()?;
            bech32::segwit::encode_v0(hrp, program).ok()
        }
        _ => None,
    }
}

fn wif(version: u8, secret: &[u8; 32], compressed: bool) -> Zeroizing<String> {
    let mut payload = Zeroizing::new(Vec::with_capacity(34));
    payload.push(version);
    payload.extend_from_slice(secret);
    if compressed {
        payload.push(0x01);
    }
    Zeroizing::new(bs58::encode(payload.as_slice()).with_check().into_string())
}

/// Accepts WIF (checking the version byte) or 64 hex digits (taken as compressed).
fn decode_private_key(
    chain: Chain,
    wif_version: u8,
    text: &str,
) -> Result<(Zeroizing<[u8; 32]>, bool), ChainError> {
    let invalid = |reason: &str| ChainError::InvalidPrivateKey {
        chain,
        reason: reason.to_string(),
    };
    let t = text.trim();
    let hex_part = t.strip_prefix("0x").unwrap_or(t);
    if hex_part.len() == 64 && hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut out = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(hex_part, out.as_mut()).map_err(|_| invalid("bad hex"))?;
        return Ok((out, true));
    }
    let raw = Zeroizing::new(
        bs58::decode(t)
            .with_check(None)
            .into_vec()
            .map_err(|_| invalid("not WIF or 64 hex digits"))?,
    );
    let compressed = match raw.len() {
        34 if raw[33] == 0x01 => true,
        33 => false,
        _ => return Err(invalid("WIF has the wrong length")),
    };
    if raw[0] != wif_version {
        return Err(invalid(&format!(
            "WIF version {:#04x} is not {:#04x}",
            raw[0], wif_version
        )));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&raw[1..33]);
    Ok((out, compressed))
}

/// Bitcoin Cash CashAddr (spec: bitcoincash.org cashaddr.md), P2PKH with a 160-bit hash.
mod cashaddr {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

    fn polymod(values: impl Iterator<Item = u8>) -> u64 {
        const GEN: [u64; 5] = [
            0x98f2bc8e61,
            0x79b76d99e2,
            0xf33e5fb3c4,
            0xae2eabe2a8,
            0x1e4f43e470,
        ];
        let mut c: u64 = 1;
        for d in values {
            let c0 = (c >> 35) as u8;
            c = ((c & 0x07_ffff_ffff) << 5) ^ u64::from(d);
            for (i, g) in GEN.iter().enumerate() {
                if c0 & (1 << i) != 0 {
                    c ^= g;
                }
            }
        }
        c ^ 1
    }

    fn to_5bit(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() * 8 / 5 + 1);
        let (mut acc, mut bits) = (0u32, 0u32);
        for &b in data {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(((acc >> bits) & 31) as u8);
            }
        }
        if bits > 0 {
            out.push(((acc << (5 - bits)) & 31) as u8);
        }
        out
    }

    pub(super) fn encode_p2pkh(prefix: &str, hash: &[u8; 20]) -> String {
        encode_typed(prefix, 0x00, hash)
    }

    /// `version`: type 0 (P2PKH) or 8 (P2SH), size code 0 (160 bits).
    pub(super) fn encode_typed(prefix: &str, version: u8, hash: &[u8; 20]) -> String {
        let mut payload = Vec::with_capacity(21);
        payload.push(version);
        payload.extend_from_slice(hash);
        let data = to_5bit(&payload);
        let checksum = polymod(
            prefix
                .bytes()
                .map(|b| b & 0x1f)
                .chain(std::iter::once(0))
                .chain(data.iter().copied())
                .chain(std::iter::repeat_n(0, 8)),
        );
        let mut out = String::with_capacity(prefix.len() + 1 + data.len() + 8);
        out.push_str(prefix);
        out.push(':');
        out.extend(data.iter().map(|&d| CHARSET[d as usize] as char));
        out.extend((0..8).map(|i| CHARSET[((checksum >> (5 * (7 - i))) & 31) as usize] as char));
        out
    }

    #[cfg(test)]
    mod tests {
        /// Example from the CashAddr specification.
        #[test]
        fn spec_example() {
            let hash: [u8; 20] = hex::decode("76a04053bda0a88bda5177b86a15c3b29f559873")
                .unwrap()
                .try_into()
                .unwrap();
            assert_eq!(
                super::encode_p2pkh("bitcoincash", &hash),
                "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
            );
        }
    }
}
