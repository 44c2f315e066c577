//! The EVM family (ETH, BSC, MATIC, KLAY, XDC, ONE, KCS; CELO; VET): a web3
//! `TransactionConfig` JSON (spec §6.0–6.9). Quantities are read as web3 reads them (JSON
//! numbers, decimal or `0x` strings, [`web3_number`]); ERC-20 `transfer(address,uint256)`
//! and `transferFrom(address,address,uint256)` calls become token transfers.

use kms_core::{Chain, Network};
use serde_json::{Map, Value};

use super::{be_to_decimal, DecodedView, Kind, Recipient, Result, Token};
use crate::js::web3_number;

const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
const TRANSFER_FROM: [u8; 4] = [0x23, 0xb8, 0x72, 0xdd];

/// An account in the chain's own notation: lower-case hex, `xdc` prefix on XDC.
fn address(chain: Chain, hex40: &str) -> String {
    let prefix = if chain == Chain::Xdc { "xdc" } else { "0x" };
    format!("{prefix}{}", hex40.to_ascii_lowercase())
}

fn address_field(chain: Chain, v: &Value) -> Result<String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("address {v} is not a string"))?;
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .or_else(|| s.strip_prefix("xdc"))
        .unwrap_or(s);
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{s:?} is not a 20-byte hex address"));
    }
    Ok(address(chain, digits))
}

fn quantity(cfg: &Map<String, Value>, names: &[&str]) -> Result<Option<Vec<u8>>> {
    for name in names {
        match cfg.get(*name) {
            None | Some(Value::Null) => continue,
            Some(v) => {
                return web3_number(v)
                    .map(|u| Some(u.bytes().to_vec()))
                    .map_err(|e| format!("{name}: {e}"))
            }
        }
    }
    Ok(None)
}

fn to_u128(bytes: &[u8]) -> Option<u128> {
    (bytes.len() <= 16).then(|| {
        let mut buf = [0u8; 16];
        buf[16 - bytes.len()..].copy_from_slice(bytes);
        u128::from_be_bytes(buf)
    })
}

fn data_bytes(cfg: &Map<String, Value>) -> Result<Vec<u8>> {
    let v = match cfg.get("data").or_else(|| cfg.get("input")) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(v) => v,
    };
    let s = v
        .as_str()
        .ok_or_else(|| "data is not a string".to_string())?;
    let digits = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(digits).map_err(|_| format!("data {s:?} is not hex"))
}

/// The 20-byte address in a 32-byte ABI word (its first 12 bytes must be zero).
fn abi_address(word: &[u8]) -> Option<&[u8]> {
    (word.len() == 32 && word[..12].iter().all(|b| *b == 0)).then(|| &word[12..])
}

pub(super) fn decode(chain: Chain, network: Network, text: &str) -> Result<DecodedView> {
    let cfg = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err("serializedTransaction is not a JSON object".into()),
        Err(e) => return Err(format!("serializedTransaction is not valid JSON: {e}")),
    };
    if chain == Chain::Vet && cfg.contains_key("clauses") {
        return Err("VET transactions with several clauses are not decoded".into());
    }
    let to = match cfg.get("to") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => Some(address_field(chain, v)?),
    };
    let value = quantity(&cfg, &["value"])?.unwrap_or_default();
    let data = data_bytes(&cfg)?;
    let mut view = DecodedView::new(chain, network, Kind::Transfer);
    view.amount = be_to_decimal(&value);
    view.nonce = quantity(&cfg, &["nonce"])?.map(|n| be_to_decimal(&n));
    if chain != Chain::Vet {
        let gas = quantity(&cfg, &["gas", "gasLimit"])?;
        let price = quantity(&cfg, &["gasPrice"])?;
        if let (Some(gas), Some(price)) = (gas, price) {
            let fee = to_u128(&gas)
                .zip(to_u128(&price))
                .and_then(|(g, p)| g.checked_mul(p))
                .filter(|f| *f > 0);
            view.fee = fee.map(|f| f.to_string());
        }
    }
    let Some(to) = to else {
        // Contract creation.
        view.kind = Kind::ContractCall;
        return Ok(view);
    };
    let selector = data.get(..4);
    let words = data.get(4..).unwrap_or_default();
    let token = match selector {
        Some(s) if s == TRANSFER && words.len() == 64 => {
            abi_address(&words[..32]).map(|a| (None, hex::encode(a), &words[32..64]))
        }
        Some(s) if s == TRANSFER_FROM && words.len() == 96 => {
            match (abi_address(&words[..32]), abi_address(&words[32..64])) {
                (Some(from), Some(a)) => {
                    Some((Some(hex::encode(from)), hex::encode(a), &words[64..96]))
                }
                _ => None,
            }
        }
        _ => None,
    };
    match token {
        Some((from, recipient, amount)) => {
            view.kind = Kind::TokenTransfer;
            if let Some(from) = from {
                view.from.push(address(chain, &from));
            }
            let amount = be_to_decimal(amount);
            view.to.push(Recipient {
                address: address(chain, &recipient),
                amount: amount.clone(),
                change: false,
            });
            view.token = Some(Token {
                contract: Some(to),
                amount,
            });
        }
        None => {
            if !data.is_empty() {
                view.kind = Kind::ContractCall;
            }
            view.to.push(Recipient {
                address: to,
                amount: view.amount.clone(),
                change: false,
            });
        }
    }
    Ok(view)
}
