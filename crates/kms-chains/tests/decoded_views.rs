//! The decoded view of every pending transaction in the signing vectors, written by hand
//! from the transactions themselves (amounts, receivers, fees, nonces), plus hand-made
//! transactions for the shapes the vectors lack (tokens, ADA, FLOW) and refusals.

mod common;

use std::collections::BTreeMap;

use common::{read_json, sign_fixtures};
use kms_chains::decode::{decode, DecodedView, Kind};
use kms_core::{Chain, Network, PendingTransaction};
use serde_json::{json, Value};

fn pending(chain: Chain, serialized: &str) -> PendingTransaction {
    common::pending("t", chain.code(), serialized, &["w"], None)
}

fn view(chain: Chain, network: Network, serialized: &str) -> Value {
    let v = decode(chain, network, &pending(chain, serialized))
        .unwrap_or_else(|e| panic!("{chain}: {e}"));
    serde_json::to_value(v).unwrap()
}

/// `{"ETH", "mainnet", kind, from, to, amount, token?, fee?, nonce?}` in the view's shape.
fn evm(chain: &str, net: &str, to: &str, amount: &str, fee: &str, nonce: &str) -> Value {
    json!({"chain": chain, "network": net, "kind": "transfer", "from": [],
        "to": [{"address": to, "amount": amount}], "amount": amount, "fee": fee, "nonce": nonce})
}

const EVM_TO: &str = "0x8cb76aed9c5e336ef961265c6079c14e9cd3d2ea";

