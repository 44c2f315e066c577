//! Signing MultiversX (EGLD) pending transactions as the original does (spec §6.17, quirk
//! Q13): `@tatumio/tatum` 1.37.x `signEgldKMSTransaction` with erdjs 7.0.1.
//!
//! The pending `serializedTransaction` is `{"from"?, "to", "value": "<EGLD>", "data"?,
//! "gasPrice"?, "gasLimit"?}`; the server's `gasPrice` and `gasLimit` are ignored. Through
//! the Tatum EGLD gateway `/v3/egld/node/{apiKey}` the original
//! 1. reads `GET …/network/config` (`data.config`: minimum gas price, chain id, minimum
//!    transaction version);
//! 2. reads the nonce of the sender (`from`, else the key's address) with
//!    `GET …/address/{sender}/nonce` (`data.nonce`);
//! 3. asks `POST …/transaction/cost` with `{nonce, value, receiver, sender, gasPrice,
//!    gasLimit: 0, data?, chainID, version}` for the gas limit (`data.txGasUnits`);
//! 4. signs, with ed25519, the UTF-8 of the compact JSON `{"nonce", "value", "receiver",
//!    "sender", "gasPrice", "gasLimit", "data"?, "chainID", "version"}` in that order, where
//!    `sender` is always the **signing key's** address (erdjs sets it), `data` is base64 and
//!    numbers are JavaScript `Number`s; then appends `"signature": "<128 hex>"`;
//! 5. broadcasts that JSON as `txData` to `/v3/egld/broadcast`.
//!
//! The raw values from the node answers go into the cost request as they came (a string gas
//! price stays a string there), as the original sends them.

use bech32::primitives::decode::CheckedHrpstring;
use bech32::Bech32;
use ed25519_dalek::Signer as _;
use kms_core::PendingTransaction;
use serde_json::{Map, Value};

use crate::egld;
use crate::js::{js_string, truthy};
use crate::node::{Broadcast, Node};
use crate::signing::SignError;

/// The Tatum EGLD gateway (`{apiKey}` is filled by the daemon).
pub const EGLD_NODE: &str = "/v3/egld/node/{apiKey}";
pub const EGLD_BROADCAST: &str = "/v3/egld/broadcast";
/// The SDK's gas price when the network config has none.
const DEFAULT_GAS_PRICE: u64 = 1_000_000_000;

