use super::*;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use k256::ecdsa::{Signature, SigningKey};
use sha2::{Digest as _, Sha256};
use sha3::Sha3_256;

/// FLOW key of M1 index 2 in keys.json: 63 hex digits (a leading zero nibble dropped).
const SHORT_KEY: &str = "d8c5744d2a4bd2610454bebbb6d8a5fc0f6331b0b55699cb970130a9f1347ea";

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// SHA-256 of every template as the original renders it, computed by evaluating the
/// original `flowTransaction/index.ts` template functions with dedent-js 1.0.1 in Node.
#[test]
fn templates_render_as_the_original() {
    for (testnet, want) in [
        (
            true,
            [
                "8eb5793986c28f09c7b75fa782dbd6bd70764d35ea67692469da07577702d078",
                "2bb02c32138a33d468ad97baf22f479f0828b937bd3e370b8e60e1dad59664b3",
                "9ce4094388cc4bf6bd39b854904fe5d90a0f6cb543c724e367df282bd0a751f7",
                "82fec3bcb4b6521d397f6b91d1d3d78b5849b5f9b820a93e2d3b867d821117d2",
                "12a5d3dd67b40e5da6255940cf6621609873009cad7e90e1a2bfbf3645d912ca",
                "3604314e1dd1e4236a7806b94dfa1f1bb2f4318efdc2d61c3dd4740519ba5ab3",
                "fbdcf2910bff6e436befa83d438765f071b24059bf04277d24c6ecda664e38a7",
            ],
        ),
        (
            false,
            [
                "7b5b23e6e44f2969720342ad0d558a5dc457cd620b59d5e901cb5b3264cc00d8",
                "fb07f7bd680581b1877a8d0e3ed32cee431f0855b56f10fa686801769430a516",
                "edd59b57db838d85c6cb86198c37f2253b59b58432329d6273ed13775bf00d66",
                "dbb7242fe0ae51bdfce08a0bf5ad8f6750c660afc47cc0320304b82208b49eaf",
                "1362e97b69ed06228c3395087fc9709562173387fff8d41b4c68f7f2eac8b6ea",
                "3833919abc068938809e6d9cf429448c4ea14e4e2af4ca178cb18bb2315643c8",
                "eba30b6c06a1ce4b0e190e7cef053ac5cacf7ad08fac6f28503d2818277842a4",
            ],
        ),
    ] {
        let a = Addresses::of(testnet);
        let transfer = |address, name, storage| {
            templates::render(
                templates::TRANSFER,
                &[
                    ("FungibleToken", a.fungible_token),
                    ("tokenName", name),
                    ("tokenAddress", address),
                    ("tokenStorage", storage),
                ],
            )
            .unwrap()
        };
        let nft = [("TatumMultiNFT", a.tatum_multi_nft)];
        let got = [
            transfer(a.flow_token, "FlowToken", "flowToken"),
            transfer(a.fusd, "FUSD", "fusd"),
            templates::render(
                templates::CREATE_ACCOUNT,
                &[
                    ("FungibleToken", a.fungible_token),
                    ("FUSD", a.fusd),
                    ("TatumMultiNFT", a.tatum_multi_nft),
                ],
            )
            .unwrap(),
            templates::render(templates::MINT_NFT, &nft).unwrap(),
            templates::render(templates::MINT_MULTIPLE_NFT, &nft).unwrap(),
            templates::render(templates::BURN_NFT, &nft).unwrap(),
            templates::render(templates::TRANSFER_NFT, &nft).unwrap(),
        ];
        for (g, w) in got.iter().zip(want) {
            assert_eq!(sha256_hex(g), w, "testnet={testnet}:\n{g}");
        }
    }
    assert_eq!(
        sha256_hex(&templates::render(templates::ADD_PUBLIC_KEY, &[]).unwrap()),
        "595c86561441b32b2b91ee03f9e10ca6efa7b41bcc994f51317ec0aa9d8f8a42"
    );
    // The TRANSFER text itself (its common indentation is 2, so the body loses 2 spaces).
    let a = Addresses::of(true);
    let t = templates::render(
        templates::TRANSFER,
        &[
            ("FungibleToken", a.fungible_token),
            ("tokenName", "FlowToken"),
            ("tokenAddress", a.flow_token),
            ("tokenStorage", "flowToken"),
        ],
    )
    .unwrap();
    assert_eq!(t, "import FungibleToken from 0x9a0766d93b6608b7\nimport FlowToken from 0x7e60df042a9c0868\n\ntransaction(amount: UFix64, recipient: Address) {\nlet sentVault: @FungibleToken.Vault\nprepare(signer: AuthAccount) {\n  let vaultRef = signer.borrow<&FlowToken.Vault>(from: /storage/flowTokenVault)\n    ?? panic(\"failed to borrow reference to sender vault\")\n\n  self.sentVault <- vaultRef.withdraw(amount: amount)\n}\n\nexecute {\n  let receiverRef =  getAccount(recipient)\n    .getCapability(/public/flowTokenReceiver)\n    .borrow<&{FungibleToken.Receiver}>()\n      ?? panic(\"failed to borrow reference to recipient vault\")\n\n  receiverRef.deposit(from: <-self.sentVault)\n}\n}");
}

