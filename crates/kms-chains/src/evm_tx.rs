//! Signing the pending transactions of the secp256k1/RLP account chains (ETH, BSC, MATIC,
//! CELO, KLAY, XDC, ONE, KCS, VET) byte for byte as the original does (spec §6.0–6.9).
//!
//! The pending `serializedTransaction` is a web3 `TransactionConfig` JSON. Each chain fills
//! what is missing the way its SDK function does, with the same calls through [`Node`], in
//! the same order and with the same parameters; the JavaScript value rules involved (which
//! values count as missing, web3 rewriting the object it is given to `estimateGas`) are
//! reproduced, because they decide which calls are made and which values are signed.
//!
//! - ETH, BSC, MATIC, XDC, ONE, KCS: `@tatumio/tatum` 1.37.56 (tatum-kcs for KCS) with
//!   web3 1.10.4 `accounts.signTransaction`: legacy EIP-155 transactions.
//! - KLAY: caver-js 1.8.2 legacy transactions (same encoding, `klay_*` calls).
//! - CELO: `@tatumio/celo` with celo-ethers-wrapper 0.1.1 and ethers 5 ([`celo`]).
//! - VET: thorify 1.6.2 and thor-devkit ([`vet`]).
//!
//! Not supported (the Tatum API does not send them): typed transactions (`type`,
//! `maxFeePerGas`, `maxPriorityFeePerGas`, `accessList`; Klaytn's own types). They are
//! refused with an error instead of being signed differently.

use k256::ecdsa::SigningKey;
use kms_core::{Chain, Network, PendingTransaction};
use serde_json::{json, Map, Value};

use crate::evm;
use crate::hash::keccak256;
use crate::hd::uncompressed_xy;
use crate::node::{Broadcast, ExternalService, Node};
use crate::signing::SignError;

mod celo;
mod rlp;
mod vet;

use crate::js::{hex_bytes_padded, hex_to_number, is_not, js_string, truthy, web3_number, Uint};
use rlp::{encode_list, Item};

/// Map of the transaction config; `serde_json` keeps the key order, as JavaScript does.
type Config = Map<String, Value>;

// JSON-RPC endpoints on the Tatum API; the daemon substitutes `{apiKey}`.
const ETH_RPC: &str = "/v3/ethereum/web3/{apiKey}";
const BSC_RPC: &str = "/v3/bsc/web3/{apiKey}";
const POLYGON_RPC: &str = "/v3/polygon/web3/{apiKey}";
const KLAY_RPC: &str = "/v3/blockchain/node/KLAY/{apiKey}";
const XDC_RPC: &str = "/v3/xdc/web3/{apiKey}";
const ONE_RPC: &str = "/v3/one/web3/{apiKey}";
const KCS_RPC: &str = "/v3/kcs/web3/{apiKey}";
const CELO_RPC: &str = "/v3/blockchain/node/CELO/{apiKey}";

/// Signs one pending transaction of an EVM-family chain with `private_key` (`0x` + 64 hex
/// digits, or bare hex) and returns the broadcast the original makes: the chain's
/// `/v3/{chain}/broadcast`, or the off-chain withdrawal broadcast for ETH and ONE with a
/// `withdrawalId`. `network` is the daemon's `--testnet` flag (it picks the VeChain node).
pub fn sign_kms(
    chain: Chain,
    network: Network,
    tx: &PendingTransaction,
    private_key: &str,
    node: &mut dyn Node,
) -> Result<Broadcast, SignError> {
    let signer = Signer::new(chain, private_key)?;
    let mut cfg = parse_config(&tx.serialized_transaction)?;
    let withdrawal_id = tx.withdrawal_id.as_deref().filter(|w| !w.is_empty());
    let (path, raw) = match chain {
        Chain::Eth => (
            "/v3/ethereum/broadcast",
            eth(&mut cfg, &signer, node, withdrawal_id.is_some())?,
        ),
        Chain::Bsc => ("/v3/bsc/broadcast", bsc(&mut cfg, &signer, node)?),
        Chain::Matic => ("/v3/polygon/broadcast", matic(&mut cfg, &signer, node)?),
        Chain::Xdc => ("/v3/xdc/broadcast", xdc(&mut cfg, &signer, node)?),
        Chain::One => ("/v3/one/broadcast", one(&mut cfg, &signer, node)?),
        Chain::Kcs => ("/v3/kcs/broadcast", kcs(&mut cfg, &signer, node)?),
        Chain::Klay => ("/v3/klaytn/broadcast", klay(&mut cfg, &signer, node)?),
        Chain::Celo => ("/v3/celo/broadcast", celo::sign(cfg, &signer, node)?),
        Chain::Vet => (
            "/v3/vet/broadcast",
            vet::sign(network, &tx.id, cfg, &signer, node)?,
        ),
        other => {
            return Err(SignError::new(format!(
                "{other} is not an EVM-family chain"
            )))
        }
    };
    Ok(match (chain, withdrawal_id) {
        (Chain::Eth | Chain::One, Some(wid)) => Broadcast::offchain(chain.code(), &tx.id, wid, raw),
        _ => Broadcast::tx_data(path, raw, &tx.id),
    })
}

fn parse_config(text: &str) -> Result<Config, SignError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(SignError::new(
            "serializedTransaction is not a JSON object (a web3 TransactionConfig)",
        )),
        Err(e) => Err(SignError::new(format!(
            "serializedTransaction is not valid JSON: {e}"
        ))),
    }
}

/// The signing key and its address.
pub(crate) struct Signer {
    key: SigningKey,
    /// `0x` + 40 lowercase hex digits.
    lower: String,
    /// EIP-55 form, as web3's `wallet[0].address`.
    checksum: String,
}

impl Signer {
    fn new(chain: Chain, text: &str) -> Result<Self, SignError> {
        let secret = evm::parse_hex_key(chain, text)?;
        let key = SigningKey::from_slice(secret.as_slice()).map_err(|_| {
            SignError::new(format!(
                "the {chain} private key is not a valid secp256k1 scalar"
            ))
        })?;
        let hash = keccak256(&uncompressed_xy(key.verifying_key()));
        let lower = format!("0x{}", hex::encode(&hash[12..]));
        let checksum = evm::to_checksum_address(&lower)?;
        Ok(Self {
            key,
            lower,
            checksum,
        })
    }

