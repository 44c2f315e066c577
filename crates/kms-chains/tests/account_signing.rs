//! Replays the original's recorded signing runs for TRON, XRP, XLM and ALGO
//! (`fixtures/sign/<case>/`, copied from the shared vectors). These chains sign without any
//! network call, so every pending transaction is signed through `signing::sign_pending` with
//! a node that fails on any call, and
//! - the broadcast path and body equal the recorded ones byte for byte;
//! - the recorded traffic holds nothing but the pending poll and the broadcasts (the
//!   original made no chain calls either);
//! - the signature verifies, checked here independently of the signers: TRON by recovering
//!   the secp256k1 key over `txID` and comparing its address with the wallet's; XRP by
//!   splitting the blob and verifying ed25519 / ECDSA (SHA-512Half, DER) over `STX\0` ‖ the
//!   fields without `TxnSignature`; XLM by ed25519 over the Stellar signature base; ALGO by
//!   ed25519 over `"TX"` ‖ the msgpack transaction. The public keys come from the wallets'
//!   stored addresses (or their xpub / private key for TRON).

mod common;

use std::collections::HashMap;

use common::{
    assert_recorded_broadcast, read_json, recorded_requests, sign_fixtures, RecordedCase,
};
use ed25519_dalek::{Verifier, VerifyingKey as EdKey};
use k256::ecdsa::{RecoveryId, Signature as EcSignature, VerifyingKey as EcKey};
use kms_chains::keys;
use kms_chains::node::{Broadcast, ExternalService, Node, NodeError};
use kms_chains::signing::{self, SignContext};
use kms_core::{Chain, DerivationIndex, Network, PendingTransaction, WalletEntry};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

/// Fails every call: these chains sign offline.
#[derive(Default)]
struct NoNetwork {
    calls: Vec<String>,
}

impl Node for NoNetwork {
    fn rpc(&mut self, path: &str, method: &str, _params: Value) -> Result<Value, NodeError> {
        self.calls.push(format!("rpc {path} {method}"));
        Err(NodeError("no network in this test".into()))
    }
    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        self.calls.push(format!("GET {path}"));
        Err(NodeError("no network in this test".into()))
    }
    fn post(&mut self, path: &str, _body: &Value) -> Result<Value, NodeError> {
        self.calls.push(format!("POST {path}"));
        Err(NodeError("no network in this test".into()))
    }
    fn get_external(&mut self, service: ExternalService, path: &str) -> Result<Value, NodeError> {
        self.calls.push(format!("GET {service:?} {path}"));
        Err(NodeError("no network in this test".into()))
    }
}

struct Signed {
    tx: PendingTransaction,
    broadcast: Broadcast,
}

/// Signs every pending transaction of a case and checks the broadcasts byte for byte.
fn replay(case_name: &str) -> (Vec<Signed>, HashMap<String, WalletEntry>) {
    let recorded = RecordedCase::load(case_name);
    let case = &recorded.case;
    let want = case["broadcastRequests"].as_array().unwrap();
    let pending = case["pendingTransactions"].as_array().unwrap();
    assert_eq!(
        pending.len(),
        want.len(),
        "{case_name}: every pending tx was broadcast"
    );

    let mut node = NoNetwork::default();
    let mut signed = Vec::new();
    for (p, want) in pending.iter().zip(want) {
        let tx: PendingTransaction = serde_json::from_value(p.clone()).unwrap();
        let broadcast = recorded.sign(&tx, &mut node);
        assert_recorded_broadcast(case_name, &tx, &broadcast, want);
        signed.push(Signed { tx, broadcast });
    }
    assert!(node.calls.is_empty(), "{case_name}: {:?}", node.calls);

    // The original made no call but the poll and the broadcasts either.
    for r in recorded_requests(&recorded.dir) {
        let path = r["path"].as_str().unwrap();
        assert!(
            path.starts_with("/v3/kms/pending/") || path.ends_with("/broadcast"),
            "{case_name}: unexpected recorded call {path}"
        );
    }
    (signed, recorded.store)
}

fn tx_data(s: &Signed) -> &str {
    s.broadcast.body["txData"].as_str().unwrap()
}

// --- TRON -------------------------------------------------------------------------------