#[test]
fn dedent_steps() {
    assert_eq!(
        templates::render("\n    a\n      b ${x}\n    c\n  ", &[("x", "X")]).unwrap(),
        "a\n  b X\nc"
    );
    // Unindented lines do not lower the common indentation.
    assert_eq!(templates::render("a\n  b\nc", &[]).unwrap(), "a\nb\nc");
    assert!(templates::render("${nope}", &[]).is_err());
}

fn n_half() -> [u8; 32] {
    // (n - 1) / 2 of secp256k1.
    let mut h = [0u8; 32];
    hex::decode_to_slice(
        "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0",
        &mut h,
    )
    .unwrap();
    h
}

/// Signatures computed with elliptic 6.5.4 (`keyFromPrivate(SHORT_KEY).sign(sha3(msg))`,
/// r ‖ s as `flowSign` writes them). msg-0 has a high s, which must stay high.
#[test]
fn signatures_match_elliptic_and_keep_a_high_s() {
    let key = parse_private_key(SHORT_KEY).unwrap();
    let tag = hex::encode(TRANSACTION_DOMAIN_TAG);
    let cases = [
        ("msg-0", "5f5e01f21880dde6b6fd3498074ddde0d5088d0f56b50cd44f442589595d4a6bf81d8a856ba07bd0f50d3e0c29e5f25139223adf0e27865a1f31b9b4d2c6166a", true),
        ("msg-1", "5dc2171529c21cd348b7e27ef4dff67a98f6015fc7a6137f634df72d4e3431553d6b1aed354a0445ecd9d94ac63ecfabcef0372f337b165e057119176f4d866c", false),
        ("msg-2", "561ab3c40ee036c14c9671a8b45db6563f0959e123279e7ce2272e2f20ddc047ecd679bbe0ee5c7ff4f3dd5c7289cb0ad148eaf17019848200ccb396d83fc83e", true),
    ];
    let signing = SigningKey::from_slice(&key.to_repr()).unwrap();
    for (msg, want, high) in cases {
        let message = hex::decode(format!("{tag}{}", hex::encode(msg))).unwrap();
        let sig = sign_message(&key, &message).unwrap();
        assert_eq!(hex::encode(sig), want, "{msg}");
        assert_eq!(sig[32..] > n_half()[..], high, "{msg}: s high?");
        // Valid: (r, s) verifies iff (r, n - s) does; k256 checks the low form.
        let digest: [u8; 32] = Sha3_256::digest(&message).into();
        let parsed = Signature::from_slice(&sig).unwrap();
        let low = parsed.normalize_s();
        signing
            .verifying_key()
            .verify_prehash(&digest, &low)
            .unwrap();
        // Same nonce as k256's RFC 6979 signer, which normalizes.
        let (theirs, _) = signing.sign_prehash_recoverable(&digest);
        assert_eq!(theirs, low, "{msg}");
    }
}

