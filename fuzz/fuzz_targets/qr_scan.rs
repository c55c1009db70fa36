//! The `qr_scan` fuzz target: each input goes to `harness::qr_scan`
//! (fuzz/harness.rs), which says what it checks.
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::qr_scan(data));
