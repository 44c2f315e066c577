//! What the kms-chains integration tests share: the signing fixtures (`fixtures/sign/`:
//! recorded daemon runs, oracle vectors, wallet plaintexts), pending transactions, signing
//! through `signing::sign_pending` as the daemon does, and a recording fake node answering
//! from canned JSON-RPC / REST answers.
//!
//! Each test binary compiles this module on its own, so items one of them does not use are
//! marked `#[allow(dead_code)]`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kms_chains::node::{Broadcast, ExternalService, Node, NodeError};
use kms_chains::signing::{self, SignContext, SignError};
use kms_core::{Chain, Network, PendingTransaction, WalletEntry};
use serde_json::{Map, Value};

/// The API key of the recordings: `{apiKey}` in the paths our chain code asks for.
#[allow(dead_code)]
pub const API_KEY: &str = "test-api-key";

/// `tests/fixtures/sign`: the recorded runs (`<case>/`), the oracle vectors and the
/// wallet files' plaintexts.
pub fn sign_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sign")
}

/// A JSON file, parsed; a failure names the file.
pub fn read_json(path: impl AsRef<Path>) -> Value {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A wallet file's plaintext (`{signatureId: entry}`) as the store the daemon looks in.
#[allow(dead_code)]
pub fn wallet_map(plaintext: &Value) -> HashMap<String, WalletEntry> {
    plaintext
        .as_object()
        .expect("wallet map")
        .iter()
        .map(|(id, v)| (id.clone(), WalletEntry::from_json(v.clone())))
        .collect()
}

/// The store of a recorded case's `walletFile` (`sign/wallet.dat` or `sign/wallet2.dat`).
#[allow(dead_code)]
pub fn wallet_store(wallet_file: &str) -> HashMap<String, WalletEntry> {
    let file = match wallet_file {
        "sign/wallet.dat" => "wallet.dat.plaintext.json",
        "sign/wallet2.dat" => "wallet2.dat.plaintext.json",
        other => panic!("unknown wallet file {other}"),
    };
    wallet_map(&read_json(sign_fixtures().join(file)))
}

/// One recorded daemon run, `fixtures/sign/<name>/`: its `case.json`, the chain and
/// network it signed for, and the store of its wallet file.
#[allow(dead_code)]
pub struct RecordedCase {
    pub name: String,
    pub dir: PathBuf,
    pub case: Value,
    pub chain: Chain,
    pub network: Network,
    pub store: HashMap<String, WalletEntry>,
}

#[allow(dead_code)]
impl RecordedCase {
    pub fn load(name: &str) -> Self {
        let dir = sign_fixtures().join(name);
        let case = read_json(dir.join("case.json"));
        let chain: Chain = case["chain"].as_str().unwrap().parse().unwrap();
        let network = Network::from_testnet(case["testnet"].as_bool().unwrap());
        let store = wallet_store(case["walletFile"].as_str().unwrap());
        Self {
            name: name.to_string(),
            dir,
            case,
            chain,
            network,
            store,
        }
    }

    /// Signs one of the case's pending transactions with its wallets, on its chain and
    /// network; a failure names the case and the transaction.
    pub fn sign(&self, tx: &PendingTransaction, node: &mut dyn Node) -> Broadcast {
        sign(self.chain, self.network, tx, &self.store, node)
            .unwrap_or_else(|e| panic!("{} {}: {e}", self.name, tx.id))
    }
}

/// The requests the recording mock saw (`<dir>/mock_requests.jsonl`), in order.
#[allow(dead_code)]
pub fn recorded_requests(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("mock_requests.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The broadcast our signer made equals the recorded one (`{path, body}`, the body as the
/// JSON text sent) byte for byte.
#[allow(dead_code)]
#[track_caller]
pub fn assert_recorded_broadcast(
    case_name: &str,
    tx: &PendingTransaction,
    got: &Broadcast,
    want: &Value,
) {
    assert_eq!(
        got.path,
        want["path"].as_str().unwrap(),
        "{case_name} {}",
        tx.id
    );
    assert_eq!(
        serde_json::to_string(&got.body).unwrap(),
        want["body"].as_str().unwrap(),
        "{case_name} {}: broadcast body",
        tx.id
    );
}

/// A pending transaction with only what the signers read.
#[allow(dead_code)]
pub fn pending<S: AsRef<str>>(
    id: &str,
    chain: &str,
    serialized: &str,
    hashes: &[S],
    index: Option<u32>,
) -> PendingTransaction {
    PendingTransaction {
        id: id.into(),
        chain: chain.into(),
        serialized_transaction: serialized.into(),
        hashes: hashes.iter().map(|s| s.as_ref().to_string()).collect(),
        index,
        signatures: None,
        withdrawal_id: None,
        withdrawal_responses: None,
        tx_id: None,
        other: Map::new(),
    }
}

/// Signs `tx` as the daemon does: resolve its wallets in `store`, then `sign_pending`.
#[allow(dead_code)]
pub fn sign(
    chain: Chain,
    network: Network,
    tx: &PendingTransaction,
    store: &HashMap<String, WalletEntry>,
    node: &mut dyn Node,
) -> Result<Broadcast, SignError> {
    let lookup = |id: &str| store.get(id);
    let mut notes = Vec::new();
    let wallets = signing::resolve_wallets(tx, &lookup, &mut notes)?;
    signing::sign_pending(SignContext {
        chain,
        network,
        tx,
        wallets: &wallets,
        node,
    })
}

/// [`sign`] on testnet.
#[allow(dead_code)]
pub fn sign_testnet(
    chain: Chain,
    tx: &PendingTransaction,
    store: &HashMap<String, WalletEntry>,
    node: &mut dyn Node,
) -> Result<Broadcast, SignError> {
    sign(chain, Network::Testnet, tx, store, node)
}

// --- a recording node with canned answers --------------------------------------------------

#[allow(dead_code)]
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Rpc {
        path: String,
        method: String,
        params: Value,
    },
    Get {
        path: String,
    },
    Post {
        path: String,
        body: Value,
    },
    /// A call to an outside service (`get_external` without a body).
    External {
        service: String,
        path: String,
        body: Option<Value>,
    },
}

#[allow(dead_code)]
impl Call {
    /// A JSON-RPC call as a node receives it.
    pub fn rpc(path: &str, method: &str, params: Value) -> Self {
        Call::Rpc {
            path: path.into(),
            method: method.into(),
            params,
        }
    }
}

/// Answers JSON-RPC by method (a queue per method when several answers are given), REST by
/// exact path (`"GET path"` / `"POST path"` in `rest`); records every call and every
/// pause, and never sleeps.
#[allow(dead_code)]
#[derive(Default)]
pub struct MockNode {
    pub rpc: HashMap<String, Vec<Value>>,
    pub rest: HashMap<String, Value>,
    pub calls: Vec<Call>,
    pub pauses: Vec<u64>,
}

#[allow(dead_code)]
impl MockNode {
    /// Answers a recording's `mock_config.json` gives: its `jsonrpc` answers by method.
    pub fn from_jsonrpc(config: &Value) -> Self {
        let mut node = Self::default();
        for (method, answer) in config["jsonrpc"].as_object().unwrap() {
            node.answer(method, vec![answer.clone()]);
        }
        node
    }

    pub fn answer(&mut self, method: &str, answers: Vec<Value>) {
        self.rpc.insert(method.to_string(), answers);
    }

    /// The JSON-RPC method of each call, `GET` / `POST` for the REST ones.
    pub fn methods(&self) -> Vec<&str> {
        self.calls
            .iter()
            .map(|c| match c {
                Call::Rpc { method, .. } => method.as_str(),
                Call::Get { .. } => "GET",
                Call::Post { .. } => "POST",
                Call::External { .. } => "EXTERNAL",
            })
            .collect()
    }

    /// The params of the first JSON-RPC call of `method`.
    pub fn params_of(&self, method: &str) -> Option<&Value> {
        self.calls.iter().find_map(|c| match c {
            Call::Rpc {
                method: m, params, ..
            } if m == method => Some(params),
            _ => None,
        })
    }
}

impl Node for MockNode {
    fn rpc(&mut self, path: &str, method: &str, params: Value) -> Result<Value, NodeError> {
        self.calls.push(Call::rpc(path, method, params));
        let queue = self
            .rpc
            .get_mut(method)
            .ok_or_else(|| NodeError(format!("the mock has no answer for {method}")))?;
        // The last answer repeats.
        Ok(if queue.len() > 1 {
            queue.remove(0)
        } else {
            queue[0].clone()
        })
    }

    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        self.calls.push(Call::Get { path: path.into() });
        self.rest
            .get(&format!("GET {path}"))
            .cloned()
            .ok_or_else(|| NodeError(format!("no route for GET {path}")))
    }

    fn post(&mut self, path: &str, body: &Value) -> Result<Value, NodeError> {
        self.calls.push(Call::Post {
            path: path.into(),
            body: body.clone(),
        });
        self.rest
            .get(&format!("POST {path}"))
            .cloned()
            .ok_or_else(|| NodeError(format!("no route for POST {path}")))
    }

    fn get_external(&mut self, _: ExternalService, path: &str) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected external GET {path}")))
    }

    fn pause(&mut self, millis: u64) {
        self.pauses.push(millis);
    }
}

