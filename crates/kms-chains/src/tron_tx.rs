//! Signing TRON pending transactions as the original does (spec §6.11): the v2 TRON SDK's
//! `signKMSTransaction`, which is TronWeb's `trx.sign` followed by `JSON.stringify`.
//!
//! The pending `serializedTransaction` is TronWeb's transaction JSON (`txID`, `raw_data`,
//! `raw_data_hex`, …). Before signing, TronWeb checks, in this order:
//! 1. no `signature` yet (`Transaction is already signed`);
//! 2. the `owner_address` of `raw_data.contract[0]` is the key's address (`Private key does
//!    not match address in transaction`);
//! 3. `txCheck`: the protobuf rebuilt from `raw_data` (its first contract, `ref_block_bytes`,
//!    `ref_block_hash`, `data`, `fee_limit`, `expiration`, `timestamp`) equals `raw_data_hex`,
//!    and SHA-256 of it equals `txID` (`Invalid transaction`).
//!
//! The signature is secp256k1 over the 32 bytes of `txID` (RFC 6979, low S): `r ‖ s` as 128
//! lower-case hex digits followed by `27 + recovery id` as two **upper-case** hex digits
//! (`1B`/`1C`), appended to the JSON as `"signature": [..]` (the JSON keeps its key order).
//!
//! The protobuf is rebuilt here for the contract types the Tatum API produces or that are
//! simple to encode: `TransferContract`, `TransferAssetContract`, `TriggerSmartContract`,
//! `FreezeBalanceContract`, `UnfreezeBalanceContract`, `FreezeBalanceV2Contract`,
//! `UnfreezeBalanceV2Contract`. Any other type is refused (the check cannot be made), where
//! TronWeb would rebuild it.
//!
//! Numbers must be integers of at most 2^53 - 1 (JavaScript numbers hold no more), so the
//! re-serialized JSON is what `JSON.stringify` prints.

use k256::ecdsa::SigningKey;
use kms_core::{Chain, PendingTransaction};
use serde_json::{Map, Value};

use crate::evm::parse_hex_key;
use crate::hash::{keccak256, sha256};
use crate::node::Broadcast;
use crate::signing::SignError;

const BROADCAST_PATH: &str = "/v3/tron/broadcast";
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn err(message: impl Into<String>) -> SignError {
    SignError::new(message)
}

fn invalid() -> SignError {
    err("Invalid transaction")
}

/// Signs one TRON pending transaction with `private_key` (64 hex digits) and returns the
/// KMS's own broadcast: `POST /v3/tron/broadcast {txData: <signed JSON>, signatureId}`.
pub fn sign_kms(tx: &PendingTransaction, private_key: &str) -> Result<Broadcast, SignError> {
    let secret = parse_hex_key(Chain::Tron, private_key)?;
    let key = SigningKey::from_slice(secret.as_slice())
        .map_err(|_| err("the TRON private key is not a valid secp256k1 scalar"))?;
    let signed = sign_json(&tx.serialized_transaction, &key)?;
    Ok(Broadcast::tx_data(BROADCAST_PATH, signed, &tx.id))
}

