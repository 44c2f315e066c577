//! ALGO: an algosdk `Transaction` JSON (spec §6.15), addresses read with the signer's own
//! helpers. `pay` is a transfer, `axfer` a token transfer of asset `assetIndex`. The fee
//! is shown when `flatFee` fixes it (otherwise algosdk scales it by the size).

use kms_core::{Chain, Network};
use serde_json::Value;

use super::{DecodedView, Kind, Recipient, Result, Token};
use crate::algo::encode_address;
use crate::algo_tx::{address, safe_uint};

pub(super) fn decode(network: Network, text: &str) -> Result<DecodedView> {
    let obj = &super::parse_object(text)?;
    let kind = match obj.get("type").and_then(Value::as_str) {
        None | Some("pay") => Kind::Transfer,
        Some("axfer") => Kind::TokenTransfer,
        Some(other) => return Err(format!("transaction type {other:?} is not signed")),
    };
    let from = encode_address(&address(obj, "from").map_err(|e| e.0)?);
    let to = encode_address(&address(obj, "to").map_err(|e| e.0)?);
    let amount = match obj.get("amount") {
        None => 0,
        Some(v) => safe_uint(v).ok_or("amount is not a safe integer")?,
    };
    let mut view = DecodedView::new(Chain::Algo, network, kind);
    view.from.push(from);
    view.to.push(Recipient {
        address: to,
        amount: amount.to_string(),
        change: false,
    });
    if obj.get("flatFee") == Some(&Value::Bool(true)) {
        view.fee = obj.get("fee").and_then(safe_uint).map(|f| f.to_string());
    }
    if kind == Kind::TokenTransfer {
        let asset = obj
            .get("assetIndex")
            .and_then(safe_uint)
            .ok_or("an axfer transaction needs an assetIndex")?;
        view.token = Some(Token {
            contract: Some(asset.to_string()),
            amount: amount.to_string(),
        });
    } else {
        view.amount = amount.to_string();
    }
    Ok(view)
}
