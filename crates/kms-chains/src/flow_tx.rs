//! Signing FLOW pending transactions as the original does (spec §6.16, quirks Q12, Q17):
//! `@tatumio/tatum` 1.37.56 `flowSignKMSTransaction` (`src/transaction/flow.ts`) with
//! `@onflow/fcl` 1.12.3 (`@onflow/sdk` 1.5.3, `@onflow/transport-http` 1.10.2,
//! `@onflow/types` 1.4.0, `@onflow/util-encode-key` 1.2.3), the versions tatum-kms 8.0.1's
//! lock file installs.
//!
//! The pending `serializedTransaction` is `{"type": <n>, "body": {…}}`; the KMS puts the
//! wallet's key in `body.privateKey`. The SDK builds a Cadence transaction for the type
//! (0 CREATE_ACCOUNT, 1 ADD_PK_TO_ACCOUNT, 2 TRANSFER, 4 MINT_NFT, 5 MINT_MULTIPLE_NFT,
//! 6 BURN_NFT, 7 TRANSFER_NFT; anything else, 3 DEPLOY_NFT and 8 CUSTOM_TX included, is a
//! custom transaction `body.transaction` with `body.args`), and sends it itself:
//!
//! 1. the body is validated as the SDK's class-validator models do (TRANSFER, NFT and custom
//!    types; CREATE_ACCOUNT and ADD_PK are not validated, but their public key is encoded
//!    here, which fails on a bad key). A failure here ends signing with no request;
//! 2. the arguments are cast to JSON-Cadence (`@onflow/types`); from here on every failure
//!    releases the proposal key (step 10) before it is reported;
//! 3. fcl resolves the accounts payer first: `GET /v3/flow/proposal/true` → `{address,
//!    keyId}` (the payer), then `GET /v3/flow/proposal/false` (the proposer: a Tatum key
//!    that is locked until released); the authorizer is `body.account`, key 0, signed here;
//! 4. `GET /v1/blocks?height=final&expand=payload` on the access node: the reference block;
//! 5. `GET /v1/accounts/{proposer}?block_height=sealed&expand=contracts,keys`: the
//!    proposal key's sequence number;
//! 6. the payload is signed by the inside signers (authorizers, then the proposer, without
//!    the payer): the authorizer here, the proposer with `POST /v3/flow/sign
//!    {"data": <payload hex>, "isPayer": false}` → `{signature}`;
//! 7. the envelope is signed by the payer: `POST /v3/flow/sign {"data": <envelope hex>,
//!    "isPayer": true}`;
//! 8. `POST /v1/transactions` → `{id}`;
//! 9. `GET /v1/transaction_results/{id}` at once, then every 2.5 s, until the status is
//!    sealed (or expired); a non-zero `status_code` throws its `error_message`; "not found"
//!    answers are polled again until 12.5 s have passed without any status;
//! 10. the proposal key is released, whatever happened in 9:
//!     `POST /v3/flow/broadcast {"txData": <id>, "proposalKey": <keyId>}`; after a failure
//!     in 2–8 it is `{"txData": "", "proposalKey": <keyId, or 0 if none was fetched>}`.
//!     The answer and any failure of this call are ignored;
//! 11. the KMS then posts `{"txData": <id>, "signatureId": <pending id>}` to
//!     `/v3/flow/broadcast` (the [`Broadcast`] returned here).
//!
//! Access-node requests are retried as the transport does: up to 5 more times, 1 s apart,
//! when the answer is HTTP 408, 429, 500, 502, 503 or 504. The [`Node`] interface reports a
//! failed call as text only, so the status is read from that text (the Flow access API's
//! JSON error body carries it as `code`; the daemon's message for a non-JSON body says
//! "answered HTTP <status>").
//!
//! Waiting: this code never sleeps; it asks [`Node::pause`].

mod encode;
mod templates;

pub use encode::{
    encode_account_key, envelope_message, node_hex, payload_message, sign as sign_message, Payload,
    PayloadSig, TRANSACTION_DOMAIN_TAG,
};

use base64::Engine;
use k256::elliptic_curve::PrimeField;
use k256::{FieldBytes, Scalar};
use kms_core::{Network, PendingTransaction};
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use crate::js::truthy;
use crate::node::{Broadcast, ExternalService, Node, NodeError};
use crate::signing::SignError;
use templates::Addresses;

/// Where the KMS reports the transaction id, and where proposal keys are released.
pub const FLOW_BROADCAST: &str = "/v3/flow/broadcast";
/// Tatum's signer for the proposer and payer keys.
pub const FLOW_SIGN: &str = "/v3/flow/sign";
/// `fcl.limit(9999)`.
pub const COMPUTE_LIMIT: u64 = 9999;
/// fcl's transaction status poll rate.
pub const POLL_MS: u64 = 2500;
/// fcl gives up on a transaction the access node never reports after this long.
pub const NOT_FOUND_TIMEOUT_MS: u64 = 12_500;
/// transport-http retries.
const RETRY_LIMIT: u32 = 5;
const RETRY_MS: u64 = 1000;
const RETRY_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// The transaction types of the SDK's `FlowTxType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowTxType {
    CreateAccount,
    AddPkToAccount,
    Transfer,
    MintNft,
    MintMultipleNft,
    BurnNft,
    TransferNft,
    /// 3 (DEPLOY_NFT), 8 (CUSTOM_TX) and anything else.
    Custom,
}

