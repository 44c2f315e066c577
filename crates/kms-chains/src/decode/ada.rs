//! ADA: a JSON array of Rosetta operations (spec §6.10). `input` operations name the
//! spent coins' addresses (negative amounts), `output` operations the receivers; an output
//! to an input's address is change. Amounts are lovelace; fee = inputs − outputs.
//! Native-token bundles are not decoded: such a transaction is refused.

use kms_core::{Chain, Network};
use serde_json::Value;

use super::{sum_to, DecodedView, Kind, Recipient, Result};

fn lovelace(op: &Value, i: usize) -> Result<i128> {
    let amount = op
        .get("amount")
        .ok_or(format!("operation {i} has no amount"))?;
    if let Some(symbol) = amount
        .get("currency")
        .and_then(|c| c.get("symbol"))
        .and_then(Value::as_str)
    {
        if symbol != "ADA" {
            return Err(format!("operation {i} moves {symbol}, not ADA"));
        }
    }
    amount
        .get("value")
        .and_then(Value::as_str)
        .and_then(|v| v.parse::<i128>().ok())
        .ok_or_else(|| format!("operation {i} has no integer amount.value"))
}

pub(super) fn decode(network: Network, text: &str) -> Result<DecodedView> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("serializedTransaction is not JSON: {e}"))?;
    let ops = match &v {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get("operations")
            .and_then(Value::as_array)
            .ok_or("no operations array")?,
        _ => return Err("serializedTransaction is not an operations array".into()),
    };
    let mut view = DecodedView::new(Chain::Ada, network, Kind::Transfer);
    let (mut inputs, mut outputs): (i128, i128) = (0, 0);
    let mut receivers = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if op
            .get("metadata")
            .and_then(|m| m.get("tokenBundle"))
            .is_some()
        {
            return Err(format!("operation {i} carries a token bundle"));
        }
        let address = op
            .get("account")
            .and_then(|a| a.get("address"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("operation {i} has no account.address"))?
            .to_string();
        let amount = lovelace(op, i)?;
        match op.get("type").and_then(Value::as_str) {
            Some("input") => {
                inputs += amount.checked_neg().ok_or("amount out of range")?;
                if !view.from.contains(&address) {
                    view.from.push(address);
                }
            }
            Some("output") => {
                if amount < 0 {
                    return Err(format!("operation {i} is an output with a negative amount"));
                }
                outputs += amount;
                receivers.push((address, amount));
            }
            other => return Err(format!("operation {i} has type {other:?}")),
        }
    }
    for (address, amount) in receivers {
        let change = view.from.contains(&address);
        view.to.push(Recipient {
            address,
            amount: amount.to_string(),
            change,
        });
    }
    view.amount = sum_to(&view.to)?;
    if inputs >= outputs && inputs > 0 {
        view.fee = Some((inputs - outputs).to_string());
    }
    Ok(view)
}
