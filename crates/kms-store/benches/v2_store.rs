//! The v2 store at 100,000 wallets (issue 9, item 8): opening + unlocking + looking up one
//! entry must cost the KDF plus under 100 ms, adding one wallet the KDF plus under 50 ms.
//!
//! The store is built once with the test Argon2id parameters (8 KiB, 1 pass), so the timed
//! operations below contain a negligible KDF; the production KDF (128 MiB, 3 passes) is
//! measured alone and is to be added to them.
//!
//! Run: `cargo bench -p kms-store --bench v2_store`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use kms_core::{Chain, SecretString, WalletEntry};
use kms_store::{KdfParams, WalletStore};

const WALLETS: usize = 100_000;

fn entry(i: u64) -> WalletEntry {
    WalletEntry::build(
        [(
            "privateKey",
            format!("0x{:064x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        )],
        Chain::Eth,
        i.is_multiple_of(2),
    )
}

fn id(i: u64) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", i, i)
}

fn v2_store(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let password = SecretString::from("bench-password");
    let store = WalletStore::new(dir.path().join("wallet.dat")).with_kdf(KdfParams::TEST);
    let start = Instant::now();
    store
        .insert_first(&password, (0..WALLETS as u64).map(|i| (id(i), entry(i))))
        .expect("build the store");
    let size = std::fs::metadata(store.path()).expect("size").len();
    eprintln!(
        "built a {WALLETS}-wallet v2 store ({size} bytes) in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let mut group = c.benchmark_group("v2 store, 100k wallets");
    group.sample_size(30);
    let middle = id(WALLETS as u64 / 2);
    group.bench_function("open+unlock+lookup one entry (test KDF)", |b| {
        b.iter(|| {
            let found = store.get(&password, black_box(&middle)).expect("lookup");
            assert!(found.is_some());
        })
    });
    group.bench_function("open+unlock+lookup a missing id (test KDF)", |b| {
        b.iter(|| {
            let found = store
                .get(&password, black_box("no-such-id"))
                .expect("lookup");
            assert!(found.is_none());
        })
    });
    let mut next = WALLETS as u64;
    group.bench_function("add one wallet (test KDF, synchronous=FULL)", |b| {
        b.iter(|| {
            next += 1;
            store
                .insert_first(&password, [(id(next), entry(next))])
                .expect("insert");
        })
    });
    group.finish();

    let mut group = c.benchmark_group("v2 store, 100k wallets, whole store");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("read and verify every entry (export, daemon start)", |b| {
        b.iter(|| black_box(store.read(&password).expect("read").len()))
    });
    group.finish();

    let mut group = c.benchmark_group("Argon2id alone");
    group.sample_size(10);
    let p = KdfParams::DEFAULT;
    let params = argon2::Params::new(p.m_kib, p.t, p.p, Some(32)).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    group.bench_function("production parameters (128 MiB, t=3, p=1)", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            argon
                .hash_password_into(b"bench-password", &[7u8; 16], &mut out)
                .expect("argon2");
            black_box(out)
        })
    });
    group.finish();
}

criterion_group!(benches, v2_store);
criterion_main!(benches);