// --- oracle vectors ----------------------------------------------------------------------

/// A case of `sol_oracle_vectors.json`: a testnet SOL private-key wallet for each of its
/// `privateKeys`, with the ids, in order.
#[allow(dead_code)]
pub fn sol_oracle_wallets(c: &Value) -> (HashMap<String, WalletEntry>, Vec<String>) {
    let mut store = HashMap::new();
    let mut ids = Vec::new();
    for (i, k) in c["privateKeys"].as_array().unwrap().iter().enumerate() {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        store.insert(
            id.clone(),
            WalletEntry::from_json(
                serde_json::json!({"privateKey": k, "chain": "SOL", "testnet": true}),
            ),
        );
        ids.push(id);
    }
    (store, ids)
}

/// A node for a case of `sol_oracle_vectors.json`: the case's latest blockhash, the
/// signature `the-signature` for `sendTransaction`, and `get_transaction` for every poll.
#[allow(dead_code)]
pub fn sol_oracle_node(c: &Value, get_transaction: Value) -> MockNode {
    let mut node = MockNode::default();
    node.answer(
        "getLatestBlockhash",
        vec![
            serde_json::json!({"context": {"slot": 1}, "value": {"blockhash": c["latest"], "lastValidBlockHeight": 100}}),
        ],
    );
    node.answer("sendTransaction", vec![serde_json::json!("the-signature")]);
    node.answer("getTransaction", vec![get_transaction]);
    node
}