impl FlowTxType {
    /// The `switch (type)` of `flowSignKMSTransaction` (strict equality with numbers).
    pub fn of(v: Option<&Value>) -> Self {
        let n = v
            .and_then(Value::as_f64)
            .filter(|n| n.fract() == 0.0 && n.abs() < 16.0)
            .map(|n| n as i64);
        match n {
            Some(0) => Self::CreateAccount,
            Some(1) => Self::AddPkToAccount,
            Some(2) => Self::Transfer,
            Some(4) => Self::MintNft,
            Some(5) => Self::MintMultipleNft,
            Some(6) => Self::BurnNft,
            Some(7) => Self::TransferNft,
            _ => Self::Custom,
        }
    }
}

/// What the transaction type makes of the body.
struct Prepared {
    cadence: String,
    /// The JSON-Cadence arguments, or the error fcl throws while casting them (inside
    /// `fcl.send`, so after it the proposal key is released).
    arguments: Result<Vec<Value>, SignError>,
    /// `body.account`: the authorizer.
    account: Option<String>,
}

/// Signs one FLOW pending transaction with `private_key` (the FLOW wallet key, hex, maybe
/// shorter than 64 digits) and returns the broadcast the KMS makes after the SDK has sent
/// and sealed the transaction.
pub fn sign_kms(
    tx: &PendingTransaction,
    private_key: &str,
    network: Network,
    node: &mut dyn Node,
) -> Result<Broadcast, SignError> {
    let testnet = network == Network::Testnet;
    let outer: Map<String, Value> = match serde_json::from_str(&tx.serialized_transaction) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(SignError::new(
                "FLOW serializedTransaction is not a JSON object",
            ))
        }
        Err(e) => {
            return Err(SignError::new(format!(
                "serializedTransaction is not valid JSON: {e}"
            )))
        }
    };
    let Some(Value::Object(body)) = outer.get("body") else {
        return Err(SignError::new(
            "FLOW serializedTransaction has no body object: Cannot set properties of undefined (setting 'privateKey')",
        ));
    };
    let secret = parse_private_key(private_key)?;
    let kind = FlowTxType::of(outer.get("type"));
    let prepared = prepare(kind, body, testnet)?;

    let mut proposal_key: Option<Value> = None;
    let sent = send(node, testnet, &prepared, &secret, &mut proposal_key);
    let tx_id = match sent {
        Ok(id) => id,
        Err(e) => {
            release(node, "", &proposal_key);
            return Err(e);
        }
    };
    let sealed = wait_until_sealed(node, testnet, &tx_id);
    release(node, &tx_id, &proposal_key);
    sealed?;
    Ok(Broadcast::tx_data(FLOW_BROADCAST, tx_id, &tx.id))
}

/// A FLOW private key as the original writes it (Q12): 1 to 64 hex digits, not
/// zero-padded, maybe with `0x`; left-padded to 32 bytes. It must be a valid secp256k1
/// scalar (elliptic would reduce a larger value mod n; such keys are not made by the KMS).
pub fn parse_private_key(text: &str) -> Result<Zeroizing<Scalar>, SignError> {
    let bad = || SignError::new("FLOW private key is not 1 to 64 hex digits of a valid key");
    let bytes = crate::flow::parse_key(text).map_err(|_| bad())?;
    let scalar: Option<Scalar> = Scalar::from_repr(FieldBytes::from(*bytes)).into();
    match scalar {
        Some(s) if !bool::from(s.is_zero()) => Ok(Zeroizing::new(s)),
        _ => Err(bad()),
    }
}

// --- the transaction types ------------------------------------------------------------------

