//! The Tatum API over HTTP (blocking `ureq`, rustls with the ring provider). Implements the
//! chain code's [`Node`] interface against `TATUM_API_URL`, plus the daemon's own calls.

use std::time::Duration;

use kms_chains::node::{Broadcast, ExternalService, Node, NodeError};
use serde_json::{json, Value};

/// The version header the original sends; the API uses it for upgrade notices.
pub const CLIENT_VERSION: &str = "8.0.1";

/// Base URLs of the hosts outside the Tatum API that the original hard-codes (spec §4.5).
#[derive(Clone, Debug)]
pub struct ExternalUrls {
    pub polygon_gas_station: String,
    pub vechain_mainnet: String,
    pub vechain_testnet: String,
    pub flow_mainnet: String,
    pub flow_testnet: String,
}

impl Default for ExternalUrls {
    fn default() -> Self {
        Self {
            polygon_gas_station: "https://gasstation.polygon.technology".into(),
            vechain_mainnet: "https://sync-mainnet.vechain.org".into(),
            vechain_testnet: "https://sync-testnet.vechain.org".into(),
            flow_mainnet: "https://rest-mainnet.onflow.org".into(),
            flow_testnet: "https://rest-testnet.onflow.org".into(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("cannot reach {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{url} answered with a body that is not the expected JSON: {reason}")]
    Body { url: String, reason: String },
}

pub struct TatumApi {
    agent: ureq::Agent,
    base: String,
    api_key: String,
    external: ExternalUrls,
    rpc_id: u64,
}

impl TatumApi {
    pub fn new(base: &str, api_key: &str, timeout: Duration, external: ExternalUrls) -> Self {
        let agent = agent(timeout);
        Self {
            agent,
            base: base.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            external,
            rpc_id: 0,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.replace("{apiKey}", &self.api_key))
    }

    /// The URL as it may be logged: the API key in gateway paths is masked.
    fn shown(&self, url: &str) -> String {
        if self.api_key.is_empty() {
            url.to_string()
        } else {
            url.replace(&self.api_key, "***")
        }
    }

    fn finish(
        &self,
        url: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, ApiError> {
        let shown = self.shown(url);
        let mut response = result.map_err(|e| ApiError::Transport {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| ApiError::Transport {
                url: shown.clone(),
                reason: format!("reading the answer: {e}"),
            })?;
        if !(200..300).contains(&status) {
            return Err(ApiError::Status {
                url: shown,
                status,
                body: text,
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| ApiError::Body {
            url: shown,
            reason: e.to_string(),
        })
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        let url = self.url(path);
        let result = self
            .agent
            .post(&url)
            .header("x-api-key", &self.api_key)
            .header("x-ttm-kms-client-version", CLIENT_VERSION)
            .header("content-type", "application/json")
            .send(&compact_json(body));
        self.finish(&url, result)
    }

    pub fn get_json(&self, path: &str) -> Result<Value, ApiError> {
        let url = self.url(path);
        let result = self
            .agent
            .get(&url)
            .header("x-api-key", &self.api_key)
            .call();
        self.finish(&url, result)
    }

    /// `POST /v3/kms/pending/{chain}`: the pending transactions for these wallet ids.
    pub fn pending(&self, chain: &str, ids: &[String]) -> Result<Vec<Value>, ApiError> {
        let path = format!("/v3/kms/pending/{chain}");
        match self.post_json(&path, &json!({ "signatureIds": ids }))? {
            Value::Array(items) => Ok(items),
            other => Err(ApiError::Body {
                url: self.url(&path),
                reason: format!("expected a JSON array, got {}", kind(&other)),
            }),
        }
    }

    /// `POST /v3/tatum/kms/batch` with `{"errors": [{signatureId, error}]}`.
    pub fn report_errors(&self, errors: &[(String, String)]) -> Result<(), ApiError> {
        let list: Vec<Value> = errors
            .iter()
            .map(|(id, e)| json!({"signatureId": id, "error": e}))
            .collect();
        self.post_json("/v3/tatum/kms/batch", &json!({ "errors": list }))
            .map(|_| ())
    }

    pub fn broadcast(&self, b: &Broadcast) -> Result<Value, ApiError> {
        self.post_json(&b.path, &b.body)
    }

    fn external_base(&self, service: ExternalService) -> &str {
        match service {
            ExternalService::PolygonGasStation => &self.external.polygon_gas_station,
            ExternalService::VechainNode { testnet: false } => &self.external.vechain_mainnet,
            ExternalService::VechainNode { testnet: true } => &self.external.vechain_testnet,
            ExternalService::FlowAccessNode { testnet: false } => &self.external.flow_mainnet,
            ExternalService::FlowAccessNode { testnet: true } => &self.external.flow_testnet,
        }
    }
}

/// An HTTP client: rustls with the system's root certificates, a timeout for every request,
/// HTTP statuses as values (the API's error bodies are reported).
pub fn agent(timeout: Duration) -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The message reported for a failed API call: the API's own JSON answer when there is one
/// (as the original reports `err.response.data`), else what went wrong.
pub fn report_message(e: &ApiError) -> String {
    match e {
        ApiError::Status { body, .. } => match serde_json::from_str::<Value>(body) {
            Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.clone()),
            Err(_) => e.to_string(),
        },
        other => other.to_string(),
    }
}

/// A request body as the original's axios sends it: `JSON.stringify`, no whitespace. (ureq's
/// `send_json` pretty-prints.)
pub fn compact_json(body: &Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail: its map keys are strings.
    serde_json::to_vec(body).unwrap_or_default()
}

impl Node for TatumApi {
    fn rpc(&mut self, path: &str, method: &str, params: Value) -> Result<Value, NodeError> {
        self.rpc_id += 1;
        let url = self.url(path);
        // Node gateways carry the key in the path; web3 sends no x-api-key header.
        let body = json!({"jsonrpc": "2.0", "id": self.rpc_id, "method": method, "params": params});
        let result = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(&compact_json(&body));
        let answer = self
            .finish(&url, result)
            .map_err(|e| NodeError(report_message(&e)))?;
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            return Err(NodeError(format!("{method} failed: {error}")));
        }
        answer
            .get("result")
            .cloned()
            .ok_or_else(|| NodeError(format!("{method}: the node's answer has no result")))
    }

    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        self.get_json(path)
            .map_err(|e| NodeError(report_message(&e)))
    }

    fn post(&mut self, path: &str, body: &Value) -> Result<Value, NodeError> {
        self.post_json(path, body)
            .map_err(|e| NodeError(report_message(&e)))
    }

    fn get_external(&mut self, service: ExternalService, path: &str) -> Result<Value, NodeError> {
        let url = format!(
            "{}{}",
            self.external_base(service).trim_end_matches('/'),
            path
        );
        let result = self.agent.get(&url).call();
        self.finish(&url, result)
            .map_err(|e| NodeError(report_message(&e)))
    }

    /// `POST path` with a JSON body on an outside service (the Flow access node's
    /// `/v1/transactions`, the VeChain node's estimates); no Tatum headers.
    fn post_external(
        &mut self,
        service: ExternalService,
        path: &str,
        body: &Value,
    ) -> Result<Value, NodeError> {
        let url = format!(
            "{}{}",
            self.external_base(service).trim_end_matches('/'),
            path
        );
        let result = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(&compact_json(body));
        self.finish(&url, result)
            .map_err(|e| NodeError(report_message(&e)))
    }
}
