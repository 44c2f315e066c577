//! Builds a large v2 wallet file for benchmarks (`scripts/bench-v2-100k`): COUNT ETH
//! private-key wallets (fake but well-formed keys), one write, with the test Argon2id
//! parameters, so that building is quick. Rewrap it with the production parameters with
//! `tatum-kms changepassword` when the KDF should count.
//!
//! Usage: `cargo run --release -p kms-store --example make_v2_store -- PATH COUNT`
//! (password from `TATUM_KMS_PASSWORD`). Prints the id of one wallet in the middle.

use kms_core::{Chain, SecretString, WalletEntry};
use kms_store::{KdfParams, WalletStore};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(count)) = (args.get(1), args.get(2).and_then(|c| c.parse::<u64>().ok()))
    else {
        eprintln!("usage: make_v2_store PATH COUNT  (password from TATUM_KMS_PASSWORD)");
        std::process::exit(2);
    };
    let password = SecretString::new(std::env::var("TATUM_KMS_PASSWORD").unwrap_or_default());
    let store = WalletStore::new(path).with_kdf(KdfParams::TEST);
    let id = |i: u64| {
        format!(
            "{:08x}-{:04x}-4000-8000-{:012x}",
            i.wrapping_mul(2654435761) as u32,
            i % 65536,
            i
        )
    };
    let entries = (0..count).map(|i| {
        let key = format!(
            "0x{:016x}{:048x}",
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            i
        );
        (
            id(i),
            WalletEntry::build([("privateKey", key)], Chain::Eth, false),
        )
    });
    if let Err(e) = store.insert_first(&password, entries) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    println!("{}", id(count / 2));
}