#[test]
fn tron_testnet() {
    let (signed, store) = replay("tron_testnet");
    assert_eq!(signed.len(), 2);
    for s in &signed {
        let out: Value = serde_json::from_str(tx_data(s)).unwrap();
        let sig = hex::decode(out["signature"][0].as_str().unwrap()).unwrap();
        let digest = hex::decode(out["txID"].as_str().unwrap()).unwrap();
        // txID is the SHA-256 of raw_data_hex.
        let raw = hex::decode(out["raw_data_hex"].as_str().unwrap()).unwrap();
        assert_eq!(Sha256::digest(&raw).as_slice(), digest.as_slice());
        let key = EcKey::recover_from_prehash(
            &digest,
            &EcSignature::from_slice(&sig[..64]).unwrap(),
            RecoveryId::from_byte(sig[64] - 27).unwrap(),
        )
        .unwrap();
        let point = key.to_sec1_point(false);
        let hash = sha3::Keccak256::digest(&point.as_bytes()[1..]);
        let mut recovered = vec![0x41];
        recovered.extend_from_slice(&hash[12..]);

        let entry = &store[&s.tx.hashes[0]];
        let expected = match (entry.xpub(), s.tx.index) {
            (Some(xpub), Some(i)) => keys::address_from_xpub(
                Chain::Tron,
                Network::Testnet,
                xpub,
                DerivationIndex::new(i).unwrap(),
            )
            .unwrap(),
            _ => keys::address_from_private_key(
                Chain::Tron,
                Network::Testnet,
                entry.private_key().unwrap(),
            )
            .unwrap(),
        };
        let expected = bs58::decode(expected).with_check(None).into_vec().unwrap();
        assert_eq!(recovered, expected, "{}", s.tx.id);
        assert_eq!(
            hex::encode(&expected),
            out["raw_data"]["contract"][0]["parameter"]["value"]["owner_address"]
                .as_str()
                .unwrap()
        );
    }
}

// --- XRP --------------------------------------------------------------------------------

/// Splits an XRP blob into its fields `(type code, field code, header+value range)`.
fn xrp_fields(blob: &[u8]) -> Vec<(u8, u8, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < blob.len() {
        let start = i;
        let b = blob[i];
        let (mut t, mut f) = (b >> 4, b & 0x0f);
        i += 1;
        if t == 0 {
            t = blob[i];
            i += 1;
        }
        if f == 0 {
            f = blob[i];
            i += 1;
        }
        let len = match t {
            1 => 2,
            2 => 4,
            5 => 32,
            6 => {
                if blob[i] & 0x80 == 0 {
                    8
                } else {
                    48
                }
            }
            7 | 8 => {
                // Short lengths only in these blobs.
                let l = usize::from(blob[i]);
                assert!(l <= 192);
                i += 1;
                l
            }
            other => panic!("unexpected type {other} in blob"),
        };
        i += len;
        out.push((t, f, start..i));
    }
    out
}

#[test]
fn xrp_testnet_ed25519_secp256k1() {
    let (signed, store) = replay("xrp_testnet_ed25519_secp256k1");
    assert_eq!(signed.len(), 2);
    let mut algorithms = Vec::new();
    for s in &signed {
        let blob = hex::decode(tx_data(s)).unwrap();
        assert_eq!(tx_data(s), hex::encode_upper(&blob));
        let fields = xrp_fields(&blob);
        let value = |t: u8, f: u8| {
            let (_, _, r) = fields.iter().find(|x| x.0 == t && x.1 == f).unwrap();
            // Blob values follow a 1-byte header and a 1-byte length.
            &blob[r.start + 2..r.end]
        };
        let public = value(7, 3).to_vec();
        let signature = value(7, 4).to_vec();
        let mut message = vec![0x53, 0x54, 0x58, 0x00];
        for (t, f, r) in &fields {
            if (*t, *f) != (7, 4) {
                message.extend_from_slice(&blob[r.clone()]);
            }
        }
        // The signing key is the wallet's account.
        let sha256 = Sha256::digest(&public);
        let account_id = ripemd::Ripemd160::digest(sha256);
        let mut payload = vec![0u8];
        payload.extend_from_slice(&account_id);
        let address = bs58::encode(payload)
            .with_alphabet(bs58::Alphabet::RIPPLE)
            .with_check()
            .into_string();
        assert_eq!(
            Some(address.as_str()),
            store[&s.tx.hashes[0]].address(),
            "{}",
            s.tx.id
        );
        if public[0] == 0xED {
            let key = EdKey::from_bytes(public[1..].try_into().unwrap()).unwrap();
            let sig = ed25519_dalek::Signature::from_slice(&signature).unwrap();
            key.verify(&message, &sig).unwrap();
            algorithms.push("ed25519");
        } else {
            let key = EcKey::from_sec1_bytes(&public).unwrap();
            let sig = EcSignature::from_der(&signature).unwrap();
            assert!(sig.normalize_s() == sig, "low S");
            let hash = &Sha512::digest(&message)[..32];
            use k256::ecdsa::signature::hazmat::PrehashVerifier;
            key.verify_prehash(hash, &sig).unwrap();
            algorithms.push("secp256k1");
        }
    }
    assert_eq!(algorithms, ["ed25519", "secp256k1"]);
}

// --- XLM --------------------------------------------------------------------------------