    /// ECDSA over a 32-byte hash (RFC 6979, low S, as elliptic's `canonical: true`):
    /// `(r, s, recovery id 0 or 1)`.
    pub(crate) fn sign(&self, hash: &[u8; 32]) -> Result<([u8; 32], [u8; 32], u8), SignError> {
        let (sig, recid) = self.key.sign_prehash_recoverable(hash);
        if recid.is_x_reduced() {
            return Err(SignError::new(
                "signature with an overflowing r value; cannot be encoded",
            ));
        }
        let (rb, sb) = sig.split_bytes();
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&rb);
        s.copy_from_slice(&sb);
        Ok((r, s, u8::from(recid.is_y_odd())))
    }
}

fn rpc(node: &mut dyn Node, path: &str, method: &str, params: Value) -> Result<Value, SignError> {
    Ok(node.rpc(path, method, params)?)
}

fn err(message: impl Into<String>) -> SignError {
    SignError::new(message)
}

/// The SDKs' test for a missing gas price: `!gasPrice || gasPrice === '0' || gasPrice === 0
/// || gasPrice === '0x0'`.
fn gas_price_missing(cfg: &Config) -> bool {
    let v = cfg.get("gasPrice");
    !truthy(v) || matches!(v, Some(Value::String(s)) if s == "0" || s == "0x0")
}

// ---------------------------------------------------------------------------------------
// Per-chain flows (the SDKs' `sign…KMSTransaction`).

/// `signEthKMSTransaction`, or `signEthOffchainKMSTransaction` for a withdrawal (which
/// always estimates gas).
fn eth(
    cfg: &mut Config,
    s: &Signer,
    node: &mut dyn Node,
    offchain: bool,
) -> Result<String, SignError> {
    if offchain || !truthy(cfg.get("gas")) {
        let gas = web3_estimate_gas_mutating(cfg, s, node, ETH_RPC)?;
        cfg.insert("gas".into(), gas);
    }
    if !truthy(cfg.get("nonce")) {
        let count = node.get(&format!("/v3/ethereum/transaction/count/{}", s.checksum))?;
        cfg.insert("nonce".into(), count);
    }
    if gas_price_missing(cfg) {
        let fee = node.get("/v3/blockchain/fee/ETH")?;
        let medium = fee.get("medium").filter(|v| !v.is_null()).ok_or_else(|| {
            err("TypeError: Cannot read properties of undefined (reading 'toString'): /v3/blockchain/fee/ETH has no medium")
        })?;
        cfg.insert("gasPrice".into(), Value::String(js_string(medium)));
    }
    web3_sign(cfg, s, node, ETH_RPC)
}

/// `signBscKMSTransaction`: always estimates (on the whole config), REST nonce, 10 gwei.
fn bsc(cfg: &mut Config, s: &Signer, node: &mut dyn Node) -> Result<String, SignError> {
    let gas = web3_estimate_gas_mutating(cfg, s, node, BSC_RPC)?;
    if !truthy(cfg.get("gas")) {
        cfg.insert("gas".into(), gas);
    }
    if !truthy(cfg.get("nonce")) {
        let count = node.get(&format!("/v3/bsc/transaction/count/{}", s.checksum))?;
        cfg.insert("nonce".into(), count);
    }
    if gas_price_missing(cfg) {
        cfg.insert("gasPrice".into(), Value::from("10000000000"));
    }
    web3_sign(cfg, s, node, BSC_RPC)
}

/// `signPolygonKMSTransaction`: estimate `{to, data}`, the Polygon gas station, node nonce.
fn matic(cfg: &mut Config, s: &Signer, node: &mut dyn Node) -> Result<String, SignError> {
    if !truthy(cfg.get("gas")) {
        let gas = web3_estimate_gas_to_data(cfg, s, node, POLYGON_RPC)?;
        cfg.insert("gas".into(), gas);
    }
    if gas_price_missing(cfg) {
        cfg.insert("gasPrice".into(), polygon_gas_price(node)?);
    }
    web3_sign(cfg, s, node, POLYGON_RPC)
}

/// `signXdcKMSTransaction`: always estimates, overwriting `gas`; REST nonce; the gas price,
/// when absent, is left to web3 (`eth_getBlockByNumber` + `eth_gasPrice`).
fn xdc(cfg: &mut Config, s: &Signer, node: &mut dyn Node) -> Result<String, SignError> {
    let gas = web3_estimate_gas_mutating(cfg, s, node, XDC_RPC)?;
    cfg.insert("gas".into(), gas);
    if !truthy(cfg.get("nonce")) {
        let count = node.get(&format!("/v3/xdc/transaction/count/{}", s.checksum))?;
        cfg.insert("nonce".into(), count);
    }
    web3_sign(cfg, s, node, XDC_RPC)
}

/// `signOneKMSTransaction` (also used for ONE off-chain withdrawals).
fn one(cfg: &mut Config, s: &Signer, node: &mut dyn Node) -> Result<String, SignError> {
    if !truthy(cfg.get("gas")) {
        let gas = web3_estimate_gas_to_data(cfg, s, node, ONE_RPC)?;
        cfg.insert("gas".into(), gas);
    }
    if gas_price_missing(cfg) {
        let price = rpc(node, ONE_RPC, "eth_gasPrice", json!([]))?;
        cfg.insert("gasPrice".into(), price);
    }
    web3_sign(cfg, s, node, ONE_RPC)
}

/// tatum-kcs `signKMSTransaction`: estimate `{to, data}`, 1 gwei, node nonce.
fn kcs(cfg: &mut Config, s: &Signer, node: &mut dyn Node) -> Result<String, SignError> {
    if !truthy(cfg.get("gas")) {
        let gas = web3_estimate_gas_to_data(cfg, s, node, KCS_RPC)?;
        cfg.insert("gas".into(), gas);
    }
    if gas_price_missing(cfg) {
        cfg.insert("gasPrice".into(), Value::from("1000000000"));
    }
    web3_sign(cfg, s, node, KCS_RPC)
}

/// `polygonGetGasPriceInWei`: `max(30, ceil(fast.maxFee ?? 30))` gwei.
fn polygon_gas_price(node: &mut dyn Node) -> Result<Value, SignError> {
    let data = node.get_external(ExternalService::PolygonGasStation, "/v2")?;
    let max_fee = data
        .get("fast")
        .and_then(|f| f.get("maxFee"))
        .filter(|v| !v.is_null());
    let fee = match max_fee {
        None => 30.0,
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(t)) => {
            let t = t.trim();
            match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16).map_or(f64::NAN, |n| n as f64),
                None => t.parse::<f64>().unwrap_or(f64::NAN),
            }
        }
        Some(_) => f64::NAN,
    };
    let gwei = fee.ceil().max(30.0);
    if !gwei.is_finite() || gwei >= 1e21 || fee.is_nan() {
        return Err(err(format!(
            "the Polygon gas station answered an unusable fast.maxFee: {}",
            max_fee.map(js_string).unwrap_or_default()
        )));
    }
    let wei = (gwei as u128) * 1_000_000_000;
    Ok(Value::String(wei.to_string()))
}

