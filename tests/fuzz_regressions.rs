//! Inputs the fuzz targets in `fuzz/` found crashing, hanging or running
//! out of memory, each fed through the same entry point the target calls
//! and now answered with a clear error.

use tessera::core::qr::{QrError, scan};
use tessera::core::secret::SecretString;
use tessera::core::transfer::{Format, ImportError, import};

/// An encrypted Aegis vault whose password slot asks scrypt for
/// N = 2^40 (128·8·2^40 bytes = 1 PiB): the allocation used to abort the
/// process. Now a `Malformed` error naming the slot's `n`.
#[test]
fn aegis_scrypt_cost_is_bounded() {
    let password = SecretString::from("test");
    for (n, r, p) in [
        (1u64 << 40, 8u32, 1u32),
        (1 << 24, 8, 1),
        (1 << 15, 65_536, 65_536),
        (1 << 15, 8, 17),
    ] {
        let file = format!(
            r#"{{"version":1,"header":{{"slots":[{{"type":1,"uuid":"00000000-0000-0000-0000-000000000000","key":"00","key_params":{{"nonce":"00","tag":"00"}},"n":{n},"r":{r},"p":{p},"salt":"00"}}],"params":{{"nonce":"00","tag":"00"}}}},"db":"AA=="}}"#
        );
        let error = import(file.as_bytes(), Some(Format::Aegis), Some(&password))
            .expect_err("an absurd scrypt cost must be refused");
        match &error {
            ImportError::Malformed { location, what, .. } => {
                assert_eq!(location, "header.slots[0].n", "n={n} r={r} p={p}");
                assert!(
                    what.contains("scrypt cost too high"),
                    "n={n} r={r} p={p}: {what}"
                );
            }
            other => panic!("n={n} r={r} p={p}: expected Malformed, got {other:?}"),
        }
    }
}

/// An Aegis file whose password slots, each within its own bounds, add up
/// to hours of scrypt for a wrong password (200 slots at Aegis's own cost;
/// three at 1 GiB) is refused before anything is derived.
#[test]
fn aegis_key_derivation_work_per_file_is_bounded() {
    let password = SecretString::from("test");
    let slot = |n: u64| {
        format!(
            r#"{{"type":1,"uuid":"00000000-0000-0000-0000-000000000000","key":"00","key_params":{{"nonce":"00","tag":"00"}},"n":{n},"r":8,"p":1,"salt":"00"}}"#
        )
    };
    let file = |slots: Vec<String>| {
        format!(
            r#"{{"version":1,"header":{{"slots":[{}],"params":{{"nonce":"00","tag":"00"}}}},"db":"AA=="}}"#,
            slots.join(",")
        )
    };
    for (slots, expected) in [
        (vec![slot(1 << 15); 200], "200 password slots"),
        (vec![slot(1 << 20); 3], "more scrypt work"),
    ] {
        let error = import(file(slots).as_bytes(), Some(Format::Aegis), Some(&password))
            .expect_err("too much work must be refused");
        match &error {
            // The whole file, not a slot: refused before any slot is tried.
            ImportError::Malformed { location, what, .. } => {
                assert_eq!(location, "header.slots");
                assert!(what.contains(expected), "{what}");
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }
    // Within the budget the file is tried as usual: a wrong password.
    let within = import(
        file(vec![slot(1 << 10); 4]).as_bytes(),
        Some(Format::Aegis),
        Some(&password),
    );
    assert!(
        matches!(within, Err(ImportError::WrongPassword { .. })),
        "{within:?}"
    );
}

/// A 32 KB PNG declaring 16,384 × 16,384 pixels (one bit each, all zero):
/// decoding it took minutes of CPU and gigabytes before any error. Now an
/// `UnreadableImage` error naming the size, before the pixels are decoded.
#[test]
fn qr_scan_refuses_huge_pictures() {
    let bytes = include_bytes!("fuzz_regressions/png-16384x16384.png");
    match scan(bytes) {
        Err(QrError::UnreadableImage { format, reason }) => {
            assert_eq!(format, "PNG");
            assert!(reason.contains("16384×16384 pixels"), "{reason}");
        }
        other => panic!("expected UnreadableImage, got {other:?}"),
    }
}

/// A 518-byte PNG of 800 × 800 pixels tiled with 6,400 QR finder patterns
/// (7 × 7 modules of one pixel, every 10 pixels): `rqrr` pairs each with
/// its aligned neighbours and checks every group on a copy of the image,
/// and ran for minutes (300 × 300 pixels of it took 13 s). Now each pass
/// counts the finder-like shapes first and skips the search past 240; the
/// picture gets an error that says what to do.
#[test]
fn qr_scan_of_a_lattice_of_finder_patterns_stops_with_a_clear_error() {
    let bytes = include_bytes!("fuzz_regressions/qr-finder-lattice-800x800.png");
    let error = scan(bytes).unwrap_err();
    assert_eq!(error, QrError::TooManyFinderShapes { limit: 240 });
    assert!(
        error.to_string().contains("crop it to the QR code"),
        "{error}"
    );
}

/// 66 bytes the import entry point sniffs as an encrypted andOTP backup
/// asking for 7,304,297 PBKDF2-SHA1 iterations (the first four bytes):
/// with a password, the import ran for many seconds. andOTP writes
/// 140,000–160,000; a count over a million is never derived from: the
/// bytes are tried as andOTP 0.6.2's headerless layout only (one SHA-256),
/// which the password does not open.
#[test]
fn andotp_iteration_count_is_bounded() {
    let bytes = b"\x00\x6f\x74\x69\x6e\x00\x3a\x65\x31\x5f\x74\x66\x69\x6e\x6c\x65\x3f\x64\x61\x08\x00\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x7b\x00\x00\x00\x00\x00\x00\x39\x7a\x00\x00\x04\x61\x26\x25\x00\x00\x00\x00\x00\x00\x80\x00\x58\x58\x58\x0a";
    let password = SecretString::from("test");
    let started = std::time::Instant::now();
    match import(bytes, None, Some(&password)) {
        Err(ImportError::WrongPassword { format }) => {
            assert_eq!(format, Format::AndOtpEncrypted);
        }
        other => panic!("expected WrongPassword, got {other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}