#[test]
fn xlm_testnet() {
    use base64::Engine as _;
    let (signed, store) = replay("xlm_testnet");
    assert_eq!(signed.len(), 1);
    let b64 = base64::engine::general_purpose::STANDARD;
    for s in &signed {
        let unsigned = b64.decode(&s.tx.serialized_transaction).unwrap();
        let out = b64.decode(tx_data(s)).unwrap();
        // v1 envelope without signatures: type 2 ‖ tx ‖ count 0.
        assert_eq!(&unsigned[..4], &[0, 0, 0, 2]);
        assert_eq!(&unsigned[unsigned.len() - 4..], &[0, 0, 0, 0]);
        let tx = &unsigned[4..unsigned.len() - 4];
        assert_eq!(&out[..unsigned.len() - 4], &unsigned[..unsigned.len() - 4]);
        assert_eq!(&out[unsigned.len() - 4..unsigned.len()], &[0, 0, 0, 1]);
        let mut base = Sha256::digest(b"Test SDF Network ; September 2015").to_vec();
        base.extend_from_slice(&[0, 0, 0, 2]);
        base.extend_from_slice(tx);
        let hash = Sha256::digest(&base);
        let address = store[&s.tx.hashes[0]].address().unwrap();
        let public = kms_chains::xlm::decode_public_key(address).unwrap();
        let rest = &out[unsigned.len()..];
        assert_eq!(rest.len(), 72);
        assert_eq!(&rest[..4], &public[28..], "hint");
        assert_eq!(&rest[4..8], &[0, 0, 0, 64]);
        let sig = ed25519_dalek::Signature::from_slice(&rest[8..]).unwrap();
        EdKey::from_bytes(&public)
            .unwrap()
            .verify(&hash, &sig)
            .unwrap();
    }
}

// --- ALGO -------------------------------------------------------------------------------

#[test]
fn algo_testnet() {
    let (signed, store) = replay("algo_testnet");
    assert_eq!(signed.len(), 1);
    for s in &signed {
        let out = hex::decode(tx_data(s)).unwrap();
        // {sig: bin8(64), txn: {...}}: fixmap 2, "sig", c4 40, 64 bytes, "txn", map.
        assert_eq!(&out[..7], &[0x82, 0xa3, b's', b'i', b'g', 0xc4, 0x40]);
        assert_eq!(&out[71..75], &[0xa3, b't', b'x', b'n']);
        let sig = ed25519_dalek::Signature::from_slice(&out[7..71]).unwrap();
        let mut message = b"TX".to_vec();
        message.extend_from_slice(&out[75..]);
        let address = store[&s.tx.hashes[0]].address().unwrap();
        let public = kms_chains::algo::decode_address(address).unwrap();
        EdKey::from_bytes(&public)
            .unwrap()
            .verify(&message, &sig)
            .unwrap();
        // The sender in the transaction is that account.
        let snd = out.windows(5).position(|w| w == b"\xa3snd\xc4").unwrap();
        assert_eq!(&out[snd + 6..snd + 38], &public);
    }
}

// --- key resolution -----------------------------------------------------------------------

/// XRP/XLM/ALGO take `secret`, else `privateKey`; a missing wallet is a clear error, not
/// a panic, and no index-based derivation is attempted.
#[test]
fn secret_resolution_for_xrp_xlm_algo() {
    let store = common::wallet_store("sign/wallet.dat");
    let case = read_json(sign_fixtures().join("xrp_testnet_ed25519_secp256k1/case.json"));
    let mut tx: PendingTransaction =
        serde_json::from_value(case["pendingTransactions"][0].clone()).unwrap();
    // An index on the transaction does not matter for a secret-based wallet.
    tx.index = Some(3);
    let lookup = |id: &str| store.get(id);
    let mut notes = Vec::new();
    let ws = signing::resolve_wallets(&tx, &lookup, &mut notes).unwrap();
    let secret = signing::account_secret(&tx, &ws).unwrap();
    assert_eq!(secret.expose(), "sEdT6ruoYmknJEeQmFVg74F73C6VnkP");

    // A privateKey entry (generatemanagedprivatekeybatch) is used as the secret.
    let pk_entry = WalletEntry::from_json(serde_json::json!({
        "privateKey": "sEdT6ruoYmknJEeQmFVg74F73C6VnkP", "chain": "XRP", "testnet": true
    }));
    let lookup = |_: &str| Some(&pk_entry);
    let ws = signing::resolve_wallets(&tx, &lookup, &mut notes).unwrap();
    let mut node = NoNetwork::default();
    let b = signing::sign_pending(SignContext {
        chain: Chain::Xrp,
        network: Network::Testnet,
        tx: &tx,
        wallets: &ws,
        node: &mut node,
    })
    .unwrap();
    let want = case["broadcastRequests"][0]["body"].as_str().unwrap();
    assert_eq!(serde_json::to_string(&b.body).unwrap(), want);

    let lookup = |_: &str| None;
    let ws = signing::resolve_wallets(&tx, &lookup, &mut notes).unwrap();
    let e = signing::account_secret(&tx, &ws).unwrap_err().0;
    assert!(e.contains("was not found") && e.contains(&tx.id), "{e}");
}