// ---------------------------------------------------------------------------------------
// web3 1.10.4

/// `client.eth.estimateGas(transactionConfig)`: web3 formats the very object it is given
/// (hex quantities, lowercase addresses, `from` = the signer), so later "is it missing?"
/// tests see the formatted values (a nonce `0` becomes the truthy `"0x0"`).
fn web3_estimate_gas_mutating(
    cfg: &mut Config,
    s: &Signer,
    node: &mut dyn Node,
    path: &str,
) -> Result<Value, SignError> {
    web3_format_call(cfg, Some(&s.checksum))?;
    let answer = rpc(
        node,
        path,
        "eth_estimateGas",
        json!([Value::Object(cfg.clone())]),
    )?;
    hex_to_number(&answer).map_err(err)
}

/// `client.eth.estimateGas({ to: transactionConfig.to, data: transactionConfig.data })`.
fn web3_estimate_gas_to_data(
    cfg: &Config,
    s: &Signer,
    node: &mut dyn Node,
    path: &str,
) -> Result<Value, SignError> {
    let mut call = Config::new();
    for key in ["to", "data"] {
        if let Some(v) = cfg.get(key) {
            call.insert(key.into(), v.clone());
        }
    }
    web3_format_call(&mut call, Some(&s.checksum))?;
    let answer = rpc(node, path, "eth_estimateGas", json!([Value::Object(call)]))?;
    hex_to_number(&answer).map_err(err)
}

/// web3-utils `isAddress`: 40 hex digits after an optional `0x`; mixed case must be a valid
/// EIP-55 checksum.
fn is_address(s: &str) -> bool {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
    if !(has_lower && has_upper) {
        return true;
    }
    evm::to_checksum_address(digits).is_ok_and(|c| c[2..] == *digits)
}

/// web3 `inputAddressFormatter`: `0x` + lowercase.
fn web3_address(v: &Value) -> Result<String, SignError> {
    match v {
        Value::String(s) if is_address(s) => {
            let digits = s.get(s.len() - 40..).unwrap_or_default();
            Ok(format!("0x{}", digits.to_ascii_lowercase()))
        }
        other => Err(err(format!(
            "Provided address {} is invalid, the capitalization checksum test failed, or it's an indirect IBAN address which can't be converted.",
            js_string(other)
        ))),
    }
}

fn web3_is_hex(s: &str) -> bool {
    let digits = s
        .strip_prefix("-0x")
        .or_else(|| s.strip_prefix("-0X"))
        .or_else(|| s.strip_prefix("0x"))
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    digits.bytes().all(|b| b.is_ascii_hexdigit())
}

fn quantity(v: &Value) -> Result<Value, SignError> {
    Ok(Value::String(web3_number(v).map_err(err)?.to_quantity()))
}

/// web3-core-helpers `inputCallFormatter` (`_txInputFormatter`, then `from`), in place.
fn web3_format_call(m: &mut Config, default_from: Option<&str>) -> Result<(), SignError> {
    if let Some(to) = m.get("to").filter(|v| truthy(Some(v))) {
        let to = web3_address(to)?;
        m.insert("to".into(), Value::String(to));
    }
    move_input_to_data(m)?;
    if let Some(data) = m.get("data").filter(|v| truthy(Some(v))) {
        let Some(data) = data.as_str() else {
            return Err(err(
                "TypeError: options.data.startsWith is not a function (data must be a hex string)",
            ));
        };
        let data = if data.starts_with("0x") {
            data.to_string()
        } else {
            format!("0x{data}")
        };
        if !web3_is_hex(&data) {
            return Err(err("The data field must be HEX encoded data."));
        }
        m.insert("data".into(), Value::String(data));
    }
    set_gas_from_gas_limit(m);
    if truthy(m.get("maxPriorityFeePerGas")) || truthy(m.get("maxFeePerGas")) {
        m.shift_remove("gasPrice");
    }
    for key in [
        "gasPrice",
        "gas",
        "value",
        "maxPriorityFeePerGas",
        "maxFeePerGas",
        "nonce",
        "type",
    ] {
        if let Some(v) = m.get(key) {
            let q = quantity(v)?;
            m.insert(key.into(), q);
        }
    }
    let from = if truthy(m.get("from")) {
        m.get("from").cloned()
    } else {
        default_from.map(Value::from)
    };
    if let Some(from) = from {
        let from = web3_address(&from)?;
        m.insert("from".into(), Value::String(from));
    }
    Ok(())
}

fn move_input_to_data(m: &mut Config) -> Result<(), SignError> {
    let has_data = truthy(m.get("data"));
    if truthy(m.get("input")) {
        if has_data {
            return Err(err("You can't have \"data\" and \"input\" as properties of transactions at the same time, please use either \"data\" or \"input\" instead."));
        }
        if let Some(input) = m.shift_remove("input") {
            m.insert("data".into(), input);
        }
    }
    Ok(())
}

/// `if (options.gas || options.gasLimit) options.gas = options.gas || options.gasLimit`.
fn set_gas_from_gas_limit(m: &mut Config) {
    if !truthy(m.get("gas")) && truthy(m.get("gasLimit")) {
        if let Some(limit) = m.get("gasLimit").cloned() {
            m.insert("gas".into(), limit);
        }
    }
}

fn reject_typed(cfg: &Config) -> Result<(), SignError> {
    for key in ["type", "maxFeePerGas", "maxPriorityFeePerGas"] {
        if cfg.contains_key(key) {
            return Err(err(format!(
                "typed (EIP-2718/EIP-1559) transactions are not supported: the transaction has '{key}'"
            )));
        }
    }
    if truthy(cfg.get("accessList")) {
        return Err(err(
            "typed (EIP-2930) transactions are not supported: the transaction has 'accessList'",
        ));
    }
    Ok(())
}