fn expected() -> BTreeMap<&'static str, Value> {
    let mut e = BTreeMap::new();
    // 21000 gas × 20 gwei.
    for (id, nonce) in [("foureye-allowed-1", "1"), ("foureye-denied-1", "2")] {
        e.insert(
            id,
            evm(
                "ETH",
                "mainnet",
                EVM_TO,
                "1000000000000000",
                "420000000000000",
                nonce,
            ),
        );
    }
    e.insert(
        "eth-kms-tx-native",
        evm(
            "ETH",
            "testnet",
            EVM_TO,
            "12300000000000000",
            "420000000000000",
            "7",
        ),
    );
    // transfer(0x8cb7…, 0x16e360 = 1.5 USDT); 60000 gas × 25 gwei.
    e.insert(
        "eth-kms-tx-erc20",
        json!({"chain": "ETH", "network": "testnet", "kind": "tokenTransfer", "from": [],
            "to": [{"address": EVM_TO, "amount": "1500000"}], "amount": "0",
            "token": {"contract": "0xdac17f958d2ee523a2206206994597c13d831ec7", "amount": "1500000"},
            "fee": "1500000000000000", "nonce": "12"}),
    );
    // gasPrice "0" and no nonce: both are asked of the network when signing.
    e.insert(
        "eth-kms-tx-nononce-nogasprice",
        json!({"chain": "ETH", "network": "testnet", "kind": "transfer", "from": [],
            "to": [{"address": EVM_TO, "amount": "500000000000000000"}],
            "amount": "500000000000000000"}),
    );
    // 21000 gas × 30 gwei.
    for chain in ["BSC", "MATIC", "KLAY", "ONE", "XDC"] {
        let lower = chain.to_lowercase();
        let to = if chain == "XDC" {
            "xdc8cb76aed9c5e336ef961265c6079c14e9cd3d2ea"
        } else {
            EVM_TO
        };
        let id1: &'static str = Box::leak(format!("{lower}-kms-tx-mnemonic-idx4").into_boxed_str());
        let id2: &'static str = Box::leak(format!("{lower}-kms-tx-privatekey").into_boxed_str());
        e.insert(
            id1,
            evm(
                chain,
                "testnet",
                to,
                "1000000000000000",
                "630000000000000",
                "3",
            ),
        );
        e.insert(
            id2,
            evm(
                chain,
                "testnet",
                to,
                "2000000000000000",
                "630000000000000",
                "4",
            ),
        );
    }
    // CELO: gasLimit 0xea60 × gasPrice 0x12a05f200 (5 gwei); values in hex.
    e.insert(
        "celo-kms-tx-mnemonic-idx4",
        evm(
            "CELO",
            "testnet",
            EVM_TO,
            "1000000000000000",
            "300000000000000",
            "3",
        ),
    );
    e.insert(
        "celo-kms-tx-privatekey",
        evm(
            "CELO",
            "testnet",
            EVM_TO,
            "2000000000000000",
            "300000000000000",
            "4",
        ),
    );
    // VET: no gas price in the transaction (VTHO), so no fee.
    e.insert(
        "vet-kms-tx-mnemonic-idx1",
        json!({"chain": "VET", "network": "testnet", "kind": "transfer", "from": [],
            "to": [{"address": EVM_TO, "amount": "1000000000000000000"}],
            "amount": "1000000000000000000", "nonce": "1"}),
    );
    // BTC: P2WPKH 150000 + P2PKH 80000 in; 150000 to tb1qw508…, 70000 change; fee 10000.
    e.insert(
        "btc-kms-tx-0001",
        json!({"chain": "BTC", "network": "testnet", "kind": "transfer",
            "from": ["tb1q8gk5z3dy7zv9ywe7synlrk58elz4hrne29cpdj", "mkpZhYtJu2r87Js3pDiWJDmPte2NRZ8bJV"],
            "to": [{"address": "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "amount": "150000"},
                   {"address": "mxgzjPZyVJxHfjMA9toD18tZXzWiWHy8ty", "amount": "70000", "change": true}],
            "amount": "150000", "fee": "10000"}),
    );
    // LTC: 1000000 + 700000 in, both outputs back to the first input's address.
    e.insert(
        "ltc-kms-tx-0001",
        json!({"chain": "LTC", "network": "testnet", "kind": "transfer",
            "from": ["mkpZhYtJu2r87Js3pDiWJDmPte2NRZ8bJV", "mxgzjPZyVJxHfjMA9toD18tZXzWiWHy8ty"],
            "to": [{"address": "mkpZhYtJu2r87Js3pDiWJDmPte2NRZ8bJV", "amount": "1500000", "change": true},
                   {"address": "mkpZhYtJu2r87Js3pDiWJDmPte2NRZ8bJV", "amount": "190000", "change": true}],
            "amount": "0", "fee": "10000"}),
    );
    // DOGE: 120 DOGE in, 100 + 18 DOGE back to the same address, 2 DOGE fee.
    e.insert(
        "doge-kms-tx-0001",
        json!({"chain": "DOGE", "network": "testnet", "kind": "transfer",
            "from": ["noVoUoC3q7wgmb25McqSdLCHhUAhSREkT9"],
            "to": [{"address": "noVoUoC3q7wgmb25McqSdLCHhUAhSREkT9", "amount": "10000000000", "change": true},
                   {"address": "noVoUoC3q7wgmb25McqSdLCHhUAhSREkT9", "amount": "1800000000", "change": true}],
            "amount": "0", "fee": "200000000"}),
    );
    // SOL: one system transfer of 0x12d687 lamports.
    e.insert(
        "sol-kms-tx-0001",
        json!({"chain": "SOL", "network": "testnet", "kind": "transfer",
            "from": ["B9sVeu4rJU12oUrUtzjc6BSNuEXdfvurZkdcaTVkP2LY"],
            "to": [{"address": "J9KDUKQS6Wa1YFS8PrRFwfW6DHTMEmaEXHufRmzJsmhN", "amount": "1234567"}],
            "amount": "1234567"}),
    );
    // TRON: TransferContract, owner 4109b1… / 411238…, to 41c859….
    e.insert(
        "tron-kms-tx-pk",
        json!({"chain": "TRON", "network": "testnet", "kind": "transfer",
            "from": ["TArTyjaspAQeekxGomjip5GWDzcgVeV2KZ"],
            "to": [{"address": "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", "amount": "1500000"}],
            "amount": "1500000"}),
    );
    e.insert(
        "tron-kms-tx-mnemonic-idx5",
        json!({"chain": "TRON", "network": "testnet", "kind": "transfer",
            "from": ["TBdYXtwq18cAhi1BA574TrP6tw2G86anu1"],
            "to": [{"address": "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", "amount": "2000000"}],
            "amount": "2000000"}),
    );
    for (id, account, seq) in [
        ("xrp-kms-tx-0", "rUronxZp6pMpfCTVdK3Avm8W13De1hSyei", "4242"),
        ("xrp-kms-tx-1", "rPw9wUS2nPSZkN6TyLYDpHUuJx9uxhxVV4", "4243"),
    ] {
        e.insert(
            id,
            json!({"chain": "XRP", "network": "testnet", "kind": "transfer", "from": [account],
                "to": [{"address": "rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe", "amount": "2500000"}],
                "amount": "2500000", "fee": "12", "nonce": seq}),
        );
    }
    // XLM: one payment of 0x07735940 stroops (12.5 XLM), fee 100, seqNum 0x1cbe991a15.
    e.insert(
        "xlm-kms-tx-0001",
        json!({"chain": "XLM", "network": "testnet", "kind": "transfer",
            "from": ["GB66BIFBQL5S3NJMWIL2FYWKZDHPOI6HYALQRTYTZWKIQJCAWKATPOHJ"],
            "to": [{"address": "GBJYOTG76SPL67CDUXI4AZFUSZD2M44CNVV7JPL5OUGJMVWWWKNB64IN", "amount": "125000000"}],
            "amount": "125000000", "fee": "100", "nonce": "123456789013"}),
    );
    // ALGO: pay 1234567 microalgos to itself, flat fee 1000.
    let algo = "FKOZW3G2ZTPLBLO2G2EROXKLMTB4W37K746UBQ44EKWONN6KKQ2WGJDM2Q";
    e.insert(
        "algo-kms-tx-0001",
        json!({"chain": "ALGO", "network": "testnet", "kind": "transfer", "from": [algo],
            "to": [{"address": algo, "amount": "1234567"}], "amount": "1234567", "fee": "1000"}),
    );
    e
}

