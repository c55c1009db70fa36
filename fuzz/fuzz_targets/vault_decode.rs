//! The vault's decoders: an entry envelope opened with a fixed key, and the
//! account and backup-code payloads inside one. The first byte picks which.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::core::vault::EnvelopeKey;
use tessera::core::vault::envelope::{AssociatedData, check_layout, open, seal};
use tessera::core::vault::payload::{
    decode_account, decode_backup_code, encode_account, encode_backup_code,
};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some(key) = EnvelopeKey::from_slice(&[7u8; 32]) else {
        return;
    };
    let ad = AssociatedData::new("tessera/fuzz").bytes(b"entry").be32(1);
    match mode % 4 {
        0 => {
            let layout = check_layout(rest);
            let opened = open(&key, rest, &ad);
            assert!(
                layout.is_ok() || opened.is_err(),
                "opened a malformed envelope"
            );
        }
        1 => {
            if let Some((account, details)) = decode_account(rest) {
                let again = decode_account(&encode_account(&account, &details));
                assert!(again.is_some(), "an encoded account does not decode");
            }
        }
        2 => {
            if let Some((code, used_at)) = decode_backup_code(rest) {
                let again = decode_backup_code(&encode_backup_code(&code, used_at));
                assert!(again.is_some(), "an encoded backup code does not decode");
            }
        }
        _ => {
            if let Ok(sealed) = seal(&key, rest, &ad) {
                let opened = open(&key, &sealed, &ad);
                assert!(
                    opened.is_ok_and(|plain| plain.as_slice() == rest),
                    "a sealed envelope does not open to its plaintext"
                );
            }
        }
    }
});
