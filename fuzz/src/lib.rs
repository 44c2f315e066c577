//! Shared harness of the fuzz targets (docs/FUZZING.md): a fake node, fixed test wallets,
//! and one function per kind of input. Every function must return normally, whatever the
//! bytes: a panic, an abort, a timeout or unbounded memory is a finding.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use kms_chains::keys;
use kms_chains::node::{ExternalService, Node, NodeError};
use kms_chains::signing::{self, SignContext, TxWallet};
use kms_core::{Chain, DerivationIndex, Network, PendingTransaction, SecretString, WalletEntry};
use serde_json::{json, Value};

/// The password of every seed v2 file and legacy file (see `fuzz/seeds.sh`).
pub const PASSWORD: &str = "fuzz-password";

/// A node that answers from the recorded fixtures' JSON-RPC answers and a few fixed REST
/// answers, or fails every call (`failing`). It never sleeps.
pub struct FuzzNode {
    failing: bool,
    rpc: &'static serde_json::Map<String, Value>,
}

fn rpc_answers() -> &'static serde_json::Map<String, Value> {
    static ANSWERS: OnceLock<serde_json::Map<String, Value>> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        serde_json::from_str(include_str!("../node_answers.json")).expect("node_answers.json")
    })
}

impl FuzzNode {
    pub fn new(failing: bool) -> Self {
        Self {
            failing,
            rpc: rpc_answers(),
        }
    }

    fn answer(&self, what: &str, found: Option<Value>) -> Result<Value, NodeError> {
        match found {
            Some(v) if !self.failing => Ok(v),
            _ => Err(NodeError(format!("fuzz node: no answer for {what}"))),
        }
    }
}

impl Node for FuzzNode {
    fn rpc(&mut self, _path: &str, method: &str, _params: Value) -> Result<Value, NodeError> {
        self.answer(method, self.rpc.get(method).cloned())
    }

    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        let found = if path.ends_with("/network/config") {
            Some(
                json!({"data": {"config": {"erd_chain_id": "D", "erd_min_gas_price": 1000000000u64, "erd_min_transaction_version": 1}}, "code": "successful"}),
            )
        } else if path.ends_with("/nonce") {
            Some(json!({"data": {"nonce": 9}, "code": "successful"}))
        } else if path.contains("/transaction/count/") {
            Some(json!(9))
        } else if path.starts_with("/v3/blockchain/fee/") {
            Some(
                json!({"slow": 10000000000u64, "medium": 30000000000u64, "fast": 50000000000u64, "block": 100, "baseFee": 1000}),
            )
        } else {
            None
        };
        self.answer(path, found)
    }

    fn post(&mut self, path: &str, _body: &Value) -> Result<Value, NodeError> {
        let found = path
            .ends_with("/transaction/cost")
            .then(|| json!({"data": {"txGasUnits": 50000}, "code": "successful"}));
        self.answer(path, found)
    }

    fn get_external(&mut self, _: ExternalService, path: &str) -> Result<Value, NodeError> {
        let found = match path {
            "/blocks/0" | "/blocks/best" => Some(
                json!({"id": "0x00000000851caf3cfdb6e899cf5958bfb1ac3413d346d43539627e6be7ec1b4a", "number": 100}),
            ),
            "/v2" => Some(json!({"standard": {"maxFee": 40.5, "maxPriorityFee": 30.1}})),
            _ => None,
        };
        self.answer(path, found)
    }

    fn post_external(
        &mut self,
        _: ExternalService,
        path: &str,
        _body: &Value,
    ) -> Result<Value, NodeError> {
        self.answer(path, None)
    }

    fn pause(&mut self, _millis: u64) {}
}

/// One private-key (or secret) wallet per chain and network, from fixed entropy: no
/// mnemonic, so no PBKDF2 per execution.
fn test_wallet(chain: Chain, network: Network) -> Option<&'static WalletEntry> {
    static WALLETS: OnceLock<HashMap<(Chain, bool), WalletEntry>> = OnceLock::new();
    let all = WALLETS.get_or_init(|| {
        let mut out = HashMap::new();
        for chain in Chain::ALL.iter().copied() {
            for network in [Network::Mainnet, Network::Testnet] {
                let Ok(w) = keys::generate_wallet(chain, network, &[7u8; 32]) else {
                    continue;
                };
                let mut fields: Vec<(&str, String)> = Vec::new();
                if let Some(secret) = w.get("secret") {
                    fields.push(("secret", secret.to_string()));
                }
                let key = match (w.get("privateKey"), w.get("mnemonic")) {
                    (Some(k), _) => Some(k.to_string()),
                    (None, Some(m)) => DerivationIndex::new(0)
                        .ok()
                        .and_then(|i| keys::private_key_from_mnemonic(chain, network, m, i).ok())
                        .map(|k| k.to_string()),
                    _ => None,
                };
                if let Some(k) = key {
                    fields.push(("privateKey", k));
                }
                if let Some(address) = w.get("address") {
                    fields.push(("address", address.to_string()));
                }
                let entry = WalletEntry::build(fields, chain, network.is_testnet());
                out.insert((chain, network.is_testnet()), entry);
            }
        }
        out
    });
    all.get(&(chain, network.is_testnet()))
}

