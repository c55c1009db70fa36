//! Google Authenticator migration payloads: the first byte picks whether
//! the rest is a whole `otpauth-migration://` URI (text) or the protobuf
//! payload itself, wrapped into a URI as base64 the way an export is.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use tessera::core::otp::parse_migration_uri;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(text) = std::str::from_utf8(rest) {
            let _ = parse_migration_uri(text);
        }
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(rest);
        let escaped = encoded
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let _ = parse_migration_uri(&format!("otpauth-migration://offline?data={escaped}"));
    }
});
