//! `otpauth://` URI parsing: any text is an account or an `OtpError`, and
//! an account parsed once survives formatting and parsing again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::core::otp::{format_uri, parse_uri};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(account) = parse_uri(text) {
        let again = parse_uri(&format_uri(&account));
        assert!(again.is_ok(), "a formatted account does not parse again");
    }
});