fn prepare(
    kind: FlowTxType,
    body: &Map<String, Value>,
    testnet: bool,
) -> Result<Prepared, SignError> {
    let a = Addresses::of(testnet);
    let render =
        |t: &str, values: &[(&str, &str)]| templates::render(t, values).map_err(SignError::new);
    let nft = [("TatumMultiNFT", a.tatum_multi_nft)];
    let account = body
        .get("account")
        .and_then(Value::as_str)
        .map(str::to_string);
    let prepared = match kind {
        FlowTxType::CreateAccount | FlowTxType::AddPkToAccount => {
            let (template, weight) = if kind == FlowTxType::CreateAccount {
                (
                    render(
                        templates::CREATE_ACCOUNT,
                        &[
                            ("FungibleToken", a.fungible_token),
                            ("FUSD", a.fusd),
                            ("TatumMultiNFT", a.tatum_multi_nft),
                        ],
                    )?,
                    1000,
                )
            } else {
                // `flowAddPublicKeyToAccount` is called without a weight: its default, 0.
                (render(templates::ADD_PUBLIC_KEY, &[])?, 0)
            };
            let key = encode_key(body.get("publicKey"), weight)?;
            Prepared {
                cadence: template,
                arguments: Ok(vec![json!({"type": "String", "value": key})]),
                account,
            }
        }
        FlowTxType::Transfer => {
            validate_account(body)?;
            let to = length_18(body, "to")?;
            let amount = match body.get("amount") {
                Some(Value::String(s)) if is_number_string(s) && is_amount(s) => s.clone(),
                _ => return Err(invalid("amount must be a positive decimal number string")),
            };
            let flow = body.get("currency").and_then(Value::as_str);
            let (address, name, storage) = match flow {
                Some("FLOW") => (a.flow_token, "FlowToken", "flowToken"),
                Some("FUSD") => (a.fusd, "FUSD", "fusd"),
                _ => {
                    return Err(invalid(
                        "currency must be one of the following values: FLOW, FUSD",
                    ))
                }
            };
            let cadence = render(
                templates::TRANSFER,
                &[
                    ("FungibleToken", a.fungible_token),
                    ("tokenName", name),
                    ("tokenAddress", address),
                    ("tokenStorage", storage),
                ],
            )?;
            let fixed = amount
                .parse::<f64>()
                .map_err(|_| invalid("amount must be a positive decimal number string"))?;
            let arguments = (|| {
                Ok(vec![
                    cast("UFix64", &Value::String(to_fixed_8(fixed)))?,
                    cast("Address", &Value::String(to))?,
                ])
            })();
            Prepared {
                cadence,
                arguments,
                account,
            }
        }
        FlowTxType::MintNft => {
            validate_account(body)?;
            let to = length_18(body, "to")?;
            let url = match body.get("url") {
                Some(Value::String(s)) if !s.is_empty() && utf16_len(s) <= 256 => s.clone(),
                _ => {
                    return Err(invalid(
                        "url must be a non-empty string of at most 256 characters",
                    ))
                }
            };
            validate_chain(body)?;
            let token_type = uuid_v4(body, "contractAddress")?;
            Prepared {
                cadence: render(templates::MINT_NFT, &nft)?,
                arguments: (|| {
                    Ok(vec![
                        cast("Address", &Value::String(to))?,
                        cast("String", &Value::String(url))?,
                        cast("String", &Value::String(token_type))?,
                    ])
                })(),
                account,
            }
        }
        FlowTxType::MintMultipleNft => {
            validate_account(body)?;
            let to = non_empty_array(body, "to")?;
            let url = non_empty_array(body, "url")?;
            validate_chain(body)?;
            let token_type = uuid_v4(body, "contractAddress")?;
            Prepared {
                cadence: render(templates::MINT_MULTIPLE_NFT, &nft)?,
                arguments: (|| {
                    Ok(vec![
                        cast_array(Some("Address"), &to)?,
                        cast_array(Some("String"), &url)?,
                        cast("String", &Value::String(token_type))?,
                    ])
                })(),
                account,
            }
        }
        FlowTxType::BurnNft => {
            validate_account(body)?;
            let token_id = number_string(body, "tokenId")?;
            validate_chain(body)?;
            let token_type = uuid_v4(body, "contractAddress")?;
            Prepared {
                cadence: render(templates::BURN_NFT, &nft)?,
                arguments: (|| {
                    Ok(vec![
                        cast_uint64_parse_int(&Value::String(token_id))?,
                        cast("String", &Value::String(token_type))?,
                    ])
                })(),
                account,
            }
        }
        FlowTxType::TransferNft => {
            validate_account(body)?;
            let to = length_18(body, "to")?;
            let token_id = number_string(body, "tokenId")?;
            validate_chain(body)?;
            uuid_v4(body, "contractAddress")?;
            Prepared {
                cadence: render(templates::TRANSFER_NFT, &nft)?,
                arguments: (|| {
                    Ok(vec![
                        cast("Address", &Value::String(to))?,
                        cast_uint64_parse_int(&Value::String(token_id))?,
                    ])
                })(),
                account,
            }
        }
        FlowTxType::Custom => {
            validate_account(body)?;
            let cadence = match body.get("transaction") {
                Some(Value::String(s)) if (1..=500_000).contains(&utf16_len(s)) => s.clone(),
                _ => {
                    return Err(invalid(
                        "transaction must be a string of 1 to 500000 characters",
                    ))
                }
            };
            validate_custom_args(body.get("args"))?;
            let arguments = match body.get("args") {
                Some(Value::Array(list)) => list.iter().map(custom_arg).collect(),
                // `body.args.map` on undefined, inside `fcl.send`'s try.
                _ => Err(SignError::new(
                    "TypeError: Cannot read properties of undefined (reading 'map')",
                )),
            };
            let arguments = arguments.and_then(|args| {
                check_cadence_identifiers(&cadence)?;
                Ok(args)
            });
            Prepared {
                cadence,
                arguments,
                account,
            }
        }
    };
    Ok(prepared)
}