/// The signed transaction JSON for a serialized unsigned one.
pub fn sign_json(serialized: &str, key: &SigningKey) -> Result<String, SignError> {
    let mut txn = match serde_json::from_str::<Value>(serialized) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(err("Invalid transaction provided")),
        Err(e) => return Err(err(format!("serializedTransaction is not valid JSON: {e}"))),
    };
    txn.values().try_for_each(check_numbers)?;
    if truthy(txn.get("signature")) {
        return Err(err("Transaction is already signed"));
    }
    let raw = txn
        .get("raw_data")
        .and_then(Value::as_object)
        .ok_or_else(invalid)?;
    let contract = raw
        .get("contract")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(Value::as_object)
        .ok_or_else(invalid)?;
    let value = contract
        .get("parameter")
        .and_then(|p| p.get("value"))
        .and_then(Value::as_object)
        .ok_or_else(invalid)?;

    // 2. The owner is the key's account.
    let own = own_address(key);
    let owner = value
        .get("owner_address")
        .and_then(Value::as_str)
        .and_then(address_bytes);
    if owner.as_deref() != Some(own.as_slice()) {
        return Err(err("Private key does not match address in transaction"));
    }

    // 3. txCheck.
    let visible = truthy(txn.get("visible"));
    let rebuilt = raw_data_protobuf(raw, contract, value, visible)?;
    let raw_hex = txn
        .get("raw_data_hex")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    if hex::encode(&rebuilt) != raw_hex.to_ascii_lowercase() {
        return Err(invalid());
    }
    let tx_id_text = txn
        .get("txID")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    let tx_id_digits = tx_id_text.strip_prefix("0x").unwrap_or(tx_id_text);
    let digest = sha256(&rebuilt);
    if hex::encode(digest) != tx_id_digits.to_ascii_lowercase() {
        return Err(invalid());
    }

    // 4.–6. Sign the txID and append the signature.
    let signature = sign_digest(key, &digest)?;
    match txn.get_mut("signature") {
        Some(Value::Array(list)) => list.push(Value::String(signature)),
        _ => {
            // A falsy `signature` keeps its place (JavaScript assignment), else it goes last.
            txn.insert(
                "signature".into(),
                Value::Array(vec![Value::String(signature)]),
            );
        }
    }
    serde_json::to_string(&Value::Object(txn)).map_err(|e| err(e.to_string()))
}

/// `r ‖ s` (lower-case hex) ‖ `27 + recovery id` (upper-case hex), TronWeb's `ECKeySign`.
pub fn sign_digest(key: &SigningKey, digest: &[u8; 32]) -> Result<String, SignError> {
    let (sig, recid) = key.sign_prehash_recoverable(digest);
    if recid.is_x_reduced() {
        return Err(err(
            "signature with an overflowing r value; cannot be encoded",
        ));
    }
    let (r, s) = sig.split_bytes();
    Ok(format!(
        "{}{}{:02X}",
        hex::encode(r),
        hex::encode(s),
        27 + u8::from(recid.is_y_odd())
    ))
}

/// `41 ‖ keccak256(X‖Y)[12..]`.
fn own_address(key: &SigningKey) -> Vec<u8> {
    let hash = keccak256(&crate::hd::uncompressed_xy(key.verifying_key()));
    let mut out = Vec::with_capacity(21);
    out.push(0x41);
    out.extend_from_slice(&hash[12..]);
    out
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_)) | Some(Value::Object(_)) => true,
    }
}

