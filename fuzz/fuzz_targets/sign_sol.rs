//! SOL: sol_tx (txData: a legacy message).
#![no_main]
use kms_core::Chain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kms_fuzz::sign(&[Chain::Sol], data));
