//! `tatum-emulator`: a local Tatum API that speaks the KMS side of the protocol, for tests
//! and for users who want to try their KMS setup without spending credits.
//!
//! It serves what the daemon calls (pending transactions, every chain's broadcast, the
//! off-chain broadcast, the error batch, JSON-RPC node calls, REST routes, a four-eye
//! service) from a *scenario* in the format of the recorded cases' `mock_config.json`,
//! records every request, and has admin endpoints under `/__admin/` to change the scenario
//! and inject faults while it runs. See `docs/EMULATOR.md`.
#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tiny_http::{Header, Request, Response, Server};

/// A REST answer: requests whose method and path match get `body` with `status`.
#[derive(Clone, Debug, Deserialize)]
pub struct Route {
    #[serde(default)]
    pub method: Option<String>,
    pub path_regex: String,
    #[serde(default)]
    pub body: Value,
    #[serde(default = "ok_status")]
    pub status: u16,
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// Match against the path with its query string.
    #[serde(default)]
    pub with_query: bool,
}

fn ok_status() -> u16 {
    200
}

/// Scenario file: the recorded cases' `mock_config.json` format.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Scenario {
    /// Pending transactions per chain code.
    #[serde(default)]
    pub pending: Map<String, Value>,
    /// Extra response headers on pending answers.
    #[serde(default)]
    pub pending_headers: Map<String, Value>,
    /// JSON-RPC results by method; `{"__error__": {...}}` answers with an error.
    #[serde(default)]
    pub jsonrpc: Map<String, Value>,
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Pending ids the four-eye service (`/foureye/{id}`) refuses with 403.
    #[serde(default)]
    pub foureye_deny: Vec<String>,
    #[serde(default)]
    pub broadcast_txid: Option<String>,
    /// When set, the four-eye service signs its approvals as docs/FOUR-EYE.md says:
    /// `X-Tatum-KMS-Approval: hex HMAC-SHA256(secret, id + "." + sha256hex(body))`.
    #[serde(default)]
    pub foureye_secret: Option<String>,
}

/// A fault to inject on requests whose path matches.
#[derive(Clone, Debug, Deserialize)]
pub struct Fault {
    pub path_regex: String,
    /// `status` (answer `status`), `slow` (wait `delay_ms`, then answer normally),
    /// `garbage` (a body that is not JSON), `drop` (close the connection mid-answer).
    pub kind: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// How many requests it applies to; absent means all.
    #[serde(default)]
    pub times: Option<u64>,
}

#[derive(Default)]
struct State {
    scenario: Scenario,
    routes: Vec<(Route, Regex)>,
    faults: Vec<(Fault, Regex)>,
    requests: Vec<Value>,
    completed: HashSet<String>,
    api_key: Option<String>,
}

impl State {
    fn set_scenario(&mut self, scenario: Scenario) -> Result<(), String> {
        self.routes = compile_routes(&scenario.routes)?;
        self.scenario = scenario;
        Ok(())
    }
}

fn compile_routes(routes: &[Route]) -> Result<Vec<(Route, Regex)>, String> {
    routes
        .iter()
        .map(|r| {
            let re = Regex::new(&format!("^(?:{})$", r.path_regex))
                .map_err(|e| format!("bad path_regex {}: {e}", r.path_regex))?;
            Ok((r.clone(), re))
        })
        .collect()
}

/// A running emulator. Dropping it does not stop the server; call [`Emulator::stop`].
#[derive(Clone)]
pub struct Emulator {
    state: Arc<Mutex<State>>,
    server: Arc<Server>,
    addr: SocketAddr,
}

const KEEP_HEADERS: [&str; 8] = [
    "x-tatum-kms-timestamp",
    "x-tatum-kms-signature",
    "content-type",
    "x-api-key",
    "x-ttm-kms-client-version",
    "user-agent",
    "x-testnet-type",
    "accept",
];

