//! The recorded BTC, LTC and DOGE runs of the original daemon (copied from the project's
//! shared vectors into `fixtures/sign/<case>/`: `case.json` and the wallet file's
//! plaintext), replayed through key resolution and signing: the broadcast path and body
//! must be byte-identical to what the original sent. Plus the off-chain flow on the same
//! transactions, and the refusals.

mod common;

use std::collections::HashMap;

use kms_chains::node::{Broadcast, ExternalService, Node, NodeError};
use kms_chains::signing;
use kms_chains::utxo_tx;
use kms_core::{
    Chain, Network, PendingTransaction, WalletEntry, WithdrawalAddress, WithdrawalResponse,
};
use serde_json::Value;

/// UTXO signing is offline: any node call is a failure.
struct NoNode;

impl Node for NoNode {
    fn rpc(&mut self, path: &str, method: &str, _: Value) -> Result<Value, NodeError> {
        panic!("unexpected RPC {method} to {path}")
    }
    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        panic!("unexpected GET {path}")
    }
    fn post(&mut self, path: &str, _: &Value) -> Result<Value, NodeError> {
        panic!("unexpected POST {path}")
    }
    fn get_external(&mut self, _: ExternalService, path: &str) -> Result<Value, NodeError> {
        panic!("unexpected external GET {path}")
    }
}

struct Case {
    case: Value,
    wallets: HashMap<String, WalletEntry>,
}

fn load(case_json: &str, wallet_json: &str) -> Case {
    let case: Value = serde_json::from_str(case_json).expect("case.json");
    let wallet: Value = serde_json::from_str(wallet_json).expect("wallet plaintext");
    let wallets = common::wallet_map(&wallet);
    Case { case, wallets }
}

fn btc() -> Case {
    load(
        include_str!("fixtures/sign/btc_testnet_2inputs/case.json"),
        include_str!("fixtures/sign/btc_testnet_2inputs/wallet.dat.plaintext.json"),
    )
}

fn ltc() -> Case {
    load(
        include_str!("fixtures/sign/ltc_testnet_2inputs/case.json"),
        include_str!("fixtures/sign/ltc_testnet_2inputs/wallet2.dat.plaintext.json"),
    )
}

fn doge() -> Case {
    load(
        include_str!("fixtures/sign/doge_testnet_mnemonic_idx1/case.json"),
        include_str!("fixtures/sign/doge_testnet_mnemonic_idx1/wallet2.dat.plaintext.json"),
    )
}

impl Case {
    fn network(&self) -> Network {
        Network::from_testnet(self.case["testnet"].as_bool().expect("testnet flag"))
    }

    fn pending(&self) -> Vec<PendingTransaction> {
        serde_json::from_value(self.case["pendingTransactions"].clone()).expect("pending txs")
    }

    /// Signs `tx` as the daemon does: resolve wallets, then `sign_pending`.
    fn sign(&self, tx: &PendingTransaction) -> Result<Broadcast, signing::SignError> {
        let chain: Chain = tx.chain.parse().expect("chain code");
        common::sign(chain, self.network(), tx, &self.wallets, &mut NoNode)
    }

    /// Replays every pending transaction and compares with the recorded broadcasts.
    fn replay(&self) {
        let pending = self.pending();
        let recorded = self.case["broadcastRequests"]
            .as_array()
            .expect("broadcastRequests");
        assert_eq!(pending.len(), recorded.len());
        for (tx, request) in pending.iter().zip(recorded) {
            let broadcast = self.sign(tx).expect("signs");
            assert_eq!(broadcast.path, request["path"].as_str().unwrap());
            let body = serde_json::to_string(&broadcast.body).unwrap();
            assert_eq!(body, request["body"].as_str().unwrap(), "{}", tx.id);

            // The same through the two public steps the brief names: the de-duplicated
            // keys, then the transaction signer.
            let lookup = |id: &str| self.wallets.get(id);
            let wallets = signing::resolve_wallets(tx, &lookup, &mut Vec::new()).unwrap();
            let keys = signing::utxo_private_keys(&wallets).unwrap();
            let chain: Chain = tx.chain.parse().unwrap();
            let signed =
                utxo_tx::sign_serialized(chain, &tx.serialized_transaction, &keys).unwrap();
            assert_eq!(broadcast.body["txData"], Value::String(signed.hex));
        }
    }
}

#[test]
fn btc_testnet_2inputs_is_byte_identical() {
    btc().replay();
}

#[test]
fn ltc_testnet_2inputs_is_byte_identical() {
    ltc().replay();
}

#[test]
fn doge_testnet_mnemonic_idx1_is_byte_identical() {
    doge().replay();
}

/// The recorded LTC run: key 701/index 2 pays to no input and input 0 has no key, yet
/// the original broadcast the transaction with input 0 unsigned. We do the same, and
/// say so in the notes.
#[test]
fn ltc_unmatched_key_and_unsigned_input_are_notes() {
    let case = ltc();
    let tx = &case.pending()[0];
    let lookup = |id: &str| case.wallets.get(id);
    let wallets = signing::resolve_wallets(tx, &lookup, &mut Vec::new()).unwrap();
    let keys = signing::utxo_private_keys(&wallets).unwrap();
    let signed = utxo_tx::sign_serialized(Chain::Ltc, &tx.serialized_transaction, &keys).unwrap();
    assert_eq!(signed.notes.len(), 2, "{:?}", signed.notes);
    assert!(signed.notes[0].starts_with("private key 2 of 2 pays to no input"));
    assert!(signed.notes[1].starts_with("input 0 (cccc"));
}

