//! The network calls a chain's signing flow needs, as an interface. The daemon implements
//! it over HTTP (against `TATUM_API_URL`); tests implement it with recorded answers. Chain
//! code decides *which* call to make and with what body, so the requests are the original's.

use serde_json::Value;

/// Why a node call failed: the message the original would report (e.g. the API's JSON
/// error body, or a transport error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NodeError(pub String);

/// Hosts outside the Tatum API that the original contacts while signing (spec §4.5);
/// their base URLs are configurable in the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalService {
    PolygonGasStation,
    VechainNode { testnet: bool },
    FlowAccessNode { testnet: bool },
}

pub trait Node {
    /// A JSON-RPC 2.0 call, POSTed to `path` on the Tatum API (e.g.
    /// `/v3/ethereum/web3/{apiKey}`; the daemon substitutes `{apiKey}`). Returns `result`,
    /// or the JSON-RPC `error` / transport failure as a [`NodeError`].
    fn rpc(&mut self, path: &str, method: &str, params: Value) -> Result<Value, NodeError>;

    /// `GET path` on the Tatum API (with `x-api-key`), the parsed JSON body.
    fn get(&mut self, path: &str) -> Result<Value, NodeError>;

    /// `POST path` with a JSON body on the Tatum API (with `x-api-key`).
    fn post(&mut self, path: &str, body: &Value) -> Result<Value, NodeError>;

    /// `GET path` on an outside service.
    fn get_external(&mut self, service: ExternalService, path: &str) -> Result<Value, NodeError>;

    /// Waits `millis` milliseconds before the next poll of a signing flow that waits for
    /// the network (SOL: between `getTransaction` polls, 1 s, 2 s, … as the original).
    /// Chain code never sleeps itself: it asks here, so a test node can return at once (and
    /// record the waits). The default sleeps, which is what the daemon wants.
    fn pause(&mut self, millis: u64) {
        std::thread::sleep(std::time::Duration::from_millis(millis));
    }

    /// `POST path` with a JSON body on an outside service (VET: the VeChain node's
    /// `/accounts/*?revision=best` gas estimate).
    fn post_external(
        &mut self,
        service: ExternalService,
        path: &str,
        body: &Value,
    ) -> Result<Value, NodeError> {
        let _ = body;
        Err(NodeError(format!(
            "POST {path} on {service:?} is not supported by this node"
        )))
    }
}

/// What to send after signing: `POST path` with `body` on the Tatum API.
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    pub path: String,
    pub body: Value,
}

impl Broadcast {
    /// The usual `{txData, signatureId}` body (spec §4.6).
    pub fn tx_data(path: &str, tx_data: impl Into<String>, signature_id: &str) -> Self {
        let mut body = serde_json::Map::new();
        body.insert("txData".into(), Value::String(tx_data.into()));
        body.insert(
            "signatureId".into(),
            Value::String(signature_id.to_string()),
        );
        Self {
            path: path.to_string(),
            body: Value::Object(body),
        }
    }

    /// The off-chain withdrawal body, keys in the original's order:
    /// `{currency, signatureId, withdrawalId, txData}`.
    pub fn offchain(
        currency: &str,
        signature_id: &str,
        withdrawal_id: &str,
        tx_data: impl Into<String>,
    ) -> Self {
        let mut body = serde_json::Map::new();
        body.insert("currency".into(), Value::String(currency.to_string()));
        body.insert(
            "signatureId".into(),
            Value::String(signature_id.to_string()),
        );
        body.insert(
            "withdrawalId".into(),
            Value::String(withdrawal_id.to_string()),
        );
        body.insert("txData".into(), Value::String(tx_data.into()));
        Self {
            path: "/v3/offchain/withdrawal/broadcast".to_string(),
            body: Value::Object(body),
        }
    }
}
