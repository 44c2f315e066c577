//! What a pending transaction does, read from its `serializedTransaction` before anything is
//! signed: one [`DecodedView`] for every chain (who pays, who receives how much, which token,
//! the fee and the nonce), which the daemon's policy and the four-eye approver judge.
//!
//! Pure: no I/O, no keys. A transaction this module cannot read is refused with a
//! [`DecodeError`]; the daemon then does not sign it when a policy is configured. Amounts are
//! decimal strings of the chain's base unit (satoshi, wei, sun, lamport, drop, stroop,
//! microalgo, 10^-18 EGLD, 10^-8 FLOW, lovelace), so no value is rounded; XRP issued-currency
//! (IOU) amounts are the decimal value the transaction carries.
//!
//! What the view cannot know is absent rather than guessed (see each field): the EVM sender
//! is the signing key's address (the transaction's `from` is ignored when signing), a BCH
//! input carries no address, and a fee the signer asks the network for is unknown here.

use kms_core::{Chain, Network, PendingTransaction};
use serde::{Deserialize, Serialize};

mod ada;
mod algo;
mod egld;
mod evm;
mod flow;
mod sol;
mod tron;
mod utxo;
mod xlm;
mod xrp;

/// Why a pending transaction could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode the {chain} transaction: {message}")]
pub struct DecodeError {
    pub chain: String,
    pub message: String,
}

/// What a transaction does, as far as its value is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// The chain's native coin moves to `to`.
    Transfer,
    /// A token moves (ERC-20/TRC-20 `transfer`, SPL, TRC-10, ASA, ESDT, XLM/XRP assets,
    /// FUSD); `token` says which and how much, `to` who receives it.
    TokenTransfer,
    /// A call to a contract that is not a recognised token transfer; `to` is the contract.
    ContractCall,
    /// Anything else (account creation, key changes, NFT operations, …).
    Other,
}

/// One receiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    pub address: String,
    /// Base units received: of the token for a token transfer, else of the native coin.
    pub amount: String,
    /// A UTXO output back to the sender (bitcore's change output, or an output to one of the
    /// inputs' addresses); not counted in `amount` and not checked against destination lists.
    #[serde(default, skip_serializing_if = "is_false")]
    pub change: bool,
}

/// The token of a token transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// Contract / mint / asset id / `CODE:ISSUER`. `None` when the transaction does not name
    /// it (an SPL `Transfer` names token accounts, not the mint).
    pub contract: Option<String>,
    /// Base units of the token (XRP IOUs: the decimal value).
    pub amount: String,
}

/// The common view of a pending transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecodedView {
    /// Chain code (`ETH`, `BTC`, …).
    pub chain: String,
    /// `mainnet` or `testnet`: the daemon's `--testnet` flag.
    pub network: String,
    pub kind: Kind,
    /// Sending addresses, when the transaction names them; empty when it does not (EVM:
    /// the signing key's account; BCH: inputs carry no address).
    pub from: Vec<String>,
    /// Every receiver (UTXO: every output, change marked).
    pub to: Vec<Recipient>,
    /// Native base units leaving the sender for non-change receivers (for a token transfer:
    /// the native value sent with it, usually 0).
    pub amount: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
    /// Fee in native base units when the transaction fixes it (UTXO: inputs − outputs; EVM:
    /// gas limit × gas price when both are given; TRON: `fee_limit`, a cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<String>,
    /// Nonce / sequence number when the transaction fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl DecodedView {
    fn new(chain: Chain, network: Network, kind: Kind) -> Self {
        Self {
            chain: chain.code().to_string(),
            network: network.to_string(),
            kind,
            from: Vec::new(),
            to: Vec::new(),
            amount: "0".into(),
            token: None,
            fee: None,
            nonce: None,
        }
    }
}

/// A failure message for [`DecodeError`], before the chain is attached.
pub(crate) type Result<T> = std::result::Result<T, String>;

