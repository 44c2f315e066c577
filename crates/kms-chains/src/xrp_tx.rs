//! Signing XRP pending transactions as the original does (spec §6.13): the v2 XRP SDK's
//! `signKMSTransaction`, i.e. xrpl 2.14 `Wallet.fromSeed(secret).sign(JSON.parse(tx))`.
//!
//! `Wallet.sign` drops `null` fields, refuses `TxnSignature`/`Signers`, sets
//! `SigningPubKey`, signs the canonical binary serialization (fields sorted by type and field
//! code, signing fields only) behind the prefix `STX\0` (ed25519 over the bytes; secp256k1
//! ECDSA over their SHA-512Half, DER, low S), adds `TxnSignature` and returns the whole
//! serialization as upper-case hex. It then decodes the result and requires it to equal
//! the input (`checkSerialization`), which refuses values the codec would print differently
//! (strings for numbers, lower-case hex, non-canonical drops, …); those are refused here too.
//!
//! This is a subset of the XRP Ledger binary codec: the transaction types `Payment`,
//! `AccountSet`, `SetRegularKey`, `OfferCreate`, `OfferCancel` and `TrustSet` with their
//! common fields (no `Paths`, no X-addresses). A transaction with any other field is refused
//! with its name instead of being signed differently.

use kms_core::PendingTransaction;
use serde_json::{Map, Value};
use sha2::{Digest, Sha512};

use crate::node::Broadcast;
use crate::signing::SignError;
use crate::xrp::Keypair;

const BROADCAST_PATH: &str = "/v3/xrp/broadcast";
/// `HashPrefix.transactionSig`: "STX\0".
const SIGNING_PREFIX: [u8; 4] = [0x53, 0x54, 0x58, 0x00];
const MAX_DROPS: u64 = 100_000_000_000_000_000;

fn err(message: impl Into<String>) -> SignError {
    SignError::new(message)
}

/// Signs one XRP pending transaction with the wallet's secret and returns
/// `POST /v3/xrp/broadcast {txData: <tx_blob>, signatureId}`.
pub fn sign_kms(tx: &PendingTransaction, secret: &str) -> Result<Broadcast, SignError> {
    let keypair = crate::xrp::keypair(secret)?;
    let blob = sign_json(&tx.serialized_transaction, &keypair)?;
    Ok(Broadcast::tx_data(BROADCAST_PATH, blob, &tx.id))
}

/// The signed `tx_blob` (upper-case hex) of a transaction JSON.
pub fn sign_json(serialized: &str, keypair: &Keypair) -> Result<String, SignError> {
    let mut tx: Map<String, Value> = match serde_json::from_str::<Value>(serialized) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(err("serializedTransaction is not a JSON object")),
        Err(e) => return Err(err(format!("serializedTransaction is not valid JSON: {e}"))),
    };
    tx.retain(|_, v| !v.is_null());
    if tx.contains_key("TxnSignature") || tx.contains_key("Signers") {
        return Err(err(
            "txJSON must not contain \"TxnSignature\" or \"Signers\" properties",
        ));
    }
    validate(&tx)?;
    tx.insert(
        "SigningPubKey".into(),
        Value::String(keypair.public_key_hex()),
    );

    let mut signing = SIGNING_PREFIX.to_vec();
    signing.extend_from_slice(&serialize_object(&tx, false)?);
    let signature = sign(keypair, &signing)?;
    tx.insert(
        "TxnSignature".into(),
        Value::String(hex::encode_upper(signature)),
    );
    Ok(hex::encode_upper(serialize_object(&tx, true)?))
}

/// ripple-keypairs `sign`: ed25519 over the message; secp256k1 over SHA-512Half(message),
/// DER with low S.
pub fn sign(keypair: &Keypair, message: &[u8]) -> Result<Vec<u8>, SignError> {
    match keypair {
        Keypair::Ed25519(key) => {
            use ed25519_dalek::Signer as _;
            Ok(key.sign(message).to_bytes().to_vec())
        }
        Keypair::Secp256k1(key) => {
            let hash = sha512_half(message);
            let (sig, _) = key.sign_prehash_recoverable(&hash);
            let sig = sig.normalize_s();
            Ok(sig.to_der().as_bytes().to_vec())
        }
    }
}

pub fn sha512_half(message: &[u8]) -> [u8; 32] {
    let full = Sha512::digest(message);
    let mut out = [0u8; 32];
    out.copy_from_slice(&full[..32]);
    out
}

