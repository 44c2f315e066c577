//! VET: `signVetKMSTransaction` (`@tatumio/tatum` 1.37.56) with thorify 1.6.2 and
//! thor-devkit 1.3 (spec §6.9).
//!
//! Calls go to the VeChain node ([`ExternalService::VechainNode`], picked by the daemon's
//! testnet flag; the original hard-codes `sync-{mainnet,testnet}.vechain.org`):
//! 1. always `POST /accounts/*?revision=best` to estimate gas (thorify's `eth_estimateGas`,
//!    after web3 has formatted the transaction object in place);
//! 2. `GET /blocks/0` for the chain tag, unless the transaction has one;
//! 3. `GET /blocks/best` for the block reference, unless the transaction has one.
//!
//! Then the Thor transaction `[chainTag, blockRef, expiration, [[to, value, data]],
//! gasPriceCoef, gas, dependsOn, nonce, reserved]` is RLP-encoded, hashed with
//! blake2b-256, signed (r‖s‖recovery id, 65 bytes) and sent as `0x` hex.
//!
//! Two deliberate differences from the original:
//! - **Keys** (quirk Q1): for a mnemonic wallet with an `index`, the original derives the
//!   key with `Currency.BNB` and fails with `Unsupported blockchain.`; we derive the VET key
//!   (`signing::account_private_key` uses the wallet's own chain, so `m/44'/818'/0'/0/i`,
//!   or `m/44'/1'/0'/0/i` for a testnet wallet) and sign.
//! - **Nonce**: without a `nonce` in the transaction, thorify picks a random one from the
//!   clock. This crate has neither clock nor randomness, so the nonce is derived from the
//!   pending transaction id and the transaction body (blake2b-256, 53 bits): distinct
//!   pending transactions get distinct nonces, and signing the same one again gives the same
//!   transaction (so a retry cannot be accepted twice). A nonce given by the API is used as
//!   is, byte-identical to the original.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use kms_core::Network;
use serde_json::{json, Map, Value};

use super::rlp::{encode_list, Item};
use super::{err, web3_format_call, Signer};
use crate::js::{js_parse_int, js_string, truthy, Uint, MAX_SAFE_INTEGER};
use crate::node::{ExternalService, Node};
use crate::signing::SignError;

const DEFAULT_EXPIRATION: u64 = 720;

fn blake2b256(data: &[u8]) -> [u8; 32] {
    Blake2b::<U32>::digest(data).into()
}