fn invalid(what: &str) -> SignError {
    SignError::new(format!("FLOW transaction body is not valid: {what}"))
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `FlowMnemonicOrPrivateKeyOrSignatureId.account`: `@Length(18, 18)`.
fn validate_account(body: &Map<String, Value>) -> Result<(), SignError> {
    length_18(body, "account").map(|_| ())
}

fn length_18(body: &Map<String, Value>, field: &str) -> Result<String, SignError> {
    match body.get(field) {
        Some(Value::String(s)) if utf16_len(s) == 18 => Ok(s.clone()),
        _ => Err(invalid(&format!(
            "{field} must be a string of 18 characters (0x and 16 hex digits)"
        ))),
    }
}

fn validate_chain(body: &Map<String, Value>) -> Result<(), SignError> {
    match body.get("chain").and_then(Value::as_str) {
        Some("FLOW") => Ok(()),
        _ => Err(invalid("chain must be one of the following values: FLOW")),
    }
}

fn non_empty_array(body: &Map<String, Value>, field: &str) -> Result<Vec<Value>, SignError> {
    match body.get(field) {
        Some(Value::Array(list)) => Ok(list.clone()),
        _ => Err(invalid(&format!("{field} must be an array"))),
    }
}

/// validator.js `isUUID(v, 4)`.
fn uuid_v4(body: &Map<String, Value>, field: &str) -> Result<String, SignError> {
    let bad = || invalid(&format!("{field} must be a UUID v4"));
    let s = body.get(field).and_then(Value::as_str).ok_or_else(bad)?;
    let b = s.as_bytes();
    let ok = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            14 => *c == b'4',
            19 => matches!(c.to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b'),
            _ => c.is_ascii_hexdigit(),
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(bad())
    }
}

/// `@IsNotEmpty() @IsNumberString()`.
fn number_string(body: &Map<String, Value>, field: &str) -> Result<String, SignError> {
    match body.get(field) {
        Some(Value::String(s)) if is_number_string(s) => Ok(s.clone()),
        _ => Err(invalid(&format!("{field} must be a number string"))),
    }
}

/// validator.js `isNumeric`: `^[+-]?([0-9]*[.])?[0-9]+$`.
fn is_number_string(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match t.find('.') {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => ("", t),
    };
    !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// `TransferFlow.amount`: `^[+]?((\d+(\.\d*)?)|(\.\d+))$`.
fn is_amount(s: &str) -> bool {
    let t = s.strip_prefix('+').unwrap_or(s);
    let (int, frac) = match t.find('.') {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => digits(int) && digits(f) && (!int.is_empty() || !f.is_empty()),
    }
}

/// The types `FlowArgs` accepts (`TransferFlowCustomTx.ts`).
const ARG_TYPES: [&str; 33] = [
    "Identity",
    "UInt",
    "Int",
    "UInt8",
    "Int8",
    "UInt16",
    "Int16",
    "UInt32",
    "Int32",
    "UInt64",
    "Int64",
    "UInt128",
    "Int128",
    "UInt256",
    "Int256",
    "Word8",
    "Word16",
    "Word32",
    "Word64",
    "UFix64",
    "Fix64",
    "String",
    "Character",
    "Bool",
    "Address",
    "Void",
    "Optional",
    "Reference",
    "Array",
    "Dictionary",
    "Event",
    "Resource",
    "Struct",
];

fn validate_custom_args(args: Option<&Value>) -> Result<(), SignError> {
    let Some(Value::Array(list)) = args else {
        return Ok(());
    };
    for (i, arg) in list.iter().enumerate() {
        let empty = |v: Option<&Value>| {
            matches!(v, None | Some(Value::Null)) || v == Some(&Value::String(String::new()))
        };
        if empty(arg.get("value")) {
            return Err(invalid(&format!("args.{i}.value should not be empty")));
        }
        match arg.get("type").and_then(Value::as_str) {
            Some(t) if ARG_TYPES.contains(&t) => {}
            _ => return Err(invalid(&format!("args.{i}.type is not a supported type"))),
        }
        match arg.get("subType") {
            None | Some(Value::Null) => {}
            Some(Value::String(t)) if ARG_TYPES.contains(&t.as_str()) => {}
            _ => {
                return Err(invalid(&format!(
                    "args.{i}.subType is not a supported type"
                )))
            }
        }
    }
    Ok(())
}

/// One custom argument as `sendTransaction` maps it: `UInt64` values go through
/// `parseInt`, `Array` uses `types.Array(types[subType])`, anything else `types[type]`.
fn custom_arg(arg: &Value) -> Result<Value, SignError> {
    let ty = arg.get("type").and_then(Value::as_str).unwrap_or("");
    let value = arg.get("value").unwrap_or(&Value::Null);
    match ty {
        "UInt64" => cast_uint64_parse_int(value),
        "Array" => {
            let sub = arg.get("subType").and_then(Value::as_str);
            match value {
                Value::Array(items) => cast_array(sub, items),
                _ => Err(SignError::new("TypeError: v.map is not a function")),
            }
        }
        other => cast(other, value),
    }
}

/// `types.Array(types[sub])`: without a subtype, `@onflow/types` maps over an empty list of
/// children, so the value is `[]`.
fn cast_array(sub: Option<&str>, items: &[Value]) -> Result<Value, SignError> {
    let value = match sub {
        None => Vec::new(),
        Some(sub) => items
            .iter()
            .map(|x| cast(sub, x))
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(json!({"type": "Array", "value": value}))
}

fn type_error(msg: &str) -> SignError {
    SignError::new(format!("Type Error: {msg}"))
}

/// `asArgument` of the `@onflow/types` 1.4.0 descriptor `ty`.
fn cast(ty: &str, v: &Value) -> Result<Value, SignError> {
    let integer_types = [
        ("UInt", "Expected Positive Integer for type Unsigned Int"),
        ("Int", "Expected Integer for type Int"),
        ("UInt8", "Expected integer for UInt8"),
        ("Int8", "Expected positive integer for Int8"),
        ("UInt16", "Expected integer for UInt16"),
        ("Int16", "Expected positive integer for Int16"),
        ("UInt32", "Expected integer for UInt32"),
        ("Int32", "Expected positive integer for Int32"),
        ("UInt64", "Expected integer for UInt64"),
        ("Int64", "Expected positive integer for Int64"),
        ("UInt128", "Expected integer for UInt128"),
        ("Int128", "Expected positive integer for Int128"),
        ("UInt256", "Expected integer for UInt256"),
        ("Int256", "Expected integer for Int256"),
        ("Word8", "Expected positive number for Word8"),
        ("Word16", "Expected positive number for Word16"),
        ("Word32", "Expected positive number for Word32"),
        ("Word64", "Expected positive number for Word64"),
    ];
    if let Some((_, msg)) = integer_types.iter().find(|(t, _)| *t == ty) {
        return match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                Ok(json!({"type": ty, "value": n.to_string()}))
            }
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                Ok(json!({"type": ty, "value": js_number_string(n.as_f64().unwrap_or(0.0))}))
            }
            Value::String(s) => Ok(json!({"type": ty, "value": s})),
            _ => Err(type_error(msg)),
        };
    }
    match ty {
        "UFix64" | "Fix64" => match v {
            Value::String(s) => {
                let parts: Vec<&str> = s.split('.').collect();
                if parts.len() != 2 {
                    return Err(type_error(&format!("Expected one decimal but found {} in the [U]Fix64 value. Find out more about [U]Fix64 types here: https://docs.onflow.org/cadence/json-cadence-spec/#fixed-point-numbers", parts.len())));
                }
                let frac_len = utf16_len(parts[1]);
                if frac_len == 0 || frac_len > 8 {
                    return Err(type_error(&format!("Expected at least one digit, and at most 8 digits following the decimal of the [U]Fix64 value but found {frac_len} digits. Find out more about [U]Fix64 types here: https://docs.onflow.org/cadence/json-cadence-spec/#fixed-point-numbers")));
                }
                let value = format!("{}.{:0<8}", parts[0], parts[1]);
                Ok(json!({"type": ty, "value": value}))
            }
            Value::Number(n) => Ok(
                json!({"type": ty, "value": js_number_string(n.as_f64().unwrap_or(0.0))}),
            ),
            _ => Err(type_error(&format!("Expected String for {ty}"))),
        },
        "String" | "Character" | "Address" => match v {
            Value::String(s) => Ok(json!({"type": ty, "value": s})),
            _ => Err(type_error(&format!(
                "Expected {} for type {ty}",
                if ty == "String" { "String" } else { ty }
            ))),
        },
        "Bool" => match v {
            Value::Bool(b) => Ok(json!({"type": "Bool", "value": b})),
            _ => Err(type_error("Expected Boolean for type Bool")),
        },
        "Void" => match v {
            Value::Null | Value::Bool(false) => Ok(json!({"type": "Void", "value": null})),
            Value::String(s) if s.is_empty() => Ok(json!({"type": "Void", "value": null})),
            Value::Number(n) if n.as_f64() == Some(0.0) => {
                Ok(json!({"type": "Void", "value": null}))
            }
            _ => Err(type_error("Expected Void for type Void")),
        },
        "Reference" => match v {
            Value::Object(_) | Value::Array(_) | Value::Null => {
                Ok(json!({"type": "Reference", "value": v}))
            }
            _ => Err(type_error("Expected Object for type Reference")),
        },
        // Identity passes the raw value as the argument; Optional, Dictionary, Event,
        // Resource and Struct are type constructors the SDK passes where a type is
        // expected, so the original sends something the node cannot read.
        other => Err(SignError::new(format!(
            "FLOW argument type {other} is not supported (the original cannot encode it as a JSON-Cadence value)"
        ))),
    }
}