/// Decodes `tx` as a pending transaction of `chain` on `network`.
pub fn decode(
    chain: Chain,
    network: Network,
    tx: &PendingTransaction,
) -> std::result::Result<DecodedView, DecodeError> {
    let text = tx.serialized_transaction.as_str();
    let result = match chain {
        Chain::Btc | Chain::Ltc | Chain::Doge => utxo::bitcore(chain, network, text),
        Chain::Bch => utxo::bch(network, text),
        Chain::Eth
        | Chain::Bsc
        | Chain::Matic
        | Chain::Klay
        | Chain::Xdc
        | Chain::One
        | Chain::Kcs
        | Chain::Celo
        | Chain::Vet => evm::decode(chain, network, text),
        Chain::Tron => tron::decode(network, text),
        Chain::Sol => sol::decode(network, text),
        Chain::Xrp => xrp::decode(network, text),
        Chain::Xlm => xlm::decode(network, text),
        Chain::Algo => algo::decode(network, text),
        Chain::Egld => egld::decode(network, text),
        Chain::Flow => flow::decode(network, text),
        Chain::Ada => ada::decode(network, text),
        Chain::Bnb => {
            Err("BNB Beacon Chain transactions are not decoded (the chain is shut down)".into())
        }
    };
    result.map_err(|message| DecodeError {
        chain: chain.code().to_string(),
        message,
    })
}

/// Big-endian unsigned bytes as a decimal string.
/// The pending transaction's `serializedTransaction`, parsed as JSON.
pub(crate) fn parse_json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| format!("serializedTransaction is not JSON: {e}"))
}

/// [`parse_json`], which must give an object.
pub(crate) fn parse_object(text: &str) -> Result<serde_json::Map<String, serde_json::Value>> {
    match parse_json(text)? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err("serializedTransaction is not an object".into()),
    }
}

pub(crate) fn be_to_decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new(); // little-endian base-10 digits
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

/// A JSON value that must be a non-negative integer (number or decimal string) as `u128`.
pub(crate) fn json_u128(v: &serde_json::Value, what: &str) -> Result<u128> {
    let bad = || format!("{what} is not a non-negative integer: {v}");
    match v {
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(u) => Ok(u128::from(u)),
            None => n
                .as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 1e21)
                .map(|f| f as u128)
                .ok_or_else(bad),
        },
        serde_json::Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

/// A decimal amount (`"1.5"`, `1.5`, `"2"`) scaled by `10^decimals` to base units; more
/// fraction digits than `decimals` are rounded half up (as `toFixed` writes them).
pub(crate) fn scale_decimal(text: &str, decimals: usize) -> Result<String> {
    let bad = || format!("amount {text:?} is not a non-negative decimal number");
    let t = text.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let mut frac_digits: String = frac.chars().take(decimals).collect();
    while frac_digits.len() < decimals {
        frac_digits.push('0');
    }
    let round_up = frac.as_bytes().get(decimals).is_some_and(|d| *d >= b'5');
    let joined = format!("{int}{frac_digits}");
    let mut value: u128 = if joined.is_empty() {
        0
    } else {
        joined.parse().map_err(|_| bad())?
    };
    if round_up {
        value = value.checked_add(1).ok_or_else(bad)?;
    }
    Ok(value.to_string())
}

/// Sums non-change receivers (native amounts).
pub(crate) fn sum_to(to: &[Recipient]) -> Result<String> {
    let mut total: u128 = 0;
    for r in to.iter().filter(|r| !r.change) {
        let v: u128 = r
            .amount
            .parse()
            .map_err(|_| format!("amount {} is out of range", r.amount))?;
        total = total
            .checked_add(v)
            .ok_or_else(|| "the amounts overflow".to_string())?;
    }
    Ok(total.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_to_decimal() {
        assert_eq!(be_to_decimal(&[]), "0");
        assert_eq!(be_to_decimal(&[0, 0]), "0");
        assert_eq!(be_to_decimal(&[0x01, 0x00]), "256");
        assert_eq!(
            be_to_decimal(&[0xff; 32]),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
    }

    #[test]
    fn decimals_scale_exactly() {
        assert_eq!(scale_decimal("1.5", 8).unwrap(), "150000000");
        assert_eq!(scale_decimal("0.000000015", 8).unwrap(), "2");
        assert_eq!(scale_decimal("7", 2).unwrap(), "700");
        assert!(scale_decimal("-1", 2).is_err());
        assert!(scale_decimal("1e5", 2).is_err());
    }
}