pub(super) fn sign(
    network: Network,
    pending_id: &str,
    mut tx: Map<String, Value>,
    s: &Signer,
    node: &mut dyn Node,
) -> Result<String, SignError> {
    let service = ExternalService::VechainNode {
        testnet: network.is_testnet(),
    };

    // `transactionConfig.gas = await client.eth.estimateGas(transactionConfig)`
    web3_format_call(&mut tx, Some(&s.checksum))?;
    let gas = estimate_gas(&tx, service, node)?;
    tx.insert("gas".into(), Value::from(gas));

    // thorify `accounts.signTransaction`
    if !truthy(tx.get("chainTag")) {
        let genesis = node.get_external(service, "/blocks/0")?;
        let tag = genesis
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| id.len() == 66)
            .and_then(|id| id.get(64..66))
            .ok_or_else(|| err("error getting chainTag"))?;
        tx.insert("chainTag".into(), Value::String(format!("0x{tag}")));
    }
    if !truthy(tx.get("blockRef")) {
        let best = node.get_external(service, "/blocks/best")?;
        let block_ref = best
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(|id| id.chars().take(18).collect::<String>())
            .ok_or_else(|| err("error getting blockRef"))?;
        tx.insert("blockRef".into(), Value::String(block_ref));
    }
    let data = match tx.get("data") {
        Some(Value::String(d)) if thor_is_hex(d) => {
            if d.starts_with("0x") {
                d.clone()
            } else {
                format!("0x{d}")
            }
        }
        v if truthy(v) => return Err(err("Data must be valid hex")),
        _ => "0x".to_string(),
    };

    let chain_tag = numeric_kind(
        "chainTag",
        &valid_number_or_default(tx.get("chainTag"), 0),
        1,
    )?;
    let block_ref = match tx.get("blockRef") {
        Some(Value::String(r)) => fixed_blob("blockRef", r, 8)?,
        _ => return Err(err("tx.blockRef: expected hex string")),
    };
    let block_ref = Uint::from_be_bytes(&block_ref); // compact: leading zeros dropped
    let expiration = numeric_kind(
        "expiration",
        &valid_number_or_default(tx.get("expiration"), DEFAULT_EXPIRATION),
        4,
    )?;
    let to = match tx.get("to") {
        Some(Value::String(t)) if !t.is_empty() => fixed_blob("clauses.#0.to", t, 20)?,
        v if truthy(v) => return Err(err("tx.clauses.#0.to: expected hex string")),
        _ => Vec::new(),
    };
    let value = match tx.get("value") {
        Some(v) if truthy(Some(v)) => numeric_value("clauses.#0.value", v, 32)?,
        _ => Uint::default(),
    };
    let data = blob("clauses.#0.data", &data)?;
    let gas_price_coef = numeric_kind(
        "gasPriceCoef",
        &valid_number_or_default(tx.get("gasPriceCoef"), 0),
        1,
    )?;
    let gas = Uint::from_u64(gas);
    let depends_on = match tx.get("dependsOn") {
        Some(Value::String(d)) if !d.is_empty() => fixed_blob("dependsOn", d, 32)?,
        v if truthy(v) => return Err(err("tx.dependsOn: expected hex string")),
        _ => Vec::new(),
    };

    let body = |nonce: &Uint| {
        vec![
            Item::bytes(chain_tag.bytes()),
            Item::bytes(block_ref.bytes()),
            Item::bytes(expiration.bytes()),
            Item::List(vec![Item::List(vec![
                Item::bytes(&to),
                Item::bytes(value.bytes()),
                Item::bytes(&data),
            ])]),
            Item::bytes(gas_price_coef.bytes()),
            Item::bytes(gas.bytes()),
            Item::bytes(&depends_on),
            Item::bytes(nonce.bytes()),
            Item::List(vec![]),
        ]
    };
    let nonce = match tx.get("nonce") {
        Some(v) if truthy(Some(v)) => numeric_value("nonce", v, 8)?,
        _ => derived_nonce(pending_id, &encode_list(body(&Uint::default()))),
    };

    let unsigned = encode_list(body(&nonce));
    let (r, sig_s, recid) = s.sign(&blake2b256(&unsigned))?;
    let mut signature = Vec::with_capacity(65);
    signature.extend_from_slice(&r);
    signature.extend_from_slice(&sig_s);
    signature.push(recid);
    let mut signed = body(&nonce);
    signed.push(Item::Bytes(signature));
    Ok(format!("0x{}", hex::encode(encode_list(signed))))
}

/// See the module documentation: 53 bits of blake2b-256 over the pending id and the body.
fn derived_nonce(pending_id: &str, body_without_nonce: &[u8]) -> Uint {
    let mut input = b"tatum-kms/vet-nonce/".to_vec();
    input.extend_from_slice(pending_id.as_bytes());
    input.push(0);
    input.extend_from_slice(body_without_nonce);
    let hash = blake2b256(&input);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    Uint::from_u64(u64::from_be_bytes(first) & MAX_SAFE_INTEGER)
}

