//! The `otpauth_uri` fuzz target: each input goes to `harness::otpauth_uri`
//! (fuzz/harness.rs), which says what it checks.
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::otpauth_uri(data));
