//! Signing speed goals: a 100-input BTC transaction in under 20 ms (issue 5), and 1,000 or
//! more ETH transactions per second on one core without network calls (issue 6).
//!
//! Run: `cargo bench -p kms-chains --bench sign`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kms_chains::node::{ExternalService, Node, NodeError};
use kms_chains::{evm_tx, utxo_tx};
use kms_core::{Chain, Network, PendingTransaction, SecretString};
use serde_json::Value;

/// A node that must not be called: every value is in the transaction.
struct NoNode;

impl Node for NoNode {
    fn rpc(&mut self, _: &str, method: &str, _: Value) -> Result<Value, NodeError> {
        if method == "eth_chainId" {
            return Ok(Value::String("0xaa36a7".into()));
        }
        Err(NodeError(format!("unexpected {method}")))
    }
    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected GET {path}")))
    }
    fn post(&mut self, path: &str, _: &Value) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected POST {path}")))
    }
    fn get_external(&mut self, _: ExternalService, path: &str) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected GET {path}")))
    }
}

fn btc_100_inputs(c: &mut Criterion) {
    let vectors: Vec<Value> =
        serde_json::from_str(include_str!("../tests/fixtures/sign/oracle_vectors.json"))
            .expect("vectors");
    let v = vectors
        .iter()
        .find(|v| v["name"] == "btc_100_inputs")
        .expect("btc_100_inputs vector");
    let serialized = v["serialized"].as_str().expect("serialized").to_string();
    let keys: Vec<SecretString> = v["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k.as_str().map(SecretString::from))
        .collect();
    c.bench_function("sign BTC transaction with 100 inputs", |b| {
        b.iter(|| {
            utxo_tx::sign_serialized(Chain::Btc, black_box(&serialized), &keys).expect("signs")
        })
    });
}

fn eth_transactions(c: &mut Criterion) {
    let tx: PendingTransaction = serde_json::from_value(serde_json::json!({
        "id": "bench", "chain": "ETH", "hashes": [],
        "serializedTransaction": "{\"to\":\"0x96db019291732415c094b198cdc589840ca311b4\",\"value\":\"0x2386f26fc10000\",\"data\":\"0x\",\"gas\":\"21000\",\"gasPrice\":\"1000000000\",\"nonce\":3,\"chainId\":11155111}"
    }))
    .expect("tx");
    let key = "0x11831b777e3fad99962ab773b23bad02812b85d8ac452e6c92434b4d7a79d9a3";
    let mut group = c.benchmark_group("ETH");
    group
        .throughput(criterion::Throughput::Elements(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("sign one legacy EIP-155 transaction", |b| {
        b.iter(|| {
            evm_tx::sign_kms(
                Chain::Eth,
                Network::Testnet,
                black_box(&tx),
                key,
                &mut NoNode,
            )
            .expect("signs")
        })
    });
    group.finish();
}

criterion_group!(benches, btc_100_inputs, eth_transactions);
criterion_main!(benches);