impl Emulator {
    /// Starts on `addr` (port 0 = ephemeral) with `workers` request threads.
    pub fn start(addr: &str, scenario: Scenario, api_key: Option<String>) -> Result<Self, String> {
        let server = Server::http(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| "the server has no IP address".to_string())?;
        let mut state = State {
            api_key,
            ..State::default()
        };
        state.set_scenario(scenario)?;
        let emulator = Emulator {
            state: Arc::new(Mutex::new(state)),
            server: Arc::new(server),
            addr,
        };
        for _ in 0..8 {
            let e = emulator.clone();
            thread::spawn(move || {
                while let Ok(request) = e.server.recv() {
                    e.handle(request);
                }
            });
        }
        Ok(emulator)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(&self) {
        self.server.unblock();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every request received so far, in order, as the recorded cases store them.
    pub fn requests(&self) -> Vec<Value> {
        self.lock().requests.clone()
    }

    pub fn broadcasts(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.contains("broadcast"))
            })
            .collect()
    }

    /// Every `{signatureId, error}` reported to the error batch.
    pub fn reported_errors(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for r in self.requests() {
            if r["path"] == "/v3/tatum/kms/batch" {
                if let Ok(body) = serde_json::from_str::<Value>(r["body"].as_str().unwrap_or("")) {
                    out.extend(body["errors"].as_array().cloned().unwrap_or_default());
                }
            }
        }
        out
    }

    pub fn enqueue(&self, chain: &str, tx: Value) {
        let mut s = self.lock();
        let list = s
            .scenario
            .pending
            .entry(chain.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.push(tx);
        }
    }

    /// Makes the four-eye service (`/foureye/{id}`) refuse these pending ids.
    pub fn deny_four_eye(&self, ids: &[&str]) {
        self.lock()
            .scenario
            .foureye_deny
            .extend(ids.iter().map(|s| s.to_string()));
    }

    pub fn add_fault(&self, fault: Fault) -> Result<(), String> {
        let re = Regex::new(&format!("^(?:{})$", fault.path_regex)).map_err(|e| e.to_string())?;
        self.lock().faults.push((fault, re));
        Ok(())
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub fn set_scenario(&self, scenario: Scenario) -> Result<(), String> {
        self.lock().set_scenario(scenario)
    }

    fn handle(&self, mut request: Request) {
        let method = request.method().as_str().to_uppercase();
        let url = request.url().to_string();
        let path = url.split('?').next().unwrap_or("").to_string();
        let mut body_text = String::new();
        if request.as_reader().read_to_string(&mut body_text).is_err() {
            body_text.clear();
        }
        let headers: Map<String, Value> = request
            .headers()
            .iter()
            .filter_map(|h| {
                let name = h.field.as_str().as_str().to_ascii_lowercase();
                KEEP_HEADERS
                    .contains(&name.as_str())
                    .then(|| (name, Value::String(h.value.as_str().to_string())))
            })
            .collect();

        if path.starts_with("/__admin/") {
            let (status, body) = self.admin(&method, &path, &body_text);
            respond(request, status, &body, &Map::new());
            return;
        }

        let fault = self.take_fault(&path);
        if let Some(f) = &fault {
            if f.kind == "slow" {
                thread::sleep(Duration::from_millis(f.delay_ms.unwrap_or(5_000)));
            }
        }
        let (status, body, extra) = match &fault {
            Some(f) if f.kind == "status" => (
                f.status.unwrap_or(500),
                json!({"message": "emulator: injected fault"}),
                Map::new(),
            ),
            _ => self.answer(&method, &url, &path, &body_text, &headers),
        };
        let rendered = match &fault {
            Some(f) if f.kind == "garbage" => "<html>this is not JSON".to_string(),
            _ => render(&body),
        };
        let record = json!({
            "method": method, "path": url, "headers": headers, "body": body_text,
            "responseStatus": status, "responseBody": rendered,
        });
        {
            let mut s = self.lock();
            let seq = s.requests.len() + 1;
            let mut record = record;
            record["seq"] = json!(seq);
            s.requests.push(record);
        }
        match &fault {
            Some(f) if f.kind == "drop" => {
                // Promise more bytes than we send: the client sees the connection close mid-body.
                let data = rendered.into_bytes();
                let declared = data.len() + 1024;
                let response = Response::new(
                    status.into(),
                    vec![json_header()],
                    std::io::Cursor::new(data),
                    Some(declared),
                    None,
                );
                let _ = request.respond(response);
            }
            _ => respond_text(request, status, rendered, &extra),
        }
    }

    fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut s = self.lock();
        let index = s
            .faults
            .iter()
            .position(|(f, re)| re.is_match(path) && f.times != Some(0))?;
        let (fault, _) = &mut s.faults[index];
        if let Some(times) = fault.times.as_mut() {
            *times -= 1;
        }
        Some(fault.clone())
    }

    fn answer(
        &self,
        method: &str,
        url: &str,
        path: &str,
        body_text: &str,
        headers: &Map<String, Value>,
    ) -> (u16, Value, Map<String, Value>) {
        let body: Option<Value> = serde_json::from_str(body_text).ok();
        let mut s = self.lock();
        if let Some((route, _)) = s.routes.iter().find(|(r, re)| {
            r.method
                .as_deref()
                .unwrap_or(method)
                .eq_ignore_ascii_case(method)
                && re.is_match(if r.with_query { url } else { path })
        }) {
            return (route.status, route.body.clone(), route.headers.clone());
        }
        if let Some(id) = path.strip_prefix("/foureye/") {
            let id = id.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            if s.scenario.foureye_deny.iter().any(|d| d == id) {
                return (
                    403,
                    json!({"message": "denied by the emulator's four-eye service"}),
                    Map::new(),
                );
            }
            let mut extra = Map::new();
            if let Some(secret) = &s.scenario.foureye_secret {
                extra.insert(
                    "X-Tatum-KMS-Approval".into(),
                    Value::String(four_eye_approval(secret, id, body_text)),
                );
            }
            return (200, json!({"ok": true}), extra);
        }
        if !authorized(&s, path, headers) {
            return (
                401,
                json!({"statusCode": 401, "errorCode": "api.key.invalid", "message": "Invalid or missing x-api-key."}),
                Map::new(),
            );
        }
        if let Some(chain) = path.strip_prefix("/v3/kms/pending/") {
            if method == "POST" {
                let ids: HashSet<String> = body
                    .as_ref()
                    .and_then(|b| b["signatureIds"].as_array().cloned())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                let list = s
                    .scenario
                    .pending
                    .get(chain)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let selected: Vec<Value> = list
                    .into_iter()
                    .filter(|tx| !s.completed.contains(tx["id"].as_str().unwrap_or("")))
                    .filter(|tx| references_any(tx, &ids))
                    .collect();
                return (
                    200,
                    Value::Array(selected),
                    s.scenario.pending_headers.clone(),
                );
            }
        }
        if path == "/v3/tatum/kms/batch" {
            return (200, json!({}), Map::new());
        }
        if method == "POST" && path.contains("broadcast") {
            if let Some(id) = body.as_ref().and_then(|b| b["signatureId"].as_str()) {
                s.completed.insert(id.to_string());
            }
            let txid = s
                .scenario
                .broadcast_txid
                .clone()
                .unwrap_or_else(|| "emulator-txid-0001".into());
            return (200, json!({"txId": txid, "failed": false}), Map::new());
        }
        match body {
            Some(Value::Object(call)) if call.contains_key("method") => (
                200,
                rpc_answer(&s.scenario, &Value::Object(call)),
                Map::new(),
            ),
            Some(Value::Array(calls))
                if calls.first().is_some_and(|c| c.get("method").is_some()) =>
            {
                (
                    200,
                    Value::Array(calls.iter().map(|c| rpc_answer(&s.scenario, c)).collect()),
                    Map::new(),
                )
            }
            _ => (
                404,
                json!({"message": "emulator: no route", "path": path}),
                Map::new(),
            ),
        }
    }

    fn admin(&self, method: &str, path: &str, body_text: &str) -> (u16, Value) {
        let body: Value = serde_json::from_str(body_text).unwrap_or(Value::Null);
        let bad = |e: String| (400, json!({ "error": e }));
        match (method, path) {
            ("GET", "/__admin/requests") => (200, Value::Array(self.requests())),
            ("GET", "/__admin/broadcasts") => (200, Value::Array(self.broadcasts())),
            ("GET", "/__admin/errors") => (200, Value::Array(self.reported_errors())),
            ("POST", "/__admin/reset") => {
                let mut s = self.lock();
                s.requests.clear();
                s.faults.clear();
                s.completed.clear();
                (200, json!({}))
            }
            ("POST", "/__admin/scenario") => match serde_json::from_value::<Scenario>(body) {
                Ok(scenario) => match self.set_scenario(scenario) {
                    Ok(()) => (200, json!({})),
                    Err(e) => bad(e),
                },
                Err(e) => bad(e.to_string()),
            },
            ("POST", "/__admin/faults") => match serde_json::from_value::<Fault>(body) {
                Ok(f) => match self.add_fault(f) {
                    Ok(()) => (200, json!({})),
                    Err(e) => bad(e),
                },
                Err(e) => bad(e.to_string()),
            },
            ("DELETE", "/__admin/faults") => {
                self.clear_faults();
                (200, json!({}))
            }
            ("POST", "/__admin/foureye/deny") => {
                let ids: Vec<String> = body
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                self.lock().scenario.foureye_deny.extend(ids);
                (200, json!({}))
            }
            ("PUT", p) if p.starts_with("/__admin/jsonrpc/") => {
                let m = p.trim_start_matches("/__admin/jsonrpc/").to_string();
                self.lock().scenario.jsonrpc.insert(m, body);
                (200, json!({}))
            }
            ("POST", p) if p.starts_with("/__admin/pending/") => {
                let chain = p.trim_start_matches("/__admin/pending/").to_string();
                let txs = match body {
                    Value::Array(items) => items,
                    other => vec![other],
                };
                for tx in txs {
                    self.enqueue(&chain, tx);
                }
                (200, json!({}))
            }
            _ => (
                404,
                json!({"error": format!("no admin endpoint {method} {path}")}),
            ),
        }
    }
}

