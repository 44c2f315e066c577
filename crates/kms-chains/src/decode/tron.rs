//! TRON: the transaction JSON (spec §6.11). The signer checks that `raw_data` rebuilds to
//! `raw_data_hex` and hashes to `txID` before signing, so reading `raw_data` reads what is
//! signed. TransferContract (TRX), TransferAssetContract (TRC-10) and TriggerSmartContract
//! with TRC-20 `transfer(address,uint256)` are decoded; other contracts are `other`.

use kms_core::{Chain, Network};
use serde_json::{Map, Value};

use super::{be_to_decimal, json_u128, DecodedView, Kind, Recipient, Result, Token};
use crate::tron_tx::address_bytes;

fn base58(bytes: &[u8]) -> String {
    bs58::encode(bytes).with_check().into_string()
}

fn address(value: &Map<String, Value>, name: &str) -> Result<String> {
    let s = value
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{name} is missing"))?;
    match address_bytes(s) {
        Some(b) if b.len() == 21 && b[0] == 0x41 => Ok(base58(&b)),
        _ => Err(format!("{name} {s:?} is not a TRON address")),
    }
}

pub(super) fn decode(network: Network, text: &str) -> Result<DecodedView> {
    let tx = super::parse_json(text)?;
    let raw = tx
        .get("raw_data")
        .and_then(Value::as_object)
        .ok_or("raw_data is missing")?;
    let contracts = raw
        .get("contract")
        .and_then(Value::as_array)
        .ok_or("raw_data.contract is missing")?;
    let [contract] = contracts.as_slice() else {
        return Err(format!("{} contracts in one transaction", contracts.len()));
    };
    let kind = contract.get("type").and_then(Value::as_str).unwrap_or("");
    let value = contract
        .get("parameter")
        .and_then(|p| p.get("value"))
        .and_then(Value::as_object)
        .ok_or("the contract has no parameter.value")?;
    let mut view = DecodedView::new(Chain::Tron, network, Kind::Other);
    view.from.push(address(value, "owner_address")?);
    if let Some(limit) = raw.get("fee_limit") {
        view.fee = Some(json_u128(limit, "fee_limit")?.to_string());
    }
    match kind {
        "TransferContract" => {
            view.kind = Kind::Transfer;
            let amount = json_u128(value.get("amount").unwrap_or(&Value::Null), "amount")?;
            view.amount = amount.to_string();
            view.to.push(Recipient {
                address: address(value, "to_address")?,
                amount: view.amount.clone(),
                change: false,
            });
        }
        "TransferAssetContract" => {
            view.kind = Kind::TokenTransfer;
            let amount =
                json_u128(value.get("amount").unwrap_or(&Value::Null), "amount")?.to_string();
            let asset = value
                .get("asset_name")
                .and_then(Value::as_str)
                .ok_or("asset_name is missing")?;
            // The asset id is sent hex-encoded unless `visible`.
            let asset = hex::decode(asset)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_else(|| asset.to_string());
            view.to.push(Recipient {
                address: address(value, "to_address")?,
                amount: amount.clone(),
                change: false,
            });
            view.token = Some(Token {
                contract: Some(asset),
                amount,
            });
        }
        "TriggerSmartContract" => {
            let contract = address(value, "contract_address")?;
            if let Some(v) = value.get("call_value") {
                view.amount = json_u128(v, "call_value")?.to_string();
            }
            let data = value
                .get("data")
                .and_then(Value::as_str)
                .map(hex::decode)
                .transpose()
                .map_err(|_| "data is not hex".to_string())?
                .unwrap_or_default();
            let transfer = (data.len() == 68 && data[..4] == [0xa9, 0x05, 0x9c, 0xbb])
                .then(|| &data[4..])
                .filter(|w| w[..12].iter().all(|b| *b == 0));
            match transfer {
                Some(words) => {
                    view.kind = Kind::TokenTransfer;
                    let mut to = vec![0x41];
                    to.extend_from_slice(&words[12..32]);
                    let amount = be_to_decimal(&words[32..64]);
                    view.to.push(Recipient {
                        address: base58(&to),
                        amount: amount.clone(),
                        change: false,
                    });
                    view.token = Some(Token {
                        contract: Some(contract),
                        amount,
                    });
                }
                None => {
                    view.kind = Kind::ContractCall;
                    view.to.push(Recipient {
                        address: contract,
                        amount: view.amount.clone(),
                        change: false,
                    });
                }
            }
        }
        _ => {}
    }
    Ok(view)
}