#[test]
fn short_keys_are_left_padded() {
    let a = parse_private_key(SHORT_KEY).unwrap();
    let b = parse_private_key(&format!("0x0{SHORT_KEY}")).unwrap();
    assert_eq!(*a, *b);
    assert_eq!(hex::encode(a.to_repr()), format!("0{SHORT_KEY}"));
    assert!(parse_private_key("").is_err());
    assert!(parse_private_key("0").is_err());
    assert!(parse_private_key(&"f".repeat(64)).is_err());
    assert!(parse_private_key(&"1".repeat(65)).is_err());
    assert!(parse_private_key("xyz").is_err());
}

/// `parseFloat(amount).toFixed(8)`, as Node prints it.
#[test]
fn amounts_as_to_fixed_8() {
    for (x, want) in [
        (0.001953125, "0.00195313"), // an exact tie: the larger n
        (0.5, "0.50000000"),
        (1e20 + 0.5, "100000000000000000000.00000000"),
        (123.456789125, "123.45678913"),
        (0.000000005, "0.00000001"),
        (1.000000015, "1.00000001"),
        (0.0, "0.00000000"),
        (5e-324, "0.00000000"),
    ] {
        assert_eq!(to_fixed_8(x), want, "{x}");
    }
    assert_eq!(to_fixed_8(1e21), "1e+21");
    assert!(is_amount("+.5") && is_amount("1.") && is_amount("10"));
    assert!(!is_amount("-1") && !is_amount(".") && !is_amount("1e3"));
    assert!(is_number_string("1.5") && !is_number_string("1."));
}

#[test]
fn arguments_as_onflow_types() {
    let s = |v: Value| serde_json::to_string(&v).unwrap();
    assert_eq!(
        s(cast("UFix64", &json!("1.5")).unwrap()),
        r#"{"type":"UFix64","value":"1.50000000"}"#
    );
    assert!(cast("UFix64", &json!("1")).is_err());
    assert_eq!(
        s(cast_uint64_parse_int(&json!("12abc")).unwrap()),
        r#"{"type":"UInt64","value":"12"}"#
    );
    assert_eq!(
        s(cast_uint64_parse_int(&json!("18446744073709551615")).unwrap()),
        r#"{"type":"UInt64","value":"18446744073709552000"}"#
    );
    assert!(cast_uint64_parse_int(&json!("x")).is_err());
    assert_eq!(
        s(
            custom_arg(&json!({"type": "Array", "subType": "Address", "value": ["0x01", "0x02"]}))
                .unwrap()
        ),
        r#"{"type":"Array","value":[{"type":"Address","value":"0x01"},{"type":"Address","value":"0x02"}]}"#
    );
    assert_eq!(
        s(custom_arg(&json!({"type": "Array", "value": ["a"]})).unwrap()),
        r#"{"type":"Array","value":[]}"#
    );
    assert!(custom_arg(&json!({"type": "Dictionary", "value": {}})).is_err());
    assert!(check_cadence_identifiers("import A from 0x01\nimport \"B\"").is_err());
    assert!(check_cadence_identifiers("import A from 0x01").is_ok());
}

// --- the signing flow with a recording node ------------------------------------------------

#[derive(Default)]
struct RecordingNode {
    answers: Vec<(String, Result<Value, String>)>,
    calls: Vec<String>,
}

