//! Signing ALGO pending transactions as the original does (spec §6.15): v1
//! `signAlgoKMSTransaction` with algosdk's `Transaction` and `signTxn`.
//!
//! The pending `serializedTransaction` is `JSON.stringify` of an algosdk `Transaction`, so
//! byte fields arrive as JavaScript objects (`{"0":42,"1":157,…}` for a `Uint8Array`,
//! `{"type":"Buffer","data":[…]}` for a `Buffer`). The KMS turns `from`/`to` back into
//! addresses, `note` into bytes, drops `lease` (and `reKeyTo`, `assetRevocationTarget`, … when
//! set), takes `tag` and `genesisHash` from their `data`, and rebuilds the transaction:
//!
//! - fee: kept with `flatFee`; otherwise `fee × (encoded size + 75)`, at least 1000;
//! - encoding: canonical msgpack (keys sorted, empty/zero fields left out as algosdk's
//!   `get_obj_for_encoding` leaves them out) of the `pay` or `axfer` fields;
//! - signature: ed25519 over `tag ‖ msgpack(txn)` (`tag` = `"TX"`);
//! - output: msgpack `{sgnr?, sig, txn}` as lower-case hex (`sgnr` only when the key is not
//!   the sender's, a rekeyed account).
//!
//! The original can only sign transactions with a `to` (it reads `txn.to.publicKey`
//! unconditionally), so `pay` and `axfer` are what it signs; other types are refused here.

use ed25519_dalek::{Signer as _, SigningKey};
use kms_core::PendingTransaction;
use serde_json::{Map, Value};

use crate::node::Broadcast;
use crate::signing::SignError;

const BROADCAST_PATH: &str = "/v3/algorand/broadcast";
const MIN_TX_FEE: u64 = 1000;
/// algosdk `NUM_ADDL_BYTES_AFTER_SIGNING`.
const ADDITIONAL_BYTES_AFTER_SIGNING: u64 = 75;
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn err(message: impl Into<String>) -> SignError {
    SignError::new(message)
}

/// Signs one ALGO pending transaction with the wallet's `secret` (base32 of the 64-byte
/// secret key) and returns `POST /v3/algorand/broadcast {txData: <hex>, signatureId}`.
pub fn sign_kms(tx: &PendingTransaction, secret: &str) -> Result<Broadcast, SignError> {
    let key = crate::algo::signing_key(secret)?;
    let signed = sign_json(&tx.serialized_transaction, &key)?;
    Ok(Broadcast::tx_data(BROADCAST_PATH, signed, &tx.id))
}

/// The signed transaction (lower-case hex) of a serialized algosdk `Transaction`.
pub fn sign_json(serialized: &str, key: &SigningKey) -> Result<String, SignError> {
    let txn = match serde_json::from_str::<Value>(serialized) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(err("serializedTransaction is not a JSON object")),
        Err(e) => return Err(err(format!("serializedTransaction is not valid JSON: {e}"))),
    };
    let t = Txn::from_json(&txn)?;
    let encoded = t.encode();
    let mut message = t.tag.clone();
    message.extend_from_slice(&encoded);
    let sig = key.sign(&message).to_bytes();

    let own = key.verifying_key().to_bytes();
    let mut out = Vec::with_capacity(encoded.len() + 80);
    if own == t.from {
        map_header(&mut out, 2);
    } else {
        map_header(&mut out, 3);
        str_(&mut out, "sgnr");
        bin(&mut out, &own);
    }
    str_(&mut out, "sig");
    bin(&mut out, &sig);
    str_(&mut out, "txn");
    out.extend_from_slice(&encoded);
    Ok(hex::encode(out))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pay,
    Axfer,
}

/// The algosdk `Transaction` fields that reach the encoding of `pay` and `axfer`.
struct Txn {
    kind: Kind,
    tag: Vec<u8>,
    from: [u8; 32],
    to: [u8; 32],
    amount: u64,
    fee: u64,
    first_round: u64,
    last_round: u64,
    note: Vec<u8>,
    genesis_id: String,
    genesis_hash: Vec<u8>,
    asset_index: u64,
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

/// A JavaScript number that is a safe non-negative integer (`Number.isSafeInteger(x) && x >= 0`).
pub(crate) fn safe_uint(v: &Value) -> Option<u64> {
    let n = v.as_number()?;
    if let Some(u) = n.as_u64() {
        return (u <= MAX_SAFE_INTEGER).then_some(u);
    }
    let f = n.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE_INTEGER as f64).then_some(f as u64)
}