/// `types.UInt64.asArgument(parseInt(value))`.
fn cast_uint64_parse_int(v: &Value) -> Result<Value, SignError> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => other.to_string(),
    };
    match js_parse_int(&text) {
        Some(n) => Ok(json!({"type": "UInt64", "value": js_number_string(n)})),
        None => Err(type_error("Expected integer for UInt64")),
    }
}

/// JavaScript `parseInt(text)` (radix 10, or 16 after `0x`); `None` for NaN.
fn js_parse_int(text: &str) -> Option<f64> {
    let t = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, t) = match t.get(..2) {
        Some("0x") | Some("0X") => (16, &t[2..]),
        _ => (10, t),
    };
    let digits: String = t.chars().take_while(|c| c.is_digit(radix)).collect();
    if digits.is_empty() {
        return None;
    }
    let value = if radix == 10 {
        digits.parse::<f64>().ok()?
    } else {
        digits.chars().fold(0f64, |acc, c| {
            acc * 16.0 + f64::from(c.to_digit(16).unwrap_or(0))
        })
    };
    Some(if negative { -value } else { value })
}

/// JavaScript `String(number)` for the numbers met here.
fn js_number_string(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    if n.abs() >= 1e21 {
        return format!("{n:e}").replacen('e', "e+", 1).replace("e+-", "e-");
    }
    format!("{n}")
}

/// `Number.prototype.toFixed(8)` of a non-negative double: the integer n nearest to
/// x·10⁸ (the larger one on a tie), written with 8 decimals; `String(x)` from 1e21 on.
pub fn to_fixed_8(x: f64) -> String {
    if !x.is_finite() || x >= 1e21 {
        return js_number_string(x);
    }
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), exponent - 1075)
    };
    let scaled = u128::from(mantissa) * 100_000_000u128;
    let n: u128 = if exp >= 0 {
        scaled << exp
    } else {
        let shift = exp.unsigned_abs();
        if shift >= 128 {
            0
        } else {
            let q = scaled >> shift;
            let rem = scaled & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            if rem >= half {
                q + 1
            } else {
                q
            }
        }
    };
    format!("{}.{:08}", n / 100_000_000, n % 100_000_000)
}