/// A pending transaction is returned for a poll when one of its wallets was asked for.
/// hex HMAC-SHA256(secret, id + "." + sha256hex(body)).
pub fn four_eye_approval(secret: &str, id: &str, body: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(hex::encode(Sha256::digest(body.as_bytes())).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn references_any(tx: &Value, ids: &HashSet<String>) -> bool {
    let hashes = tx["hashes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    let signatures = tx["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str());
    hashes.chain(signatures).any(|id| ids.contains(id))
}

/// The API key is checked on every `/v3` call: in `x-api-key`, or in the path for the
/// node gateways that carry it there (`/web3/{key}`, `/node/{CHAIN}/{key}`).
fn authorized(s: &State, path: &str, headers: &Map<String, Value>) -> bool {
    let Some(key) = &s.api_key else { return true };
    if headers.get("x-api-key").and_then(Value::as_str) == Some(key.as_str()) {
        return true;
    }
    let segments: Vec<&str> = path.split('/').collect();
    segments.windows(2).any(|w| w[0] == "web3" && w[1] == key)
        || segments.windows(3).any(|w| w[0] == "node" && w[2] == key)
}

fn rpc_answer(scenario: &Scenario, call: &Value) -> Value {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let method = call["method"].as_str().unwrap_or("");
    match scenario.jsonrpc.get(method) {
        Some(Value::Object(o)) if o.contains_key("__error__") => {
            json!({"jsonrpc": "2.0", "id": id, "error": o["__error__"]})
        }
        Some(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        None => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("emulator: method not configured: {method}")}})
        }
    }
}

fn render(body: &Value) -> String {
    match body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn json_header() -> Header {
    Header::from_bytes(&b"content-type"[..], &b"application/json"[..])
        .unwrap_or_else(|_| unreachable!("static header"))
}

fn respond(request: Request, status: u16, body: &Value, extra: &Map<String, Value>) {
    respond_text(request, status, render(body), extra)
}

fn respond_text(request: Request, status: u16, text: String, extra: &Map<String, Value>) {
    let mut response = Response::from_string(text)
        .with_status_code(status)
        .with_header(json_header());
    for (k, v) in extra {
        if let Ok(h) = Header::from_bytes(k.as_bytes(), v.as_str().unwrap_or_default().as_bytes()) {
            response = response.with_header(h);
        }
    }
    let _ = request.respond(response);
}
