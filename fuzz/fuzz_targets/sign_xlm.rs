//! XLM: xlm_tx (XDR envelope).
#![no_main]
use kms_core::Chain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kms_fuzz::sign(&[Chain::Xlm], data));
