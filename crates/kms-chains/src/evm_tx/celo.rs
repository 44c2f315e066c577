//! CELO: `@tatumio/celo` 2.2.88 `kms.sign` with celo-ethers-wrapper 0.1.1 on ethers 5
//! (spec §6.4).
//!
//! The provider is ethers' `JsonRpcProvider` at `/v3/blockchain/node/CELO/{apiKey}`; its
//! network checks make `eth_chainId` calls of their own, which are reproduced in order:
//! one for `ready`, one shared by the parallel nonce / gas-price lookups, one before
//! `eth_estimateGas` (only without a gas limit), and one when the wallet signs.
//!
//! Values go through ethers' rules: numbers in the signed transaction must be JSON numbers
//! or `0x` hex strings (a decimal string fails with `invalid hexlify value`, as in the
//! original), and only Celo's transaction keys are allowed.

use serde_json::{json, Map, Value};

use super::rlp::{encode_list, Item};
use super::{err, rpc, Signer, CELO_RPC};
use crate::hash::keccak256;
use crate::js::{js_number_to_uint, truthy, Uint, MAX_SAFE_INTEGER};
use crate::node::Node;
use crate::signing::SignError;

const CUSD_MAINNET: &str = "0x765de816845861e75a25fca122bb6898b8b1282a";
const CUSD_TESTNET: &str = "0x874069fa1eb16d44d622f2e0ca25eea172369bc1";

/// celo-ethers-wrapper `celoAllowedTransactionKeys` (`from` is removed before the check).
const ALLOWED_KEYS: [&str; 11] = [
    "chainId",
    "data",
    "gasLimit",
    "gasPrice",
    "nonce",
    "to",
    "value",
    "feeCurrency",
    "gatewayFeeRecipient",
    "gatewayFee",
    "from",
];

