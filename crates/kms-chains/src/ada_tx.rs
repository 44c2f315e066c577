//! Signing Cardano (ADA) pending transactions as the original does (spec §6.10): KMS 8.0.1
//! calls `@tatumio/cardano` 2.2.88 (SDK v2, not v1) `kms.sign`, i.e. `signKmsTransaction`
//! of `cardano.sdk.tx.ts`, which builds the transaction through Tatum's Cardano Rosetta
//! gateway and signs only the payloads Rosetta hands back.
//!
//! The pending `serializedTransaction` is a JSON array of Rosetta operations. With the
//! daemon's network (`cardano-mainnet` / `cardano-preprod`, Rosetta network `mainnet` /
//! `preprod`), every call a `POST {BASE}/v3/blockchain/node/{network}/{apiKey}/construction/…`
//! (api-client `NodeRpcService.nodeJsonPostRpcDriver`, which also sends `x-api-key`):
//! 1. for each private key, in order and duplicates included: `derive` with
//!    `{network_identifier, public_key: {hex_bytes, curve_type: "edwards25519"},
//!    metadata: {}}`; `account_identifier.address` of the answer maps to that key (a later
//!    key with the same address wins, as the JavaScript object assignment does);
//! 2. `preprocess` with `{network_identifier, operations, metadata: {relative_ttl: 1000}}`;
//! 3. `metadata` with `{network_identifier, ...preprocessAnswer}`;
//! 4. `payloads` with `{network_identifier, operations, ...metadataAnswer}`, giving
//!    `{unsigned_transaction, payloads}`;
//! 5. for each payload, in order, the key of its `account_identifier.address` signs the
//!    payload's `hex_bytes` (Ed25519 with the 64-byte extended key `kL ‖ kR`: `kL` is the
//!    scalar, `kR` the nonce prefix; CML `PrivateKey.from_extended_bytes(..).sign`), giving
//!    `{signing_payload: <the payload as received>, public_key: {hex_bytes, curve_type:
//!    "edwards25519"}, signature_type: "ed25519", hex_bytes: <signature>}`;
//! 6. `combine` with `{network_identifier, unsigned_transaction, signatures}`; its
//!    `signed_transaction` is the `txData`.
//!
//! The KMS then posts `{txData, signatureId}` to `/v3/ada/broadcast`, or for an off-chain
//! withdrawal (`withdrawalId` set) `{currency: "ADA", signatureId, withdrawalId, txData}` to
//! `/v3/offchain/withdrawal/broadcast`.
//!
//! Keys (`src/signatures.ts`): normally `wallets.map(w => w.privateKey)`: every wallet of
//! `hashes` and `signatures`, in order, not deduplicated. Off-chain: only `signatures`, each a
//! mnemonic wallet derived at its `index` with the v2 cardano derivation
//! (`m/1852'/1815'/0'/0/index`). The original reads only the 128-hex `kL ‖ kR` form (v2
//! `getRawPrivateKey`); we also read the 256-hex v1 form `kL ‖ kR ‖ A ‖ cc` (what `ada.rs`
//! derives and the v1 CLI stored) by its first 64 bytes.
//!
//! Bodies keep the answers' key order (JavaScript object spread) and are written as
//! `JSON.stringify` writes them; a number JavaScript cannot hold exactly is refused rather
//! than sent altered. Where the original would fail with a `TypeError` (a wallet without a
//! key, a payload for an address no key derives to, an answer without the expected field),
//! this fails with a message that says what is missing; nothing is broadcast.

use ed25519_bip32::{XPrv, XPRV_SIZE};
use kms_core::{Network, PendingTransaction};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::ada;
use crate::node::{Broadcast, Node};
use crate::signing::{SignError, TxWallet};

/// Where the KMS broadcasts a signed ADA transaction (v2 `CardanoService.adaBroadcast`).
pub const ADA_BROADCAST: &str = "/v3/ada/broadcast";
/// `relative_ttl` the SDK asks `construction/preprocess` for.
const RELATIVE_TTL: u64 = 1000;
/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn err(message: impl Into<String>) -> SignError {
    SignError::new(message)
}

/// The Tatum node gateway's chain name for the daemon's network.
fn gateway_chain(network: Network) -> &'static str {
    if network.is_testnet() {
        "cardano-preprod"
    } else {
        "cardano-mainnet"
    }
}

/// `POST` path of a Rosetta construction call (`{apiKey}` is filled by the daemon).
pub fn rosetta_path(network: Network, call: &str) -> String {
    format!(
        "/v3/blockchain/node/{}/{{apiKey}}/construction/{call}",
        gateway_chain(network)
    )
}

