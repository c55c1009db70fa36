//! Each importer with its format forced: the first byte picks the format
//! (its low five bits) and whether a password is given (its high bit), the
//! rest is the file.
//!
//! Key derivations take their cost from the file; so that one run stays
//! short, this target lowers it before parsing (the importers' own bounds
//! on those costs are tested in `tests/fuzz_regressions.rs`): andOTP's
//! PBKDF2 iteration count to at most 1000, Aegis's scrypt `n` to at most
//! 2^10, `r` to 8 and `p` to 1; Bitwarden's PBKDF2 iterations to 5000 and
//! Argon2id memory to 16 MiB and passes to 2; Ente's Argon2id memory to
//! 8 MiB and passes to 1. Tessera backups use the vault's Argon2
//! parameters, bounded by `core::vault::kdf`; Authenticator Pro and Proton
//! Authenticator derive at a fixed cost.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tessera::core::secret::SecretString;
use tessera::core::transfer::{Format, import};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[usize::from(selector & 0x1f) % Format::ALL.len()];
    let password = SecretString::from("test");
    let password = (selector & 0x80 == 0).then_some(&password);
    let bytes = match format {
        Format::AndOtpEncrypted => cheap_andotp(rest),
        Format::Aegis => cheap_aegis(rest),
        Format::BitwardenJson => cheap_json(
            rest,
            &[
                ("/kdfIterations", 5000),
                ("/kdfMemory", 16),
                ("/kdfParallelism", 1),
            ],
        ),
        Format::EnteEncrypted => cheap_json(
            rest,
            &[("/kdfParams/memLimit", 8 << 20), ("/kdfParams/opsLimit", 1)],
        ),
        _ => rest.to_vec(),
    };
    let _ = import(&bytes, Some(format), password);
});

fn cheap_andotp(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if let Some(head) = out.get_mut(..4) {
        let iterations = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if (1001..=10_000_000).contains(&iterations) {
            head.copy_from_slice(&1000u32.to_be_bytes());
        }
    }
    out
}

/// `bytes` with each number at a JSON pointer lowered to at most its
/// bound (Bitwarden's iteration count is lowered only when it is larger,
/// so it may stay at PBKDF2's own values).
fn cheap_json(bytes: &[u8], bounds: &[(&str, u64)]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
        return bytes.to_vec();
    };
    for (pointer, most) in bounds {
        if let Some(number) = value.pointer_mut(pointer)
            && number.as_u64().is_some_and(|v| v > *most)
        {
            *number = Value::from(*most);
        }
    }
    serde_json::to_vec(&value).unwrap_or_else(|_| bytes.to_vec())
}

fn cheap_aegis(bytes: &[u8]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
        return bytes.to_vec();
    };
    let Some(slots) = value
        .pointer_mut("/header/slots")
        .and_then(Value::as_array_mut)
    else {
        return bytes.to_vec();
    };
    for slot in slots {
        for (field, most) in [("n", 1u64 << 10), ("r", 8), ("p", 1)] {
            if let Some(number) = slot.get_mut(field)
                && number.as_u64().is_some_and(|v| v > most)
            {
                *number = Value::from(most);
            }
        }
    }
    serde_json::to_vec(&value).unwrap_or_else(|_| bytes.to_vec())
}
