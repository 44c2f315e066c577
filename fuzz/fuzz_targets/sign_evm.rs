//! EVM chains and VET: evm_tx (JSON transaction).
#![no_main]
use kms_core::Chain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kms_fuzz::sign(
    &[
        Chain::Eth,
        Chain::Bsc,
        Chain::Matic,
        Chain::Celo,
        Chain::Klay,
        Chain::Xdc,
        Chain::One,
        Chain::Kcs,
        Chain::Vet
    ],
    data
));