/// Signs one EGLD pending transaction with `private_key` (64 hex digits) and returns the
/// broadcast the original makes.
pub fn sign_kms(
    tx: &PendingTransaction,
    private_key: &str,
    node: &mut dyn Node,
) -> Result<Broadcast, SignError> {
    let key = egld::signing_key_from_private_key(private_key)?;
    let signer_address = egld::encode_address(key.verifying_key().as_bytes())?;
    let body: Map<String, Value> = match serde_json::from_str(&tx.serialized_transaction) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(SignError::new(
                "EGLD serializedTransaction is not a JSON object",
            ))
        }
        Err(e) => {
            return Err(SignError::new(format!(
                "serializedTransaction is not valid JSON: {e}"
            )))
        }
    };

    let sender = match body.get("from") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        v if !truthy(v) => signer_address.clone(),
        _ => return Err(SignError::new("EGLD from is not an address string")),
    };
    let receiver_raw = body
        .get("to")
        .and_then(Value::as_str)
        .ok_or_else(|| SignError::new("EGLD to is not an address string"))?;
    let receiver = normalize_address(receiver_raw)?;
    let value = egld_value(body.get("value"))?;
    let data = match body.get("data") {
        Some(Value::String(s)) if !s.is_empty() => Some(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            s,
        )),
        v if !truthy(v) => None,
        _ => return Err(SignError::new("EGLD data is not a string")),
    };

    // 1. Network config.
    let answer = node.get(&format!("{EGLD_NODE}/network/config"))?;
    let config = answer
        .pointer("/data/config")
        .and_then(Value::as_object)
        .ok_or_else(|| SignError::new("EGLD network config: the answer has no data.config"))?;
    let gas_price_raw = match config.get("erd_min_gas_price") {
        v @ Some(_) if truthy(v) => v.cloned().unwrap_or(Value::Null),
        _ => Value::from(DEFAULT_GAS_PRICE),
    };
    let chain_id = config
        .get("erd_chain_id")
        .filter(|v| truthy(Some(v)))
        .cloned()
        .ok_or_else(|| SignError::new("EGLD network config has no erd_chain_id"))?;
    let version_raw = config.get("erd_min_transaction_version").cloned();

    // 2. Nonce of the sender.
    let answer = node.get(&format!("{EGLD_NODE}/address/{sender}/nonce"))?;
    let nonce_raw = answer
        .pointer("/data/nonce")
        .cloned()
        .ok_or_else(|| SignError::new("EGLD nonce: the answer has no data.nonce"))?;

    // 3. Gas limit from the cost estimate (server gasPrice/gasLimit ignored, Q13).
    let mut cost = Map::new();
    cost.insert("nonce".into(), nonce_raw.clone());
    cost.insert("value".into(), Value::String(value.clone()));
    cost.insert("receiver".into(), Value::String(receiver_raw.to_string()));
    cost.insert("sender".into(), Value::String(sender));
    cost.insert("gasPrice".into(), gas_price_raw.clone());
    cost.insert("gasLimit".into(), Value::from(0));
    if let Some(d) = &data {
        cost.insert("data".into(), Value::String(d.clone()));
    }
    cost.insert("chainID".into(), chain_id.clone());
    if let Some(v) = &version_raw {
        cost.insert("version".into(), v.clone());
    }
    let answer = node.post(
        &format!("{EGLD_NODE}/transaction/cost"),
        &Value::Object(cost),
    )?;
    let gas_units = answer.pointer("/data/txGasUnits");
    if !truthy(gas_units) {
        let message = answer
            .pointer("/data/returnMessage")
            .filter(|m| truthy(Some(m)))
            .map(js_string)
            .unwrap_or_else(|| "egld.gasLimit.error".into());
        return Err(SignError::new(message));
    }

    // 4. The erdjs transaction, signed by the key (which also becomes the sender).
    let nonce = js_number(&nonce_raw, "nonce")?;
    let gas_price = js_number(&gas_price_raw, "gas price")?;
    let gas_limit = js_number(gas_units.unwrap_or(&Value::Null), "gas limit")?;
    let version = version_raw
        .as_ref()
        .map(|v| js_number(v, "transaction version"))
        .transpose()?
        .filter(|v| *v >= 1)
        .ok_or_else(|| {
            SignError::new("EGLD network config: invalid erd_min_transaction_version")
        })?;

    let mut plain = Map::new();
    plain.insert("nonce".into(), Value::from(nonce));
    plain.insert("value".into(), Value::String(value));
    plain.insert("receiver".into(), Value::String(receiver));
    plain.insert("sender".into(), Value::String(signer_address));
    plain.insert("gasPrice".into(), Value::from(gas_price));
    plain.insert("gasLimit".into(), Value::from(gas_limit));
    if let Some(d) = data {
        plain.insert("data".into(), Value::String(d));
    }
    plain.insert("chainID".into(), chain_id);
    plain.insert("version".into(), Value::from(version));
    let message = serde_json::to_string(&plain)
        .map_err(|e| SignError::new(format!("EGLD transaction JSON: {e}")))?;
    let signature = key.sign(message.as_bytes());
    plain.insert(
        "signature".into(),
        Value::String(hex::encode(signature.to_bytes())),
    );
    let tx_data = serde_json::to_string(&plain)
        .map_err(|e| SignError::new(format!("EGLD transaction JSON: {e}")))?;
    Ok(Broadcast::tx_data(EGLD_BROADCAST, tx_data, &tx.id))
}

/// erdjs `new Address(s).bech32()`: 64 hex digits of a public key, or a bech32 `erd1…`
/// address of 32 bytes; given back as lower-case bech32.
pub(crate) fn normalize_address(text: &str) -> Result<String, SignError> {
    let bad = || SignError::new(format!("EGLD address {text} is not valid"));
    let mut key = [0u8; 32];
    if text.len() == 64 && hex::decode_to_slice(text, &mut key).is_ok() {
        return Ok(egld::encode_address(&key)?);
    }
    let checked = CheckedHrpstring::new::<Bech32>(text).map_err(|_| bad())?;
    if checked.hrp().to_lowercase() != "erd" {
        return Err(bad());
    }
    let bytes: Vec<u8> = checked.byte_iter().collect();
    let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
    Ok(egld::encode_address(&key)?)
}