pub(super) fn sign(
    mut tx: Map<String, Value>,
    s: &Signer,
    node: &mut dyn Node,
) -> Result<String, SignError> {
    // Checked up front; the original fails on these keys only when serializing.
    if let Some(key) = tx.keys().find(|k| !ALLOWED_KEYS.contains(&k.as_str())) {
        return Err(err(format!("invalid object key - {key}")));
    }
    let network = chain_id(node)?; // `await celoProvider.ready`
    same_network(network, chain_id(node)?)?; // getNetwork() of the parallel lookups
    let fee_currency = tx.get("feeCurrency").filter(|v| truthy(Some(v))).cloned();
    let price_params = match &fee_currency {
        Some(f) => json!([f]),
        None => json!([]),
    };
    let mut gas_price = big_number(&rpc(node, CELO_RPC, "eth_gasPrice", price_params)?)?;
    let count = big_number(&rpc(
        node,
        CELO_RPC,
        "eth_getTransactionCount",
        json!([s.lower, "latest"]),
    )?)?;
    let is_cusd =
        matches!(&fee_currency, Some(Value::String(f)) if f == CUSD_MAINNET || f == CUSD_TESTNET);
    if is_cusd && gas_price <= Uint::from_u64(0x1dcd6500) {
        gas_price = Uint::from_u64(0x3b9aca00);
    }

    if !truthy(tx.get("nonce")) {
        let n = count
            .to_u64()
            .filter(|n| *n <= MAX_SAFE_INTEGER)
            .ok_or_else(|| err("eth_getTransactionCount: the count does not fit a number"))?;
        tx.insert("nonce".into(), Value::from(n));
    }
    if !truthy(tx.get("gasPrice")) {
        tx.insert("gasPrice".into(), Value::String(gas_price.to_quantity()));
    }
    tx.insert("from".into(), Value::String(s.checksum.clone()));
    let no_limit = matches!(tx.get("gasLimit"), Some(Value::String(l)) if l == "0")
        || !truthy(tx.get("gasLimit"));
    if no_limit {
        same_network(network, chain_id(node)?)?;
        let request = estimate_request(&tx)?;
        let estimate = big_number(&rpc(node, CELO_RPC, "eth_estimateGas", json!([request]))?)?;
        tx.insert(
            "gasLimit".into(),
            Value::String(estimate.add_u64(100_000).to_quantity()),
        );
    }

    // CeloWallet.signTransaction → populateTransaction.
    let signer_network = chain_id(node)?;
    same_network(network, signer_network)?;
    let chain_id = match tx.get("chainId") {
        None | Some(Value::Null) => signer_network,
        Some(given) => {
            let given_number = given.as_u64().filter(|_| given.is_number());
            if signer_network != 0 && given_number != Some(signer_network) {
                return Err(err(format!(
                    "chainId address mismatch (transaction {given}, network {signer_network})"
                )));
            }
            given_number.ok_or_else(|| err("invalid transaction.chainId"))?
        }
    };
    tx.shift_remove("from");
    let to = match tx.get("to") {
        Some(v) if !v.is_null() => address(v)?,
        _ => Vec::new(),
    };

    let mut fields = Vec::with_capacity(12);
    for name in ["nonce", "gasPrice", "gasLimit"] {
        fields.push(Item::bytes(numeric(&tx, name)?.bytes()));
    }
    for name in ["feeCurrency", "gatewayFeeRecipient"] {
        fields.push(Item::Bytes(fixed20(&tx, name)?));
    }
    fields.push(Item::bytes(numeric(&tx, "gatewayFee")?.bytes()));
    fields.push(Item::Bytes(to));
    fields.push(Item::bytes(numeric(&tx, "value")?.bytes()));
    fields.push(Item::Bytes(data(&tx)?));

    let chain = Uint::from_u64(chain_id);
    let mut unsigned: Vec<Item> = fields_clone(&fields);
    if chain_id != 0 {
        unsigned.extend([
            Item::bytes(chain.bytes()),
            Item::bytes(&[]),
            Item::bytes(&[]),
        ]);
    }
    let hash = keccak256(&encode_list(unsigned));
    let (r, sig_s, recid) = s.sign(&hash)?;
    let v = if chain_id != 0 {
        chain.mul_add_small(2, 35 + u32::from(recid))
    } else {
        Uint::from_u64(27 + u64::from(recid))
    };
    fields.extend([
        Item::bytes(v.bytes()),
        Item::bytes(Uint::from_be_bytes(&r).bytes()),
        Item::bytes(Uint::from_be_bytes(&sig_s).bytes()),
    ]);
    Ok(format!("0x{}", hex::encode(encode_list(fields))))
}

fn fields_clone(fields: &[Item]) -> Vec<Item> {
    fields
        .iter()
        .map(|f| match f {
            Item::Bytes(b) => Item::Bytes(b.clone()),
            Item::List(_) => Item::List(Vec::new()),
        })
        .collect()
}

/// ethers' `detectNetwork`: `eth_chainId`, as a number.
fn chain_id(node: &mut dyn Node) -> Result<u64, SignError> {
    let answer = rpc(node, CELO_RPC, "eth_chainId", json!([]))?;
    big_number(&answer)?
        .to_u64()
        .filter(|n| *n <= MAX_SAFE_INTEGER)
        .ok_or_else(|| err(format!("eth_chainId: invalid chain id {answer}")))
}

fn same_network(first: u64, now: u64) -> Result<(), SignError> {
    if first != now {
        return Err(err(format!(
            "underlying network changed (event=\"changed\", network={now}, detectedNetwork={first})"
        )));
    }
    Ok(())
}