/// `@onflow/util-encode-key` `encodeKey(publicKey, ECDSA_secp256k1, SHA3_256, weight)`.
fn encode_key(public_key: Option<&Value>, weight: u64) -> Result<String, SignError> {
    let key = match public_key {
        Some(Value::String(s)) => s,
        _ => {
            return Err(SignError::new(
                "encodeKey(key, curve, hash, weight) -- invalid key (expecting type of string)",
            ))
        }
    };
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        return Err(SignError::new(
            "encodeKey(key, curve, hash, weight) -- invalid key (incorrect format)",
        ));
    }
    Ok(encode_account_key(&node_hex(key), weight))
}

/// fcl's `resolveCadence` refuses a script that uses both `0x…` account identifiers and
/// `import "Name"` contract identifiers.
fn check_cadence_identifiers(cadence: &str) -> Result<(), SignError> {
    let old = cadence.match_indices("0x").any(|(i, _)| {
        let before_ok = i == 0
            || !cadence[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &cadence[i + 2..];
        before_ok
            && after
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
    });
    let new = cadence.match_indices("import").any(|(i, _)| {
        let rest = &cadence[i + 6..];
        let trimmed = rest.trim_start();
        trimmed.len() < rest.len()
            && trimmed.starts_with('"')
            && trimmed[1..].find('"').is_some_and(|end| {
                end > 0
                    && trimmed[1..1 + end]
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_')
            })
    });
    if old && new {
        return Err(SignError::new(
            "INVARIANT Both account identifier and contract identifier syntax not simultaneously supported.",
        ));
    }
    Ok(())
}

// --- fcl.send ----------------------------------------------------------------------------

/// Who signs for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signer {
    /// Tatum's `/v3/flow/sign` with this `isPayer`.
    Tatum { is_payer: bool },
    /// The wallet key (the authorizer).
    Local,
}

#[derive(Debug, Clone)]
struct Account {
    /// The address without `0x` as the signer function gave it.
    addr: String,
    /// The key index as the signer function gave it.
    key_id: Value,
    payer: bool,
    proposer: bool,
    authorizer: bool,
    signer: Signer,
    signature: Option<String>,
}

impl Account {
    /// fcl's account id, `withPrefix(addr)-keyId`.
    fn temp_id(&self) -> String {
        format!("0x{}-{}", self.addr, js_string(&self.key_id))
    }
}

fn js_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !(n.is_i64() || n.is_u64()) => js_number_string(f),
            _ => n.to_string(),
        },
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// `@onflow/util-address` `sansPrefix`: drops a leading `0x`, then a leading `Fx`.
fn sans_prefix(address: &str) -> &str {
    let a = address.strip_prefix("0x").unwrap_or(address);
    a.strip_prefix("Fx").unwrap_or(a)
}

/// 8 bytes, left-padded (`Buffer.from(addr.padStart(16, "0"), "hex")`).
fn address_bytes(addr: &str) -> Result<[u8; 8], SignError> {
    let bad = || SignError::new(format!("FLOW address {addr} is not up to 16 hex digits"));
    if addr.len() > 16 || !addr.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut out = [0u8; 8];
    hex::decode_to_slice(format!("{addr:0>16}"), &mut out).map_err(|_| bad())?;
    Ok(out)
}

/// Adds an account as fcl's `addAccountToIx` does: one entry per `0xaddr-keyId`, roles
/// merged into the first entry (whose signer is kept).
fn add_account(accounts: &mut Vec<Account>, new: Account) -> usize {
    let id = new.temp_id();
    if let Some(i) = accounts.iter().position(|a| a.temp_id() == id) {
        let a = &mut accounts[i];
        a.payer |= new.payer;
        a.proposer |= new.proposer;
        a.authorizer |= new.authorizer;
        i
    } else {
        accounts.push(new);
        accounts.len() - 1
    }
}

/// `GET /v3/flow/proposal/{isPayer}` → `{address, keyId}`.
fn tatum_key(node: &mut dyn Node, is_payer: bool) -> Result<(String, Value), SignError> {
    let answer = node.get(&format!("/v3/flow/proposal/{is_payer}"))?;
    let address = answer
        .get("address")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            SignError::new(format!("FLOW proposal key answer has no address: {answer}"))
        })?;
    let key_id = answer.get("keyId").cloned().unwrap_or(Value::Null);
    Ok((sans_prefix(address).to_string(), key_id))
}

fn key_index(v: &Value, what: &str) -> Result<u64, SignError> {
    v.as_u64().ok_or_else(|| {
        SignError::new(format!(
            "Invalid field {what}: FLOW key index {v} is not a number"
        ))
    })
}

