//! FLOW: `{"type": <FlowTxType>, "body": {…}}` (spec §6.16). TRANSFER (type 2) of FLOW is
//! a transfer; of FUSD (`body.currency` other than FLOW) a token transfer of the FUSD
//! contract. Amounts are UFix64, 10^-8 units, rounded as the SDK's `toFixed(8)`. Every
//! other type (account creation, keys, NFTs, custom Cadence) is `other`.

use kms_core::{Chain, Network};
use serde_json::Value;

use super::{scale_decimal, DecodedView, Kind, Recipient, Result, Token};

const TRANSFER: u64 = 2;

pub(super) fn decode(network: Network, text: &str) -> Result<DecodedView> {
    let tx = super::parse_json(text)?;
    let ty = tx
        .get("type")
        .and_then(Value::as_u64)
        .ok_or("type is missing")?;
    let body = tx
        .get("body")
        .and_then(Value::as_object)
        .ok_or("body is missing")?;
    let mut view = DecodedView::new(Chain::Flow, network, Kind::Other);
    if let Some(account) = body.get("account").and_then(Value::as_str) {
        view.from.push(account.to_string());
    }
    if ty != TRANSFER {
        return Ok(view);
    }
    let to = body
        .get("to")
        .and_then(Value::as_str)
        .ok_or("to is missing")?
        .to_string();
    let amount = match body.get("amount") {
        Some(Value::String(s)) => scale_decimal(s, 8)?,
        Some(Value::Number(n)) => scale_decimal(&n.to_string(), 8)?,
        _ => return Err("amount is missing".into()),
    };
    let currency = body
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or("FLOW");
    view.to.push(Recipient {
        address: to,
        amount: amount.clone(),
        change: false,
    });
    if currency == "FLOW" {
        view.kind = Kind::Transfer;
        view.amount = amount;
    } else {
        let fusd = if network.is_testnet() {
            "0xe223d8a629e49c68"
        } else {
            "0x3c5959b568896393"
        };
        view.kind = Kind::TokenTransfer;
        view.token = Some(Token {
            contract: Some(fusd.to_string()),
            amount,
        });
    }
    Ok(view)
}