/// Every number must print the same in JavaScript and here: a safe integer.
fn check_numbers(v: &Value) -> Result<(), SignError> {
    match v {
        Value::Number(n) => {
            let safe = n.as_u64().is_some_and(|u| u <= MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER);
            if safe {
                Ok(())
            } else {
                Err(err(format!(
                    "TRON transaction number {n} is not an integer JavaScript can hold exactly"
                )))
            }
        }
        Value::Array(items) => items.iter().try_for_each(check_numbers),
        Value::Object(m) => m.values().try_for_each(check_numbers),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// TronWeb's conversions of JSON values to protobuf bytes.

/// TronWeb's `isHex`: `^(0x)?[0-9a-fA-F]+$`.
fn is_hex(s: &str) -> bool {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hex digits in groups of two, the last group possibly one digit (`.match(/.{1,2}/g)`).
fn hex_groups(digits: &str) -> Vec<u8> {
    digits
        .as_bytes()
        .chunks(2)
        .map(|c| {
            c.iter().fold(0u8, |acc, d| {
                // Only hex digits reach here.
                let v = (*d as char).to_digit(16).unwrap_or(0) as u8;
                (acc << 4) | v
            })
        })
        .collect()
}

/// `stringToUint8Array`: hex as bytes, anything else as its UTF-8 bytes.
fn string_bytes(s: &str) -> Vec<u8> {
    if s.is_empty() {
        Vec::new()
    } else if is_hex(s) {
        hex_groups(s.strip_prefix("0x").unwrap_or(s))
    } else {
        s.as_bytes().to_vec()
    }
}

/// `TronWeb.address.toHex` then bytes: hex (`0x` replaced by `41`) or base58check `T…`.
pub(crate) fn address_bytes(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    if is_hex(s) {
        let digits = match s.strip_prefix("0x") {
            Some(rest) => format!("41{rest}"),
            None => s.to_string(),
        };
        return Some(hex_groups(&digits));
    }
    let decoded = bs58::decode(s).with_check(None).into_vec().ok()?;
    (decoded.len() == 21 && decoded[0] == 0x41).then_some(decoded)
}

fn field_address(value: &Map<String, Value>, name: &str) -> Result<Vec<u8>, SignError> {
    match value.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => address_bytes(s).ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
}

/// An int64 field; absent is the default 0.
fn field_int(value: &Map<String, Value>, name: &str) -> Result<i64, SignError> {
    match value.get(name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
}

fn field_str<'a>(value: &'a Map<String, Value>, name: &str) -> Result<&'a str, SignError> {
    match value.get(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid()),
    }
}

/// `ResourceCode[resource]`: BANDWIDTH 0 (the default, not written), ENERGY 1, TRON_POWER 2.
fn field_resource(value: &Map<String, Value>) -> Result<i64, SignError> {
    match value.get("resource") {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) => match s.as_str() {
            "" | "BANDWIDTH" => Ok(0),
            "ENERGY" => Ok(1),
            "TRON_POWER" => Ok(2),
            _ => Err(invalid()),
        },
        Some(_) => Err(invalid()),
    }
}

// ---------------------------------------------------------------------------------------
// Protobuf (proto3: default values are not written).

#[derive(Default)]
struct Pb(Vec<u8>);

impl Pb {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }

    fn int(&mut self, field: u32, v: i64) {
        if v != 0 {
            self.key(field, 0);
            // int64: negative values as their 64-bit two's complement.
            self.varint(v as u64);
        }
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        if !b.is_empty() {
            self.key(field, 2);
            self.varint(b.len() as u64);
            self.0.extend_from_slice(b);
        }
    }
}

/// The contract message bytes and its `ContractType` number for `contract.type`.
fn contract_message(
    kind: &str,
    value: &Map<String, Value>,
    visible: bool,
) -> Result<(i64, Vec<u8>), SignError> {
    let mut m = Pb::default();
    let number = match kind {
        "TransferContract" => {
            m.bytes(1, &field_address(value, "owner_address")?);
            m.bytes(2, &field_address(value, "to_address")?);
            m.int(3, field_int(value, "amount")?);
            1
        }
        "TransferAssetContract" => {
            let name = field_str(value, "asset_name")?;
            let name = if visible {
                name.as_bytes().to_vec()
            } else {
                string_bytes(name.strip_prefix("0x").unwrap_or(name))
            };
            m.bytes(1, &name);
            m.bytes(2, &field_address(value, "owner_address")?);
            m.bytes(3, &field_address(value, "to_address")?);
            m.int(4, field_int(value, "amount")?);
            2
        }
        "TriggerSmartContract" => {
            m.bytes(1, &field_address(value, "owner_address")?);
            m.bytes(2, &field_address(value, "contract_address")?);
            m.int(3, field_int(value, "call_value")?);
            let data = field_str(value, "data")?;
            let selector = field_str(value, "function_selector")?;
            if !data.is_empty() {
                m.bytes(4, &string_bytes(data));
            } else if !selector.is_empty() {
                let hash = keccak256(selector.as_bytes());
                let text = format!(
                    "{}{}",
                    hex::encode(&hash[..4]),
                    field_str(value, "parameter")?
                );
                m.bytes(4, &string_bytes(&text));
            }
            m.int(5, field_int(value, "call_token_value")?);
            m.int(6, field_int(value, "token_id")?);
            31
        }
        "FreezeBalanceContract" => {
            m.bytes(1, &field_address(value, "owner_address")?);
            m.int(2, field_int(value, "frozen_balance")?);
            m.int(3, field_int(value, "frozen_duration")?);
            m.int(10, field_resource(value)?);
            m.bytes(15, &field_address(value, "receiver_address")?);
            11
        }
        "UnfreezeBalanceContract" => {
            m.bytes(1, &field_address(value, "owner_address")?);
            m.int(10, field_resource(value)?);
            m.bytes(15, &field_address(value, "receiver_address")?);
            12
        }
        "FreezeBalanceV2Contract" => {
            m.bytes(1, &field_address(value, "owner_address")?);
            m.int(2, field_int(value, "frozen_balance")?);
            m.int(3, field_resource(value)?);
            54
        }
        "UnfreezeBalanceV2Contract" => {
            m.bytes(1, &field_address(value, "owner_address")?);
            m.int(2, field_int(value, "unfreeze_balance")?);
            m.int(3, field_resource(value)?);
            55
        }
        other => {
            return Err(err(format!(
                "TRON contract type {other} is not supported by this KMS (cannot check the transaction)"
            )))
        }
    };
    Ok((number, m.0))
}