/// `fcl.send([...])`: resolves the accounts, reference block and sequence number, collects
/// the signatures and sends the transaction; returns its id.
fn send(
    node: &mut dyn Node,
    testnet: bool,
    prepared: &Prepared,
    secret: &Scalar,
    proposal_key: &mut Option<Value>,
) -> Result<String, SignError> {
    let arguments = prepared.arguments.clone()?;
    let account = prepared
        .account
        .clone()
        .ok_or_else(|| SignError::new("FLOW body.account is not an address string"))?;
    let service = ExternalService::FlowAccessNode { testnet };

    // Accounts, resolved payer, proposer, authorizer.
    let mut accounts: Vec<Account> = Vec::new();
    let (addr, key_id) = tatum_key(node, true)?;
    let payer = add_account(
        &mut accounts,
        Account {
            addr,
            key_id,
            payer: true,
            proposer: false,
            authorizer: false,
            signer: Signer::Tatum { is_payer: true },
            signature: None,
        },
    );
    let (addr, key_id) = tatum_key(node, false)?;
    *proposal_key = Some(key_id.clone());
    let proposer = add_account(
        &mut accounts,
        Account {
            addr,
            key_id,
            payer: false,
            proposer: true,
            authorizer: false,
            signer: Signer::Tatum { is_payer: false },
            signature: None,
        },
    );
    let authorizer = add_account(
        &mut accounts,
        Account {
            addr: sans_prefix(&account).to_string(),
            key_id: json!(0),
            payer: false,
            proposer: false,
            authorizer: true,
            signer: Signer::Local,
            signature: None,
        },
    );

    // Reference block.
    let blocks = access_get(node, service, "/v1/blocks?height=final&expand=payload")?;
    let ref_block = blocks
        .pointer("/0/header/id")
        .and_then(Value::as_str)
        .ok_or_else(|| SignError::new(format!("FLOW access node: no block in {blocks}")))?
        .to_string();

    // Sequence number of the proposal key.
    let proposer_addr = accounts[proposer].addr.clone();
    let proposer_key = key_index(&accounts[proposer].key_id, "proposalKey.keyId")?;
    let acct = access_get(
        node,
        service,
        &format!("/v1/accounts/{proposer_addr}?block_height=sealed&expand=contracts,keys"),
    )?;
    let sequence_number = acct
        .get("keys")
        .and_then(Value::as_array)
        .and_then(|keys| {
            keys.iter().find(|k| {
                k.get("index")
                    .map(js_string)
                    .and_then(|s| s.parse::<f64>().ok())
                    == Some(proposer_key as f64)
            })
        })
        .and_then(|k| k.get("sequence_number"))
        .map(js_string)
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| {
            SignError::new(format!(
                "TypeError: Cannot read properties of undefined (reading 'sequenceNumber'): key {proposer_key} of FLOW account {proposer_addr} not found"
            ))
        })?;

    // The payload.
    let argument_texts: Vec<String> = arguments
        .iter()
        .map(|a| serde_json::to_string(a).map_err(|e| SignError::new(e.to_string())))
        .collect::<Result<_, _>>()?;
    let mut reference_block = [0u8; 32];
    let block_bytes = node_hex(&format!("{ref_block:0>64}"));
    if block_bytes.len() != 32 {
        return Err(SignError::new(format!(
            "FLOW reference block id {ref_block} is not 32 bytes of hex"
        )));
    }
    reference_block.copy_from_slice(&block_bytes);
    let payer_addr = accounts[payer].addr.clone();
    let mut authorizer_addrs: Vec<String> = Vec::new();
    if !authorizer_addrs.contains(&accounts[authorizer].addr) {
        authorizer_addrs.push(accounts[authorizer].addr.clone());
    }
    let payload = Payload {
        script: prepared.cadence.as_bytes().to_vec(),
        arguments: argument_texts
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect(),
        reference_block,
        compute_limit: COMPUTE_LIMIT,
        proposer: address_bytes(&proposer_addr)?,
        proposer_key,
        sequence_number,
        payer: address_bytes(&payer_addr)?,
        authorizers: authorizer_addrs
            .iter()
            .map(|a| address_bytes(a))
            .collect::<Result<_, _>>()?,
    };

    // Inside signers: authorizers, then the proposer, without the payer.
    let mut inside: Vec<usize> = Vec::new();
    for i in [authorizer, proposer] {
        if i != payer && !inside.contains(&i) {
            inside.push(i);
        }
    }
    let message = hex::encode(payload_message(&payload));
    for &i in &inside {
        let signature = signature_of(node, &accounts[i], &message, secret)?;
        accounts[i].signature = Some(signature);
    }
    let payload_sigs = inside
        .iter()
        .map(|&i| {
            let a = &accounts[i];
            Ok(PayloadSig {
                address: address_bytes(&a.addr)?,
                key: match &a.key_id {
                    Value::Number(_) => key_index(&a.key_id, "payloadSigs.keyId")?,
                    Value::Null => 0,
                    other => key_index(other, "payloadSigs.keyId")?,
                },
                sig: node_hex(a.signature.as_deref().unwrap_or("")),
            })
        })
        .collect::<Result<Vec<_>, SignError>>()?;
    let envelope = hex::encode(envelope_message(&payload, &payload_sigs));
    if accounts[payer].signature.is_none() {
        let signature = signature_of(node, &accounts[payer], &envelope, secret)?;
        accounts[payer].signature = Some(signature);
    }

    // POST /v1/transactions.
    let b64 = |sig: &str| base64::engine::general_purpose::STANDARD.encode(node_hex(sig));
    let mut payload_signatures: Vec<Value> = Vec::new();
    let mut envelope_signatures: Vec<Value> = Vec::new();
    for a in &accounts {
        let Some(sig) = &a.signature else { continue };
        let entry = json!({
            "address": a.addr,
            "key_index": js_string(&a.key_id),
            "signature": b64(sig),
        });
        let list = if a.payer {
            &mut envelope_signatures
        } else {
            &mut payload_signatures
        };
        if !list.contains(&entry) {
            list.push(entry);
        }
    }
    let body = json!({
        "script": base64::engine::general_purpose::STANDARD.encode(prepared.cadence.as_bytes()),
        "arguments": argument_texts
            .iter()
            .map(|a| base64::engine::general_purpose::STANDARD.encode(a.as_bytes()))
            .collect::<Vec<_>>(),
        "reference_block_id": ref_block,
        "gas_limit": COMPUTE_LIMIT.to_string(),
        "payer": payer_addr,
        "proposal_key": {
            "address": proposer_addr,
            "key_index": js_string(&accounts[proposer].key_id),
            "sequence_number": sequence_number.to_string(),
        },
        "authorizers": authorizer_addrs,
        "payload_signatures": payload_signatures,
        "envelope_signatures": envelope_signatures,
    });
    let answer = access_post(node, service, "/v1/transactions", &body)?;
    match answer.get("id") {
        Some(Value::String(id)) => Ok(id.clone()),
        _ => Err(SignError::new(format!(
            "FLOW access node: the transaction answer has no id: {answer}"
        ))),
    }
}