/// thorify's `eth_estimateGas`: the node's gas use plus the intrinsic gas.
fn estimate_gas(
    tx: &Map<String, Value>,
    service: ExternalService,
    node: &mut dyn Node,
) -> Result<u64, SignError> {
    let to = tx.get("to").filter(|v| truthy(Some(v))).cloned();
    let value = tx
        .get("value")
        .filter(|v| truthy(Some(v)))
        .cloned()
        .unwrap_or_else(|| Value::from(""));
    let data = tx
        .get("data")
        .filter(|v| truthy(Some(v)))
        .cloned()
        .unwrap_or_else(|| Value::from("0x"));
    let mut body = Map::new();
    body.insert(
        "clauses".into(),
        json!([{"to": to.clone().unwrap_or(Value::Null), "value": value, "data": data.clone()}]),
    );
    if let Some(price) = tx.get("gasPrice").filter(|v| truthy(Some(v))) {
        body.insert("gasPrice".into(), price.clone());
    }
    if let Some(gas) = tx.get("gas").filter(|v| truthy(Some(v))) {
        let gas = match gas {
            Value::Number(_) => gas.clone(),
            other => {
                let digits = js_string(other);
                let digits = digits.strip_prefix("0x").unwrap_or(&digits).to_string();
                let n = u64::from_str_radix(&digits, 16)
                    .map_err(|_| err(format!("invalid gas: {}", js_string(other))))?;
                Value::from(n)
            }
        };
        body.insert("gas".into(), gas);
    }
    if let Some(from) = tx.get("from").filter(|v| truthy(Some(v))) {
        body.insert("caller".into(), from.clone());
    }
    let answer = node.post_external(service, "/accounts/*?revision=best", &Value::Object(body))?;
    let first = match &answer {
        Value::Array(items) if !items.is_empty() => &items[0],
        Value::Array(_) | Value::Null => {
            return Err(err(
                "Gas estimation failed: the VeChain node returned no result",
            ))
        }
        other => {
            return Err(err(format!(
                "Gas estimation failed: unexpected answer from the VeChain node: {other}"
            )))
        }
    };
    if truthy(first.get("reverted")) || truthy(first.get("vmError")) {
        if let Some(reason) = first
            .get("data")
            .and_then(Value::as_str)
            .and_then(revert_reason)
        {
            return Err(err(format!(
                "Gas estimation failed with VM reverted: {reason}"
            )));
        }
        let vm_error = first
            .get("vmError")
            .filter(|v| truthy(Some(v)))
            .map(|v| format!(": {}", js_string(v)))
            .unwrap_or_default();
        return Err(err(format!("Gas estimation failed{vm_error}")));
    }
    let used = match first.get("gasUsed") {
        v if !truthy(v) => 0,
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| n.checked_add(15_000))
            .ok_or_else(|| err(format!("Gas estimation failed: invalid gasUsed {n}")))?,
        other => {
            return Err(err(format!(
                "Gas estimation failed: invalid gasUsed {}",
                other.map(js_string).unwrap_or_default()
            )))
        }
    };
    let to_set = to.is_some();
    let data = data.as_str().unwrap_or("0x");
    Ok(intrinsic_gas(to_set, data) + used)
}

/// thor-devkit `Transaction.intrinsicGas` for one clause.
fn intrinsic_gas(to_set: bool, data: &str) -> u64 {
    let mut gas = 5_000 + if to_set { 16_000 } else { 48_000 };
    let bytes = data.as_bytes();
    let mut i = 2;
    while i < bytes.len() {
        let pair = &bytes[i..(i + 2).min(bytes.len())];
        gas += if pair == b"00" { 4 } else { 68 };
        i += 2;
    }
    gas
}

/// `Error(string)` and `Panic(uint256)` revert data, as thorify decodes it.
fn revert_reason(data: &str) -> Option<String> {
    let lower = data.to_ascii_lowercase();
    let bytes = hex::decode(lower.strip_prefix("0x")?).ok()?;
    let (selector, rest) = (bytes.get(..4)?, bytes.get(4..)?);
    match selector {
        [0x08, 0xc3, 0x79, 0xa0] => {
            let offset = usize::try_from(Uint::from_be_bytes(rest.get(..32)?).to_u64()?).ok()?;
            let len_word = rest.get(offset..offset.checked_add(32)?)?;
            let len = usize::try_from(Uint::from_be_bytes(len_word).to_u64()?).ok()?;
            let start = offset.checked_add(32)?;
            let text = rest.get(start..start.checked_add(len)?)?;
            Some(String::from_utf8_lossy(text).into_owned())
        }
        [0x4e, 0x48, 0x7b, 0x71] => {
            let code = Uint::from_be_bytes(rest.get(..32)?);
            Some(format!("Panic({})", code.to_quantity()))
        }
        _ => None,
    }
}