#[test]
fn every_signing_vector_decodes_to_its_view() {
    let expected = expected();
    let mut seen = std::collections::BTreeSet::new();
    let mut dirs: Vec<_> = std::fs::read_dir(sign_fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        let case = read_json(dir.join("case.json"));
        let chain: Chain = case["chain"].as_str().unwrap().parse().unwrap();
        let network = Network::from_testnet(case["testnet"].as_bool().unwrap());
        for p in case["pendingTransactions"].as_array().unwrap() {
            let tx: PendingTransaction = serde_json::from_value(p.clone()).unwrap();
            let want = expected
                .get(tx.id.as_str())
                .unwrap_or_else(|| panic!("{}: no expected view for {}", dir.display(), tx.id));
            let got = decode(chain, network, &tx).unwrap_or_else(|e| panic!("{}: {e}", tx.id));
            assert_eq!(&serde_json::to_value(&got).unwrap(), want, "{}", tx.id);
            // The view round-trips through its JSON form (what the four-eye call carries).
            let back: DecodedView = serde_json::from_value(want.clone()).unwrap();
            assert_eq!(back, got);
            seen.insert(tx.id.clone());
        }
    }
    assert_eq!(
        seen.len(),
        expected.len(),
        "every expected view was checked"
    );
}

fn oracle(name: &str) -> Value {
    let all: Vec<Value> =
        serde_json::from_value(read_json(sign_fixtures().join("oracle_vectors.json"))).unwrap();
    all.into_iter().find(|v| v["name"] == name).unwrap()
}