/// A case of `egld_oracle_vectors.json` ready to sign: the private-key wallet `pk`, the
/// pending transaction (named after the case) and a node answering the recorded network
/// config, nonce and cost.
#[allow(dead_code)]
pub fn egld_oracle_run(c: &Value) -> (HashMap<String, WalletEntry>, PendingTransaction, MockNode) {
    let name = c["name"].as_str().unwrap();
    let mut store = HashMap::new();
    store.insert(
        "pk".to_string(),
        WalletEntry::from_json(
            serde_json::json!({"privateKey": c["privateKey"], "chain": "EGLD", "testnet": true}),
        ),
    );
    let tx = pending(
        name,
        "EGLD",
        c["serializedTransaction"].as_str().unwrap(),
        &["pk"],
        None,
    );
    let sender = c["sender"].as_str().unwrap();
    let mut node = MockNode::default();
    node.rest.insert(
        "GET /v3/egld/node/{apiKey}/network/config".into(),
        c["answers"]["config"].clone(),
    );
    node.rest.insert(
        format!("GET /v3/egld/node/{{apiKey}}/address/{sender}/nonce"),
        c["answers"]["nonce"].clone(),
    );
    node.rest.insert(
        "POST /v3/egld/node/{apiKey}/transaction/cost".into(),
        c["answers"]["cost"].clone(),
    );
    (store, tx, node)
}
