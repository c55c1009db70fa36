//! The outer header of a KDBX file, read only as far as its key
//! derivation's cost: AES-KDF rounds (KDBX 3.1 field 6, or `R` in KDBX 4's
//! KDF parameters) and Argon2's memory, passes and lanes (`M`, `I`, `P`).
//! A file asking for more than [`MAX_AES_ROUNDS`] or [`Argon2Cost`]'s
//! bounds is refused before anything is derived.
//!
//! Must never: read past the header; decide anything but the cost.

use super::{Argon2Cost, Format, ImportError};

const FORMAT: Format = Format::KeePass;
/// `KeePass` 2 (KDBX) after the magic; `...65` is `KeePass` 1.
const KDBX_SIGNATURE: u32 = 0xb54b_fb67;
const KDB_SIGNATURE: u32 = 0xb54b_fb65;
const FIELD_END: u8 = 0;
const FIELD_TRANSFORM_ROUNDS: u8 = 6;
const FIELD_KDF_PARAMETERS: u8 = 11;
/// Most AES-KDF rounds a file may ask for (a few seconds; `KeePass`'s
/// default is 60,000, `KeePassXC`'s a second's worth).
pub(crate) const MAX_AES_ROUNDS: u64 = 100_000_000;

/// `Malformed` when the header asks for a key derivation above the
/// bounds; `Unsupported` for a `KeePass` 1 database. A header that cannot be
/// read is left to the `keepass` crate, which says so.
pub(crate) fn check_cost(bytes: &[u8]) -> Result<(), ImportError> {
    let (Some(signature), Some(major)) = (u32_at(bytes, 4), u16_at(bytes, 10)) else {
        return Ok(());
    };
    if signature == KDB_SIGNATURE {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "a KeePass 1 (.kdb) database (open it in KeePassXC and save it as KDBX)"
                .to_owned(),
        });
    }
    if signature != KDBX_SIGNATURE {
        return Ok(());
    }
    let wide = major >= 4;
    let mut at = 12;
    while let Some(&id) = bytes.get(at) {
        let (len, start) = if wide {
            (u32_at(bytes, at + 1).map(|l| l as usize), at + 5)
        } else {
            (u16_at(bytes, at + 1).map(usize::from), at + 3)
        };
        let Some(len) = len else { return Ok(()) };
        let Some(value) = bytes.get(start..start.saturating_add(len)) else {
            return Ok(());
        };
        match id {
            FIELD_END => return Ok(()),
            FIELD_TRANSFORM_ROUNDS => check_rounds(value.try_into().ok().map(u64::from_le_bytes))?,
            FIELD_KDF_PARAMETERS => check_parameters(value)?,
            _ => {}
        }
        at = start + len;
    }
    Ok(())
}

fn check_rounds(rounds: Option<u64>) -> Result<(), ImportError> {
    match rounds {
        Some(rounds) if rounds > MAX_AES_ROUNDS => Err(ImportError::malformed(
            FORMAT,
            "the header",
            format!("{rounds} AES-KDF rounds is more than {MAX_AES_ROUNDS}"),
        )),
        _ => Ok(()),
    }
}

/// KDBX 4's variant dictionary: a version (2 bytes), then entries of a
/// type byte, a name and a value (each after a 4-byte length), up to
/// type 0.
fn check_parameters(dictionary: &[u8]) -> Result<(), ImportError> {
    let (mut memory, mut passes, mut lanes) = (None, None, None);
    let mut at = 2;
    while let Some(&kind) = dictionary.get(at) {
        if kind == 0 {
            break;
        }
        let Some(name_len) = u32_at(dictionary, at + 1).map(|l| l as usize) else {
            break;
        };
        let name_at = at + 5;
        let Some(name) = dictionary.get(name_at..name_at.saturating_add(name_len)) else {
            break;
        };
        let value_len_at = name_at + name_len;
        let Some(value_len) = u32_at(dictionary, value_len_at).map(|l| l as usize) else {
            break;
        };
        let value_at = value_len_at + 4;
        let Some(value) = dictionary.get(value_at..value_at.saturating_add(value_len)) else {
            break;
        };
        let number = match value.len() {
            8 => value.try_into().ok().map(u64::from_le_bytes),
            4 => value
                .try_into()
                .ok()
                .map(|v| u64::from(u32::from_le_bytes(v))),
            _ => None,
        };
        match name {
            b"R" => check_rounds(number)?,
            b"M" => memory = number,
            b"I" => passes = number,
            b"P" => lanes = number,
            _ => {}
        }
        at = value_at + value_len;
    }
    if let Some(memory) = memory {
        let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        let cost = Argon2Cost {
            memory_kib: clamp(memory / 1024),
            iterations: clamp(passes.unwrap_or(1)),
            lanes: clamp(lanes.unwrap_or(1)),
        };
        cost.check()
            .map_err(|what| ImportError::malformed(FORMAT, "the header", what))?;
        cost.admit(FORMAT)?;
    }
    Ok(())
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at.checked_add(4)?)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    bytes
        .get(at..at.checked_add(2)?)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_le_bytes)
}