/// `cardanoUtils.networkIdentifier(testnet).network_identifier`.
fn network_identifier(network: Network) -> Value {
    let mut id = Map::new();
    id.insert("blockchain".into(), Value::String("cardano".into()));
    id.insert(
        "network".into(),
        Value::String(
            if network.is_testnet() {
                "preprod"
            } else {
                "mainnet"
            }
            .into(),
        ),
    );
    Value::Object(id)
}

/// One signing key: the extended secret `kL ‖ kR` (zeroized on drop by `XPrv`) and its
/// Ed25519 public key.
pub struct AdaKey {
    xprv: XPrv,
    public: [u8; 32],
}

impl AdaKey {
    /// Reads a stored or derived ADA private key: 128 hex digits (`kL ‖ kR`, SDK v2) or 256
    /// (`kL ‖ kR ‖ public key ‖ chain code`, SDK v1; only the first 64 bytes are used).
    pub fn parse(private_key: &str) -> Result<Self, SignError> {
        let text = private_key.trim().as_bytes();
        if text.len() != 128 && text.len() != 256 {
            return Err(err(format!(
                "invalid private key for ADA: expected 128 (kL‖kR) or 256 (kL‖kR‖A‖cc) hex digits, got {}",
                text.len()
            )));
        }
        let mut decoded = Zeroizing::new([0u8; 128]);
        hex::decode_to_slice(text, &mut decoded[..text.len() / 2])
            .map_err(|_| err("invalid private key for ADA: not hex"))?;
        // The chain code plays no part in signing; zeros stand in for it.
        let mut extended = Zeroizing::new([0u8; XPRV_SIZE]);
        extended[..64].copy_from_slice(&decoded[..64]);
        let xprv = XPrv::from_bytes_verified(*extended).map_err(|_| {
            err("invalid private key for ADA: not a clamped Ed25519 extended secret key")
        })?;
        let public = xprv.public().public_key();
        Ok(Self { xprv, public })
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// Ed25519 signature of `message` with the extended key (nonce from `kR`).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        *self.xprv.sign::<Vec<u8>>(message).to_bytes()
    }
}

