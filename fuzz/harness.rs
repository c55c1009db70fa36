//! What each fuzz target does with one input, shared by the libFuzzer
//! targets in `fuzz_targets/` (`make fuzz-smoke`, `make fuzz`) and by the
//! replay in `make test` (`tests/fuzz_replay.rs`), which feeds the same
//! functions their seeds and mutations of them in the ordinary test build.
//!
//! A function returns normally for any input; a panic (an `assert!` below
//! or one inside the code under test) is the finding.

use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::Value;
use tessera::core::otp::{format_uri, parse_migration_uri, parse_uri};
use tessera::core::secret::SecretString;
use tessera::core::server::{
    Answer, Credentials, OpName, Profile, ServerClient, ServerRecord, discover, qr_decoder,
};
use tessera::core::transfer::{Format, import, sniff};
use tessera::core::vault::EnvelopeKey;
use tessera::core::vault::envelope::{AssociatedData, check_layout, open, seal};
use tessera::core::vault::payload::{
    decode_account, decode_backup_code, encode_account, encode_backup_code,
};

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/Cargo.toml` and `fuzz/seed.sh` name them.
pub const TARGETS: [(&str, Target); 7] = [
    ("otpauth_uri", otpauth_uri),
    ("migration", migration),
    ("import_sniffed", import_sniffed),
    ("import_format", import_format),
    ("vault_decode", vault_decode),
    ("qr_scan", qr_scan),
    ("server_response", server_response),
];

/// `otpauth://` URI parsing: any text is an account or an `OtpError`, and
/// an account parsed once survives formatting and parsing again.
pub fn otpauth_uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(account) = parse_uri(text) {
        let again = parse_uri(&format_uri(&account));
        assert!(again.is_ok(), "a formatted account does not parse again");
    }
}

/// Google Authenticator migration payloads: the first byte picks whether
/// the rest is a whole `otpauth-migration://` URI (text) or the protobuf
/// payload itself, wrapped into a URI as base64 the way an export is.
pub fn migration(data: &[u8]) {
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
}

/// The import entry point as the app calls it on a dropped file: sniff the
/// format from the bytes, then parse (password `test`, the password of the
/// encrypted seed files).
pub fn import_sniffed(data: &[u8]) {
    let _ = sniff(data);
    let password = SecretString::from("test");
    let _ = import(data, None, Some(&password));
}

/// Each importer with its format forced: the first byte picks the format
/// (its low five bits) and whether a password is given (its high bit), the
/// rest is the file.
///
/// Key derivations take their cost from the file; so that one run stays
/// short, this lowers it before parsing (the importers' own bounds on those
/// costs are tested in `tests/fuzz_regressions.rs`): andOTP's PBKDF2
/// iteration count to at most 1000, Aegis's scrypt `n` to at most 2^10,
/// `r` to 8 and `p` to 1; Bitwarden's PBKDF2 iterations to 5000 and
/// Argon2id memory to 16 MiB and passes to 2; Ente's Argon2id memory to
/// 8 MiB and passes to 1. Tessera backups use the vault's Argon2
/// parameters, bounded by `core::vault::kdf`; Authenticator Pro and Proton
/// Authenticator derive at a fixed cost.
pub fn import_format(data: &[u8]) {
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
}

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

/// The vault's decoders: an entry envelope opened with a fixed key, and the
/// account and backup-code payloads inside one. The first byte picks which.
pub fn vault_decode(data: &[u8]) {
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
}

/// QR scanning of a dropped or pasted picture: any bytes are codes or a
/// `QrError`, within the decoder's size limits.
pub fn qr_scan(data: &[u8]) {
    let _ = tessera::core::qr::scan(data);
}

const OPS: [OpName; 8] = [
    OpName::Setup,
    OpName::Register,
    OpName::Login,
    OpName::LoginWithCode,
    OpName::Verify,
    OpName::Enable,
    OpName::Disable,
    OpName::Status,
];
const TYPES: [&str; 6] = [
    "application/json",
    "application/vnd.api+json",
    "image/png",
    "image/svg+xml",
    "text/plain",
    "",
];
const STATUSES: [u16; 10] = [200, 201, 400, 401, 403, 409, 422, 423, 429, 500];

fn profiles() -> &'static [Profile] {
    static PROFILES: OnceLock<Vec<Profile>> = OnceLock::new();
    PROFILES.get_or_init(|| Profile::builtins().unwrap_or_default())
}

/// What the server client reads from an answer: secret discovery in a
/// `setup` answer, the session token of a register/login answer, the error
/// a refusal maps to, and `Set-Cookie` headers. The first four bytes pick
/// the built-in profile, the operation, the media type and the status;
/// the rest is the body.
pub fn server_response(data: &[u8]) {
    let Some((head, body)) = data.split_first_chunk::<4>() else {
        return;
    };
    let profiles = profiles();
    let Some(profile) = profiles.get(usize::from(head[0]) % profiles.len().max(1)) else {
        return;
    };
    let op = OPS[usize::from(head[1]) % OPS.len()];
    let answer = Answer {
        status: STATUSES[usize::from(head[3]) % STATUSES.len()],
        content_type: TYPES[usize::from(head[2]) % TYPES.len()].to_owned(),
        body: body.to_vec(),
        ..Answer::default()
    };
    if let Ok(operation) = profile.op(op) {
        let _ = discover(
            profile,
            operation,
            &answer,
            Some(qr_decoder()),
            "Fuzz",
            None,
        );
    }
    let Ok(mut record) = ServerRecord::new("fuzz", profile.name.clone(), "http://127.0.0.1:1")
    else {
        return;
    };
    let _ = ServerClient::take_session(profile, &mut record, op, &answer, head[1] & 0x80 != 0);
    let json = answer.json().ok().flatten();
    let _ = ServerClient::refusal(profile, &record, &answer, json.as_ref());
    let text = String::from_utf8_lossy(body);
    let mut credentials = Credentials::default();
    credentials.apply_set_cookie(&text);
    credentials.set_cookies_from(&text, "session");
}
