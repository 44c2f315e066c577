//! Deriving 10,000 addresses from one xpub (issue 3: under 1 s on the project machine).
//!
//! `XpubDeriver` parses the xpub once, as a batch or a scan would; `address_from_xpub`
//! (what one `getaddress` call does) parses it for every index.
//!
//! Run: `cargo bench -p kms-chains --bench derive`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kms_chains::keys::{self, XpubDeriver};
use kms_core::{Chain, DerivationIndex, Network};

const ADDRESSES: u32 = 10_000;
const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn indices() -> impl Iterator<Item = DerivationIndex> {
    (0..ADDRESSES).filter_map(|i| DerivationIndex::new(i).ok())
}

fn ten_thousand_addresses(c: &mut Criterion) {
    let mut group = c.benchmark_group("10k addresses from one xpub");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    for chain in [Chain::Btc, Chain::Eth] {
        let network = Network::Mainnet;
        let wallet = keys::wallet_from_mnemonic(chain, network, MNEMONIC).expect("wallet");
        let xpub = wallet.get("xpub").expect("xpub").to_string();
        group.bench_function(format!("{chain} XpubDeriver (parse once)"), |b| {
            b.iter(|| {
                let deriver = XpubDeriver::new(chain, network, black_box(&xpub)).expect("xpub");
                for i in indices() {
                    black_box(deriver.address(i).expect("address"));
                }
            })
        });
        group.bench_function(
            format!("{chain} address_from_xpub (parse per index)"),
            |b| {
                b.iter(|| {
                    for i in indices() {
                        let address = keys::address_from_xpub(chain, network, black_box(&xpub), i);
                        black_box(address.expect("address"));
                    }
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, ten_thousand_addresses);
criterion_main!(benches);