/// erdjs's `Number(value)` for nonce, gas price, gas limit and version, as a non-negative
/// safe integer (what the node gives); anything else is refused rather than signed as
/// `NaN` or a fraction.
fn js_number(v: &Value, what: &str) -> Result<u64, SignError> {
    const MAX_SAFE: u64 = (1 << 53) - 1;
    let bad = || SignError::new(format!("EGLD {what} {v} is not a non-negative integer"));
    let n = match v {
        Value::Number(n) => match n.as_u64() {
            Some(u) => u,
            None => {
                let f = n.as_f64().ok_or_else(bad)?;
                if f.fract() != 0.0 || !(0.0..=MAX_SAFE as f64).contains(&f) {
                    return Err(bad());
                }
                f as u64
            }
        },
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                0
            } else if t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse().map_err(|_| bad())?
            } else {
                return Err(bad());
            }
        }
        _ => return Err(bad()),
    };
    if n > MAX_SAFE {
        return Err(bad());
    }
    Ok(n)
}

/// The SDK's amount: `new BigNumber(value)`; negative gives `"0"`, else
/// `value × 10^18` written out by `toFixed()` (plain digits, a fraction only if the amount
/// has more than 18 decimals, as the original would sign it).
pub fn egld_value(v: Option<&Value>) -> Result<String, SignError> {
    let text = match v {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(SignError::new("EGLD value is missing or not a number")),
    };
    let bad = || SignError::new(format!("EGLD value {text:?} is not a decimal number"));
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text.as_str()),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => {
            let e: i64 = rest[i + 1..].parse().map_err(|_| bad())?;
            (&rest[..i], e)
        }
        None => (rest, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
        || !(-10_000..=10_000).contains(&exponent)
    {
        return Err(bad());
    }
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() || negative {
        return Ok("0".into());
    }
    // value = digits × 10^shift
    let shift = exponent - frac_part.len() as i64 + 18;
    if shift >= 0 {
        return Ok(format!("{digits}{}", "0".repeat(shift as usize)));
    }
    let point = shift.unsigned_abs() as usize;
    let (int, frac) = if digits.len() > point {
        let (a, b) = digits.split_at(digits.len() - point);
        (a.to_string(), b.to_string())
    } else {
        (
            "0".to_string(),
            format!("{}{digits}", "0".repeat(point - digits.len())),
        )
    };
    let frac = frac.trim_end_matches('0');
    Ok(if frac.is_empty() {
        int
    } else {
        format!("{int}.{frac}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_as_bignumber_writes_them() {
        for (input, want) in [
            (json!("0.5"), "500000000000000000"),
            (json!("1"), "1000000000000000000"),
            (json!(" 1. "), "1000000000000000000"),
            (json!("+.5"), "500000000000000000"),
            (json!("5e3"), "5000000000000000000000"),
            (json!("1e-19"), "0.1"),
            (json!("0.000000000000000001"), "1"),
            (json!("-1"), "0"),
            (json!("-0"), "0"),
            (json!("0"), "0"),
            (json!("000.100"), "100000000000000000"),
            (json!(0.25), "250000000000000000"),
            (json!(3), "3000000000000000000"),
        ] {
            assert_eq!(egld_value(Some(&input)).unwrap(), want, "{input}");
        }
        for bad in [
            json!("abc"),
            json!(""),
            json!("."),
            json!("1e"),
            json!(null),
        ] {
            assert!(egld_value(Some(&bad)).is_err(), "{bad}");
        }
        assert!(egld_value(None).is_err());
    }

    #[test]
    fn numbers_as_erdjs_reads_them() {
        assert_eq!(js_number(&json!(9), "n").unwrap(), 9);
        assert_eq!(js_number(&json!("1000000000"), "n").unwrap(), 1_000_000_000);
        assert_eq!(js_number(&json!(50000.0), "n").unwrap(), 50000);
        assert!(js_number(&json!(-1), "n").is_err());
        assert!(js_number(&json!(1.5), "n").is_err());
        assert!(js_number(&json!("0x10"), "n").is_err());
        assert!(js_number(&json!(null), "n").is_err());
    }

    #[test]
    fn addresses_hex_or_bech32() {
        let a = "erd10nm8ae5qhpvnnl9tk67yqs2jyakafwcuqs4pmwwcdsqaxphad6dqar6u93";
        assert_eq!(normalize_address(a).unwrap(), a);
        assert_eq!(normalize_address(&a.to_uppercase()).unwrap(), a);
        let key = CheckedHrpstring::new::<Bech32>(a)
            .unwrap()
            .byte_iter()
            .collect::<Vec<u8>>();
        assert_eq!(normalize_address(&hex::encode(&key)).unwrap(), a);
        assert!(normalize_address("bc1qca600p6lwp84dzvrwxmyyjmwda3j34l6dk2t4z").is_err());
        assert!(normalize_address(&a[..a.len() - 1]).is_err());
    }
}