fn required_uint(txn: &Map<String, Value>, name: &str, message: &str) -> Result<u64, SignError> {
    txn.get(name)
        .and_then(safe_uint)
        .ok_or_else(|| err(message))
}

/// `Object.values(v)` of a `Uint8Array` as `JSON.stringify` writes it (`{"0":b0,…}`), or an
/// array: the bytes in index order. Only whole numbers 0–255 are accepted (a `Uint8Array`
/// would wrap anything else).
fn js_bytes(v: &Value, what: &str) -> Result<Vec<u8>, SignError> {
    let bad = || err(format!("{what} is not a byte array"));
    let byte = |x: &Value| {
        safe_uint(x)
            .and_then(|u| u8::try_from(u).ok())
            .ok_or_else(bad)
    };
    match v {
        Value::Array(items) => items.iter().map(byte).collect(),
        Value::Object(m) => {
            let mut out = vec![0u8; m.len()];
            let mut seen = vec![false; m.len()];
            for (k, x) in m {
                let i: usize = k.parse().map_err(|_| bad())?;
                if i >= m.len() || seen[i] || k != &i.to_string() {
                    return Err(bad());
                }
                seen[i] = true;
                out[i] = byte(x)?;
            }
            Ok(out)
        }
        _ => Err(bad()),
    }
}

/// `new Uint8Array(Object.values(x.publicKey))` of an algosdk `Address` object, which
/// `decodeAddress` then requires to be a 32-byte key.
pub(crate) fn address(txn: &Map<String, Value>, name: &str) -> Result<[u8; 32], SignError> {
    let pk = txn
        .get(name)
        .and_then(|a| a.get("publicKey"))
        .ok_or_else(|| {
            err(format!(
                "TypeError: Cannot read properties of undefined (reading 'publicKey'): the ALGO transaction has no {name}"
            ))
        })?;
    js_bytes(pk, name)?
        .try_into()
        .map_err(|_| err(format!("{name}: address seems to be malformed")))
}