/// `@ethereumjs/util` `toBuffer` of an integer field web3 leaves unformatted (`gasLimit`).
fn ethjs_int(v: &Value) -> Result<Uint, SignError> {
    match v {
        Value::Number(n) => crate::js::js_number_to_uint(n)
            .filter(|u| u.to_u64().is_some_and(|x| x <= crate::js::MAX_SAFE_INTEGER))
            .ok_or_else(|| err(format!("invalid gasLimit: {n}"))),
        Value::String(s) => hex_bytes_padded(s)
            .map(|b| Uint::from_be_bytes(&b))
            .ok_or_else(|| {
                err(format!(
                    "Cannot convert string to buffer. toBuffer only supports 0x-prefixed hex strings and this string was given: {s}"
                ))
            }),
        other => Err(err(format!("invalid gasLimit: {}", js_string(other)))),
    }
}

fn check_256(name: &str, v: &Uint) -> Result<(), SignError> {
    if v.bytes().len() > 32 {
        return Err(err(format!("{name} cannot exceed MAX_INTEGER (2^256-1)")));
    }
    Ok(())
}

/// `0x` + the recipient's 20 bytes, or nothing for a contract creation.
fn to_bytes(v: Option<&Value>) -> Result<Vec<u8>, SignError> {
    if !truthy(v) {
        return Ok(Vec::new());
    }
    match v.and_then(Value::as_str).and_then(hex_bytes_padded) {
        Some(b) if b.len() == 20 => Ok(b),
        _ => Err(err(format!(
            "invalid recipient address: {}",
            v.map(js_string).unwrap_or_default()
        ))),
    }
}

/// web3 `accounts.signTransaction`: asks the node for the chain id, the nonce and the gas
/// price when absent (in that order), then signs a legacy EIP-155 transaction the way
/// `@ethereumjs/tx` does (hardfork london, custom chain).
fn web3_sign(
    cfg: &Config,
    s: &Signer,
    node: &mut dyn Node,
    path: &str,
) -> Result<String, SignError> {
    reject_typed(cfg)?;
    if !truthy(cfg.get("gas")) && !truthy(cfg.get("gasLimit")) {
        return Err(err("\"gas\" is missing"));
    }
    let chain_id = match cfg.get("chainId") {
        Some(v) if !v.is_null() => v.clone(),
        _ => hex_to_number(&rpc(node, path, "eth_chainId", json!([]))?).map_err(err)?,
    };
    let nonce = match cfg.get("nonce") {
        Some(v) if !v.is_null() => v.clone(),
        _ => {
            let count = rpc(
                node,
                path,
                "eth_getTransactionCount",
                json!([s.checksum, "latest"]),
            )?;
            hex_to_number(&count).map_err(err)?
        }
    };
    let gas_price = match cfg.get("gasPrice") {
        Some(v) => v.clone(),
        None => {
            rpc(node, path, "eth_getBlockByNumber", json!(["latest", false]))?;
            rpc(node, path, "eth_gasPrice", json!([]))?
        }
    };
    if is_not(Some(&chain_id)) || is_not(Some(&nonce)) || is_not(Some(&gas_price)) {
        return Err(err(format!(
            "One of the values \"chainId\", \"networkId\", \"gasPrice\", or \"nonce\" couldn't be fetched: [{},{},1,{}]",
            chain_id, nonce, gas_price
        )));
    }

    let mut t = cfg.clone();
    t.insert("chainId".into(), chain_id.clone());
    t.insert("nonce".into(), nonce);
    t.insert("gasPrice".into(), gas_price);
    web3_format_call(&mut t, None)?;

    let number = |key: &str| -> Result<Uint, SignError> {
        match t.get(key) {
            Some(v) if truthy(Some(v)) => web3_number(v).map_err(err),
            _ => Ok(Uint::default()),
        }
    };
    let nonce = number("nonce")?;
    let gas_price = number("gasPrice")?;
    let gas_limit = match t.get("gasLimit") {
        Some(v) if truthy(Some(v)) => ethjs_int(v)?,
        _ => number("gas")?,
    };
    let value = number("value")?;
    let chain_id = web3_number(&chain_id).map_err(err)?;
    for (name, v) in [
        ("nonce", &nonce),
        ("gasPrice", &gas_price),
        ("gasLimit", &gas_limit),
        ("value", &value),
        ("chainId", &chain_id),
    ] {
        check_256(name, v)?;
    }
    let data = match t.get("data") {
        Some(v) if truthy(Some(v)) => v
            .as_str()
            .and_then(hex_bytes_padded)
            .ok_or_else(|| err("The data field must be HEX encoded data."))?,
        _ => Vec::new(),
    };
    let to = to_bytes(t.get("to"))?;
    legacy_eip155(
        s, &nonce, &gas_price, &gas_limit, &to, &value, &data, &chain_id,
    )
}

/// A legacy transaction with EIP-155 replay protection:
/// signs keccak256(rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0])) and
/// returns `0x` + rlp([…, v = chainId·2 + 35 + recid, r, s]) in lowercase hex.
#[allow(clippy::too_many_arguments)]
fn legacy_eip155(
    s: &Signer,
    nonce: &Uint,
    gas_price: &Uint,
    gas_limit: &Uint,
    to: &[u8],
    value: &Uint,
    data: &[u8],
    chain_id: &Uint,
) -> Result<String, SignError> {
    let fields = || {
        vec![
            Item::bytes(nonce.bytes()),
            Item::bytes(gas_price.bytes()),
            Item::bytes(gas_limit.bytes()),
            Item::bytes(to),
            Item::bytes(value.bytes()),
            Item::bytes(data),
        ]
    };
    let mut unsigned = fields();
    unsigned.extend([
        Item::bytes(chain_id.bytes()),
        Item::bytes(&[]),
        Item::bytes(&[]),
    ]);
    let hash = keccak256(&encode_list(unsigned));
    let (r, sig_s, recid) = s.sign(&hash)?;
    let v = chain_id.mul_add_small(2, 35 + u32::from(recid));
    let mut signed = fields();
    signed.extend([
        Item::bytes(v.bytes()),
        Item::bytes(Uint::from_be_bytes(&r).bytes()),
        Item::bytes(Uint::from_be_bytes(&sig_s).bytes()),
    ]);
    Ok(format!("0x{}", hex::encode(encode_list(signed))))
}

// ---------------------------------------------------------------------------------------
// KLAY: caver-js 1.8.2