/// thorify `isHex`: at least one hex digit, optional `0x` / `-0x`.
fn thor_is_hex(s: &str) -> bool {
    let digits = s
        .strip_prefix("-0x")
        .or_else(|| s.strip_prefix("-0X"))
        .or_else(|| s.strip_prefix("0x"))
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// thorify `validNumberOrDefault`: an integer number, else `parseInt`, absolute value.
fn valid_number_or_default(v: Option<&Value>, default: u64) -> Uint {
    match v {
        Some(v @ (Value::Number(_) | Value::String(_))) => {
            js_parse_int(v).unwrap_or_else(|| Uint::from_u64(default))
        }
        _ => Uint::from_u64(default),
    }
}

/// thor-devkit `NumericKind(max_bytes)` of a number that is already an integer.
fn numeric_kind(name: &str, n: &Uint, max_bytes: usize) -> Result<Uint, SignError> {
    if n.to_u64().is_none_or(|n| n > MAX_SAFE_INTEGER) {
        return Err(err(format!(
            "tx.{name}: expected non-negative safe integer"
        )));
    }
    if n.bytes().len() > max_bytes {
        return Err(err(format!(
            "tx.{name}: expected number in {max_bytes} bytes"
        )));
    }
    Ok(n.clone())
}

/// thor-devkit `NumericKind(max_bytes)` of a JSON value: a safe integer, a decimal string or
/// a `0x` hex string with at least one digit.
fn numeric_value(name: &str, v: &Value, max_bytes: usize) -> Result<Uint, SignError> {
    let n = match v {
        Value::Number(n) => n
            .as_u64()
            .filter(|n| *n <= MAX_SAFE_INTEGER)
            .map(Uint::from_u64)
            .ok_or_else(|| err(format!("tx.{name}: expected non-negative safe integer")))?,
        Value::String(s) => {
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some("") => None,
                Some(h) => Uint::from_hex_digits(h),
                None if !s.is_empty() => Uint::from_dec_digits(s),
                None => None,
            };
            parsed.ok_or_else(|| {
                err(format!(
                    "tx.{name}: expected non-negative integer in hex or dec string"
                ))
            })?
        }
        _ => return Err(err(format!("tx.{name}: expected string or number"))),
    };
    if n.bytes().len() > max_bytes {
        return Err(err(format!(
            "tx.{name}: expected number in {max_bytes} bytes"
        )));
    }
    Ok(n)
}

/// thor-devkit `BlobKind`: `0x` + an even number of hex digits.
fn blob(name: &str, s: &str) -> Result<Vec<u8>, SignError> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| err(format!("tx.{name}: expected hex string")))?;
    if digits.len() % 2 == 1 {
        return Err(err(format!("tx.{name}: expected even length hex")));
    }
    hex::decode(digits).map_err(|_| err(format!("tx.{name}: expected hex string")))
}