impl Txn {
    fn from_json(txn: &Map<String, Value>) -> Result<Self, SignError> {
        let kind = match txn.get("type") {
            None => Kind::Pay,
            Some(Value::String(s)) if s == "pay" => Kind::Pay,
            Some(Value::String(s)) if s == "axfer" => Kind::Axfer,
            Some(other) => {
                return Err(err(format!(
                    "ALGO transaction type {other} is not supported (the original signs pay and axfer transactions only)"
                )))
            }
        };
        let from = address(txn, "from")?;
        let to = address(txn, "to")?;
        let note = match txn.get("note") {
            Some(v) if truthy(Some(v)) => js_bytes(v, "note")?,
            _ => Vec::new(),
        };
        let tag = match txn.get("tag") {
            None => b"TX".to_vec(),
            Some(t) => match t.get("data") {
                Some(data) if truthy(Some(t)) => js_bytes(data, "tag")?,
                _ => return Err(err("tag must be a Buffer")),
            },
        };
        let genesis_hash = txn
            .get("genesisHash")
            .and_then(|g| g.get("data"))
            .ok_or_else(|| err("genesis hash must be specified"))
            .and_then(|d| js_bytes(d, "genesisHash"))?;
        // Fields the KMS clears when set; one present but empty makes algosdk throw.
        for name in [
            "reKeyTo",
            "assetRevocationTarget",
            "assetReserve",
            "assetFreeze",
            "assetClawback",
        ] {
            if txn.contains_key(name) && !truthy(txn.get(name)) {
                return Err(err(format!("{name}: address seems to be malformed")));
            }
        }
        if txn.contains_key("closeRemainderTo") {
            return Err(err(
                "closeRemainderTo: address seems to be malformed (the original cannot sign a close-out)",
            ));
        }
        match txn.get("appArgs") {
            None => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(_) => return Err(err("each element of AppArgs must be a Uint8Array.")),
        }
        let amount = match txn.get("amount") {
            None => 0,
            Some(v) => safe_uint(v).ok_or_else(|| {
                err("Amount must be a positive number and smaller than 2^64-1. If the number is larger than 2^53-1, use bigint.")
            })?,
        };
        let fee = required_uint(
            txn,
            "fee",
            "fee must be a positive number and smaller than 2^53-1",
        )?;
        let first_round = required_uint(txn, "firstRound", "firstRound must be a positive number")?;
        let last_round = required_uint(txn, "lastRound", "lastRound must be a positive number")?;
        let asset_index = match (kind, txn.get("assetIndex")) {
            (Kind::Pay, _) => 0,
            (Kind::Axfer, Some(v)) => safe_uint(v).ok_or_else(|| {
                err("Asset index must be a positive number and smaller than 2^53-1")
            })?,
            (Kind::Axfer, None) => return Err(err("an axfer transaction needs an assetIndex")),
        };
        let genesis_id = match txn.get("genesisID") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(err("genesisID must be a string")),
        };
        let mut t = Txn {
            kind,
            tag,
            from,
            to,
            amount,
            fee,
            first_round,
            last_round,
            note,
            genesis_id,
            genesis_hash,
            asset_index,
        };
        if !truthy(txn.get("flatFee")) {
            let size = t.encode().len() as u64 + ADDITIONAL_BYTES_AFTER_SIGNING;
            let fee = t
                .fee
                .checked_mul(size)
                .filter(|f| *f <= MAX_SAFE_INTEGER)
                .ok_or_else(|| err("fee must be a positive number and smaller than 2^53-1"))?;
            t.fee = fee.max(MIN_TX_FEE);
        }
        Ok(t)
    }

    /// Canonical msgpack of `get_obj_for_encoding()` (keys in byte order).
    fn encode(&self) -> Vec<u8> {
        enum V<'a> {
            U(u64),
            S(&'a str),
            B(&'a [u8]),
        }
        let mut fields: Vec<(&str, V)> = Vec::with_capacity(14);
        let amount_key = match self.kind {
            Kind::Pay => "amt",
            Kind::Axfer => "aamt",
        };
        if self.amount != 0 {
            fields.push((amount_key, V::U(self.amount)));
        }
        if self.kind == Kind::Axfer {
            fields.push(("arcv", V::B(&self.to)));
        }
        if self.fee != 0 {
            fields.push(("fee", V::U(self.fee)));
        }
        if self.first_round != 0 {
            fields.push(("fv", V::U(self.first_round)));
        }
        if !self.genesis_id.is_empty() {
            fields.push(("gen", V::S(&self.genesis_id)));
        }
        fields.push(("gh", V::B(&self.genesis_hash)));
        fields.push(("lv", V::U(self.last_round)));
        if !self.note.is_empty() {
            fields.push(("note", V::B(&self.note)));
        }
        if self.kind == Kind::Pay {
            fields.push(("rcv", V::B(&self.to)));
        }
        fields.push(("snd", V::B(&self.from)));
        fields.push((
            "type",
            V::S(match self.kind {
                Kind::Pay => "pay",
                Kind::Axfer => "axfer",
            }),
        ));
        if self.kind == Kind::Axfer {
            fields.push(("xaid", V::U(self.asset_index)));
        }
        fields.sort_by(|a, b| a.0.cmp(b.0));

        let mut out = Vec::with_capacity(256);
        map_header(&mut out, fields.len());
        for (k, v) in fields {
            str_(&mut out, k);
            match v {
                V::U(u) => uint(&mut out, u),
                V::S(s) => str_(&mut out, s),
                V::B(b) => bin(&mut out, b),
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// msgpack, as @msgpack/msgpack writes it (smallest form).

fn map_header(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x80 | n as u8);
    } else if n < 0x10000 {
        out.push(0xde);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdf);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v < 0x100 {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v < 0x10000 {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v < 0x1_0000_0000 {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn str_(out: &mut Vec<u8>, s: &str) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0xd9, n as u8]);
    } else if n < 0x10000 {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn bin(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if n < 0x100 {
        out.extend_from_slice(&[0xc4, n as u8]);
    } else if n < 0x10000 {
        out.push(0xc5);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier};

    fn seed_key() -> SigningKey {
        let seed: [u8; 32] = core::array::from_fn(|i| i as u8 + 1);
        SigningKey::from_bytes(&seed)
    }

    fn uint8_json(bytes: &[u8]) -> String {
        let parts: Vec<String> = bytes
            .iter()
            .enumerate()
            .map(|(i, b)| format!("\"{i}\":{b}"))
            .collect();
        format!("{{{}}}", parts.join(","))
    }

    /// The pending JSON algosdk would print for the spec's §10.5 payment.
    fn spec_tx(flat_fee: bool) -> String {
        let pk = seed_key().verifying_key().to_bytes();
        let addr = format!("{{\"publicKey\":{},\"checksum\":{{}}}}", uint8_json(&pk));
        let gh = hex::decode("4863b518a4b3c84ec810f22d4f1081cb0f71f059a7ac20dec62f7f70e5093a22")
            .unwrap();
        let gh: Vec<String> = gh.iter().map(u8::to_string).collect();
        format!(
            r#"{{"name":"Transaction","tag":{{"type":"Buffer","data":[84,88]}},"from":{addr},"to":{addr},"amount":123456,"note":{},"type":"pay","flatFee":{flat_fee},"genesisHash":{{"type":"Buffer","data":[{}]}},"fee":1000,"firstRound":1000,"lastRound":2000,"genesisID":"testnet-v1.0","appArgs":[],"lease":{{}}}}"#,
            uint8_json(b"hi"),
            gh.join(",")
        )
    }

    /// Spec §10.5: payment to self, 123456, fee 1000 flat, rounds 1000–2000, note "hi".
    #[test]
    fn spec_vector() {
        let got = sign_json(&spec_tx(true), &seed_key()).unwrap();
        assert_eq!(got, "82a3736967c4406fece2edf2edf2ddf0220636d1f2f73c0bd52cfb5843f4e5a31feb67bfc5ae83ebe12cc3a2083b0c18d29748e77c6a1b94d81d9b59a3eaa1eba26e9a246e910aa374786e8aa3616d74ce0001e240a3666565cd03e8a26676cd03e8a367656eac746573746e65742d76312e30a26768c4204863b518a4b3c84ec810f22d4f1081cb0f71f059a7ac20dec62f7f70e5093a22a26c76cd07d0a46e6f7465c4026869a3726376c42079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664a3736e64c42079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664a474797065a3706179");
    }

    /// The signature verifies over "TX" ‖ the txn bytes inside the output.
    #[test]
    fn signature_verifies_over_the_encoded_txn() {
        let out = hex::decode(sign_json(&spec_tx(true), &seed_key()).unwrap()).unwrap();
        // 82 a3 "sig" c4 40 <64> a3 "txn" <txn>
        assert_eq!(&out[..7], &[0x82, 0xa3, b's', b'i', b'g', 0xc4, 0x40]);
        let sig = Signature::from_slice(&out[7..71]).unwrap();
        assert_eq!(&out[71..75], &[0xa3, b't', b'x', b'n']);
        let mut msg = b"TX".to_vec();
        msg.extend_from_slice(&out[75..]);
        seed_key().verifying_key().verify(&msg, &sig).unwrap();
    }

    /// Without `flatFee` the fee is per byte of the estimated signed size, at least 1000.
    #[test]
    fn fee_per_byte() {
        let t = Txn::from_json(
            serde_json::from_str::<Value>(&spec_tx(false))
                .unwrap()
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let mut flat = Txn::from_json(
            serde_json::from_str::<Value>(&spec_tx(true))
                .unwrap()
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let size = flat.encode().len() as u64 + 75;
        assert_eq!(t.fee, 1000 * size);
        flat.fee = 0;
        // fee 0 per byte → the minimum.
        let zero = spec_tx(false).replace("\"fee\":1000", "\"fee\":0");
        let z = Txn::from_json(
            serde_json::from_str::<Value>(&zero)
                .unwrap()
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(z.fee, 1000);
    }

    #[test]
    fn a_foreign_key_adds_sgnr() {
        let other = SigningKey::from_bytes(&[9u8; 32]);
        let out = sign_json(&spec_tx(true), &other).unwrap();
        assert!(out.starts_with("83a473676e72"), "{}", &out[..20]);
    }

    #[test]
    fn refusals() {
        let k = seed_key();
        let no_to = spec_tx(true).replacen("\"to\":", "\"xx\":", 1);
        assert!(sign_json(&no_to, &k).unwrap_err().0.contains("publicKey"));
        let acfg = spec_tx(true).replace("\"type\":\"pay\"", "\"type\":\"acfg\"");
        assert!(sign_json(&acfg, &k)
            .unwrap_err()
            .0
            .contains("not supported"));
        let big = spec_tx(true).replace("123456", "9007199254740993");
        assert!(sign_json(&big, &k).unwrap_err().0.starts_with("Amount"));
        let bad_note = spec_tx(true).replace("\"0\":104", "\"0\":300");
        assert!(sign_json(&bad_note, &k).is_err());
        assert!(js_bytes(&serde_json::json!({"1": 2}), "x").is_err());
        assert_eq!(
            js_bytes(&serde_json::json!({"1": 2, "0": 1}), "x").unwrap(),
            [1, 2]
        );
    }

    #[test]
    fn msgpack_integer_widths() {
        for (v, want) in [
            (0x7f_u64, "7f"),
            (0x80, "cc80"),
            (0x100, "cd0100"),
            (0x10000, "ce00010000"),
            (0x1_0000_0000, "cf0000000100000000"),
        ] {
            let mut out = Vec::new();
            uint(&mut out, v);
            assert_eq!(hex::encode(out), want);
        }
    }
}