/// `signKlayKMSTransaction`.
fn klay(cfg: &mut Config, s: &Signer, node: &mut dyn Node) -> Result<String, SignError> {
    if !truthy(cfg.get("gas")) {
        let mut call = Config::new();
        for key in ["to", "data"] {
            if let Some(v) = cfg.get(key) {
                call.insert(key.into(), v.clone());
            }
        }
        caver_format_call(&mut call, Some(&s.lower))?;
        let answer = rpc(
            node,
            KLAY_RPC,
            "klay_estimateGas",
            json!([Value::Object(call)]),
        )?;
        cfg.insert("gas".into(), hex_to_number(&answer).map_err(err)?);
    }
    if gas_price_missing(cfg) {
        let price = rpc(node, KLAY_RPC, "klay_gasPrice", json!([]))?;
        cfg.insert("gasPrice".into(), price);
    }
    cfg.insert("from".into(), Value::String(s.checksum.clone()));
    klay_sign(cfg, s, node)
}

/// caver `accounts.signTransaction` for a LEGACY transaction.
fn klay_sign(cfg: &mut Config, s: &Signer, node: &mut dyn Node) -> Result<String, SignError> {
    match cfg.get("type") {
        None => {}
        Some(Value::String(t)) if t == "LEGACY" => {}
        Some(other) => {
            return Err(err(format!(
                "Klaytn transaction type {} is not supported (only LEGACY)",
                js_string(other)
            )))
        }
    }
    if !cfg.contains_key("to") && !cfg.contains_key("data") && !cfg.contains_key("input") {
        return Err(err("contract creation without any data provided"));
    }
    if let Some(Value::String(to)) = cfg.get("to") {
        if !to.is_empty()
            && to != "0x"
            && to != "0x0000000000000000000000000000000000000000"
            && !is_address(to)
        {
            return Err(err(format!("Invalid address of to: {to}")));
        }
    }
    for key in ["accessList", "maxPriorityFeePerGas", "maxFeePerGas"] {
        if cfg.contains_key(key) {
            return Err(err(format!(
                "\"{key}\" cannot be used with LEGACY transaction"
            )));
        }
    }
    if !cfg.contains_key("gas") && !cfg.contains_key("gasLimit") {
        return Err(err("\"gas\" is missing"));
    }
    let all_given = ["nonce", "chainId", "gasPrice"]
        .iter()
        .all(|k| cfg.contains_key(*k));
    if !all_given {
        if is_not(cfg.get("chainId")) {
            let id = rpc(node, KLAY_RPC, "klay_chainID", json!([]))?;
            cfg.insert("chainId".into(), hex_to_number(&id).map_err(err)?);
        }
        if is_not(cfg.get("gasPrice")) {
            let price = rpc(node, KLAY_RPC, "klay_gasPrice", json!([]))?;
            cfg.insert("gasPrice".into(), price);
        }
        if is_not(cfg.get("nonce")) {
            let count = rpc(
                node,
                KLAY_RPC,
                "klay_getTransactionCount",
                json!([s.lower, "pending"]),
            )?;
            cfg.insert("nonce".into(), hex_to_number(&count).map_err(err)?);
        }
        for key in ["chainId", "gasPrice", "nonce"] {
            if is_not(cfg.get(key)) {
                return Err(err(format!(
                    "One of the values \"chainId\", \"gasPrice\", or \"nonce\" couldn't be fetched: {key} is missing"
                )));
            }
        }
    }

    let mut t = cfg.clone();
    caver_format_call(&mut t, None)?;
    let number = |key: &str| -> Result<Uint, SignError> {
        match t.get(key) {
            Some(v) if truthy(Some(v)) => web3_number(v).map_err(err),
            Some(Value::Null) => Err(err(format!("{key} is null"))),
            _ => Ok(Uint::default()),
        }
    };
    let nonce = number("nonce")?;
    let gas_price = number("gasPrice")?;
    let gas = number("gas")?;
    let value = number("value")?;
    let chain_id = match t.get("chainId") {
        Some(v) if truthy(Some(v)) => web3_number(v).map_err(err)?,
        // `transaction.chainId || '0x1'`
        _ => Uint::from_u64(1),
    };
    for (name, v) in [
        ("nonce", &nonce),
        ("gasPrice", &gas_price),
        ("gas", &gas),
        ("value", &value),
        ("chainId", &chain_id),
    ] {
        check_256(name, v)?;
    }
    let data = match t.get("data") {
        Some(Value::String(d)) if !d.is_empty() => {
            let d = if d.starts_with("0x") || d.starts_with("0X") {
                d.clone()
            } else {
                format!("0x{d}")
            };
            match d.get(2..).filter(|h| h.len() % 2 == 0).map(hex::decode) {
                Some(Ok(b)) => b,
                _ => return Err(err(format!("invalid transaction data: {d}"))),
            }
        }
        _ => Vec::new(),
    };
    let to = match t.get("to") {
        Some(Value::String(to)) if to != "0x" && !to.is_empty() => to_bytes(t.get("to"))?,
        _ => Vec::new(),
    };
    legacy_eip155(s, &nonce, &gas_price, &gas, &to, &value, &data, &chain_id)
}

/// caver-core-helpers `inputCallFormatter`, in place.
fn caver_format_call(m: &mut Config, default_from: Option<&str>) -> Result<(), SignError> {
    if let Some(from) = m.get("from").filter(|v| truthy(Some(v))) {
        let from = caver_address(from)?;
        m.insert("from".into(), Value::String(from));
    }
    if let Some(to) = m.get("to").filter(|v| truthy(Some(v))) {
        // A contract deployment keeps `to: '0x'`.
        let deploy = to.as_str() == Some("0x")
            && truthy(m.get("data"))
            && m.get("data").and_then(Value::as_str) != Some("0x");
        if !deploy {
            let to = caver_address(to)?;
            m.insert("to".into(), Value::String(to));
        }
    }
    move_input_to_data(m)?;
    if let Some(data) = m.get("data").filter(|v| truthy(Some(v))) {
        let data = match data {
            Value::String(d) => caver_data(d)?,
            other => {
                return Err(err(format!(
                    "unsupported transaction data: {}",
                    js_string(other)
                )))
            }
        };
        m.insert("data".into(), Value::String(data));
    }
    set_gas_from_gas_limit(m);
    for key in ["gasPrice", "gas", "value", "nonce", "feeRatio"] {
        if let Some(v) = m.get(key) {
            if let Value::Number(n) = v {
                if crate::js::js_number_to_uint(n)
                    .and_then(|u| u.to_u64())
                    .is_none_or(|u| u > crate::js::MAX_SAFE_INTEGER)
                {
                    return Err(err(format!(
                        "Number can only safely store up to 53 bits: Number type cannot handle big number. Please use hex string or BigNumber/BN. ({key} = {n})"
                    )));
                }
            }
            let q = quantity(v)?;
            m.insert(key.into(), q);
        }
    }
    let from = if truthy(m.get("from")) {
        m.get("from").cloned()
    } else {
        default_from.map(Value::from)
    };
    if let Some(from) = from {
        let from = caver_address(&from)?;
        m.insert("from".into(), Value::String(from));
    }
    Ok(())
}

