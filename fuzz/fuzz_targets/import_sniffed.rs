//! The import entry point as the app calls it on a dropped file: sniff the
//! format from the bytes, then parse (password `test`, the password of the
//! encrypted seed files).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::core::secret::SecretString;
use tessera::core::transfer::{import, sniff};

fuzz_target!(|data: &[u8]| {
    let _ = sniff(data);
    let password = SecretString::from("test");
    let _ = import(data, None, Some(&password));
});