/// thor-devkit `FixedBlobKind(bytes)`.
fn fixed_blob(name: &str, s: &str, bytes: usize) -> Result<Vec<u8>, SignError> {
    let b = blob(name, s)?;
    if b.len() != bytes {
        return Err(err(format!(
            "tx.{name}: expected hex string presents {bytes} bytes"
        )));
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::super::test_node::{Call, TestNode};
    use super::super::tests::{pending, PK0, TO};
    use super::*;
    use kms_core::Chain;

    fn vet_node(gas_used: u64) -> TestNode {
        TestNode {
            external: vec![
                (
                    "/accounts/*?revision=best".into(),
                    json!([{"data":"0x","events":[],"transfers":[],"gasUsed":gas_used,"reverted":false,"vmError":""}]),
                ),
                (
                    "/blocks/0".into(),
                    json!({"id": format!("0x{}27", "00".repeat(31))}),
                ),
                (
                    "/blocks/best".into(),
                    json!({"id": format!("0x00d1a0b1c2d3e4f5{}", "11".repeat(24))}),
                ),
            ],
            ..TestNode::default()
        }
    }

    /// Spec §10.3 VET: nonce 12345 given; genesis id ends in 27; best id 0x00d1a0b1c2d3e4f5…;
    /// gasUsed 0.
    #[test]
    fn vet_vector() {
        let mut node = vet_node(0);
        let tx = pending(
            "VET",
            json!({"from":0,"to":TO,"value":"0x2386f26fc10000","nonce":12345}),
        );
        let b = super::super::sign_kms(Chain::Vet, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/vet/broadcast");
        assert_eq!(b.body["txData"], "0xf8782787d1a0b1c2d3e4f58202d0dfde9496db019291732415c094b198cdc589840ca311b4872386f26fc10000808082520880823039c0b84135e19331c3af4e949776fcdfcaf42983c672f2c5484e2f37c5feb9d6f3e2f3622f8782ffa305207e27fd3a408918643076c41f08cbf83353387a79e653ef5be700");
        let svc = "VechainNode { testnet: true }".to_string();
        assert_eq!(
            node.calls,
            [
                Call::External(
                    svc.clone(),
                    "/accounts/*?revision=best".into(),
                    Some(
                        json!({"clauses":[{"to":TO,"value":"0x2386f26fc10000","data":"0x"}],"caller":"0xffd8857c1c991d4b40e04d4530ade722818e433d"})
                    )
                ),
                Call::External(svc.clone(), "/blocks/0".into(), None),
                Call::External(svc, "/blocks/best".into(), None),
            ]
        );
    }

    #[test]
    fn gas_nonce_and_errors() {
        // gasUsed adds 15000 on top of the intrinsic gas (5000 + 16000 + data).
        assert_eq!(intrinsic_gas(true, "0x"), 21_000);
        assert_eq!(intrinsic_gas(true, "0x00ff"), 21_072);
        assert_eq!(intrinsic_gas(false, "0x"), 53_000);

        let mut node = vet_node(100);
        let tx = pending("VET", json!({"from":0,"to":TO,"value":"1"}));
        let a = super::super::sign_kms(Chain::Vet, Network::Mainnet, &tx, PK0, &mut node).unwrap();
        let b = super::super::sign_kms(Chain::Vet, Network::Mainnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(a, b, "the derived nonce is stable");
        let hex = a.body["txData"].as_str().unwrap();
        assert!(
            hex.contains("828d04"),
            "gas 21000 + 100 + 15000 = 0x8d04: {hex}"
        );
        let mut other = tx.clone();
        other.id = "another".into();
        let c =
            super::super::sign_kms(Chain::Vet, Network::Mainnet, &other, PK0, &mut node).unwrap();
        assert_ne!(a, c);

        let mut node = vet_node(0);
        let tx = pending("VET", json!({"to":TO,"value":"1","data":"0x"}));
        let e =
            super::super::sign_kms(Chain::Vet, Network::Testnet, &tx, PK0, &mut node).unwrap_err();
        assert_eq!(e.0, "Data must be valid hex");

        let mut node = vet_node(0);
        let revert = format!("0x08c379a0{:064x}{:064x}74657374", 32, 4);
        node.external[0].1 =
            json!([{"reverted":true,"vmError":"execution reverted","data":revert}]);
        let e = super::super::sign_kms(
            Chain::Vet,
            Network::Testnet,
            &pending("VET", json!({"to":TO})),
            PK0,
            &mut node,
        )
        .unwrap_err();
        assert_eq!(e.0, "Gas estimation failed with VM reverted: test");
    }
}