fn caver_address(v: &Value) -> Result<String, SignError> {
    web3_address(v).map_err(|_| {
        err(format!(
            "Provided address \"{}\" is invalid, the capitalization checksum test failed.",
            js_string(v)
        ))
    })
}

/// caver keeps hex data (prefix optional) and turns text into its UTF-8 hex.
fn caver_data(d: &str) -> Result<String, SignError> {
    if web3_is_hex(d) {
        return Ok(d.to_string());
    }
    let t = d.trim();
    if d.starts_with("0x")
        || d.starts_with("0X")
        || d.starts_with("-0x")
        || (!t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite))
    {
        return Err(err(format!("invalid transaction data: {d}")));
    }
    let trimmed = d.trim_matches('\u{0}');
    Ok(format!("0x{}", hex::encode(trimmed.as_bytes())))
}

#[cfg(test)]
pub(crate) mod test_node {
    //! A [`Node`] that answers from fixed tables and records every call.

    use super::*;
    use crate::node::NodeError;

    #[derive(Debug, Clone, PartialEq)]
    pub(crate) enum Call {
        Rpc(String, String, Value),
        Get(String),
        External(String, String, Option<Value>),
    }

    #[derive(Default)]
    pub(crate) struct TestNode {
        pub rpc: Map<String, Value>,
        pub get: Vec<(String, Value)>,
        pub external: Vec<(String, Value)>,
        pub calls: Vec<Call>,
    }

    impl TestNode {
        pub(crate) fn with_rpc(answers: Value) -> Self {
            Self {
                rpc: answers.as_object().cloned().unwrap_or_default(),
                ..Self::default()
            }
        }

        pub(crate) fn methods(&self) -> Vec<String> {
            self.calls
                .iter()
                .map(|c| match c {
                    Call::Rpc(_, m, _) => m.clone(),
                    Call::Get(p) => format!("GET {p}"),
                    Call::External(_, p, _) => format!("EXT {p}"),
                })
                .collect()
        }
    }

    impl Node for TestNode {
        fn rpc(&mut self, path: &str, method: &str, params: Value) -> Result<Value, NodeError> {
            self.calls
                .push(Call::Rpc(path.into(), method.into(), params));
            self.rpc
                .get(method)
                .cloned()
                .ok_or_else(|| NodeError(format!("no answer for {method}")))
        }

        fn get(&mut self, path: &str) -> Result<Value, NodeError> {
            self.calls.push(Call::Get(path.into()));
            self.get
                .iter()
                .find(|(prefix, _)| path.starts_with(prefix.as_str()))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| NodeError(format!("no answer for GET {path}")))
        }

        fn post(&mut self, path: &str, _body: &Value) -> Result<Value, NodeError> {
            Err(NodeError(format!("unexpected POST {path}")))
        }