/// ethers `BigNumber.from`: a safe-integer number, a decimal string or `0x` hex.
fn big_number(v: &Value) -> Result<Uint, SignError> {
    let bad = || err(format!("invalid BigNumber value: {v}"));
    match v {
        Value::Number(n) => n
            .as_u64()
            .filter(|n| *n < MAX_SAFE_INTEGER)
            .map(Uint::from_u64)
            .ok_or_else(bad),
        Value::String(s) => {
            if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                if h.is_empty() {
                    return Err(bad());
                }
                Uint::from_hex_digits(h).ok_or_else(bad)
            } else if !s.is_empty() {
                Uint::from_dec_digits(s).ok_or_else(bad)
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

/// ethers `getAddress`: 40 hex digits, a mixed-case one with a valid checksum; the bytes.
fn address(v: &Value) -> Result<Vec<u8>, SignError> {
    let bad = || err(format!("invalid address: {v}"));
    let s = v.as_str().ok_or_else(bad)?;
    if !super::is_address(s) {
        return Err(bad());
    }
    let digits = s.get(s.len() - 40..).ok_or_else(bad)?;
    hex::decode(digits).map_err(|_| bad())
}

/// ethers `hexlify(value, {hexPad: "left"})` of a field, then `stripZeros`, at most 32
/// bytes. A falsy value is empty.
fn numeric(tx: &Map<String, Value>, name: &str) -> Result<Uint, SignError> {
    let v = tx.get(name);
    if !truthy(v) {
        return Ok(Uint::default());
    }
    let bad = || err(format!("invalid hexlify value ({name})"));
    let out = match v {
        Some(Value::Number(n)) => js_number_to_uint(n)
            .filter(|u| u.to_u64().is_some_and(|n| n <= MAX_SAFE_INTEGER))
            .ok_or_else(bad)?,
        Some(Value::String(s)) => match s.strip_prefix("0x") {
            Some(h) => Uint::from_hex_digits(h).ok_or_else(bad)?,
            None => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    if out.bytes().len() > 32 {
        return Err(err(format!("invalid length for {name}")));
    }
    Ok(out)
}

/// A 20-byte field (`feeCurrency`, `gatewayFeeRecipient`), or empty.
fn fixed20(tx: &Map<String, Value>, name: &str) -> Result<Vec<u8>, SignError> {
    let v = tx.get(name);
    if !truthy(v) {
        return Ok(Vec::new());
    }
    let bytes = match v {
        Some(Value::String(s)) => s
            .strip_prefix("0x")
            .filter(|h| h.len() % 2 == 0)
            .and_then(|h| hex::decode(h).ok()),
        _ => None,
    }
    .ok_or_else(|| err(format!("invalid hexlify value ({name})")))?;
    if !bytes.is_empty() && bytes.len() != 20 {
        return Err(err(format!("invalid length for {name}")));
    }
    Ok(bytes)
}

fn data(tx: &Map<String, Value>) -> Result<Vec<u8>, SignError> {
    let v = tx.get("data");
    if !truthy(v) {
        return Ok(Vec::new());
    }
    match v {
        Some(Value::String(s)) => match s.strip_prefix("0x") {
            Some(h) if h.len() % 2 == 1 => Err(err("hex data is odd-length")),
            Some(h) => hex::decode(h).map_err(|_| err("invalid hexlify value (data)")),
            None => Err(err("invalid hexlify value (data)")),
        },
        _ => Err(err("invalid hexlify value (data)")),
    }
}

/// The `eth_estimateGas` parameter ethers builds (`_getTransactionRequest`, then
/// `hexlifyTransaction`): `gas`, `gasPrice`, `value`, `from`, `to`, `data`, present when
/// truthy.
fn estimate_request(tx: &Map<String, Value>) -> Result<Value, SignError> {
    let mut out = Map::new();
    for (key, name) in [
        ("gasLimit", "gas"),
        ("gasPrice", "gasPrice"),
        ("value", "value"),
    ] {
        if let Some(v) = tx.get(key).filter(|v| truthy(Some(v))) {
            out.insert(name.into(), Value::String(big_number(v)?.to_quantity()));
        }
    }
    for key in ["from", "to"] {
        if let Some(v) = tx.get(key).filter(|v| truthy(Some(v))) {
            out.insert(
                key.into(),
                Value::String(format!("0x{}", hex::encode(address(v)?))),
            );
        }
    }
    if truthy(tx.get("data")) {
        let bytes = data(tx)?;
        out.insert(
            "data".into(),
            Value::String(format!("0x{}", hex::encode(bytes))),
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::super::test_node::{Call, TestNode};
    use super::super::tests::{pending, PK0, TO};
    use super::*;
    use kms_core::{Chain, Network};

    /// Spec §10.3 CELO: cUSD testnet fee currency, nonce 5 and 1 gwei from the node,
    /// gas limit 21000 + 100000, chain id 0xaa36a7.
    #[test]
    fn celo_vector() {
        let mut node = TestNode::with_rpc(json!({
            "eth_chainId": "0xaa36a7",
            "eth_estimateGas": "0x5208",
            "eth_getTransactionCount": "0x5",
            "eth_gasPrice": "0x3b9aca00",
        }));
        let tx = pending(
            "CELO",
            json!({"to":TO,"value":"0x2386f26fc10000","data":"0x","feeCurrency":CUSD_TESTNET}),
        );
        let b = super::super::sign_kms(Chain::Celo, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/celo/broadcast");
        assert_eq!(b.body["txData"], "0xf88605843b9aca008301d8a894874069fa1eb16d44d622f2e0ca25eea172369bc180809496db019291732415c094b198cdc589840ca311b4872386f26fc10000808401546d72a03f50b83573edaf76d34f7beef8cac9a3008deff30f2dbde52546966f3609e67fa03f3a1cb44e3ca96b83e76b639917f724756e95e06eae9870e6cb5fb09ad8aef2");
        let addr = "0xffd8857c1c991d4b40e04d4530ade722818e433d";
        assert_eq!(
            node.calls,
            [
                Call::Rpc(CELO_RPC.into(), "eth_chainId".into(), json!([])),
                Call::Rpc(CELO_RPC.into(), "eth_chainId".into(), json!([])),
                Call::Rpc(
                    CELO_RPC.into(),
                    "eth_gasPrice".into(),
                    json!([CUSD_TESTNET])
                ),
                Call::Rpc(
                    CELO_RPC.into(),
                    "eth_getTransactionCount".into(),
                    json!([addr, "latest"])
                ),
                Call::Rpc(CELO_RPC.into(), "eth_chainId".into(), json!([])),
                Call::Rpc(
                    CELO_RPC.into(),
                    "eth_estimateGas".into(),
                    json!([{"gasPrice":"0x3b9aca00","value":"0x2386f26fc10000","from":addr,"to":TO,"data":"0x"}])
                ),
                Call::Rpc(CELO_RPC.into(), "eth_chainId".into(), json!([])),
            ]
        );
    }

    #[test]
    fn cusd_floor_and_refusals() {
        let answers = json!({"eth_chainId": "0xaef3", "eth_getTransactionCount": "0x0", "eth_gasPrice": "0x1"});
        let mut node = TestNode::with_rpc(answers.clone());
        let tx = pending(
            "CELO",
            json!({"to":TO,"gasLimit":"0x5208","feeCurrency":CUSD_TESTNET}),
        );
        let b = super::super::sign_kms(Chain::Celo, Network::Testnet, &tx, PK0, &mut node).unwrap();
        // nonce 0 (empty), gas price raised to 1 gwei
        assert!(b.body["txData"].as_str().unwrap()[6..].starts_with("80843b9aca00825208"));

        for (cfg, want) in [
            (json!({"to":TO,"gas":21000}), "invalid object key - gas"),
            (
                json!({"to":TO,"gasLimit":"0x5208","value":"1000"}),
                "invalid hexlify value",
            ),
            (
                json!({"to":TO,"gasLimit":"0x5208","chainId":1}),
                "chainId address mismatch",
            ),
        ] {
            let mut node = TestNode::with_rpc(answers.clone());
            let e = super::super::sign_kms(
                Chain::Celo,
                Network::Testnet,
                &pending("CELO", cfg.clone()),
                PK0,
                &mut node,
            )
            .unwrap_err();
            assert!(e.0.contains(want), "{cfg}: {e}");
        }
    }
}
