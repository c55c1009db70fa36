//! The `import_format` fuzz target: each input goes to `harness::import_format`
//! (fuzz/harness.rs), which says what it checks.
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::import_format(data));