/// TronWeb `txJsonToPb(tx).getRawData().serializeBinary()`.
fn raw_data_protobuf(
    raw: &Map<String, Value>,
    contract: &Map<String, Value>,
    value: &Map<String, Value>,
    visible: bool,
) -> Result<Vec<u8>, SignError> {
    let kind = contract
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    let (type_number, message) = contract_message(kind, value, visible)?;
    let mut any = Pb::default();
    any.bytes(1, format!("type.googleapis.com/protocol.{kind}").as_bytes());
    any.bytes(2, &message);
    let mut c = Pb::default();
    c.int(1, type_number);
    c.bytes(2, &any.0);
    c.int(5, field_int(contract, "Permission_id")?);

    let mut r = Pb::default();
    r.bytes(1, &string_bytes(field_str(raw, "ref_block_bytes")?));
    r.bytes(4, &string_bytes(field_str(raw, "ref_block_hash")?));
    r.int(8, field_int(raw, "expiration")?);
    r.bytes(10, &string_bytes(field_str(raw, "data")?));
    // A contract message is written even when empty.
    r.key(11, 2);
    r.varint(c.0.len() as u64);
    r.0.extend_from_slice(&c.0);
    r.int(14, field_int(raw, "timestamp")?);
    r.int(18, field_int(raw, "fee_limit")?);
    Ok(r.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};

    /// TRON pk0 of the spec's mnemonic M (§10.2), the key of the §10.3 vector.
    const PK0: &str = "8ede55b42e315eb58ad4d98cbb3be223ae197708e015d8b635a47696f920c1a3";

    const UNSIGNED: &str = r#"{"visible":false,"txID":"8d781b7d81b77bedf608ab65d26a82b4744c74e06516e86a069cb45384892bf7","raw_data":{"contract":[{"parameter":{"value":{"amount":1000000,"owner_address":"4133891dbfb99d5dbe0588f891efc61ac3347f7b74","to_address":"410f7009f99b36369007640031638e460f03fece25"},"type_url":"type.googleapis.com/protocol.TransferContract"},"type":"TransferContract"}],"ref_block_bytes":"abcd","ref_block_hash":"0123456789abcdef","expiration":1700000060000,"timestamp":1700000000000},"raw_data_hex":"0a02abcd22080123456789abcdef40e0a499ffbc315a67080112630a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412320a154133891dbfb99d5dbe0588f891efc61ac3347f7b741215410f7009f99b36369007640031638e460f03fece2518c0843d7080d095ffbc31"}"#;
    const SIGNATURE: &str = "9225a9b49b510e163f6ac2d44937597a76a5ad4d9eedb7d00cac62df72c5be8c0b8ae61e18fb2d06511384caa74a78d51f2557e5c49527af190ac830b8bcf2f41B";

    fn key() -> SigningKey {
        SigningKey::from_slice(&hex::decode(PK0).unwrap()).unwrap()
    }

    /// Spec §10.3 TRON vector.
    #[test]
    fn spec_vector() {
        assert_eq!(
            crate::tron::address_from_private_key(PK0).unwrap(),
            "TEfhiqsW1SdN44DeHrAWVmbyr8ZbvChrtS"
        );
        let signed = sign_json(UNSIGNED, &key()).unwrap();
        let want = format!(
            "{},\"signature\":[\"{SIGNATURE}\"]}}",
            &UNSIGNED[..UNSIGNED.len() - 1]
        );
        assert_eq!(signed, want);
    }

    /// The signature recovers to the owner over the txID bytes (independent of the signer).
    #[test]
    fn signature_recovers_to_the_owner() {
        let digest: [u8; 32] =
            hex::decode("8d781b7d81b77bedf608ab65d26a82b4744c74e06516e86a069cb45384892bf7")
                .unwrap()
                .try_into()
                .unwrap();
        let sig_hex = sign_digest(&key(), &digest).unwrap();
        let bytes = hex::decode(&sig_hex).unwrap();
        let sig = Signature::from_slice(&bytes[..64]).unwrap();
        let recid = RecoveryId::from_byte(bytes[64] - 27).unwrap();
        let vk = VerifyingKey::recover_from_prehash(&digest, &sig, recid).unwrap();
        assert_eq!(&vk, key().verifying_key());
        assert!(sig_hex[..128].chars().all(|c| !c.is_ascii_uppercase()));
    }

    #[test]
    fn refusals_in_tronwebs_order() {
        let k = key();
        let signed = sign_json(UNSIGNED, &k).unwrap();
        assert_eq!(
            sign_json(&signed, &k).unwrap_err().0,
            "Transaction is already signed"
        );
        let other = SigningKey::from_slice(&[7u8; 32]).unwrap();
        assert_eq!(
            sign_json(UNSIGNED, &other).unwrap_err().0,
            "Private key does not match address in transaction"
        );
        // raw_data changed (amount) without raw_data_hex: txCheck fails.
        let tampered = UNSIGNED.replace("\"amount\":1000000", "\"amount\":1000001");
        assert_eq!(
            sign_json(&tampered, &k).unwrap_err().0,
            "Invalid transaction"
        );
        // txID not the hash of raw_data_hex.
        let bad_id = UNSIGNED.replace("8d781b7d", "8d781b7e");
        assert_eq!(sign_json(&bad_id, &k).unwrap_err().0, "Invalid transaction");
        let big = UNSIGNED.replace("1700000060000", "9007199254740993");
        assert!(sign_json(&big, &k).unwrap_err().0.contains("JavaScript"));
        let unknown = UNSIGNED.replace("\"type\":\"TransferContract\"", "\"type\":\"Nope\"");
        assert!(sign_json(&unknown, &k).unwrap_err().0.contains("Nope"));
    }

    /// A base58 owner (`visible: true`) is the same account.
    #[test]
    fn visible_addresses() {
        let owner = crate::tron::address_from_private_key(PK0).unwrap();
        assert_eq!(
            address_bytes(&owner).unwrap(),
            hex::decode("4133891dbfb99d5dbe0588f891efc61ac3347f7b74").unwrap()
        );
        assert_eq!(
            address_bytes("0x33891dbfb99d5dbe0588f891efc61ac3347f7b74").unwrap(),
            address_bytes("4133891dbfb99d5dbe0588f891efc61ac3347f7b74").unwrap()
        );
        assert!(address_bytes("Tnotanaddress").is_none());
    }

    #[test]
    fn protobuf_varints() {
        let mut p = Pb::default();
        p.int(8, 1700000060000);
        assert_eq!(hex::encode(&p.0), "40e0a499ffbc31");
        let mut n = Pb::default();
        n.int(1, -1);
        assert_eq!(hex::encode(&n.0), "08ffffffffffffffffff01");
    }
}