/// Signs `data` as the serializedTransaction of a pending transaction of one of `chains`.
/// The first byte picks the chain, the network, and whether the node answers or fails.
pub fn sign(chains: &[Chain], data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let chain = chains[usize::from(mode >> 2) % chains.len()];
    let network = if mode & 1 == 1 {
        Network::Testnet
    } else {
        Network::Mainnet
    };
    let failing = mode & 2 == 2;
    let Some(entry) = test_wallet(chain, network) else {
        return;
    };
    let serialized = String::from_utf8_lossy(rest).into_owned();
    let id = "00000000-0000-4000-8000-00000000f022";
    let tx = PendingTransaction {
        id: "65a1b2c3d4e5f60718293a4b".into(),
        chain: chain.code().into(),
        serialized_transaction: serialized,
        hashes: vec![id.into()],
        index: None,
        signatures: None,
        withdrawal_id: None,
        withdrawal_responses: None,
        tx_id: None,
        other: Default::default(),
    };
    let wallets = [TxWallet {
        id,
        entry,
        derived_key: None,
    }];
    let mut node = FuzzNode::new(failing);
    let _ = signing::sign_pending(SignContext {
        chain,
        network,
        tx: &tx,
        wallets: &wallets,
        node: &mut node,
    });
}

/// A pending transaction (and a list of them, as the API returns) from JSON.
pub fn pending(data: &[u8]) {
    if let Ok(tx) = serde_json::from_slice::<PendingTransaction>(data) {
        let text = serde_json::to_string(&tx).expect("a parsed transaction serializes");
        let again: PendingTransaction =
            serde_json::from_str(&text).expect("what we serialize parses");
        assert_eq!(again.id, tx.id);
        assert_eq!(again.serialized_transaction, tx.serialized_transaction);
        assert_eq!(again.hashes, tx.hashes);
        assert_eq!(again.signatures, tx.signatures);
    }
    let _ = serde_json::from_slice::<Vec<PendingTransaction>>(data);
}

/// The legacy codec: the text as a wallet.dat (decrypt + parse), and the bytes as the
/// decrypted plaintext (parse, serialize, parse again: the same map).
pub fn legacy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(plain) = kms_store::legacy::decrypt(text, PASSWORD.as_bytes()) {
            let _ = kms_store::Wallets::from_plaintext(&plain);
        }
    }
    if let Ok(wallets) = kms_store::Wallets::from_plaintext(data) {
        let plain = wallets.to_plaintext();
        let again = kms_store::Wallets::from_plaintext(&plain).expect("our plaintext parses");
        assert_eq!(again.to_plaintext(), plain);
        let sealed = kms_store::legacy::encrypt_with_salt(&plain, b"pw", [1; 8]);
        let opened = kms_store::legacy::decrypt(&sealed, b"pw").expect("our file decrypts");
        assert_eq!(opened.as_slice(), plain.as_slice());
    }
}

fn scratch_dir() -> PathBuf {
    // Memory-backed when there is one: v2 writes fsync.
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

/// The Argon2id cost a file asks for, when it is an SQLite file with a header row. The
/// harness skips files asking for more than the fuzzer can afford per execution (the
/// reader accepts up to 4 GiB and 64 passes by design; that bound is a unit test).
fn kdf_cost(path: &std::path::Path) -> Option<(i64, i64, i64)> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.query_row(
        "SELECT kdf_m_kib, kdf_t, kdf_p FROM kms_header WHERE singleton = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .ok()
}

/// A v2 file from bytes: detect, read whole, look one id up, add a wallet, remove one.
pub fn v2(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir_in(scratch_dir()) else {
        return;
    };
    let path = dir.path().join("wallet.dat");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Some((m, t, p)) = kdf_cost(&path) {
        if m > 1024 || t > 2 || p > 2 {
            return;
        }
    }
    let store = kms_store::WalletStore::new(&path).with_kdf(kms_store::KdfParams::TEST);
    let password = SecretString::from(PASSWORD);
    let _ = store.format();
    let first = match store.read(&password) {
        Ok(wallets) => wallets.ids().next().map(str::to_string),
        Err(_) => None,
    };
    let id = first.unwrap_or_else(|| "00000000-0000-4000-8000-000000000202".into());
    let _ = store.get(&password, &id);
    let entry = WalletEntry::build([("privateKey", "0x01".to_string())], Chain::Eth, true);
    if store
        .insert_first(&password, [("fuzz-new".to_string(), entry)])
        .is_ok()
    {
        let _ = store.remove(&password, &id);
        // What a successful write leaves must read back.
        if let Ok(wallets) = store.read(&password) {
            let _ = wallets.len();
        }
    }
}