/// xrpl's `validate`, for the required fields of the supported types.
fn validate(tx: &Map<String, Value>) -> Result<(), SignError> {
    let kind = tx
        .get("TransactionType")
        .and_then(Value::as_str)
        .ok_or_else(|| err("BaseTransaction: missing field TransactionType"))?;
    if !tx.get("Account").is_some_and(Value::is_string) {
        return Err(err("BaseTransaction: missing field Account"));
    }
    let required: &[&str] = match kind {
        "Payment" => &["Amount", "Destination"],
        "TrustSet" => &["LimitAmount"],
        "OfferCreate" => &["TakerGets", "TakerPays"],
        "OfferCancel" => &["OfferSequence"],
        "AccountSet" | "SetRegularKey" => &[],
        other => {
            return Err(err(format!(
                "XRP transaction type {other} is not supported by this KMS"
            )))
        }
    };
    for field in required {
        if !tx.contains_key(*field) {
            return Err(err(format!("{kind}: missing field {field}")));
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    TransactionType,
    UInt8,
    UInt32,
    Hash128,
    Hash256,
    Amount,
    Blob,
    AccountId,
    Memo,
    Memos,
}

impl Kind {
    fn type_code(self) -> u8 {
        match self {
            Kind::TransactionType => 1,
            Kind::UInt32 => 2,
            Kind::Hash128 => 4,
            Kind::Hash256 => 5,
            Kind::Amount => 6,
            Kind::Blob => 7,
            Kind::AccountId => 8,
            Kind::Memo => 14,
            Kind::Memos => 15,
            Kind::UInt8 => 16,
        }
    }
}

/// `(kind, field code)` of the transaction fields this codec subset writes
/// (ripple-binary-codec `definitions.json`).
fn field(name: &str) -> Option<(Kind, u8)> {
    use Kind::*;
    Some(match name {
        "TransactionType" => (TransactionType, 2),
        "NetworkID" => (UInt32, 1),
        "Flags" => (UInt32, 2),
        "SourceTag" => (UInt32, 3),
        "Sequence" => (UInt32, 4),
        "Expiration" => (UInt32, 10),
        "TransferRate" => (UInt32, 11),
        "DestinationTag" => (UInt32, 14),
        "QualityIn" => (UInt32, 20),
        "QualityOut" => (UInt32, 21),
        "OfferSequence" => (UInt32, 25),
        "LastLedgerSequence" => (UInt32, 27),
        "SetFlag" => (UInt32, 33),
        "ClearFlag" => (UInt32, 34),
        "TicketSequence" => (UInt32, 41),
        "TickSize" => (UInt8, 16),
        "EmailHash" => (Hash128, 1),
        "AccountTxnID" => (Hash256, 9),
        "InvoiceID" => (Hash256, 17),
        "Amount" => (Amount, 1),
        "LimitAmount" => (Amount, 3),
        "TakerPays" => (Amount, 4),
        "TakerGets" => (Amount, 5),
        "Fee" => (Amount, 8),
        "SendMax" => (Amount, 9),
        "DeliverMin" => (Amount, 10),
        "MessageKey" => (Blob, 2),
        "SigningPubKey" => (Blob, 3),
        "TxnSignature" => (Blob, 4),
        "Domain" => (Blob, 7),
        "MemoType" => (Blob, 12),
        "MemoData" => (Blob, 13),
        "MemoFormat" => (Blob, 14),
        "Account" => (AccountId, 1),
        "Destination" => (AccountId, 3),
        "RegularKey" => (AccountId, 8),
        "Memo" => (Memo, 10),
        "Memos" => (Memos, 9),
        _ => return None,
    })
}

fn transaction_type_code(name: &str) -> Option<u16> {
    Some(match name {
        "Payment" => 0,
        "AccountSet" => 3,
        "SetRegularKey" => 5,
        "OfferCreate" => 7,
        "OfferCancel" => 8,
        "TrustSet" => 20,
        _ => return None,
    })
}

fn field_header(out: &mut Vec<u8>, type_code: u8, nth: u8) {
    match (type_code < 16, nth < 16) {
        (true, true) => out.push((type_code << 4) | nth),
        (true, false) => out.extend_from_slice(&[type_code << 4, nth]),
        (false, true) => out.extend_from_slice(&[nth, type_code]),
        (false, false) => out.extend_from_slice(&[0, type_code, nth]),
    }
}

fn length_prefix(out: &mut Vec<u8>, len: usize) -> Result<(), SignError> {
    if len <= 192 {
        out.push(len as u8);
    } else if len <= 12480 {
        let l = len - 193;
        out.extend_from_slice(&[193 + (l >> 8) as u8, (l & 0xff) as u8]);
    } else if len <= 918744 {
        let l = len - 12481;
        out.extend_from_slice(&[
            241 + (l >> 16) as u8,
            ((l >> 8) & 0xff) as u8,
            (l & 0xff) as u8,
        ]);
    } else {
        return Err(err("Overflow error"));
    }
    Ok(())
}

/// The fields of an object in canonical order; `TxnSignature` only when `all`.
fn serialize_object(obj: &Map<String, Value>, all: bool) -> Result<Vec<u8>, SignError> {
    let mut fields = Vec::with_capacity(obj.len());
    for (name, value) in obj {
        let (kind, nth) = field(name).ok_or_else(|| {
            err(format!(
                "XRP transaction field {name} is not supported by this KMS"
            ))
        })?;
        if !all && name == "TxnSignature" {
            continue;
        }
        fields.push((kind.type_code(), nth, kind, name.as_str(), value));
    }
    fields.sort_by_key(|f| (f.0, f.1));
    let mut out = Vec::new();
    for (type_code, nth, kind, name, value) in fields {
        field_header(&mut out, type_code, nth);
        write_value(&mut out, kind, name, value, all)?;
    }
    Ok(out)
}

fn write_value(
    out: &mut Vec<u8>,
    kind: Kind,
    name: &str,
    value: &Value,
    all: bool,
) -> Result<(), SignError> {
    let bad = || err(format!("XRP transaction field {name} has an invalid value"));
    match kind {
        Kind::TransactionType => {
            let code = value
                .as_str()
                .and_then(transaction_type_code)
                .ok_or_else(bad)?;
            out.extend_from_slice(&code.to_be_bytes());
        }
        Kind::UInt8 => {
            let v = value
                .as_u64()
                .and_then(|v| u8::try_from(v).ok())
                .ok_or_else(bad)?;
            out.push(v);
        }
        Kind::UInt32 => {
            // checkSerialization compares with the decoded number: a string would differ.
            let v = value
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(bad)?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        Kind::Hash128 | Kind::Hash256 => {
            let len = if kind == Kind::Hash128 { 16 } else { 32 };
            let bytes = upper_hex(value).ok_or_else(bad)?;
            if bytes.len() != len {
                return Err(bad());
            }
            out.extend_from_slice(&bytes);
        }
        Kind::Blob => {
            // Memo fields are compared upper-cased; other blobs must already be.
            let bytes = if matches!(name, "MemoType" | "MemoData" | "MemoFormat") {
                value.as_str().and_then(any_case_hex)
            } else {
                upper_hex(value)
            }
            .ok_or_else(bad)?;
            length_prefix(out, bytes.len())?;
            out.extend_from_slice(&bytes);
        }
        Kind::AccountId => {
            let id = value.as_str().and_then(decode_account).ok_or_else(bad)?;
            length_prefix(out, 20)?;
            out.extend_from_slice(&id);
        }
        Kind::Amount => write_amount(out, value).ok_or_else(bad)?,
        Kind::Memo => {
            let inner = value.as_object().ok_or_else(bad)?;
            for key in inner.keys() {
                if !matches!(key.as_str(), "MemoType" | "MemoData" | "MemoFormat") {
                    return Err(bad());
                }
            }
            out.extend_from_slice(&serialize_object(inner, all)?);
            out.push(0xE1);
        }
        Kind::Memos => {
            let items = value.as_array().ok_or_else(bad)?;
            for item in items {
                let wrapper = item.as_object().ok_or_else(bad)?;
                if wrapper.len() != 1 || !wrapper.contains_key("Memo") {
                    return Err(bad());
                }
                out.extend_from_slice(&serialize_object(wrapper, all)?);
            }
            out.push(0xF1);
        }
    }
    Ok(())
}

/// Upper-case hex, as the codec prints it back.
fn upper_hex(value: &Value) -> Option<Vec<u8>> {
    let s = value.as_str()?;
    if s.bytes().any(|b| b.is_ascii_lowercase()) {
        return None;
    }
    any_case_hex(s)
}

fn any_case_hex(s: &str) -> Option<Vec<u8>> {
    hex::decode(s).ok()
}

/// A classic `r…` address: base58check (Ripple alphabet) of `00 ‖ 20 bytes`.
pub fn decode_account(text: &str) -> Option<[u8; 20]> {
    let mut buf = [0u8; 32];
    let n = bs58::decode(text)
        .with_alphabet(bs58::Alphabet::RIPPLE)
        .with_check(Some(0))
        .onto(&mut buf)
        .ok()?;
    if n != 21 {
        return None;
    }
    let mut out = [0u8; 20];
    out.copy_from_slice(&buf[1..21]);
    Some(out)
}

fn write_amount(out: &mut Vec<u8>, value: &Value) -> Option<()> {
    match value {
        Value::String(drops) => {
            // Canonical decimal digits, at most 10^17 drops.
            let ok = !drops.is_empty()
                && drops.bytes().all(|b| b.is_ascii_digit())
                && (drops == "0" || !drops.starts_with('0'));
            if !ok {
                return None;
            }
            let n: u64 = drops.parse().ok()?;
            if n > MAX_DROPS {
                return None;
            }
            out.extend_from_slice(&(n | 0x4000_0000_0000_0000).to_be_bytes());
            Some(())
        }
        Value::Object(m) => {
            if m.len() != 3 {
                return None;
            }
            let amount = iou_amount(m.get("value")?.as_str()?)?;
            let currency = currency_bytes(m.get("currency")?.as_str()?)?;
            let issuer = decode_account(m.get("issuer")?.as_str()?)?;
            out.extend_from_slice(&amount);
            out.extend_from_slice(&currency);
            out.extend_from_slice(&issuer);
            Some(())
        }
        _ => None,
    }
}

/// 3-character ISO code (`bytes 12..15`), or 40 upper-case hex digits; never `XRP`.
fn currency_bytes(code: &str) -> Option<[u8; 20]> {
    let mut out = [0u8; 20];
    if code.len() == 3 {
        const EXTRA: &[u8] = b"?!@#$%^&*(){}[]|";
        if code.eq_ignore_ascii_case("XRP")
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || EXTRA.contains(&b))
        {
            return None;
        }
        out[12..15].copy_from_slice(code.as_bytes());
        return Some(out);
    }
    let bytes = upper_hex(&Value::String(code.to_string()))?;
    if bytes.len() != 20 || bytes[0] == 0 {
        // A hex code starting with 0 is an ISO code in disguise: printed back differently.
        return None;
    }
    out.copy_from_slice(&bytes);
    Some(out)
}

/// An issued-currency value: 8 bytes of `1 ‖ sign ‖ exponent + 97 (8 bits) ‖ mantissa (54
/// bits)`, the mantissa normalized to 16 digits. Only plain decimals whose canonical form
/// (what the codec prints back, and what xrpl's `removeTrailingZeros` leaves) is the given
/// text are accepted, within the range both print without exponent notation.
fn iou_amount(text: &str) -> Option<[u8; 8]> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty()
        || !(int_part.bytes().chain(frac_part.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits: String = format!("{int_part}{frac_part}");
    let first = digits.bytes().position(|b| b != b'0');
    let mut out = [0u8; 8];
    let Some(first) = first else {
        // Zero: "0" is what comes back.
        // "0", or a positive decimal with a point that BigNumber prints as "0".
        let accepted = text == "0" || (body.contains('.') && !negative);
        if !accepted {
            return None;
        }
        out[0] = 0x80;
        return Some(out);
    };
    let significant = digits[first..].trim_end_matches('0');
    // Scientific exponent of the first significant digit.
    let exponent = int_part.len() as i64 - 1 - first as i64;
    if significant.len() > 16 || !(-6..20).contains(&exponent) {
        return None;
    }
    // The canonical text (Decimal.js / BigNumber.js toString of the value).
    let canonical = {
        let all = significant;
        let point = exponent + 1; // digits before the decimal point
        let mut s = String::new();
        if negative {
            s.push('-');
        }
        if point <= 0 {
            s.push_str("0.");
            s.push_str(&"0".repeat((-point) as usize));
            s.push_str(all);
        } else if point as usize >= all.len() {
            s.push_str(all);
            s.push_str(&"0".repeat(point as usize - all.len()));
        } else {
            s.push_str(&all[..point as usize]);
            s.push('.');
            s.push_str(&all[point as usize..]);
        }
        s
    };
    let given = if text.contains('.') {
        canonical.clone()
    } else {
        text.to_string()
    };
    if given != canonical {
        return None;
    }
    let mantissa: u64 = format!("{significant:0<16}").parse().ok()?;
    let exp = exponent - 15;
    let exp_byte = (97 + exp) as u64;
    let mut v: u64 = 0x8000_0000_0000_0000 | mantissa;
    if !negative {
        v |= 0x4000_0000_0000_0000;
    }
    v |= exp_byte << 54;
    out.copy_from_slice(&v.to_be_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier};

    const SPEC_TX: &str = r#"{"TransactionType":"Payment","Account":"rG31cLyErnqeVj2eomEjBZtq7PYaupGYzL","Destination":"rGCprRmeZ4ZW5hbsoU1tGCWG5vVWoBeHUs","Amount":"1000000","Fee":"12","Sequence":5,"LastLedgerSequence":1000,"Flags":2147483648}"#;
    const SPEC_BLOB: &str = "12000022800000002400000005201B000003E86140000000000F424068400000000000000C7321EDA57EBBCB502C2009EFE17229E8DC865DCCB192C52D7888D624DC9EBADDB815F074401D46328DA9F406F2A792FF103DB2AFEEC091C8C5BB89D862A73CC398C50DE3A88F4CFC98D80166FA7A7B452BEBCAD6BCF3A62D51C299FFF4DF6413B7FD5F06028114A6070B8A1822E3322676A99F0C804EE2D15B82708314ABBA88C1ED84653A9E6F0B7FCF63C50C00BD8B01";

    /// Spec §10.6.
    #[test]
    fn spec_vector() {
        let keypair = crate::xrp::keypair("sEdTM1uX8pu2do5XvTnutH6HsouMaM2").unwrap();
        assert_eq!(sign_json(SPEC_TX, &keypair).unwrap(), SPEC_BLOB);
    }

    /// The ed25519 signature in the blob verifies over `STX\0 ‖` the blob without it.
    #[test]
    fn ed25519_signature_verifies() {
        let keypair = crate::xrp::keypair("sEdTM1uX8pu2do5XvTnutH6HsouMaM2").unwrap();
        let Keypair::Ed25519(key) = &keypair else {
            panic!("ed25519 seed")
        };
        let blob = hex::decode(SPEC_BLOB).unwrap();
        let at = SPEC_BLOB.find("7440").unwrap() / 2;
        let sig = Signature::from_slice(&blob[at + 2..at + 66]).unwrap();
        let mut msg = SIGNING_PREFIX.to_vec();
        msg.extend_from_slice(&blob[..at]);
        msg.extend_from_slice(&blob[at + 66..]);
        key.verifying_key().verify(&msg, &sig).unwrap();
    }

    #[test]
    fn field_headers_and_lengths() {
        let mut out = Vec::new();
        field_header(&mut out, 2, 27);
        field_header(&mut out, 16, 16);
        field_header(&mut out, 16, 1);
        field_header(&mut out, 8, 1);
        assert_eq!(out, [0x20, 0x1B, 0x00, 16, 16, 0x01, 16, 0x81]);
        let mut l = Vec::new();
        length_prefix(&mut l, 193).unwrap();
        length_prefix(&mut l, 12481).unwrap();
        assert_eq!(l, [193, 0, 241, 0, 0]);
    }

    /// Issued-currency amounts (values from the XRPL binary-format documentation).
    #[test]
    fn iou_values() {
        // 1 → mantissa 10^15, exponent -15.
        assert_eq!(hex::encode(iou_amount("1").unwrap()), "d4838d7ea4c68000");
        assert_eq!(hex::encode(iou_amount("0").unwrap()), "8000000000000000");
        assert_eq!(hex::encode(iou_amount("-1").unwrap()), "94838d7ea4c68000");
        assert_eq!(iou_amount("1.50"), iou_amount("1.5"));
        assert!(iou_amount("01").is_none());
        assert!(iou_amount("1e5").is_none());
        assert!(iou_amount("12345678901234567").is_none());
    }

    #[test]
    fn refusals() {
        let keypair = crate::xrp::keypair("sEdTM1uX8pu2do5XvTnutH6HsouMaM2").unwrap();
        let signed = SPEC_TX.replace("}", r#","TxnSignature":"00"}"#);
        assert!(sign_json(&signed, &keypair)
            .unwrap_err()
            .0
            .contains("TxnSignature"));
        let paths = SPEC_TX.replace("}", r#","Paths":[]}"#);
        assert!(sign_json(&paths, &keypair).unwrap_err().0.contains("Paths"));
        let string_seq = SPEC_TX.replace("\"Sequence\":5", "\"Sequence\":\"5\"");
        assert!(sign_json(&string_seq, &keypair).is_err());
        let no_dest = SPEC_TX.replace("\"Destination\"", "\"DestinationX\"");
        assert!(sign_json(&no_dest, &keypair).is_err());
        // null fields are dropped, as xrpl's omitBy.
        let with_null = SPEC_TX.replace("}", r#","SourceTag":null}"#);
        assert_eq!(sign_json(&with_null, &keypair).unwrap(), SPEC_BLOB);
    }
}