/// The signature of `message` (hex) by an account's signer.
fn signature_of(
    node: &mut dyn Node,
    account: &Account,
    message: &str,
    secret: &Scalar,
) -> Result<String, SignError> {
    match account.signer {
        Signer::Local => {
            let bytes = hex::decode(message).map_err(|e| SignError::new(e.to_string()))?;
            let sig = encode::sign(secret, &bytes).map_err(SignError::new)?;
            Ok(hex::encode(sig))
        }
        Signer::Tatum { is_payer } => {
            let answer = node.post(FLOW_SIGN, &json!({"data": message, "isPayer": is_payer}))?;
            match answer.get("signature") {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(SignError::new(format!(
                    "FLOW sign: the answer has no signature: {answer}"
                ))),
            }
        }
    }
}

/// `fcl.tx(response).onceSealed()`.
fn wait_until_sealed(node: &mut dyn Node, testnet: bool, tx_id: &str) -> Result<(), SignError> {
    if tx_id.len() != 64 || !tx_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignError::after_submit("Invalid transactionId"));
    }
    let service = ExternalService::FlowAccessNode { testnet };
    let path = format!("/v1/transaction_results/{tx_id}");
    let mut waited: u64 = 0;
    let mut seen = false;
    loop {
        match access_get(node, service, &path) {
            Ok(result) => {
                seen = true;
                let code = result.get("status_code");
                if code.is_some_and(|v| truthy(Some(v))) {
                    let message = result
                        .get("error_message")
                        .map(js_string)
                        .unwrap_or_else(|| "undefined".into());
                    return Err(SignError::new(message));
                }
                let status = result
                    .get("status")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_uppercase);
                if matches!(status.as_deref(), Some("SEALED") | Some("EXPIRED")) {
                    return Ok(());
                }
            }
            Err(e) if status_of(&e.0) == Some(404) => {}
            // Sent, but its result is unknown: never sign it again on our own.
            Err(e) => return Err(e.submitted()),
        }
        if !seen && waited + POLL_MS >= NOT_FOUND_TIMEOUT_MS {
            return Err(SignError::after_submit(format!(
                "TX status polling failed: no transaction was found within timeout interval ({NOT_FOUND_TIMEOUT_MS}ms)"
            )));
        }
        node.pause(POLL_MS);
        waited += POLL_MS;
    }
}

/// The release of the proposal key: `{txData, proposalKey}`; failures are ignored.
fn release(node: &mut dyn Node, tx_id: &str, proposal_key: &Option<Value>) {
    // `parseInt(process.env[keyHash] || '0')`.
    let key = match proposal_key {
        None => json!(0),
        Some(v) => match js_parse_int(&js_string(v)) {
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => json!(n as i64),
            Some(n) => json!(n),
            None => Value::Null,
        },
    };
    let _ = node.post(
        FLOW_BROADCAST,
        &json!({"txData": tx_id, "proposalKey": key}),
    );
}

/// The HTTP status in a failed call's message, if it names one (see the module notes).
fn status_of(message: &str) -> Option<u16> {
    if let Ok(Value::Object(body)) = serde_json::from_str::<Value>(message) {
        if let Some(code) = body.get("code").and_then(Value::as_u64) {
            return u16::try_from(code).ok();
        }
    }
    let (_, rest) = message.split_once("answered HTTP ")?;
    rest.get(..3)?.parse().ok()
}

fn access_get(
    node: &mut dyn Node,
    service: ExternalService,
    path: &str,
) -> Result<Value, SignError> {
    access(node, |n| n.get_external(service, path))
}

fn access_post(
    node: &mut dyn Node,
    service: ExternalService,
    path: &str,
    body: &Value,
) -> Result<Value, SignError> {
    access(node, |n| n.post_external(service, path, body))
}

/// transport-http's retry loop around one access-node request.
fn access(
    node: &mut dyn Node,
    mut call: impl FnMut(&mut dyn Node) -> Result<Value, NodeError>,
) -> Result<Value, SignError> {
    let mut attempt = 0;
    loop {
        match call(node) {
            Ok(v) => return Ok(v),
            Err(e) => {
                let retry = status_of(&e.0).is_some_and(|s| RETRY_STATUSES.contains(&s));
                if retry && attempt < RETRY_LIMIT {
                    attempt += 1;
                    node.pause(RETRY_MS);
                    continue;
                }
                return Err(e.into());
            }
        }
    }
}

#[cfg(test)]
mod tests;