#[test]
fn bch_and_btc_data_outputs() {
    // Two inputs of 100000 and 95000 sat; outputs 0x249f0 and 0x9c40; no input addresses.
    let v = oracle("bch_mainnet_two_inputs");
    assert_eq!(
        view(
            Chain::Bch,
            Network::Mainnet,
            v["serialized"].as_str().unwrap()
        ),
        json!({"chain": "BCH", "network": "mainnet", "kind": "transfer", "from": [],
            "to": [{"address": "bitcoincash:qrfdj7gpawa6l9amulr6csw227pyf42s5gc7mhlj92", "amount": "150000"},
                   {"address": "bitcoincash:qqgnzcls3u6c0zft8dkl04q0tx9cqden3cvd37gmsf", "amount": "40000"}],
            "amount": "190000", "fee": "5000"})
    );
    // An OP_RETURN output is listed by its script; the change (index 2) is marked.
    let v = oracle("btc_change_first_and_data_output");
    assert_eq!(
        view(
            Chain::Btc,
            Network::Mainnet,
            v["serialized"].as_str().unwrap()
        ),
        json!({"chain": "BTC", "network": "mainnet", "kind": "transfer",
            "from": ["1Q1pE5vPGEEMqRcVRMbtBK842Y6Pzo6nK9"],
            "to": [{"address": "script:6a09746174756d206b6d73", "amount": "0"},
                   {"address": "18aF6pYXKDSXjXHpidt2G6okdVdBr8zA7z", "amount": "100000"},
                   {"address": "1Q1pE5vPGEEMqRcVRMbtBK842Y6Pzo6nK9", "amount": "898000", "change": true}],
            "amount": "100000", "fee": "2000"})
    );
}