/// Signs one ADA pending transaction and returns the broadcast the original makes.
pub fn sign_kms(
    tx: &PendingTransaction,
    wallets: &[TxWallet<'_>],
    network: Network,
    node: &mut dyn Node,
) -> Result<Broadcast, SignError> {
    // `if (blockchainSignature.withdrawalId)`: an empty id is the normal flow.
    let withdrawal = tx.withdrawal_id.as_deref().filter(|w| !w.is_empty());
    let keys = match withdrawal {
        Some(wid) => offchain_keys(tx, wallets, wid)?,
        None => wallet_keys(tx, wallets)?,
    };
    let operations = parse_operations(&tx.serialized_transaction)?;
    let signed = sign_operations(&keys, operations, network, node)?;
    Ok(match withdrawal {
        Some(wid) => Broadcast::offchain("ADA", &tx.id, wid, signed),
        None => Broadcast::tx_data(ADA_BROADCAST, signed, &tx.id),
    })
}

/// `wallets.map(w => w.privateKey)`: every wallet's key, in order.
fn wallet_keys(
    tx: &PendingTransaction,
    wallets: &[TxWallet<'_>],
) -> Result<Vec<AdaKey>, SignError> {
    if wallets.is_empty() {
        return Err(err(format!(
            "ADA transaction {}: none of its wallets ({}) is in the wallet store",
            tx.id,
            wallet_ids(tx)
        )));
    }
    wallets
        .iter()
        .map(|w| {
            let key = w.private_key().ok_or_else(|| {
                err(format!(
                    "Wallet {} has no private key: ADA transactions are signed with the private key of every wallet in hashes and signatures; name a mnemonic wallet in signatures with an index",
                    w.id
                ))
            })?;
            AdaKey::parse(key).map_err(|e| err(format!("wallet {}: {e}", w.id)))
        })
        .collect()
}

/// Off-chain: for each `signatures[]` element, its mnemonic wallet's key at its index (the
/// original loads the wallet again and derives with the v2 cardano SDK whatever the
/// entry's chain; `hashes` play no part).
fn offchain_keys(
    tx: &PendingTransaction,
    wallets: &[TxWallet<'_>],
    withdrawal_id: &str,
) -> Result<Vec<AdaKey>, SignError> {
    let signatures = tx.signatures.as_deref().unwrap_or_default();
    if signatures.is_empty() {
        return Err(err(format!(
            "off-chain ADA withdrawal {withdrawal_id}: the transaction names no wallets in signatures to derive the keys from"
        )));
    }
    signatures
        .iter()
        .map(|s| {
            let index = s.index.ok_or_else(|| {
                err(format!(
                    "off-chain ADA withdrawal {withdrawal_id}: signature {} has no index",
                    s.id
                ))
            })?;
            let entry = wallets
                .iter()
                .find(|w| w.id == s.id)
                .map(|w| w.entry)
                .ok_or_else(|| {
                    err(format!(
                        "off-chain ADA withdrawal {withdrawal_id}: wallet {} is not in the wallet store",
                        s.id
                    ))
                })?;
            let mnemonic = entry.mnemonic().ok_or_else(|| {
                err(format!(
                    "off-chain ADA withdrawal {withdrawal_id}: wallet {} has no mnemonic to derive index {index} from",
                    s.id
                ))
            })?;
            let key = ada::private_key(mnemonic, index)?;
            AdaKey::parse(&key)
        })
        .collect()
}

fn wallet_ids(tx: &PendingTransaction) -> String {
    tx.hashes
        .iter()
        .cloned()
        .chain(tx.signatures.iter().flatten().map(|s| s.id.clone()))
        .collect::<Vec<_>>()
        .join(",")
}

/// `JSON.parse(tx.serializedTransaction)`, ready to be written back as `JSON.stringify`.
fn parse_operations(serialized: &str) -> Result<Value, SignError> {
    let value: Value = serde_json::from_str(serialized)
        .map_err(|e| err(format!("serializedTransaction is not valid JSON: {e}")))?;
    if !value.is_array() {
        return Err(err(
            "ADA serializedTransaction is not a JSON array of Rosetta operations",
        ));
    }
    as_javascript("serializedTransaction", value)
}

/// Steps 1–6 of the module documentation: the signed transaction (CBOR hex) Rosetta
/// combines.
pub fn sign_operations(
    keys: &[AdaKey],
    operations: Value,
    network: Network,
    node: &mut dyn Node,
) -> Result<String, SignError> {
    let mut call = |name: &str, body: Map<String, Value>| -> Result<Value, SignError> {
        let answer = node
            .post(&rosetta_path(network, name), &Value::Object(body))
            .map_err(|e| err(format!("Cardano Rosetta construction/{name} failed: {e}")))?;
        as_javascript(&format!("the construction/{name} answer"), answer)
    };

    // 1. The address of every key.
    let mut addresses: Vec<(String, usize)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let mut public_key = Map::new();
        public_key.insert(
            "hex_bytes".into(),
            Value::String(hex::encode(key.public_key())),
        );
        public_key.insert("curve_type".into(), Value::String("edwards25519".into()));
        let mut body = Map::new();
        body.insert("network_identifier".into(), network_identifier(network));
        body.insert("public_key".into(), Value::Object(public_key));
        body.insert("metadata".into(), Value::Object(Map::new()));
        let answer = call("derive", body)?;
        let address = answer
            .pointer("/account_identifier/address")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                err("Cardano Rosetta construction/derive: the answer has no account_identifier.address")
            })?;
        match addresses.iter_mut().find(|(a, _)| a == address) {
            Some(slot) => slot.1 = i,
            None => addresses.push((address.to_string(), i)),
        }
    }

    // 2.–4. Preprocess, metadata, payloads.
    let mut metadata = Map::new();
    metadata.insert("relative_ttl".into(), Value::from(RELATIVE_TTL));
    let mut body = Map::new();
    body.insert("network_identifier".into(), network_identifier(network));
    body.insert("operations".into(), operations.clone());
    body.insert("metadata".into(), Value::Object(metadata));
    let preprocess = call("preprocess", body)?;

    let mut body = Map::new();
    body.insert("network_identifier".into(), network_identifier(network));
    spread(&mut body, preprocess, "preprocess")?;
    let metadata = call("metadata", body)?;

    let mut body = Map::new();
    body.insert("network_identifier".into(), network_identifier(network));
    body.insert("operations".into(), operations);
    spread(&mut body, metadata, "metadata")?;
    let mut answer = call("payloads", body)?;

    let unsigned = answer
        .get_mut("unsigned_transaction")
        .map(Value::take)
        .filter(|v| !v.is_null())
        .ok_or_else(|| {
            err("Cardano Rosetta construction/payloads: the answer has no unsigned_transaction")
        })?;
    let payloads = match answer.get_mut("payloads").map(Value::take) {
        Some(Value::Array(p)) => p,
        _ => {
            return Err(err(
                "Cardano Rosetta construction/payloads: the answer has no payloads array",
            ))
        }
    };

    // 5. One signature per payload.
    let mut signatures = Vec::with_capacity(payloads.len());
    for payload in payloads {
        let address = payload
            .pointer("/account_identifier/address")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                err("Cardano Rosetta construction/payloads: a payload has no account_identifier.address")
            })?;
        let key = addresses
            .iter()
            .find(|(a, _)| a == address)
            .and_then(|(_, i)| keys.get(*i))
            .ok_or_else(|| {
                err(format!(
                    "Cardano Rosetta asks for a signature of address {address}, but none of the transaction's {} private key(s) has that address{}",
                    keys.len(),
                    if addresses.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (they have {})",
                            addresses
                                .iter()
                                .map(|(a, _)| a.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ))
            })?;
        let message = payload
            .get("hex_bytes")
            .and_then(Value::as_str)
            .filter(|h| h.len() % 2 == 0)
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| {
                err(format!(
                    "Cardano Rosetta construction/payloads: the payload for {address} has no hex_bytes of whole bytes"
                ))
            })?;
        let mut public_key = Map::new();
        public_key.insert(
            "hex_bytes".into(),
            Value::String(hex::encode(key.public_key())),
        );
        public_key.insert("curve_type".into(), Value::String("edwards25519".into()));
        let signature = hex::encode(key.sign(&message));
        let mut entry = Map::new();
        entry.insert("signing_payload".into(), payload);
        entry.insert("public_key".into(), Value::Object(public_key));
        entry.insert("signature_type".into(), Value::String("ed25519".into()));
        entry.insert("hex_bytes".into(), Value::String(signature));
        signatures.push(Value::Object(entry));
    }

    // 6. Combine.
    let mut body = Map::new();
    body.insert("network_identifier".into(), network_identifier(network));
    body.insert("unsigned_transaction".into(), unsigned);
    body.insert("signatures".into(), Value::Array(signatures));
    let combined = call("combine", body)?;
    match combined.get("signed_transaction") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(err(
            "Cardano Rosetta construction/combine: the answer has no signed_transaction",
        )),
    }
}