fn offchain(tx: &PendingTransaction, responses: &[(&str, Option<u32>)]) -> PendingTransaction {
    let mut tx = tx.clone();
    tx.withdrawal_id = Some("wd-0001".into());
    tx.withdrawal_responses = Some(
        responses
            .iter()
            .map(|(v_in, derivation_key)| WithdrawalResponse {
                address: WithdrawalAddress {
                    address: Some("addr".into()),
                    currency: Some(tx.chain.clone()),
                    derivation_key: *derivation_key,
                    xpub: None,
                    other: Default::default(),
                },
                amount: Value::from(0.001),
                v_in: (*v_in).to_string(),
                v_in_index: Value::from(0),
                script_pub_key: None,
                other: Default::default(),
            })
            .collect(),
    );
    tx
}

/// Off-chain BTC: the recorded transaction's two inputs pay to M0's testnet key 0, the
/// key an off-chain response with no derivationKey names; the `-1` placeholder is
/// skipped. The signed bytes are those the original broadcast, in the off-chain body.
#[test]
fn btc_offchain_signs_with_mnemonic_keys_and_uses_the_offchain_body() {
    let case = btc();
    let recorded: Value =
        serde_json::from_str(case.case["broadcastRequests"][0]["body"].as_str().unwrap()).unwrap();
    let base = &case.pending()[0];
    // wallets[0] must be the mnemonic wallet: put it first.
    let mut tx = offchain(base, &[("aa", None), ("-1", Some(7)), ("bb", Some(0))]);
    tx.hashes = vec!["00000000-0000-4000-8000-000000000101".into()];
    tx.signatures = None;
    let broadcast = case.sign(&tx).unwrap();
    assert_eq!(broadcast.path, "/v3/offchain/withdrawal/broadcast");
    let body = serde_json::to_string(&broadcast.body).unwrap();
    assert_eq!(
        body,
        format!(
            r#"{{"currency":"BTC","signatureId":"btc-kms-tx-0001","withdrawalId":"wd-0001","txData":{}}}"#,
            recorded["txData"]
        )
    );
}

/// Off-chain DOGE uses the unchecked serialization; here the transaction is valid anyway,
/// so the bytes are the recorded ones (index 1 from derivationKey).
#[test]
fn doge_offchain_derives_at_the_derivation_key() {
    let case = doge();
    let recorded: Value =
        serde_json::from_str(case.case["broadcastRequests"][0]["body"].as_str().unwrap()).unwrap();
    let mut tx = offchain(&case.pending()[0], &[("ee", Some(1))]);
    tx.hashes = vec!["00000000-0000-4000-8000-000000000711".into()];
    tx.signatures = None;
    let broadcast = case.sign(&tx).unwrap();
    assert_eq!(broadcast.body["txData"], recorded["txData"]);
    assert_eq!(broadcast.body["currency"], "DOGE");
    // Without withdrawalResponses the original throws "Unsupported chain."
    tx.withdrawal_responses = None;
    let e = case.sign(&tx).unwrap_err().0;
    assert!(e.starts_with("Error: Unsupported chain."), "{e}");
}

#[test]
fn a_hash_mismatch_is_not_signed() {
    let case = btc();
    let mut tx = case.pending()[0].clone();
    tx.serialized_transaction = tx
        .serialized_transaction
        .replace("\"hash\":\"f469", "\"hash\":\"0469");
    let e = case.sign(&tx).unwrap_err().0;
    assert!(
        e.contains("Hash in object does not match transaction hash."),
        "{e}"
    );
}

#[test]
fn malformed_json_is_not_signed() {
    let case = btc();
    let mut tx = case.pending()[0].clone();
    tx.serialized_transaction.truncate(40);
    let e = case.sign(&tx).unwrap_err().0;
    assert!(
        e.starts_with("malformed serializedTransaction: not valid JSON"),
        "{e}"
    );
}

/// DOGE's checked serialization: an output below 1 DOGE is refused (spec §5.3). The
/// transaction is otherwise the recorded one, re-hashed so the hash check passes.
#[test]
fn doge_below_dust_output_is_refused() {
    let case = doge();
    let mut tx = case.pending()[0].clone();
    let mut obj: Value = serde_json::from_str(&tx.serialized_transaction).unwrap();
    obj["outputs"][0]["satoshis"] = Value::from(99_999_999u64);
    obj["outputs"][1]["satoshis"] = Value::from(11_700_000_001u64);
    obj.as_object_mut().unwrap().remove("hash");
    tx.serialized_transaction = obj.to_string();
    let e = case.sign(&tx).unwrap_err().0;
    assert!(
        e.starts_with("dogecore.ErrorTransactionDustOutputs: Dust amount detected in one output"),
        "{e}"
    );
}

/// With no key for its input, DOGE's checked serialization refuses (BTC and LTC would
/// broadcast the unsigned input, as the recorded LTC run shows).
#[test]
fn doge_with_an_unsigned_input_is_refused() {
    let case = doge();
    let mut tx = case.pending()[0].clone();
    tx.signatures = Some(vec![kms_core::SignatureRef {
        id: "00000000-0000-4000-8000-000000000711".into(),
        index: Some(5),
    }]);
    let e = case.sign(&tx).unwrap_err().0;
    assert!(
        e.starts_with(
            "dogecore.ErrorTransactionMissingSignatures: Some inputs have not been fully signed"
        ),
        "{e}"
    );
}

#[test]
fn no_private_key_at_all_is_the_originals_message() {
    let case = btc();
    let mut tx = case.pending()[0].clone();
    tx.hashes.clear();
    tx.signatures = None;
    let e = case.sign(&tx).unwrap_err().0;
    assert!(
        e.starts_with("Wallets with requested private keys were not found."),
        "{e}"
    );
}
