//! QR scanning of a dropped or pasted picture: any bytes are codes or a
//! `QrError`, within the decoder's size limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tessera::core::qr::scan(data);
});