#[test]
fn egld_values_are_scaled_as_the_signer_scales_them() {
    let a = "erd1sydnytuu9zrhh704gw5w3kcl838agknve3k2muc4fxvf84yms2vs82hu3v";
    let b = "erd10nm8ae5qhpvnnl9tk67yqs2jyakafwcuqs4pmwwcdsqaxphad6dqar6u93";
    // spec §10.4: 0.5 EGLD with a note to a user account.
    let v = view(
        Chain::Egld,
        Network::Testnet,
        &format!(r#"{{"from":"{a}","to":"{b}","value":"0.5","data":"hello"}}"#),
    );
    assert_eq!(
        v,
        json!({"chain": "EGLD", "network": "testnet", "kind": "transfer", "from": [a],
            "to": [{"address": b, "amount": "500000000000000000"}], "amount": "500000000000000000"})
    );
    // A hex receiver is written in bech32; 1e-18 EGLD is one base unit.
    let v = view(
        Chain::Egld,
        Network::Testnet,
        r#"{"to":"7cf67ee680b859399fcabb6bc041522dd5d4bb1c042a1db9d86c01d306fd6e9a","value":"0.000000000000000001"}"#,
    );
    assert!(v["to"][0]["address"].as_str().unwrap().starts_with("erd1"));
    assert_eq!(v["to"][0]["amount"], "1");
    assert_eq!(v["amount"], "1");
    // ESDTTransfer@"USDC-c76f1f"@0x0f4240.
    let v = view(
        Chain::Egld,
        Network::Mainnet,
        &format!(
            r#"{{"to":"{b}","value":"0","data":"ESDTTransfer@555344432d633736663166@0f4240"}}"#
        ),
    );
    assert_eq!(v["kind"], "tokenTransfer");
    assert_eq!(
        v["token"],
        json!({"contract": "USDC-c76f1f", "amount": "1000000"})
    );
}

#[test]
fn token_transfers_of_other_chains() {
    // ERC-20 transferFrom(a, b, 2^128): amounts beyond u64 stay exact.
    let data = format!(
        "0x23b872dd{:0>64}{:0>64}{:0>64}",
        "1111111111111111111111111111111111111111",
        "2222222222222222222222222222222222222222",
        "100000000000000000000000000000000"
    );
    let v = view(
        Chain::Bsc,
        Network::Mainnet,
        &format!(
            r#"{{"to":"0x55d398326f99059ff775485246999027b3197955","data":"{data}","gasPrice":"5000000000","gas":70000,"nonce":"0x10"}}"#
        ),
    );
    assert_eq!(
        v,
        json!({"chain": "BSC", "network": "mainnet", "kind": "tokenTransfer",
            "from": ["0x1111111111111111111111111111111111111111"],
            "to": [{"address": "0x2222222222222222222222222222222222222222",
                    "amount": "340282366920938463463374607431768211456"}],
            "amount": "0",
            "token": {"contract": "0x55d398326f99059ff775485246999027b3197955",
                      "amount": "340282366920938463463374607431768211456"},
            "fee": "350000000000000", "nonce": "16"})
    );
    // Any other call data is a contract call.
    let v = view(
        Chain::Eth,
        Network::Mainnet,
        r#"{"to":"0x8cb76aed9c5e336ef961265c6079c14e9cd3d2ea","data":"0x095ea7b3","value":"1"}"#,
    );
    assert_eq!(v["kind"], "contractCall");
    assert_eq!(v["to"], json!([{"address": EVM_TO, "amount": "1"}]));

    // TRC-20 transfer(41c859…, 5000000) on the USDT contract, fee limit 10 TRX.
    let trc20 = json!({"raw_data": {"contract": [{"parameter": {"value": {
            "owner_address": "4109b1b763bb58b85f2842a871ea6b66782fa73a4c",
            "contract_address": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
            "data": "a9059cbb000000000000000000000000c8599111f29c1e1e061265b4af93ea1f274ad78a00000000000000000000000000000000000000000000000000000000004c4b40"},
            "type_url": "type.googleapis.com/protocol.TriggerSmartContract"}, "type": "TriggerSmartContract"}],
        "fee_limit": 10000000}});
    let v = view(Chain::Tron, Network::Mainnet, &trc20.to_string());
    assert_eq!(
        v,
        json!({"chain": "TRON", "network": "mainnet", "kind": "tokenTransfer",
            "from": ["TArTyjaspAQeekxGomjip5GWDzcgVeV2KZ"],
            "to": [{"address": "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", "amount": "5000000"}],
            "amount": "0",
            "token": {"contract": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "amount": "5000000"},
            "fee": "10000000"})
    );

    // XRP issued currency.
    let v = view(
        Chain::Xrp,
        Network::Mainnet,
        r#"{"TransactionType":"Payment","Account":"rUronxZp6pMpfCTVdK3Avm8W13De1hSyei","Destination":"rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe","Amount":{"currency":"USD","issuer":"rPw9wUS2nPSZkN6TyLYDpHUuJx9uxhxVV4","value":"12.5"},"Fee":"12","Sequence":7}"#,
    );
    assert_eq!(v["kind"], "tokenTransfer");
    assert_eq!(
        v["token"],
        json!({"contract": "USD:rPw9wUS2nPSZkN6TyLYDpHUuJx9uxhxVV4", "amount": "12.5"})
    );
    assert_eq!(v["amount"], "0");
}

#[test]
fn spl_token_transfer() {
    use kms_chains::sol_tx::{CompiledInstruction, Message, MessageHeader};
    let token_program: [u8; 32] = bs58::decode("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
        .into_vec()
        .unwrap()
        .try_into()
        .unwrap();
    let mut data = vec![3u8];
    data.extend_from_slice(&250_000u64.to_le_bytes());
    let message = Message {
        header: MessageHeader {
            num_required_signatures: 1,
            num_readonly_signed_accounts: 0,
            num_readonly_unsigned_accounts: 1,
        },
        account_keys: vec![[1; 32], [2; 32], [3; 32], token_program],
        recent_blockhash: [9; 32],
        instructions: vec![CompiledInstruction {
            program_id_index: 3,
            accounts: vec![1, 2, 0],
            data,
        }],
    };
    let hex = hex::encode(message.encode().unwrap());
    let v = view(
        Chain::Sol,
        Network::Mainnet,
        &json!({ "txData": hex }).to_string(),
    );
    let b58 = |k: [u8; 32]| bs58::encode(k).into_string();
    assert_eq!(
        v,
        json!({"chain": "SOL", "network": "mainnet", "kind": "tokenTransfer", "from": [b58([1; 32])],
            "to": [{"address": b58([3; 32]), "amount": "250000"}], "amount": "0",
            "token": {"contract": null, "amount": "250000"}})
    );
}

#[test]
fn ada_and_flow_from_their_serialized_json() {
    // Rosetta operations: 10 ADA in, 3 ADA out, 6.8 ADA change, 0.2 ADA fee.
    let ops = json!([
        {"operation_identifier": {"index": 0}, "type": "input", "status": "",
         "account": {"address": "addr_test1vsender"},
         "amount": {"value": "-10000000", "currency": {"symbol": "ADA", "decimals": 6}},
         "coin_change": {"coin_identifier": {"identifier": "ab:0"}, "coin_action": "coin_spent"}},
        {"operation_identifier": {"index": 1}, "type": "output", "status": "",
         "account": {"address": "addr_test1vreceiver"},
         "amount": {"value": "3000000", "currency": {"symbol": "ADA", "decimals": 6}}},
        {"operation_identifier": {"index": 2}, "type": "output", "status": "",
         "account": {"address": "addr_test1vsender"},
         "amount": {"value": "6800000", "currency": {"symbol": "ADA", "decimals": 6}}}
    ]);
    assert_eq!(
        view(Chain::Ada, Network::Testnet, &ops.to_string()),
        json!({"chain": "ADA", "network": "testnet", "kind": "transfer", "from": ["addr_test1vsender"],
            "to": [{"address": "addr_test1vreceiver", "amount": "3000000"},
                   {"address": "addr_test1vsender", "amount": "6800000", "change": true}],
            "amount": "3000000", "fee": "200000"})
    );
    // FLOW TRANSFER of 1.5 FLOW; of FUSD a token transfer; other types are `other`.
    let flow = |body: Value, ty: u64| {
        view(
            Chain::Flow,
            Network::Testnet,
            &json!({"type": ty, "body": body}).to_string(),
        )
    };
    let v = flow(
        json!({"account": "0x955cd3f17b2fd8ad", "to": "0x1234567890abcdef", "amount": "1.5", "currency": "FLOW"}),
        2,
    );
    assert_eq!(
        v,
        json!({"chain": "FLOW", "network": "testnet", "kind": "transfer", "from": ["0x955cd3f17b2fd8ad"],
            "to": [{"address": "0x1234567890abcdef", "amount": "150000000"}], "amount": "150000000"})
    );
    let v = flow(
        json!({"account": "0x955cd3f17b2fd8ad", "to": "0x1234567890abcdef", "amount": 2, "currency": "FUSD"}),
        2,
    );
    assert_eq!(
        v["token"],
        json!({"contract": "0xe223d8a629e49c68", "amount": "200000000"})
    );
    let v = flow(
        json!({"account": "0x955cd3f17b2fd8ad", "publicKey": "ab"}),
        1,
    );
    assert_eq!(v["kind"], "other");
    assert_eq!(v["to"], json!([]));
}

#[test]
fn what_cannot_be_read_is_refused() {
    let cases: [(Chain, &str); 9] = [
        (Chain::Eth, "not json"),
        (Chain::Eth, r#"{"to":"0x12","value":"1"}"#),
        (
            Chain::Eth,
            r#"{"to":"0x8cb76aed9c5e336ef961265c6079c14e9cd3d2ea","value":"1.5"}"#,
        ),
        (Chain::Btc, r#"{"inputs":[],"outputs":[]}"#),
        (Chain::Bch, "zz:[1]"),
        (Chain::Xlm, "AAAA"),
        (Chain::Sol, r#"{"txData":"01"}"#),
        (
            Chain::Ada,
            r#"[{"type":"input","account":{"address":"a"},"amount":{"value":"-1"},"metadata":{"tokenBundle":[]}}]"#,
        ),
        (Chain::Bnb, "{}"),
    ];
    for (chain, text) in cases {
        let e = decode(chain, Network::Mainnet, &pending(chain, text));
        assert!(e.is_err(), "{chain} {text}: {e:?}");
    }
    let ok = decode(
        Chain::Xrp,
        Network::Mainnet,
        &pending(
            Chain::Xrp,
            r#"{"TransactionType":"TrustSet","Account":"r1"}"#,
        ),
    )
    .unwrap();
    assert_eq!(ok.kind, Kind::Other);
}