/// `{...body, ...answer}` for an answer object: new keys go last, a key already present
/// keeps its place and takes the new value (JavaScript object spread). `null` spreads
/// nothing; any other non-object is refused.
fn spread(body: &mut Map<String, Value>, answer: Value, call: &str) -> Result<(), SignError> {
    match answer {
        Value::Object(m) => {
            for (k, v) in m {
                body.insert(k, v);
            }
            Ok(())
        }
        Value::Null => Ok(()),
        _ => Err(err(format!(
            "Cardano Rosetta construction/{call}: the answer is not a JSON object"
        ))),
    }
}

/// The value as `JSON.parse` then `JSON.stringify` would give it back: integer-like keys
/// (array indices) first in ascending order, the others in their order; whole numbers
/// written without a fraction. A number JavaScript cannot hold exactly is refused.
fn as_javascript(what: &str, value: Value) -> Result<Value, SignError> {
    Ok(match value {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                if u > MAX_SAFE_INTEGER {
                    return Err(unsafe_number(what, &n));
                }
                Value::Number(n)
            } else if let Some(i) = n.as_i64() {
                if i.unsigned_abs() > MAX_SAFE_INTEGER {
                    return Err(unsafe_number(what, &n));
                }
                Value::Number(n)
            } else {
                let f = n.as_f64().ok_or_else(|| unsafe_number(what, &n))?;
                if f.fract() == 0.0 {
                    if f.abs() > MAX_SAFE_INTEGER as f64 {
                        return Err(unsafe_number(what, &n));
                    }
                    // `-0` is written `0` by JavaScript.
                    Value::from(f as i64)
                } else {
                    Value::Number(n)
                }
            }
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| as_javascript(what, v))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut indices: Vec<(u32, String, Value)> = Vec::new();
            let mut others: Vec<(String, Value)> = Vec::new();
            for (k, v) in m {
                let v = as_javascript(what, v)?;
                match array_index(&k) {
                    Some(i) => indices.push((i, k, v)),
                    None => others.push((k, v)),
                }
            }
            indices.sort_by_key(|(i, _, _)| *i);
            let mut out = Map::new();
            for (_, k, v) in indices {
                out.insert(k, v);
            }
            for (k, v) in others {
                out.insert(k, v);
            }
            Value::Object(out)
        }
        other => other,
    })
}

fn unsafe_number(what: &str, n: &serde_json::Number) -> SignError {
    err(format!(
        "{what} holds the number {n}, which JavaScript cannot hold exactly; refusing to send it altered"
    ))
}

