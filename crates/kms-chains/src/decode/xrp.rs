//! XRP: the transaction JSON (spec §6.13). A `Payment` of XRP (`Amount` a string of drops)
//! is a transfer; of an issued currency (`{currency, issuer, value}`) a token transfer
//! with contract `CURRENCY:ISSUER` and the IOU's decimal value. Other types are `other`.

use kms_core::{Chain, Network};
use serde_json::Value;

use super::{json_u128, DecodedView, Kind, Recipient, Result, Token};

pub(super) fn decode(network: Network, text: &str) -> Result<DecodedView> {
    let obj = &super::parse_object(text)?;
    let mut view = DecodedView::new(Chain::Xrp, network, Kind::Other);
    if let Some(account) = obj.get("Account").and_then(Value::as_str) {
        view.from.push(account.to_string());
    }
    if let Some(fee) = obj.get("Fee") {
        view.fee = Some(json_u128(fee, "Fee")?.to_string());
    }
    if let Some(seq) = obj.get("Sequence") {
        view.nonce = Some(json_u128(seq, "Sequence")?.to_string());
    }
    let ty = obj.get("TransactionType").and_then(Value::as_str);
    if ty != Some("Payment") {
        return Ok(view);
    }
    let destination = obj
        .get("Destination")
        .and_then(Value::as_str)
        .ok_or("a Payment without Destination")?
        .to_string();
    match obj.get("Amount") {
        Some(Value::String(drops)) => {
            view.kind = Kind::Transfer;
            view.amount = json_u128(&Value::String(drops.clone()), "Amount")?.to_string();
            view.to.push(Recipient {
                address: destination,
                amount: view.amount.clone(),
                change: false,
            });
        }
        Some(Value::Object(iou)) => {
            let field = |name: &str| {
                iou.get(name)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("Amount.{name} is missing"))
            };
            let value = field("value")?;
            if value.starts_with('-') {
                return Err(format!("negative amount {value}"));
            }
            view.kind = Kind::TokenTransfer;
            view.to.push(Recipient {
                address: destination,
                amount: value.to_string(),
                change: false,
            });
            view.token = Some(Token {
                contract: Some(format!("{}:{}", field("currency")?, field("issuer")?)),
                amount: value.to_string(),
            });
        }
        _ => return Err("a Payment without a valid Amount".into()),
    }
    Ok(view)
}