impl RecordingNode {
    fn answer(&mut self, call: String) -> Result<Value, NodeError> {
        let key = call.split(' ').take(2).collect::<Vec<_>>().join(" ");
        self.calls.push(call);
        let found = self
            .answers
            .iter()
            .position(|(prefix, _)| key.starts_with(prefix.as_str()))
            .ok_or_else(|| NodeError(format!("no answer for {key}")))?;
        // An answer listed twice is used once, then the next one.
        let later = self.answers[found + 1..]
            .iter()
            .any(|(p, _)| key.starts_with(p.as_str()));
        let answer = if later {
            self.answers.remove(found).1
        } else {
            self.answers[found].1.clone()
        };
        answer.map_err(NodeError)
    }
}

impl Node for RecordingNode {
    fn rpc(&mut self, path: &str, method: &str, _params: Value) -> Result<Value, NodeError> {
        Err(NodeError(format!("unexpected rpc {method} on {path}")))
    }
    fn get(&mut self, path: &str) -> Result<Value, NodeError> {
        self.answer(format!("GET {path}"))
    }
    fn post(&mut self, path: &str, body: &Value) -> Result<Value, NodeError> {
        self.answer(format!("POST {path} {body}"))
    }
    fn get_external(&mut self, service: ExternalService, path: &str) -> Result<Value, NodeError> {
        assert_eq!(service, ExternalService::FlowAccessNode { testnet: true });
        self.answer(format!("NODE-GET {path}"))
    }
    fn post_external(
        &mut self,
        service: ExternalService,
        path: &str,
        body: &Value,
    ) -> Result<Value, NodeError> {
        assert_eq!(service, ExternalService::FlowAccessNode { testnet: true });
        self.answer(format!("NODE-POST {path} {body}"))
    }
    fn pause(&mut self, millis: u64) {
        self.calls.push(format!("PAUSE {millis}"));
    }
}

const PAYER: &str = "0xe3e1a94c37e89ef1";
const PROPOSER: &str = "0x4f0e6e39b5b7a3d1";
const ACCOUNT: &str = "0x955cd3f17b2fd8ad";
const BLOCK: &str = "7bc42fe85d32ca513769a74f97f7e1a7bad6c9407f0d934c2aa645ef9cf613c7";
const TXID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn pending(serialized: Value) -> PendingTransaction {
    PendingTransaction {
        id: "65a1b2c3d4e5f60718293a4b".into(),
        chain: "FLOW".into(),
        serialized_transaction: serialized.to_string(),
        hashes: vec!["wallet".into()],
        index: Some(0),
        signatures: None,
        withdrawal_id: None,
        withdrawal_responses: None,
        tx_id: None,
        other: Default::default(),
    }
}

fn transfer_tx() -> PendingTransaction {
    pending(json!({"type": 2, "body": {
        "account": ACCOUNT, "to": "0x4b53b3ec49ed1ec2", "amount": "1.5", "currency": "FLOW",
        "signatureId": "3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b"
    }}))
}