/// A canonical array index (`0` … `2^32 - 2`, no leading zeros): JavaScript orders such
/// property keys before the others.
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if key.len() > 1 && key.starts_with('0') {
        return None;
    }
    key.parse::<u32>().ok().filter(|i| *i != u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{ExternalService, NodeError};
    use crate::signing::{self, SignContext};
    use ed25519_dalek::{Signature, VerifyingKey};
    use kms_core::{Chain, SignatureRef, WalletEntry};
    use serde_json::json;
    use sha2::{Digest, Sha512};
    use std::collections::HashMap;

    /// The cardano-addresses README phrase (see `ada.rs` tests).
    const PHRASE: &str =
        "exercise club noble adult miracle awkward problem olympic puppy private goddess piano fatal fashion vacuum";
    const TX_ID: &str = "65a1b2c3d4e5f60718293a4b";
    const GATEWAY: &str = "/v3/blockchain/node/cardano-preprod/{apiKey}/construction";

    /// Answers Rosetta calls like Tatum's gateway would and records every request.
    struct FakeRosetta {
        /// public key hex → address, for `derive`.
        addresses: HashMap<String, String>,
        /// The addresses `payloads` asks signatures for, with the bytes to sign.
        payloads: Vec<(String, String)>,
        /// A call (`preprocess`, …) that answers with an error.
        fail: Option<&'static str>,
        requests: Vec<(String, String)>,
    }

    impl FakeRosetta {
        fn new(keys: &[&AdaKey], payloads: Vec<(String, String)>) -> Self {
            let addresses = keys
                .iter()
                .map(|k| (hex::encode(k.public_key()), address_of(&k.public_key())))
                .collect();
            Self {
                addresses,
                payloads,
                fail: None,
                requests: Vec::new(),
            }
        }
    }

    /// A stand-in address per public key (what the gateway answers is opaque to the SDK).
    fn address_of(public: &[u8; 32]) -> String {
        format!("addr_test1v{}", &hex::encode(public)[..20])
    }

    impl Node for FakeRosetta {
        fn rpc(&mut self, path: &str, _: &str, _: Value) -> Result<Value, NodeError> {
            Err(NodeError(format!("unexpected JSON-RPC call to {path}")))
        }
        fn get(&mut self, path: &str) -> Result<Value, NodeError> {
            Err(NodeError(format!("unexpected GET {path}")))
        }
        fn get_external(&mut self, _: ExternalService, path: &str) -> Result<Value, NodeError> {
            Err(NodeError(format!("unexpected external GET {path}")))
        }
        fn post(&mut self, path: &str, body: &Value) -> Result<Value, NodeError> {
            self.requests
                .push((path.to_string(), serde_json::to_string(body).unwrap()));
            let call = path.rsplit('/').next().unwrap_or_default();
            if self.fail == Some(call) {
                return Err(NodeError(
                    "{\n  \"code\": 4019,\n  \"message\": \"Provided operations are invalid\",\n  \"retriable\": false\n}".into(),
                ));
            }
            Ok(match call {
                "derive" => {
                    let public = body["public_key"]["hex_bytes"].as_str().unwrap();
                    json!({"account_identifier": {"address": self.addresses[public]}})
                }
                "preprocess" => json!({
                    "options": {"relative_ttl": 1000, "transaction_size": 300},
                    "required_public_keys": []
                }),
                "metadata" => json!({
                    "metadata": {"ttl": "1001", "protocol_parameters": {"minFeeCoefficient": 44, "poolDeposit": "500000000"}},
                    "suggested_fee": [{"value": "170000", "currency": {"symbol": "ADA", "decimals": 6}}]
                }),
                "payloads" => json!({
                    "unsigned_transaction": "a400818258200001",
                    "payloads": self.payloads.iter().map(|(address, bytes)| json!({
                        "address": address,
                        "hex_bytes": bytes,
                        "account_identifier": {"address": address},
                        "signature_type": "ed25519"
                    })).collect::<Vec<_>>()
                }),
                "combine" => json!({"signed_transaction": "84a400818258200001ff"}),
                other => return Err(NodeError(format!("unexpected call {other}"))),
            })
        }
    }

    fn operations() -> String {
        // Two inputs, from two addresses, and one output (as the SDK's
        // `prepareSignedTransaction` writes them for KMS).
        json!([
            {"operation_identifier": {"index": 0, "network_index": 1}, "related_operations": [], "type": "input", "status": "success",
             "account": {"address": "IN0", "metadata": {}}, "amount": {"value": "-2000000", "currency": {"symbol": "ADA", "decimals": 6}},
             "coin_change": {"coin_identifier": {"identifier": "aa:1"}, "coin_action": "coin_created"}, "metadata": {}},
            {"operation_identifier": {"index": 1, "network_index": 0}, "related_operations": [], "type": "input", "status": "success",
             "account": {"address": "IN1", "metadata": {}}, "amount": {"value": "-3000000", "currency": {"symbol": "ADA", "decimals": 6}},
             "coin_change": {"coin_identifier": {"identifier": "bb:0"}, "coin_action": "coin_created"}, "metadata": {}},
            {"operation_identifier": {"index": 2, "network_index": 0}, "related_operations": [], "type": "output", "status": "success",
             "account": {"address": "OUT", "metadata": {}}, "amount": {"value": "4800000", "currency": {"symbol": "ADA", "decimals": 6}, "metadata": {}}, "metadata": {}}
        ])
        .to_string()
    }

    fn pending(hashes: &[&str], signatures: Option<Vec<SignatureRef>>) -> PendingTransaction {
        PendingTransaction {
            id: TX_ID.into(),
            chain: "ADA".into(),
            serialized_transaction: operations(),
            hashes: hashes.iter().map(|s| s.to_string()).collect(),
            index: None,
            signatures,
            withdrawal_id: None,
            withdrawal_responses: None,
            tx_id: None,
            other: Default::default(),
        }
    }

    /// Two private-key wallets: index 0 in v1's 256-hex form, index 1 in v2's 128-hex form.
    fn store() -> HashMap<String, WalletEntry> {
        let k0 = ada::private_key(PHRASE, 0).unwrap();
        let k1 = ada::private_key(PHRASE, 1).unwrap();
        let mut m = HashMap::new();
        m.insert(
            "w0".to_string(),
            WalletEntry::from_json(
                json!({"privateKey": k0.as_str(), "chain": "ADA", "testnet": true}),
            ),
        );
        m.insert(
            "w1".to_string(),
            WalletEntry::from_json(
                json!({"privateKey": &k1[..128], "chain": "ADA", "testnet": true}),
            ),
        );
        m.insert(
            "mn".to_string(),
            WalletEntry::from_json(
                json!({"mnemonic": PHRASE, "xpub": "x", "chain": "ADA", "testnet": true}),
            ),
        );
        m
    }

    fn keys() -> (AdaKey, AdaKey) {
        (
            AdaKey::parse(&ada::private_key(PHRASE, 0).unwrap()).unwrap(),
            AdaKey::parse(&ada::private_key(PHRASE, 1).unwrap()[..128]).unwrap(),
        )
    }

    fn sign(
        tx: &PendingTransaction,
        store: &HashMap<String, WalletEntry>,
        node: &mut FakeRosetta,
    ) -> Result<Broadcast, SignError> {
        let lookup = |id: &str| store.get(id);
        let mut notes = Vec::new();
        let wallets = signing::resolve_wallets(tx, &lookup, &mut notes)?;
        signing::sign_pending(SignContext {
            chain: Chain::Ada,
            network: Network::Testnet,
            tx,
            wallets: &wallets,
            node,
        })
    }

    fn verify(public: &[u8; 32], message_hex: &str, signature_hex: &str) {
        let key = VerifyingKey::from_bytes(public).unwrap();
        let sig = Signature::from_slice(&hex::decode(signature_hex).unwrap()).unwrap();
        key.verify_strict(&hex::decode(message_hex).unwrap(), &sig)
            .expect("signature verifies against the key's public key");
    }

    const NET: &str = r#"{"blockchain":"cardano","network":"preprod"}"#;

    #[test]
    fn two_inputs_from_two_wallets_make_the_originals_requests() {
        let (k0, k1) = keys();
        let a0 = address_of(&k0.public_key());
        let a1 = address_of(&k1.public_key());
        let m0 = "11".repeat(32);
        let m1 = "22".repeat(32);
        // Rosetta asks for the second wallet's signature first.
        let mut node = FakeRosetta::new(
            &[&k0, &k1],
            vec![(a1.clone(), m1.clone()), (a0.clone(), m0.clone())],
        );
        let tx = pending(&["w0", "w1"], None);
        let b = sign(&tx, &store(), &mut node).unwrap();

        let p0 = hex::encode(k0.public_key());
        let p1 = hex::encode(k1.public_key());
        let ops = operations();
        let derive = |p: &str| {
            format!(
                r#"{{"network_identifier":{NET},"public_key":{{"hex_bytes":"{p}","curve_type":"edwards25519"}},"metadata":{{}}}}"#
            )
        };
        let payload = |a: &str, m: &str| {
            format!(
                r#"{{"address":"{a}","hex_bytes":"{m}","account_identifier":{{"address":"{a}"}},"signature_type":"ed25519"}}"#
            )
        };
        let s1 = hex::encode(k1.sign(&hex::decode(&m1).unwrap()));
        let s0 = hex::encode(k0.sign(&hex::decode(&m0).unwrap()));
        let want: Vec<(String, String)> = vec![
            (format!("{GATEWAY}/derive"), derive(&p0)),
            (format!("{GATEWAY}/derive"), derive(&p1)),
            (
                format!("{GATEWAY}/preprocess"),
                format!(
                    r#"{{"network_identifier":{NET},"operations":{ops},"metadata":{{"relative_ttl":1000}}}}"#
                ),
            ),
            (
                format!("{GATEWAY}/metadata"),
                format!(
                    r#"{{"network_identifier":{NET},"options":{{"relative_ttl":1000,"transaction_size":300}},"required_public_keys":[]}}"#
                ),
            ),
            (
                format!("{GATEWAY}/payloads"),
                format!(
                    r#"{{"network_identifier":{NET},"operations":{ops},"metadata":{{"ttl":"1001","protocol_parameters":{{"minFeeCoefficient":44,"poolDeposit":"500000000"}}}},"suggested_fee":[{{"value":"170000","currency":{{"symbol":"ADA","decimals":6}}}}]}}"#
                ),
            ),
            (
                format!("{GATEWAY}/combine"),
                format!(
                    r#"{{"network_identifier":{NET},"unsigned_transaction":"a400818258200001","signatures":[{{"signing_payload":{},"public_key":{{"hex_bytes":"{p1}","curve_type":"edwards25519"}},"signature_type":"ed25519","hex_bytes":"{s1}"}},{{"signing_payload":{},"public_key":{{"hex_bytes":"{p0}","curve_type":"edwards25519"}},"signature_type":"ed25519","hex_bytes":"{s0}"}}]}}"#,
                    payload(&a1, &m1),
                    payload(&a0, &m0)
                ),
            ),
        ];
        assert_eq!(node.requests.len(), want.len(), "{:#?}", node.requests);
        for (got, want) in node.requests.iter().zip(&want) {
            assert_eq!(got, want);
        }
        // Independent check of the extended signing: plain Ed25519 verification.
        verify(&k1.public_key(), &m1, &s1);
        verify(&k0.public_key(), &m0, &s0);
        assert_eq!(b.path, "/v3/ada/broadcast");
        assert_eq!(
            serde_json::to_string(&b.body).unwrap(),
            format!(r#"{{"txData":"84a400818258200001ff","signatureId":"{TX_ID}"}}"#)
        );
    }

    #[test]
    fn mainnet_uses_the_mainnet_gateway_and_network() {
        let (k0, _) = keys();
        let a0 = address_of(&k0.public_key());
        let mut node = FakeRosetta::new(&[&k0], vec![(a0, "ab".into())]);
        let signed = sign_operations(&[k0], json!([]), Network::Mainnet, &mut node).unwrap();
        assert_eq!(signed, "84a400818258200001ff");
        assert_eq!(
            node.requests[0].0,
            "/v3/blockchain/node/cardano-mainnet/{apiKey}/construction/derive"
        );
        assert!(node.requests.iter().all(|(_, b)| b
            .starts_with(r#"{"network_identifier":{"blockchain":"cardano","network":"mainnet"}"#)));
    }

    #[test]
    fn a_payload_for_an_address_without_a_key_is_an_error_and_nothing_is_broadcast() {
        let (k0, k1) = keys();
        let a0 = address_of(&k0.public_key());
        let mut node = FakeRosetta::new(
            &[&k0, &k1],
            vec![
                (a0, "00".into()),
                ("addr_test1vstranger".into(), "01".into()),
            ],
        );
        let tx = pending(&["w0"], None);
        let e = sign(&tx, &store(), &mut node).unwrap_err().0;
        assert!(
            e.contains("address addr_test1vstranger")
                && e.contains("none of the transaction's 1 private key(s)"),
            "{e}"
        );
        // Stopped before combine.
        assert!(node.requests.iter().all(|(p, _)| !p.ends_with("/combine")));
        assert_eq!(node.requests.len(), 4);
    }

    #[test]
    fn a_rosetta_error_is_reported_with_the_call_and_stops_the_flow() {
        let (k0, _) = keys();
        for call in ["derive", "preprocess", "metadata", "payloads", "combine"] {
            let mut node =
                FakeRosetta::new(&[&k0], vec![(address_of(&k0.public_key()), "00".into())]);
            node.fail = Some(call);
            let e = sign(&pending(&["w0"], None), &store(), &mut node)
                .unwrap_err()
                .0;
            assert!(
                e.starts_with(&format!("Cardano Rosetta construction/{call} failed: "))
                    && e.contains("Provided operations are invalid"),
                "{e}"
            );
            assert!(node.requests.last().unwrap().0.ends_with(call));
        }
    }

    #[test]
    fn a_wallet_without_a_private_key_or_with_a_bad_one_is_refused_before_any_call() {
        let mut node = FakeRosetta::new(&[], vec![]);
        let e = sign(&pending(&["w0", "mn"], None), &store(), &mut node)
            .unwrap_err()
            .0;
        assert!(e.starts_with("Wallet mn has no private key"), "{e}");
        let e = sign(&pending(&["nope"], None), &store(), &mut node)
            .unwrap_err()
            .0;
        assert!(e.contains("none of its wallets (nope)"), "{e}");
        let mut bad = store();
        bad.insert(
            "short".into(),
            WalletEntry::from_json(
                json!({"privateKey": "00".repeat(32), "chain": "ADA", "testnet": true}),
            ),
        );
        let e = sign(&pending(&["short"], None), &bad, &mut node)
            .unwrap_err()
            .0;
        assert!(
            e.contains("wallet short: invalid private key for ADA"),
            "{e}"
        );
        assert!(node.requests.is_empty());
    }

    #[test]
    fn a_mnemonic_in_signatures_signs_with_its_index_and_duplicates_are_derived_again() {
        let k1 = AdaKey::parse(&ada::private_key(PHRASE, 1).unwrap()).unwrap();
        let a1 = address_of(&k1.public_key());
        let mut node = FakeRosetta::new(&[&k1], vec![(a1, "abcd".into())]);
        let sigs = vec![
            SignatureRef {
                id: "mn".into(),
                index: Some(1),
            },
            SignatureRef {
                id: "w1".into(),
                index: None,
            },
        ];
        let tx = pending(&[], Some(sigs));
        sign(&tx, &store(), &mut node).unwrap();
        let derives: Vec<_> = node
            .requests
            .iter()
            .filter(|(p, _)| p.ends_with("/derive"))
            .collect();
        // `mn` at index 1 and `w1` are the same key: derived twice, as `wallets.map` does.
        assert_eq!(derives.len(), 2);
        assert_eq!(derives[0].1, derives[1].1);
    }

    #[test]
    fn offchain_withdrawals_derive_from_signatures_and_use_the_offchain_broadcast() {
        let k2 = AdaKey::parse(&ada::private_key(PHRASE, 2).unwrap()).unwrap();
        let a2 = address_of(&k2.public_key());
        let mut node = FakeRosetta::new(&[&k2], vec![(a2, "0102".into())]);
        let mut tx = pending(
            &["w0"],
            Some(vec![SignatureRef {
                id: "mn".into(),
                index: Some(2),
            }]),
        );
        tx.withdrawal_id = Some("wd-1".into());
        let b = sign(&tx, &store(), &mut node).unwrap();
        assert_eq!(b.path, "/v3/offchain/withdrawal/broadcast");
        assert_eq!(
            serde_json::to_string(&b.body).unwrap(),
            format!(
                r#"{{"currency":"ADA","signatureId":"{TX_ID}","withdrawalId":"wd-1","txData":"84a400818258200001ff"}}"#
            )
        );
        // Only the signature's key: `hashes` play no part off-chain.
        let derives = node
            .requests
            .iter()
            .filter(|(p, _)| p.ends_with("/derive"))
            .count();
        assert_eq!(derives, 1);

        // A signature without an index, or a private-key wallet, cannot be derived.
        for (sig, want) in [
            (
                SignatureRef {
                    id: "mn".into(),
                    index: None,
                },
                "signature mn has no index",
            ),
            (
                SignatureRef {
                    id: "w1".into(),
                    index: Some(0),
                },
                "wallet w1 has no mnemonic",
            ),
            (
                SignatureRef {
                    id: "gone".into(),
                    index: Some(0),
                },
                "wallet gone is not in the wallet store",
            ),
        ] {
            let mut tx = pending(&[], Some(vec![sig]));
            tx.withdrawal_id = Some("wd-1".into());
            let e = sign(&tx, &store(), &mut FakeRosetta::new(&[], vec![]))
                .unwrap_err()
                .0;
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn operations_are_written_back_as_json_stringify_would() {
        let v =
            parse_operations(r#"[{"b":1.0,"10":true,"a":-0,"2":[1.5e0,2.50],"x":"y"}]"#).unwrap();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"[{"2":[1.5,2.5],"10":true,"b":1,"a":0,"x":"y"}]"#
        );
        assert!(parse_operations(r#"[{"v":9007199254740993}]"#).is_err());
        assert!(parse_operations(r#"{"not":"an array"}"#).is_err());
        assert!(parse_operations("[").is_err());
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("01"), None);
        assert_eq!(array_index("4294967295"), None);
        assert_eq!(array_index("4294967294"), Some(4294967294));
    }

    /// RFC 8032 §7.1 tests 1–3: an Ed25519 secret expands by SHA-512 into the clamped
    /// scalar `kL` and the nonce prefix `kR`; signing with that extended key must give the
    /// RFC's signatures.
    #[test]
    fn extended_signing_matches_rfc8032() {
        for (secret, public, message, signature) in [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            ),
        ] {
            let mut h: [u8; 64] = Sha512::digest(hex::decode(secret).unwrap()).into();
            h[0] &= 0xf8;
            h[31] &= 0x7f;
            h[31] |= 0x40;
            let key = AdaKey::parse(&hex::encode(h)).unwrap();
            assert_eq!(hex::encode(key.public_key()), public);
            assert_eq!(hex::encode(key.sign(&hex::decode(message).unwrap())), signature);
        }
    }
}
