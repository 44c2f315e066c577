//! EGLD: `{"from"?, "to", "value": "<EGLD decimal>", "data"?}` (spec §6.17). The value is
//! scaled exactly as the signer scales it ([`egld_value`]); `ESDTTransfer@<token>@<amount>`
//! data is a token transfer; other data is a contract call when the receiver is a smart
//! contract (its key starts with 8 zero bytes), else a transfer with a note. Gas price and limit come from
//! the node at signing time, so the fee is unknown here.

use kms_core::{Chain, Network};
use serde_json::Value;

use super::{be_to_decimal, DecodedView, Kind, Recipient, Result, Token};
use crate::egld_tx::{egld_value, normalize_address};

pub(super) fn decode(network: Network, text: &str) -> Result<DecodedView> {
    let obj = &super::parse_object(text)?;
    let mut view = DecodedView::new(Chain::Egld, network, Kind::Transfer);
    if let Some(from) = obj
        .get("from")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        view.from.push(normalize_address(from).map_err(|e| e.0)?);
    }
    let to = obj
        .get("to")
        .and_then(Value::as_str)
        .ok_or("to is missing")?;
    let to = normalize_address(to).map_err(|e| e.0)?;
    view.amount = egld_value(obj.get("value")).map_err(|e| e.0)?;
    let data = obj.get("data").and_then(Value::as_str).unwrap_or("");
    let esdt = data.strip_prefix("ESDTTransfer@").and_then(|rest| {
        let mut parts = rest.split('@');
        let token = String::from_utf8(hex::decode(parts.next()?).ok()?).ok()?;
        let amount = be_to_decimal(&hex::decode(parts.next()?).ok()?);
        parts.next().is_none().then_some((token, amount))
    });
    match esdt {
        Some((token, amount)) => {
            view.kind = Kind::TokenTransfer;
            view.to.push(Recipient {
                address: to,
                amount: amount.clone(),
                change: false,
            });
            view.token = Some(Token {
                contract: Some(token),
                amount,
            });
        }
        None => {
            if !data.is_empty() && is_contract(&to) {
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

/// Smart-contract addresses have a public key starting with 8 zero bytes.
fn is_contract(address: &str) -> bool {
    bech32::decode(address)
        .map(|(_, key)| key.len() == 32 && key[..8].iter().all(|b| *b == 0))
        .unwrap_or(false)
}