fn node_with(send: Result<Value, String>) -> RecordingNode {
    RecordingNode {
        answers: vec![
            (
                "GET /v3/flow/proposal/true".into(),
                Ok(json!({"address": PAYER, "keyId": 0})),
            ),
            (
                "GET /v3/flow/proposal/false".into(),
                Ok(json!({"address": PROPOSER, "keyId": 7})),
            ),
            (
                "NODE-GET /v1/blocks".into(),
                Ok(json!([{"header": {"id": BLOCK, "height": "1"}, "payload": {}}])),
            ),
            (
                "NODE-GET /v1/accounts/".into(),
                Ok(json!({"address": PROPOSER, "keys": [
                    {"index": "6", "sequence_number": "1"},
                    {"index": "7", "sequence_number": "42"}
                ]})),
            ),
            (
                "POST /v3/flow/sign".into(),
                Ok(json!({"signature": "aa".repeat(64)})),
            ),
            (
                "POST /v3/flow/sign".into(),
                Ok(json!({"signature": "bb".repeat(64)})),
            ),
            ("NODE-POST /v1/transactions".into(), send),
            (
                "NODE-GET /v1/transaction_results/".into(),
                Err(r#"{"code": 404, "message": "not found"}"#.into()),
            ),
            (
                "NODE-GET /v1/transaction_results/".into(),
                Ok(
                    json!({"status": "Pending", "status_code": 0, "error_message": "", "events": []}),
                ),
            ),
            (
                "NODE-GET /v1/transaction_results/".into(),
                Ok(
                    json!({"status": "Sealed", "status_code": 0, "error_message": "", "events": []}),
                ),
            ),
            ("POST /v3/flow/broadcast".into(), Ok(json!({}))),
        ],
        calls: Vec::new(),
    }
}

#[test]
fn transfer_makes_the_originals_requests_in_order() {
    let mut node = node_with(Ok(json!({"id": TXID})));
    let b = sign_kms(&transfer_tx(), SHORT_KEY, Network::Testnet, &mut node).unwrap();
    assert_eq!(b.path, "/v3/flow/broadcast");
    assert_eq!(
        b.body,
        json!({"txData": TXID, "signatureId": "65a1b2c3d4e5f60718293a4b"})
    );
    let c = &node.calls;
    let kinds: Vec<String> = c
        .iter()
        .map(|s| s.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        kinds,
        [
            "GET /v3/flow/proposal/true",
            "GET /v3/flow/proposal/false",
            "NODE-GET /v1/blocks?height=final&expand=payload",
            "NODE-GET /v1/accounts/4f0e6e39b5b7a3d1?block_height=sealed&expand=contracts,keys",
            "POST /v3/flow/sign",
            "POST /v3/flow/sign",
            "NODE-POST /v1/transactions",
            &format!("NODE-GET /v1/transaction_results/{TXID}"),
            "PAUSE 2500",
            &format!("NODE-GET /v1/transaction_results/{TXID}"),
            "PAUSE 2500",
            &format!("NODE-GET /v1/transaction_results/{TXID}"),
            "POST /v3/flow/broadcast",
        ]
    );
    let body = |i: usize| -> Value {
        let text = c[i].splitn(3, ' ').nth(2).unwrap();
        serde_json::from_str(text).unwrap()
    };

    // The payload the proposer signs, rebuilt from its parts.
    let cadence = templates::render(
        templates::TRANSFER,
        &[
            ("FungibleToken", "0x9a0766d93b6608b7"),
            ("tokenName", "FlowToken"),
            ("tokenAddress", "0x7e60df042a9c0868"),
            ("tokenStorage", "flowToken"),
        ],
    )
    .unwrap();
    let args = [
        r#"{"type":"UFix64","value":"1.50000000"}"#,
        r#"{"type":"Address","value":"0x4b53b3ec49ed1ec2"}"#,
    ];
    let mut block = [0u8; 32];
    hex::decode_to_slice(BLOCK, &mut block).unwrap();
    let payload = Payload {
        script: cadence.as_bytes().to_vec(),
        arguments: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        reference_block: block,
        compute_limit: 9999,
        proposer: address_bytes("4f0e6e39b5b7a3d1").unwrap(),
        proposer_key: 7,
        sequence_number: 42,
        payer: address_bytes("e3e1a94c37e89ef1").unwrap(),
        authorizers: vec![address_bytes("955cd3f17b2fd8ad").unwrap()],
    };
    let payload_hex = hex::encode(payload_message(&payload));
    assert_eq!(body(4), json!({"data": payload_hex, "isPayer": false}));

    // The authorizer's signature over the same payload, by the wallet key.
    let key = parse_private_key(SHORT_KEY).unwrap();
    let auth_sig = sign_message(&key, &hex::decode(&payload_hex).unwrap()).unwrap();
    let envelope = envelope_message(
        &payload,
        &[
            PayloadSig {
                address: address_bytes("955cd3f17b2fd8ad").unwrap(),
                key: 0,
                sig: auth_sig.to_vec(),
            },
            PayloadSig {
                address: address_bytes("4f0e6e39b5b7a3d1").unwrap(),
                key: 7,
                sig: vec![0xaa; 64],
            },
        ],
    );
    assert_eq!(
        body(5),
        json!({"data": hex::encode(envelope), "isPayer": true})
    );

    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    assert_eq!(
        body(6).to_string(),
        json!({
            "script": b64(cadence.as_bytes()),
            "arguments": [b64(args[0].as_bytes()), b64(args[1].as_bytes())],
            "reference_block_id": BLOCK,
            "gas_limit": "9999",
            "payer": "e3e1a94c37e89ef1",
            "proposal_key": {"address": "4f0e6e39b5b7a3d1", "key_index": "7", "sequence_number": "42"},
            "authorizers": ["955cd3f17b2fd8ad"],
            "payload_signatures": [
                {"address": "4f0e6e39b5b7a3d1", "key_index": "7", "signature": b64(&[0xaa; 64])},
                {"address": "955cd3f17b2fd8ad", "key_index": "0", "signature": b64(&auth_sig)}
            ],
            "envelope_signatures": [
                {"address": "e3e1a94c37e89ef1", "key_index": "0", "signature": b64(&[0xbb; 64])}
            ]
        })
        .to_string()
    );
    // The proposal key is released with the transaction id once sealed.
    assert_eq!(body(12), json!({"txData": TXID, "proposalKey": 7}));
    assert_eq!(
        body(12).to_string(),
        format!(r#"{{"txData":"{TXID}","proposalKey":7}}"#)
    );
}

#[test]
fn a_failed_send_releases_the_proposal_key_and_broadcasts_nothing() {
    let mut node = node_with(Err(
        r#"{"code": 400, "message": "invalid signature"}"#.into()
    ));
    let e = sign_kms(&transfer_tx(), SHORT_KEY, Network::Testnet, &mut node).unwrap_err();
    assert!(e.0.contains("invalid signature"), "{e}");
    assert!(!e.maybe_submitted(), "refused by the access node: not sent");
    let last = node.calls.last().unwrap();
    assert_eq!(
        last,
        &format!(
            "POST /v3/flow/broadcast {}",
            json!({"txData": "", "proposalKey": 7})
        )
    );
    assert_eq!(
        node.calls
            .iter()
            .filter(|c| c.starts_with("POST /v3/flow/broadcast"))
            .count(),
        1
    );
    assert!(!node.calls.iter().any(|c| c.contains("transaction_results")));
}

#[test]
fn retryable_statuses_are_retried_and_execution_errors_thrown() {
    let mut node = node_with(Ok(json!({"id": TXID})));
    node.answers.insert(
        2,
        (
            "NODE-GET /v1/blocks".into(),
            Err("http://x/v1/blocks answered HTTP 503: busy".into()),
        ),
    );
    // Replace the sealed answer with an execution error.
    let i = node
        .answers
        .iter()
        .position(|(_, a)| a.as_ref().is_ok_and(|v| v["status"] == "Sealed"))
        .unwrap();
    node.answers[i].1 = Ok(
        json!({"status": "Executed", "status_code": 1, "error_message": "[Error Code: 1101] cadence runtime error", "events": []}),
    );
    let e = sign_kms(&transfer_tx(), SHORT_KEY, Network::Testnet, &mut node).unwrap_err();
    assert_eq!(e.0, "[Error Code: 1101] cadence runtime error");
    assert!(
        !e.maybe_submitted(),
        "sealed with an error: a known outcome"
    );
    assert_eq!(
        node.calls[2],
        "NODE-GET /v1/blocks?height=final&expand=payload"
    );
    assert_eq!(node.calls[3], "PAUSE 1000");
    assert_eq!(
        node.calls[4],
        "NODE-GET /v1/blocks?height=final&expand=payload"
    );
    assert_eq!(
        node.calls.last().unwrap(),
        &format!(
            "POST /v3/flow/broadcast {}",
            json!({"txData": TXID, "proposalKey": 7})
        )
    );
}

#[test]
fn invalid_bodies_fail_before_any_request_and_cast_errors_release_key_zero() {
    let mut node = node_with(Ok(json!({"id": TXID})));
    let bad = pending(
        json!({"type": 2, "body": {"account": ACCOUNT, "to": "0x01", "amount": "1", "currency": "FLOW"}}),
    );
    assert!(sign_kms(&bad, SHORT_KEY, Network::Testnet, &mut node).is_err());
    assert!(node.calls.is_empty());

    // A custom transaction without args: `body.args.map` throws inside fcl.send's try.
    let custom =
        pending(json!({"type": 8, "body": {"account": ACCOUNT, "transaction": "transaction {}"}}));
    let e = sign_kms(&custom, SHORT_KEY, Network::Testnet, &mut node).unwrap_err();
    assert!(e.0.contains("reading 'map'"), "{e}");
    assert_eq!(
        node.calls,
        [format!(
            "POST /v3/flow/broadcast {}",
            json!({"txData": "", "proposalKey": 0})
        )]
    );
}

#[test]
fn create_account_and_add_key_encode_the_public_key() {
    let public = "fa3d562ebc47c75081522f0423aa05db73ef0dcbb4b1d800f2d9e7122620d62d7394423ee94a69bf084c9cdd9db11a2029e64382b3d0bf11f107a1408bbbf837";
    for (ty, weight_hex) in [(0, "8203e8"), (1, "80")] {
        let mut node = node_with(Ok(json!({"id": TXID})));
        let tx = pending(json!({"type": ty, "body": {"account": ACCOUNT, "publicKey": public}}));
        sign_kms(&tx, SHORT_KEY, Network::Testnet, &mut node).unwrap();
        let post = node
            .calls
            .iter()
            .find(|c| c.starts_with("NODE-POST /v1/transactions"))
            .unwrap();
        let body: Value = serde_json::from_str(post.splitn(3, ' ').nth(2).unwrap()).unwrap();
        let arg = base64::engine::general_purpose::STANDARD
            .decode(body["arguments"][0].as_str().unwrap())
            .unwrap();
        let key_hex = format!(
            "f8{}b840{public}0303{weight_hex}",
            if ty == 0 { "47" } else { "45" }
        );
        assert_eq!(
            String::from_utf8(arg).unwrap(),
            format!(r#"{{"type":"String","value":"{key_hex}"}}"#)
        );
    }
    let mut node = node_with(Ok(json!({"id": TXID})));
    let tx = pending(json!({"type": 0, "body": {"account": ACCOUNT, "publicKey": "ABC"}}));
    assert!(sign_kms(&tx, SHORT_KEY, Network::Testnet, &mut node).is_err());
    assert!(node.calls.is_empty());
}

#[test]
fn a_sent_transaction_whose_result_cannot_be_read_is_marked_as_maybe_submitted() {
    let mut node = node_with(Ok(json!({"id": TXID})));
    // The result endpoint answers a non-retryable error instead of the sealed result.
    let i = node
        .answers
        .iter()
        .position(|(_, a)| a.as_ref().is_ok_and(|v| v["status"] == "Sealed"))
        .unwrap();
    node.answers[i].1 = Err("http://x/v1/transaction_results answered HTTP 400: bad".into());
    let e = sign_kms(&transfer_tx(), SHORT_KEY, Network::Testnet, &mut node).unwrap_err();
    assert!(e.maybe_submitted(), "sent, outcome unknown: {e}");
    // The proposal key is still released, with the id of the sent transaction.
    assert_eq!(
        node.calls.last().unwrap(),
        &format!(
            "POST /v3/flow/broadcast {}",
            json!({"txData": TXID, "proposalKey": 7})
        )
    );
}
