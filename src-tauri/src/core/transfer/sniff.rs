//! [`sniff`]: which format a file is in, from its content alone (never its
//! name), and whether it is encrypted.
//!
//! Must never: decrypt, or keep anything from the content but the verdict.

use serde_json::Value;

use super::app_database::{self, Kind};
use super::{Format, ImportError};
use super::{
    authenticator_pro, bitwarden_encrypted, freeotp_backup, keepass, onepassword, proton_pass,
    zip_archive,
};

/// What [`sniff`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub format: Format,
    /// Whether importing needs a password.
    pub encrypted: bool,
}

/// Picks the format of `bytes`. `UnknownFormat` when nothing fits.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, ImportError> {
    let plain = |format| Sniffed {
        format,
        encrypted: false,
    };
    if app_database::is_sqlite(bytes) {
        return sniff_database(bytes);
    }
    if bytes.starts_with(keepass::KDBX_MAGIC) {
        return Ok(Sniffed {
            format: Format::KeePass,
            encrypted: true,
        });
    }
    if let Some(names) = zip_archive::names(bytes) {
        return sniff_zip(&names);
    }
    if proton_pass::is_pgp(bytes) {
        return Err(proton_pass::ENCRYPTED);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return sniff_binary(bytes);
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if text.starts_with('<') {
        return if text.contains("<code>otpauth") {
            Ok(plain(Format::AuthenticatorProHtml))
        } else if text.contains("<map") && text.contains("mCipherText") {
            Err(freeotp_backup::TOKEN_STORE)
        } else {
            Err(ImportError::UnknownFormat)
        };
    }
    if text.starts_with('{') || text.starts_with('[') {
        let value: Value = serde_json::from_str(text).map_err(|_| ImportError::UnknownFormat)?;
        return sniff_json(&value).ok_or(ImportError::UnknownFormat)?;
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

/// Zip files: a Proton Pass export (plain, or with its data sealed with
/// PGP) or a 1Password export, by the names of their members.
fn sniff_zip(names: &[String]) -> Result<Sniffed, ImportError> {
    let has = |name: &str| names.iter().any(|n| n == name);
    if has(proton_pass::DATA_JSON) {
        Ok(Sniffed {
            format: Format::ProtonPass,
            encrypted: false,
        })
    } else if has(proton_pass::DATA_PGP) {
        Err(proton_pass::ENCRYPTED)
    } else if has(onepassword::EXPORT_DATA) {
        Ok(Sniffed {
            format: Format::OnePassword,
            encrypted: false,
        })
    } else {
        Err(ImportError::UnknownFormat)
    }
}

/// `SQLite` files: a Tessera backup (by its `application_id`), or another
/// app's database, told by its tables.
fn sniff_database(bytes: &[u8]) -> Result<Sniffed, ImportError> {
    let found = |format, encrypted| Ok(Sniffed { format, encrypted });
    match app_database::kind_of(bytes) {
        Some(Kind::Tessera) => found(Format::TesseraBackup, true),
        Some(Kind::GoogleAuthenticator) => found(Format::GoogleAuthenticatorDb, false),
        Some(Kind::MicrosoftAuthenticator) => found(Format::MicrosoftAuthenticatorDb, false),
        Some(kind) => Err(app_database::not_an_export(kind)),
        None => Err(ImportError::NotAnExport {
            what: "this looks like an SQLite database, but SQLite cannot read it (damaged or cut short)",
        }),
    }
}

/// Files that start with what other programs' files start with: never an
/// authenticator export, so never taken for andOTP's headerless one.
const OTHER_MAGICS: &[&[u8]] = &[
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"RIFF",
    b"%PDF",
    b"\x1f\x8b",
    b"PK",
    b"7z\xbc\xaf",
    b"\x7fELF",
    b"MZ",
    b"<svg",
    b"\xfd7zXZ",
];

/// Encrypted files that are not text: Authenticator Pro's (by its
/// header), andOTP's (an iteration count, salt, nonce, ciphertext; or,
/// from andOTP 0.6.2 and before, a bare nonce and ciphertext, which
/// nothing tells apart from random bytes, so any binary file not known to
/// be something else is offered to andOTP's importer).
fn sniff_binary(bytes: &[u8]) -> Result<Sniffed, ImportError> {
    let encrypted = |format| {
        Ok(Sniffed {
            format,
            encrypted: true,
        })
    };
    let header = bytes.get(..16);
    if header == Some(authenticator_pro::HEADER) || header == Some(authenticator_pro::LEGACY_HEADER)
    {
        return encrypted(Format::AuthenticatorPro);
    }
    if bytes.starts_with(freeotp_backup::JAVA_SERIAL_MAGIC) {
        return encrypted(Format::FreeOtpBackup);
    }
    if OTHER_MAGICS.iter().any(|magic| bytes.starts_with(magic)) {
        return Err(ImportError::UnknownFormat);
    }
    // Nonce, tag and the smallest JSON array.
    if bytes.len() >= 12 + 16 + 2 {
        return encrypted(Format::AndOtpEncrypted);
    }
    Err(ImportError::UnknownFormat)
}

/// `None` when no format fits; `Some(Err(..))` for a file that is known
/// but cannot be imported at all.
fn sniff_json(value: &Value) -> Option<Result<Sniffed, ImportError>> {
    let found = |format, encrypted| Some(Ok(Sniffed { format, encrypted }));
    if let Some(array) = value.as_array() {
        let first = array.first()?;
        return (first.get("secret").is_some() && first.get("type").is_some()).then_some(Ok(
            Sniffed {
                format: Format::AndOtp,
                encrypted: false,
            },
        ));
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
    if object.get("Authenticators").is_some_and(Value::is_array) {
        return found(Format::AuthenticatorPro, false);
    }
    if let Some(accounts) = object.get("accounts").and_then(Value::as_array)
        && accounts
            .first()
            .is_none_or(|a| a.get("timeStep").is_some() || a.get("issuerName").is_some())
        && object.contains_key("version")
    {
        return found(Format::LastPass, false);
    }
    if object.contains_key("tokens") && object.contains_key("tokenOrder") {
        return found(Format::FreeOtpPlus, false);
    }
    if object.contains_key("kdfParams") && object.contains_key("encryptedData") {
        return found(Format::EnteEncrypted, true);
    }
    if object.contains_key("salt")
        && object.contains_key("content")
        && object.contains_key("version")
        && !object.contains_key("entries")
    {
        return found(Format::ProtonEncrypted, true);
    }
    if object.contains_key("encKeyValidation_DO_NOT_EDIT") {
        return Some(
            if object.get("passwordProtected").and_then(Value::as_bool) == Some(true) {
                Ok(Sniffed {
                    format: Format::BitwardenJson,
                    encrypted: true,
                })
            } else {
                Err(bitwarden_encrypted::ACCOUNT_RESTRICTED)
            },
        );
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