        fn get_external(
            &mut self,
            service: ExternalService,
            path: &str,
        ) -> Result<Value, NodeError> {
            self.calls
                .push(Call::External(format!("{service:?}"), path.into(), None));
            self.external
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| NodeError(format!("no answer for {path}")))
        }

        fn post_external(
            &mut self,
            service: ExternalService,
            path: &str,
            body: &Value,
        ) -> Result<Value, NodeError> {
            self.calls.push(Call::External(
                format!("{service:?}"),
                path.into(),
                Some(body.clone()),
            ));
            self.external
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| NodeError(format!("no answer for POST {path}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_node::{Call, TestNode};
    use super::*;

    /// EVM-testnet private key 0 of the spec's mnemonic M (spec §10.2).
    pub(crate) const PK0: &str =
        "0x11831b777e3fad99962ab773b23bad02812b85d8ac452e6c92434b4d7a79d9a3";
    pub(crate) const ADDR0: &str = "0xffd8857c1c991d4b40e04d4530ade722818e433d";
    pub(crate) const TO: &str = "0x96db019291732415c094b198cdc589840ca311b4";

    pub(crate) fn pending(chain: &str, serialized: Value) -> PendingTransaction {
        PendingTransaction {
            id: "65a1b2c3d4e5f60718293a4b".into(),
            chain: chain.into(),
            serialized_transaction: serialized.to_string(),
            hashes: vec![],
            index: None,
            signatures: None,
            withdrawal_id: None,
            withdrawal_responses: None,
            tx_id: None,
            other: Default::default(),
        }
    }

    /// The mock node of spec §10.3.
    fn node_10_3() -> TestNode {
        let mut node = TestNode::with_rpc(json!({
            "eth_chainId": "0xaa36a7",
            "eth_estimateGas": "0x5208",
            "eth_getTransactionCount": "0x5",
            "eth_gasPrice": "0x3b9aca00",
        }));
        node.get = vec![
            ("/v3/ethereum/transaction/count/".into(), json!(7)),
            ("/v3/bsc/transaction/count/".into(), json!(7)),
            (
                "/v3/blockchain/fee/ETH".into(),
                json!({"medium": 2000000000u64}),
            ),
        ];
        node
    }

    fn tx_data(b: &Broadcast) -> &str {
        b.body["txData"].as_str().unwrap()
    }

    const ETH_FULL: &str = "0xf86e03843b9aca008252089496db019291732415c094b198cdc589840ca311b4872386f26fc10000808401546d72a03d8c27309aa70c72a33cabb3df8ad37e37973a74977e99ee22f30d8466504741a025bca2c566cd27fec77236db4b2f24329710795872a832568aecc1176744cb32";

    #[test]
    fn eth_full_vector() {
        let mut node = node_10_3();
        let tx = pending(
            "ETH",
            json!({"from":0,"to":TO,"value":"0x2386f26fc10000","data":"0x","gas":"21000","gasPrice":"1000000000","nonce":3}),
        );
        let b = sign_kms(Chain::Eth, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/ethereum/broadcast");
        assert_eq!(tx_data(&b), ETH_FULL);
        assert_eq!(node.methods(), ["eth_chainId"]);
        assert_eq!(
            node.calls[0],
            Call::Rpc(ETH_RPC.into(), "eth_chainId".into(), json!([]))
        );
    }

    #[test]
    fn bsc_gives_the_same_bytes_after_its_estimate() {
        let mut node = node_10_3();
        let tx = pending(
            "BSC",
            json!({"from":0,"to":TO,"value":"0x2386f26fc10000","data":"0x","gas":"21000","gasPrice":"1000000000","nonce":3}),
        );
        let b = sign_kms(Chain::Bsc, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/bsc/broadcast");
        assert_eq!(tx_data(&b), ETH_FULL);
        assert_eq!(node.methods(), ["eth_estimateGas", "eth_chainId"]);
        assert_eq!(
            node.calls[0],
            Call::Rpc(
                BSC_RPC.into(),
                "eth_estimateGas".into(),
                json!([{"from":ADDR0,"to":TO,"value":"0x2386f26fc10000","data":"0x","gas":"0x5208","gasPrice":"0x3b9aca00","nonce":"0x3"}])
            )
        );
    }

    #[test]
    fn eth_min_vector_fills_from_rest_and_node() {
        let mut node = node_10_3();
        let tx = pending(
            "ETH",
            json!({"from":0,"to":TO,"value":"0x2386f26fc10000","data":"0x"}),
        );
        let b = sign_kms(Chain::Eth, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(tx_data(&b), "0xf86e0784773594008252089496db019291732415c094b198cdc589840ca311b4872386f26fc10000808401546d72a0791cff84215d45ecca6a24c20ab9f08dea4edf50b4f448e7cc2b9320ce98d268a04ee64c30fff03ee4c60cb9227e55a7c654f5808d1530ce5e8b752b55b187a070");
        assert_eq!(
            node.calls,
            [
                Call::Rpc(
                    ETH_RPC.into(),
                    "eth_estimateGas".into(),
                    json!([{"from":ADDR0,"to":TO,"value":"0x2386f26fc10000","data":"0x"}])
                ),
                Call::Get(
                    "/v3/ethereum/transaction/count/0xFFd8857C1c991D4B40e04D4530ADe722818e433d"
                        .into()
                ),
                Call::Get("/v3/blockchain/fee/ETH".into()),
                Call::Rpc(ETH_RPC.into(), "eth_chainId".into(), json!([])),
            ]
        );
    }

    /// Quirk Q8 as the original really behaves: a zero nonce asks Tatum for the count only
    /// when web3 has not rewritten it to `"0x0"` during an estimate first.
    #[test]
    fn zero_nonce_rules() {
        let full = json!({"from":0,"to":TO,"value":"1","gas":21000,"gasPrice":"1","nonce":0});
        let mut node = node_10_3();
        sign_kms(
            Chain::Eth,
            Network::Testnet,
            &pending("ETH", full.clone()),
            PK0,
            &mut node,
        )
        .unwrap();
        assert_eq!(
            node.methods(),
            [
                "GET /v3/ethereum/transaction/count/0xFFd8857C1c991D4B40e04D4530ADe722818e433d",
                "eth_chainId"
            ]
        );
        // No gas: the estimate rewrites the nonce to "0x0", which is kept.
        let mut no_gas = full.clone();
        no_gas.as_object_mut().unwrap().remove("gas");
        let mut node = node_10_3();
        sign_kms(
            Chain::Eth,
            Network::Testnet,
            &pending("ETH", no_gas),
            PK0,
            &mut node,
        )
        .unwrap();
        assert_eq!(node.methods(), ["eth_estimateGas", "eth_chainId"]);
        // BSC always estimates first.
        let mut node = node_10_3();
        sign_kms(
            Chain::Bsc,
            Network::Testnet,
            &pending("BSC", full.clone()),
            PK0,
            &mut node,
        )
        .unwrap();
        assert_eq!(node.methods(), ["eth_estimateGas", "eth_chainId"]);
        // MATIC leaves a zero nonce to web3, which signs it as is.
        let mut node = node_10_3();
        sign_kms(
            Chain::Matic,
            Network::Testnet,
            &pending("MATIC", full),
            PK0,
            &mut node,
        )
        .unwrap();
        assert_eq!(node.methods(), ["eth_chainId"]);
    }

    #[test]
    fn eth_offchain_always_estimates_and_goes_to_the_offchain_endpoint() {
        let mut node = node_10_3();
        let mut tx = pending(
            "ETH",
            json!({"from":0,"to":TO,"value":"0x2386f26fc10000","data":"0x","gas":"21000","gasPrice":"1000000000","nonce":3}),
        );
        tx.withdrawal_id = Some("wd-1".into());
        let b = sign_kms(Chain::Eth, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/offchain/withdrawal/broadcast");
        assert_eq!(
            serde_json::to_string(&b.body).unwrap(),
            format!(
                r#"{{"currency":"ETH","signatureId":"65a1b2c3d4e5f60718293a4b","withdrawalId":"wd-1","txData":"{ETH_FULL}"}}"#
            )
        );
        assert_eq!(node.methods(), ["eth_estimateGas", "eth_chainId"]);
    }

    #[test]
    fn matic_partial_estimate_gas_station_and_node_nonce() {
        let mut node = node_10_3();
        node.external = vec![("/v2".into(), json!({"fast": {"maxFee": 41.2}}))];
        let tx = pending(
            "MATIC",
            json!({"from":0,"to":TO,"value":"0x2386f26fc10000","data":"0x"}),
        );
        let b = sign_kms(Chain::Matic, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/polygon/broadcast");
        assert_eq!(
            node.calls,
            [
                Call::Rpc(
                    POLYGON_RPC.into(),
                    "eth_estimateGas".into(),
                    json!([{"to":TO,"data":"0x","from":ADDR0}])
                ),
                Call::External("PolygonGasStation".into(), "/v2".into(), None),
                Call::Rpc(POLYGON_RPC.into(), "eth_chainId".into(), json!([])),
                Call::Rpc(
                    POLYGON_RPC.into(),
                    "eth_getTransactionCount".into(),
                    json!(["0xFFd8857C1c991D4B40e04D4530ADe722818e433d", "latest"])
                ),
            ]
        );
        // 42 gwei, nonce 5
        assert!(
            tx_data(&b)[6..].starts_with("058509c7652400825208"),
            "{}",
            tx_data(&b)
        );
    }

    #[test]
    fn xdc_without_gas_price_asks_web3s_way() {
        let mut node = node_10_3();
        node.rpc
            .insert("eth_getBlockByNumber".into(), json!({"number": "0x10"}));
        node.get = vec![("/v3/xdc/transaction/count/".into(), json!(7))];
        let tx = pending("XDC", json!({"from":0,"to":TO,"value":"10"}));
        let b = sign_kms(Chain::Xdc, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/xdc/broadcast");
        assert_eq!(
            node.methods(),
            [
                "eth_estimateGas",
                "GET /v3/xdc/transaction/count/0xFFd8857C1c991D4B40e04D4530ADe722818e433d",
                "eth_chainId",
                "eth_getBlockByNumber",
                "eth_gasPrice"
            ]
        );
        assert_eq!(
            node.calls[3],
            Call::Rpc(
                XDC_RPC.into(),
                "eth_getBlockByNumber".into(),
                json!(["latest", false])
            )
        );
        // nonce 7, gasPrice 1 gwei (node)
        assert!(
            tx_data(&b)[6..].starts_with("07843b9aca00825208"),
            "{}",
            tx_data(&b)
        );
    }

    #[test]
    fn one_and_kcs_fill_their_way() {
        let mut node = node_10_3();
        let tx = pending("ONE", json!({"from":0,"to":TO,"value":"10"}));
        let b = sign_kms(Chain::One, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/one/broadcast");
        assert_eq!(
            node.methods(),
            [
                "eth_estimateGas",
                "eth_gasPrice",
                "eth_chainId",
                "eth_getTransactionCount"
            ]
        );
        let mut node = node_10_3();
        let mut tx = pending("ONE", json!({"from":0,"to":TO,"value":"10"}));
        tx.withdrawal_id = Some("w".into());
        let b = sign_kms(Chain::One, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/offchain/withdrawal/broadcast");
        assert_eq!(b.body["currency"], "ONE");

        let mut node = node_10_3();
        let tx = pending(
            "KCS",
            json!({"from":0,"to":TO,"value":"10","gasPrice":"0x0"}),
        );
        let b = sign_kms(Chain::Kcs, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/kcs/broadcast");
        assert_eq!(
            node.calls,
            [
                Call::Rpc(
                    KCS_RPC.into(),
                    "eth_estimateGas".into(),
                    json!([{"to":TO,"from":ADDR0}])
                ),
                Call::Rpc(KCS_RPC.into(), "eth_chainId".into(), json!([])),
                Call::Rpc(
                    KCS_RPC.into(),
                    "eth_getTransactionCount".into(),
                    json!(["0xFFd8857C1c991D4B40e04D4530ADe722818e433d", "latest"])
                ),
            ]
        );
        // nonce 5, 1 gwei
        assert!(
            tx_data(&b)[6..].starts_with("05843b9aca00825208"),
            "{}",
            tx_data(&b)
        );
    }

    /// Spec §10.3 KLAY: chainId 1001, nonce 3 and gas price 0x5d21dba00 from the node.
    #[test]
    fn klay_vector() {
        let mut node = TestNode::with_rpc(json!({
            "klay_estimateGas": "0x5208",
            "klay_chainID": "0x3e9",
            "klay_gasPrice": "0x5d21dba00",
            "klay_getTransactionCount": "0x3",
        }));
        let tx = pending(
            "KLAY",
            json!({"from":0,"to":TO,"value":"0x2386f26fc10000","data":"0x"}),
        );
        let b = sign_kms(Chain::Klay, Network::Testnet, &tx, PK0, &mut node).unwrap();
        assert_eq!(b.path, "/v3/klaytn/broadcast");
        assert_eq!(tx_data(&b), "0xf86d038505d21dba008252089496db019291732415c094b198cdc589840ca311b4872386f26fc10000808207f6a07116c97fae59a62c51f03a17609d19cf7866c42c4e8f3ede323453344b651453a06980e36957713bf9691698830444fbd8f340f9952955ef39999de26327b1b668");
        assert_eq!(
            node.calls,
            [
                Call::Rpc(
                    KLAY_RPC.into(),
                    "klay_estimateGas".into(),
                    json!([{"to":TO,"data":"0x","from":ADDR0}])
                ),
                Call::Rpc(KLAY_RPC.into(), "klay_gasPrice".into(), json!([])),
                Call::Rpc(KLAY_RPC.into(), "klay_chainID".into(), json!([])),
                Call::Rpc(
                    KLAY_RPC.into(),
                    "klay_getTransactionCount".into(),
                    json!([ADDR0, "pending"])
                ),
            ]
        );
    }

    #[test]
    fn bad_inputs_are_reported_not_signed() {
        let cases = [
            (
                json!({"to":TO,"gas":1,"gasPrice":1,"nonce":1,"data":"0xzz"}),
                "HEX",
            ),
            (
                json!({"to":"0x1234","gas":1,"gasPrice":1,"nonce":1}),
                "invalid",
            ),
            (
                json!({"to":TO,"gas":1,"gasPrice":1,"nonce":1,"value":"1.5"}),
                "not a number",
            ),
            (
                json!({"to":TO,"gas":1,"gasPrice":1,"nonce":1,"maxFeePerGas":"1"}),
                "typed",
            ),
            (json!([1]), "JSON object"),
        ];
        for (cfg, want) in cases {
            let mut node = node_10_3();
            let e = sign_kms(
                Chain::Eth,
                Network::Testnet,
                &pending("ETH", cfg.clone()),
                PK0,
                &mut node,
            )
            .unwrap_err();
            assert!(e.0.contains(want), "{cfg}: {e}");
        }
        let mut node = node_10_3();
        let e = sign_kms(
            Chain::Eth,
            Network::Testnet,
            &pending("ETH", json!({})),
            "0x1234",
            &mut node,
        )
        .unwrap_err();
        assert!(e.0.contains("64 hex"), "{e}");
    }

    #[test]
    fn bare_hex_keys_work_and_erc20_data_passes_through() {
        let data = "0xa9059cbb0000000000000000000000008cb76aed9c5e336ef961265c6079c14e9cd3d2ea000000000000000000000000000000000000000000000000000000000016e360";
        let mut node = node_10_3();
        let tx = pending(
            "ETH",
            json!({"from":0,"to":TO,"data":data,"gas":"60000","gasPrice":"25000000000","nonce":12}),
        );
        let a = sign_kms(Chain::Eth, Network::Testnet, &tx, PK0, &mut node).unwrap();
        let b = sign_kms(Chain::Eth, Network::Testnet, &tx, &PK0[2..], &mut node).unwrap();
        assert_eq!(a, b);
        assert!(tx_data(&a).contains(&data[2..]));
    }
}
