//! [`sniff`]: which format a file is in, from its content alone (never its
//! name), and whether it is encrypted.
//!
//! Must never: decrypt, or keep anything from the content but the verdict.

use serde_json::Value;

use super::{Format, ImportError};

/// What [`sniff`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub format: Format,
    /// Whether importing needs a password.
    pub encrypted: bool,
}

/// The `SQLite` file header (a Tessera backup is a vault file).
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Picks the format of `bytes`. `UnknownFormat` when nothing fits.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, ImportError> {
    let plain = |format| Sniffed {
        format,
        encrypted: false,
    };
    if bytes.starts_with(SQLITE_MAGIC) {
        return Ok(Sniffed {
            format: Format::TesseraBackup,
            encrypted: true,
        });
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return sniff_binary(bytes);
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if text.starts_with('{') || text.starts_with('[') {
        let value: Value = serde_json::from_str(text).map_err(|_| ImportError::UnknownFormat)?;
        return sniff_json(&value).ok_or(ImportError::UnknownFormat);
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .ok_or(ImportError::UnknownFormat)?;
    let lower = first.to_ascii_lowercase();
    if lower.starts_with("otpauth-migration:") {
        return Ok(plain(Format::GoogleMigration));
    }
    if lower.starts_with("otpauth:") {
        let ente = text.contains("codeDisplay=");
        return Ok(plain(if ente {
            Format::Ente
        } else {
            Format::OtpauthList
        }));
    }
    if lower.contains("login_totp") && lower.contains(',') {
        return Ok(plain(Format::BitwardenCsv));
    }
    Err(ImportError::UnknownFormat)
}

/// andOTP's encrypted backup: a 4-byte big-endian PBKDF2 iteration count,
/// a 12-byte salt, a 12-byte nonce, then AES-GCM ciphertext and tag.
fn sniff_binary(bytes: &[u8]) -> Result<Sniffed, ImportError> {
    if bytes.len() >= 4 + 12 + 12 + 16 {
        let iterations = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if (1_000..=10_000_000).contains(&iterations) {
            return Ok(Sniffed {
                format: Format::AndOtpEncrypted,
                encrypted: true,
            });
        }
    }
    Err(ImportError::UnknownFormat)
}

fn sniff_json(value: &Value) -> Option<Sniffed> {
    let found = |format, encrypted| Some(Sniffed { format, encrypted });
    if let Some(array) = value.as_array() {
        let first = array.first()?;
        return (first.get("secret").is_some() && first.get("type").is_some()).then_some(Sniffed {
            format: Format::AndOtp,
            encrypted: false,
        });
    }
    let object = value.as_object()?;
    if object.contains_key("header") && object.contains_key("db") {
        let encrypted = object.get("db").is_some_and(Value::is_string);
        return found(Format::Aegis, encrypted);
    }
    if object.contains_key("services") && object.contains_key("schemaVersion") {
        let encrypted = object
            .get("servicesEncrypted")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty());
        return found(Format::TwoFas, encrypted);
    }
    if object.contains_key("tokens") && object.contains_key("tokenOrder") {
        return found(Format::FreeOtpPlus, false);
    }
    if object.contains_key("items")
        && (object.contains_key("encrypted") || object.contains_key("folders"))
    {
        let encrypted = object.get("encrypted").and_then(Value::as_bool) == Some(true);
        return found(Format::BitwardenJson, encrypted);
    }
    if let Some(entries) = object.get("entries").and_then(Value::as_array)
        && entries
            .first()
            .is_none_or(|e| e.pointer("/content/uri").is_some())
        && object.contains_key("version")
    {
        return found(Format::Proton, false);
    }
    let is_mafile = |v: &Value| v.get("shared_secret").is_some();
    if is_mafile(value)
        || object
            .get("accounts")
            .and_then(Value::as_object)
            .is_some_and(|accounts| accounts.values().any(is_mafile))
    {
        return found(Format::Steam, false);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_formats() {
        let s = |t: &str| sniff(t.as_bytes()).map(|s| s.format).ok();
        assert_eq!(
            s("# c\notpauth://totp/a?secret=AA"),
            Some(Format::OtpauthList)
        );
        assert_eq!(
            s("otpauth-migration://offline?data=x"),
            Some(Format::GoogleMigration)
        );
        assert_eq!(s("hello"), None);
        assert_eq!(s(""), None);
        assert_eq!(s("{\"x\":1}"), None);
        assert_eq!(
            s("[{\"secret\":\"A\",\"type\":\"TOTP\"}]"),
            Some(Format::AndOtp)
        );
    }
}
