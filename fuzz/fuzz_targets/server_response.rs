//! The `server_response` fuzz target: each input goes to `harness::server_response`
//! (fuzz/harness.rs), which says what it checks.
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::server_response(data));
