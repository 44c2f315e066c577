//! Property tests: any wallet map survives both formats unchanged (ids, order, every entry's
//! JSON), and the v2 fast paths (lookup, insert in front, remove) agree with the in-memory
//! map operations they stand for.

use kms_core::{SecretString, WalletEntry};
use kms_store::{legacy, Format, KdfParams, WalletStore, Wallets};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON without floats (whose text form is not this test's subject).
fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Mostly entries as the original writes them (a secret, a chain, a testnet flag), some odd
/// ones (unknown chain, missing or non-boolean testnet, extra fields, not an object).
fn entry() -> impl Strategy<Value = WalletEntry> {
    let chain = prop_oneof![
        Just(Some("ETH".to_string())),
        Just(Some("BTC".to_string())),
        Just(Some("SOL".to_string())),
        Just(Some("NOPE".to_string())),
        Just(None),
        ".{0,5}".prop_map(Some),
    ];
    let testnet = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        json_leaf()
    ];
    let object = (
        "[ -~]{0,80}",
        chain,
        proptest::option::of(testnet),
        prop::collection::vec(("[a-zA-Z]{1,8}", json_value()), 0..3),
    )
        .prop_map(|(secret, chain, testnet, extra)| {
            let mut m = Map::new();
            m.insert("privateKey".into(), Value::String(secret));
            if let Some(c) = chain {
                m.insert("chain".into(), Value::String(c));
            }
            if let Some(t) = testnet {
                m.insert("testnet".into(), t);
            }
            for (k, v) in extra {
                m.insert(k, v);
            }
            WalletEntry::from_json(Value::Object(m))
        });
    prop_oneof![9 => object, 1 => json_value().prop_map(WalletEntry::from_json)]
}

fn wallets() -> impl Strategy<Value = Vec<(String, WalletEntry)>> {
    prop::collection::vec((".{0,40}", entry()), 0..12)
}

fn map_of(entries: Vec<(String, WalletEntry)>) -> Wallets {
    let mut w = Wallets::new();
    for (id, entry) in entries.into_iter().rev() {
        w.insert_first(id, entry);
    }
    w
}

fn same(a: &Wallets, b: &Wallets) {
    assert_eq!(
        a.ids().collect::<Vec<_>>(),
        b.ids().collect::<Vec<_>>(),
        "ids or order differ"
    );
    assert_eq!(a.to_plaintext(), b.to_plaintext());
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Vec<(String, WalletEntry)>),
    Remove(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            prop::collection::vec(("[a-c]{1,2}|.{0,10}", entry()), 1..4).prop_map(Op::Insert),
            any::<usize>().prop_map(Op::Remove),
        ],
        0..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn legacy_encrypt_decrypt_round_trips(entries in wallets(), password in ".{0,20}") {
        let w = map_of(entries);
        let text = legacy::encrypt(&w.to_plaintext(), password.as_bytes()).unwrap();
        let plain = legacy::decrypt(&text, password.as_bytes()).unwrap();
        same(&Wallets::from_plaintext(&plain).unwrap(), &w);
    }

    #[test]
    fn both_formats_store_and_read_back_any_map(entries in wallets()) {
        for format in [Format::V2, Format::Legacy] {
            let dir = tempfile::tempdir().unwrap();
            let store = WalletStore::new(dir.path().join("wallet.dat"))
                .with_new_file_format(format)
                .with_kdf(KdfParams::TEST);
            let password = SecretString::from("pw");
            let w = map_of(entries.clone());
            store
                .modify(&password, |stored| {
                    for (id, entry) in w.iter().collect::<Vec<_>>().into_iter().rev() {
                        stored.insert_first(id.to_string(), entry.clone());
                    }
                    Ok::<_, kms_store::StoreError>(())
                })
                .unwrap();
            prop_assert_eq!(store.format().unwrap(), Some(format));
            same(&store.read(&password).unwrap(), &w);
            for (id, entry) in w.iter() {
                prop_assert_eq!(store.get(&password, id).unwrap(), Some(entry.clone()));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Lookups, inserts in front and removals on a v2 file (one row each) give what the
    /// same operations give on the in-memory map, and the file still verifies whole.
    #[test]
    fn v2_single_row_operations_match_the_map(initial in wallets(), ops in ops()) {
        let dir = tempfile::tempdir().unwrap();
        let store = WalletStore::new(dir.path().join("wallet.dat")).with_kdf(KdfParams::TEST);
        let password = SecretString::from("pw");
        let mut model = map_of(initial.clone());
        store.insert_first(&password, initial.into_iter().rev()).unwrap();
        for op in ops {
            match op {
                Op::Insert(batch) => {
                    model.insert_first_all(batch.clone());
                    store.insert_first(&password, batch).unwrap();
                }
                Op::Remove(i) => {
                    let id = model.ids().nth(i % (model.len() + 1)).map(str::to_string);
                    let id = id.unwrap_or_else(|| "absent".into());
                    let expected = model.remove(&id).is_some();
                    prop_assert_eq!(store.remove(&password, &id).unwrap(), expected);
                }
            }
            same(&store.read(&password).unwrap(), &model);
        }
        for (id, entry) in model.iter() {
            prop_assert_eq!(store.get(&password, id).unwrap(), Some(entry.clone()));
        }
        prop_assert_eq!(store.get(&password, "\u{0}no such id").unwrap(), None);
    }
}
