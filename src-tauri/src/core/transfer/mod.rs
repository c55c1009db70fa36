//! Import and export of accounts: one module per foreign format (each an
//! [`Importer`] that parses into the neutral [`Parsed`] / [`ImportedItem`]),
//! a sniffer that picks the format from the content ([`sniff()`]), a
//! [`Preview`] that classifies each entry as new, duplicate or invalid and
//! reports what the format could not carry, the exports ([`export`]) and
//! Tessera's own encrypted backup ([`tessera_backup`]).
//!
//! Owns: reading and writing other programs' files, deciding what is a
//! duplicate, and the loss report.
//!
//! Must never: write the vault except through [`Preview::commit`] (one
//! transaction, all or nothing); put secret material (OTP secrets,
//! passwords, keys, decrypted file contents) in an error, a log line or a
//! `Debug` string; write a plaintext export without the caller's explicit
//! consent; overwrite an existing file; import anything from Tauri or the
//! UI.

pub mod aegis;
pub mod andotp;
mod app_database;
pub mod authenticator_pro;
pub mod bitwarden;
mod bitwarden_encrypted;
pub mod ente;
pub mod ente_encrypted;
pub mod export;
pub mod freeotp;
pub mod freeotp_backup;
pub mod google;
pub mod google_db;
pub mod kdf_guard;
pub mod keepass;
mod keepass_header;
pub mod lastpass;
pub mod microsoft_db;
pub mod onepassword;
pub mod otpauth_list;
pub mod proton;
pub mod proton_encrypted;
pub mod proton_pass;
pub mod steam;
pub mod tessera_backup;
pub mod twofas;

mod error;
mod preview;
mod sniff;
mod zip_archive;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use serde::Serialize;
use zeroize::Zeroizing;

pub use error::{ExportError, ImportError};
pub use export::ExportFormat;
pub use preview::{Preview, PreviewEntry, StagedImport, Status};
pub use sniff::{Sniffed, sniff};

use crate::core::otp::{self, Account, Algorithm, OtpError, OtpKind, ParseNote};
use crate::core::secret::{SecretBytes, SecretString};
use crate::core::user_file;
use crate::core::vault::Details;

/// The file formats Tessera reads. Serializes as its [`Format::id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// One `otpauth://` URI per line (comments with `#` allowed).
    OtpauthList,
    /// Google Authenticator `otpauth-migration://offline?data=` lines.
    GoogleMigration,
    /// Aegis vault JSON, plain or encrypted.
    Aegis,
    /// 2FAS `.2fas` / JSON backup, schemas 1–4, plain or encrypted.
    TwoFas,
    /// andOTP JSON backup.
    AndOtp,
    /// andOTP encrypted backup (`.json.aes`).
    AndOtpEncrypted,
    /// Bitwarden unencrypted JSON export.
    BitwardenJson,
    /// Bitwarden CSV export.
    BitwardenCsv,
    /// Ente Auth plain-text export.
    Ente,
    /// `FreeOTP+` JSON export.
    FreeOtpPlus,
    /// Proton Authenticator JSON export.
    Proton,
    /// Steam Guard `maFile` (Steam Desktop Authenticator and the like).
    Steam,
    /// Tessera's own encrypted backup (a vault snapshot).
    TesseraBackup,
    /// Google Authenticator's own `SQLite` database, copied off a phone.
    GoogleAuthenticatorDb,
    /// Microsoft Authenticator's own `SQLite` database, copied off a phone.
    MicrosoftAuthenticatorDb,
    /// `LastPass` Authenticator JSON export (Android and iOS).
    LastPass,
    /// Authenticator Pro / Stratum backup, plain JSON or encrypted.
    AuthenticatorPro,
    /// Authenticator Pro / Stratum HTML backup.
    AuthenticatorProHtml,
    /// Ente Auth encrypted export.
    EnteEncrypted,
    /// Proton Authenticator password-protected export.
    ProtonEncrypted,
    /// Proton Pass export (zip).
    ProtonPass,
    /// 1Password `.1pux` export (zip).
    OnePassword,
    /// `KeePass` / `KeePassXC` database (KDBX 3.1 and 4).
    KeePass,
    /// `FreeOTP` 2 backup (`externalBackup.xml`).
    FreeOtpBackup,
}

impl Format {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [Self; 24] = [
        Self::OtpauthList,
        Self::GoogleMigration,
        Self::Aegis,
        Self::TwoFas,
        Self::AndOtp,
        Self::AndOtpEncrypted,
        Self::BitwardenJson,
        Self::BitwardenCsv,
        Self::Ente,
        Self::FreeOtpPlus,
        Self::Proton,
        Self::Steam,
        Self::TesseraBackup,
        Self::GoogleAuthenticatorDb,
        Self::MicrosoftAuthenticatorDb,
        Self::LastPass,
        Self::AuthenticatorPro,
        Self::AuthenticatorProHtml,
        Self::EnteEncrypted,
        Self::ProtonEncrypted,
        Self::ProtonPass,
        Self::OnePassword,
        Self::KeePass,
        Self::FreeOtpBackup,
    ];

    /// The name `--format` takes.
    pub const fn id(self) -> &'static str {
        match self {
            Self::OtpauthList => "otpauth",
            Self::GoogleMigration => "google",
            Self::Aegis => "aegis",
            Self::TwoFas => "2fas",
            Self::AndOtp => "andotp",
            Self::AndOtpEncrypted => "andotp-encrypted",
            Self::BitwardenJson => "bitwarden-json",
            Self::BitwardenCsv => "bitwarden-csv",
            Self::Ente => "ente",
            Self::FreeOtpPlus => "freeotp-plus",
            Self::Proton => "proton",
            Self::Steam => "steam",
            Self::TesseraBackup => "tessera",
            Self::GoogleAuthenticatorDb => "google-authenticator-db",
            Self::MicrosoftAuthenticatorDb => "microsoft-authenticator-db",
            Self::LastPass => "lastpass-authenticator",
            Self::AuthenticatorPro => "authenticator-pro",
            Self::AuthenticatorProHtml => "authenticator-pro-html",
            Self::EnteEncrypted => "ente-encrypted",
            Self::ProtonEncrypted => "proton-encrypted",
            Self::ProtonPass => "proton-pass",
            Self::OnePassword => "1password",
            Self::KeePass => "keepass",
            Self::FreeOtpBackup => "freeotp-backup",
        }
    }

    /// The name people know the format by.
    pub const fn title(self) -> &'static str {
        match self {
            Self::OtpauthList => "otpauth URI list",
            Self::GoogleMigration => "Google Authenticator export",
            Self::Aegis => "Aegis vault",
            Self::TwoFas => "2FAS backup",
            Self::AndOtp => "andOTP backup",
            Self::AndOtpEncrypted => "andOTP encrypted backup",
            Self::BitwardenJson => "Bitwarden JSON export",
            Self::BitwardenCsv => "Bitwarden CSV export",
            Self::Ente => "Ente Auth export",
            Self::FreeOtpPlus => "FreeOTP+ export",
            Self::Proton => "Proton Authenticator export",
            Self::Steam => "Steam Guard maFile",
            Self::TesseraBackup => "Tessera backup",
            Self::GoogleAuthenticatorDb => "Google Authenticator database",
            Self::MicrosoftAuthenticatorDb => "Microsoft Authenticator database",
            Self::LastPass => "LastPass Authenticator export",
            Self::AuthenticatorPro => "Authenticator Pro backup",
            Self::AuthenticatorProHtml => "Authenticator Pro HTML backup",
            Self::EnteEncrypted => "Ente Auth encrypted export",
            Self::ProtonEncrypted => "Proton Authenticator encrypted export",
            Self::ProtonPass => "Proton Pass export",
            Self::OnePassword => "1Password export",
            Self::KeePass => "KeePass database",
            Self::FreeOtpBackup => "FreeOTP backup",
        }
    }
}

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// A `--format` name that is not one of [`Format::id`] (or
/// [`ExportFormat::id`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format “{name}”: expected one of {expected}")]
pub struct UnknownFormatName {
    pub name: String,
    /// The valid names, comma-separated.
    pub expected: String,
}

impl UnknownFormatName {
    pub(crate) fn new(name: &str, ids: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            name: name.to_owned(),
            expected: ids.into_iter().collect::<Vec<_>>().join(", "),
        }
    }
}

impl FromStr for Format {
    type Err = UnknownFormatName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|format| format.id() == lower)
            .or(match lower.as_str() {
                "uri" | "uris" | "otpauth-list" => Some(Self::OtpauthList),
                "google-migration" | "otpauth-migration" => Some(Self::GoogleMigration),
                "twofas" => Some(Self::TwoFas),
                "bitwarden" => Some(Self::BitwardenJson),
                "freeotp" | "freeotp+" => Some(Self::FreeOtpPlus),
                "mafile" => Some(Self::Steam),
                "google-db" | "google-authenticator-database" => Some(Self::GoogleAuthenticatorDb),
                "microsoft-db" | "phonefactor" => Some(Self::MicrosoftAuthenticatorDb),
                "authpro" | "stratum" => Some(Self::AuthenticatorPro),
                "authpro-html" | "stratum-html" => Some(Self::AuthenticatorProHtml),
                "1pux" | "onepassword" => Some(Self::OnePassword),
                "kdbx" | "keepassxc" => Some(Self::KeePass),
                _ => None,
            })
            .ok_or_else(|| UnknownFormatName::new(s, Self::ALL.map(Self::id)))
    }
}

/// One account read from a file: its cryptographic identity and the
/// display data the format carried (tags from groups or folders, favourite,
/// note). Icons are never imported (they would be image data or another
/// app's icon pack); the loss report says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedItem {
    pub account: Account,
    pub details: Details,
}

impl ImportedItem {
    /// An item with no display data.
    pub fn new(account: Account) -> Self {
        Self {
            account,
            details: Details::default(),
        }
    }
}

/// An entry of the file that cannot become an account, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidItem {
    /// What the file calls it (issuer and name, or where it is: "line 3"),
    /// for the user to find it; never secret material.
    pub label: String,
    /// The issuer and account name the file gives, where it gives them
    /// (empty for an entry known only by where it is).
    pub issuer: String,
    pub name: String,
    /// The problem, e.g. "the secret is not valid base32".
    pub reason: String,
}

impl InvalidItem {
    /// An entry the file names: labelled `issuer:name`.
    pub fn named(issuer: &str, name: &str, reason: String) -> Self {
        Self {
            label: label_of(issuer, name),
            issuer: issuer.to_owned(),
            name: name.to_owned(),
            reason,
        }
    }

    /// An entry known only by where it is ("line 3", "entry 2").
    pub fn at(location: String, reason: String) -> Self {
        Self {
            label: location,
            issuer: String::new(),
            name: String::new(),
            reason,
        }
    }
}

/// Something the source file could not carry, or that Tessera does not
/// import, said once per file (e.g. "icons are not imported (3 entries had
/// one)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loss {
    pub message: String,
}

impl Loss {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// What an importer read: every entry in file order (an account or the
/// reason it is not one) and the losses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub format: Format,
    pub entries: Vec<Result<ImportedItem, InvalidItem>>,
    pub losses: Vec<Loss>,
}

impl Parsed {
    pub(crate) fn new(format: Format) -> Self {
        Self {
            format,
            entries: Vec::new(),
            losses: Vec::new(),
        }
    }

    /// The accounts read, in file order.
    pub fn items(&self) -> impl Iterator<Item = &ImportedItem> {
        self.entries.iter().filter_map(|e| e.as_ref().ok())
    }

    /// The entries that could not be read.
    pub fn invalid(&self) -> impl Iterator<Item = &InvalidItem> {
        self.entries.iter().filter_map(|e| e.as_ref().err())
    }

    pub(crate) fn push_loss(&mut self, message: impl Into<String>) {
        self.losses.push(Loss::new(message));
    }

    /// Adds one entry and, for an account, a loss line per note on how it
    /// was read (`entry 3 (GitHub:alice): the secret was non-canonical
    /// base32 (5 trailing bits dropped)`), numbered as the preview numbers
    /// entries.
    pub(crate) fn push_entry(
        &mut self,
        read: Result<ImportedItem, InvalidItem>,
        notes: &[ParseNote],
    ) {
        if let Ok(item) = &read {
            let position = self.entries.len() + 1;
            let label = label_of(&item.account.issuer, &item.account.name);
            for note in notes {
                self.push_loss(format!("entry {position} ({label}): {note}"));
            }
        }
        self.entries.push(read);
    }

    /// Adds "icons are not imported" when `count` entries had one.
    pub(crate) fn icons_dropped(&mut self, count: usize) {
        if count > 0 {
            self.push_loss(format!(
                "icons are not imported ({} had one)",
                counted(count, "entry", "entries")
            ));
        }
    }

    /// `Empty` when the file held nothing at all.
    pub(crate) fn non_empty(self) -> Result<Self, ImportError> {
        if self.entries.is_empty() {
            Err(ImportError::Empty {
                format: self.format,
            })
        } else {
            Ok(self)
        }
    }
}

/// One foreign format: bytes (and a password for encrypted files) to
/// [`Parsed`]. Implemented by a unit struct in each format's module.
pub trait Importer {
    /// The format this importer reads.
    const FORMAT: Format;

    /// Parses a whole file. Errors are about the file as a whole; a bad
    /// entry becomes an [`InvalidItem`].
    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError>;
}

/// Reads `bytes` as `format`, or as the sniffed format when `None`.
///
/// `UnknownFormat` when sniffing finds nothing; `PasswordRequired` for an
/// encrypted file without `password`; `WrongPassword`; `Malformed`;
/// `Unsupported`; `Empty`.
pub fn import(
    bytes: &[u8],
    format: Option<Format>,
    password: Option<&SecretString>,
) -> Result<Parsed, ImportError> {
    let format = match format {
        Some(format) => format,
        None => sniff(bytes)?.format,
    };
    match format {
        Format::OtpauthList => otpauth_list::OtpauthList::import(bytes, password),
        Format::GoogleMigration => google::GoogleMigration::import(bytes, password),
        Format::Aegis => aegis::Aegis::import(bytes, password),
        Format::TwoFas => twofas::TwoFas::import(bytes, password),
        Format::AndOtp => andotp::AndOtp::import(bytes, password),
        Format::AndOtpEncrypted => andotp::AndOtpEncrypted::import(bytes, password),
        Format::BitwardenJson => bitwarden::BitwardenJson::import(bytes, password),
        Format::BitwardenCsv => bitwarden::BitwardenCsv::import(bytes, password),
        Format::Ente => ente::Ente::import(bytes, password),
        Format::FreeOtpPlus => freeotp::FreeOtpPlus::import(bytes, password),
        Format::Proton => proton::Proton::import(bytes, password),
        Format::Steam => steam::Steam::import(bytes, password),
        Format::TesseraBackup => tessera_backup::TesseraBackup::import(bytes, password),
        Format::GoogleAuthenticatorDb => google_db::GoogleAuthenticatorDb::import(bytes, password),
        Format::MicrosoftAuthenticatorDb => {
            microsoft_db::MicrosoftAuthenticatorDb::import(bytes, password)
        }
        Format::LastPass => lastpass::LastPass::import(bytes, password),
        Format::AuthenticatorPro => authenticator_pro::AuthenticatorPro::import(bytes, password),
        Format::AuthenticatorProHtml => {
            authenticator_pro::AuthenticatorProHtml::import(bytes, password)
        }
        Format::EnteEncrypted => ente_encrypted::EnteEncrypted::import(bytes, password),
        Format::ProtonEncrypted => proton_encrypted::ProtonEncrypted::import(bytes, password),
        Format::ProtonPass => proton_pass::ProtonPass::import(bytes, password),
        Format::OnePassword => onepassword::OnePassword::import(bytes, password),
        Format::KeePass => keepass::KeePass::import(bytes, password),
        Format::FreeOtpBackup => freeotp_backup::FreeOtpBackup::import(bytes, password),
    }
}

/// [`import`] with the contents of a key file, which only a `KeePass`
/// database takes (with or without a password): `Unsupported` when
/// `key_file` is given for any other format.
pub fn import_with_key_file(
    bytes: &[u8],
    format: Option<Format>,
    password: Option<&SecretString>,
    key_file: Option<&[u8]>,
) -> Result<Parsed, ImportError> {
    let Some(key_file) = key_file else {
        return import(bytes, format, password);
    };
    let format = match format {
        Some(format) => format,
        None => sniff(bytes)?.format,
    };
    if format != Format::KeePass {
        return Err(ImportError::Unsupported {
            format,
            what: "a key file (only KeePass databases take one)".to_owned(),
        });
    }
    keepass::open(bytes, password, Some(key_file))
}

/// The largest file read for an import: far more than any authenticator
/// export (10,000 accounts in Aegis JSON are about 3 MiB).
pub const IMPORT_LIMIT: user_file::Limit = user_file::Limit {
    bytes: 16 * 1024 * 1024,
    what: "that is not an authenticator export",
};

/// [`import`] of the file at `path` (refused if it is a file of a vault this
/// process has open, or larger than [`IMPORT_LIMIT`]).
pub fn import_file(
    path: &Path,
    format: Option<Format>,
    password: Option<&SecretString>,
) -> Result<Parsed, ImportError> {
    let bytes = user_file::read(path, IMPORT_LIMIT)?;
    import(&bytes, format, password)
}

// ---- helpers shared by the format modules ----

pub(crate) use crate::core::plural::{counted, plural};

/// `Issuer:name` or whichever is not empty, for messages.
pub(crate) fn label_of(issuer: &str, name: &str) -> String {
    match (issuer.is_empty(), name.is_empty()) {
        (false, false) => format!("{issuer}:{name}"),
        (false, true) => issuer.to_owned(),
        (true, false) => name.to_owned(),
        (true, true) => "(unnamed)".to_owned(),
    }
}

/// Decodes a secret by the one base32 rule (`core::otp`'s, also used for
/// URIs and the add form); a note when it was non-canonical goes to
/// `notes`, for [`Parsed::push_entry`].
pub(crate) fn base32_secret(text: &str, notes: &mut Vec<ParseNote>) -> Result<SecretBytes, String> {
    let (secret, note) = otp::decode_base32_secret_noted(text).map_err(|e| e.to_string())?;
    notes.extend(note);
    Ok(secret)
}

/// Base32 without padding, upper case (as Aegis writes secrets).
pub(crate) fn base32_encode(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

/// Standard base64, padding optional, whitespace ignored.
pub(crate) fn base64_decode(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    use base64::Engine as _;
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let clean = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>(),
    );
    LENIENT.decode(clean.as_bytes()).ok().map(Zeroizing::new)
}

/// Lower- or upper-case hex.
pub(crate) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.trim().as_bytes())
        .ok()
}

pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// `SHA1`, `sha-256`, `HmacSHA512`, ...; otherwise the reason, which
/// lists the supported algorithms.
pub(crate) fn algorithm_named(name: &str) -> Result<Algorithm, String> {
    let name = name.trim();
    let name = name
        .strip_prefix("Hmac")
        .or_else(|| name.strip_prefix("HMAC"))
        .unwrap_or(name);
    name.parse().map_err(|e: OtpError| e.to_string())
}

/// A validated account, or the (secret-free) reason it is not one.
pub(crate) fn make_account(
    issuer: &str,
    name: &str,
    secret: SecretBytes,
    algorithm: Algorithm,
    digits: u8,
    kind: OtpKind,
) -> Result<Account, String> {
    Account::new(issuer, name, secret, algorithm, digits, kind).map_err(|e| e.to_string())
}

/// A number from a JSON field that must fit `T`.
pub(crate) fn fits<T: TryFrom<u64>>(value: u64, what: &str) -> Result<T, String> {
    T::try_from(value).map_err(|_| format!("{what} {value} is out of range"))
}

/// An entry's OTP parameters as andOTP and `FreeOTP+` name them: an optional
/// algorithm name (SHA1 when absent), a type `TOTP`/`HOTP`/`STEAM` in any
/// case (TOTP when absent), a period (30 s when absent), digits (the kind's
/// default when absent) and the HOTP counter the next code is made from.
pub(crate) struct NamedParameters<'a> {
    pub algorithm: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub period: Option<u64>,
    pub digits: Option<u64>,
    pub counter: u64,
}

impl NamedParameters<'_> {
    /// The algorithm, kind and digits, or why they are not usable.
    pub(crate) fn resolve(&self) -> Result<(Algorithm, OtpKind, u8), String> {
        let algorithm = match self.algorithm {
            None => Algorithm::Sha1,
            Some(name) => algorithm_named(name)?,
        };
        let period = fits::<u32>(self.period.unwrap_or(30), "period")?;
        let kind = match self.kind.map(str::to_ascii_uppercase).as_deref() {
            None | Some("TOTP") => OtpKind::Totp { period },
            Some("HOTP") => OtpKind::Hotp {
                counter: self.counter,
            },
            Some("STEAM") => OtpKind::Steam { period },
            Some(other) => return Err(format!("{other} tokens are not supported")),
        };
        let digits = fits::<u8>(
            self.digits.unwrap_or(u64::from(kind.default_digits())),
            "digits",
        )?;
        Ok((algorithm, kind, digits))
    }
}

/// AES-256-GCM decryption of `ciphertext || tag` (a 16-byte tag at the
/// end). `None` when the key is wrong or the data was changed.
pub(crate) fn aes_gcm_open(
    key: &[u8],
    nonce: &[u8],
    ciphertext_and_tag: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    aes_gcm_open_with(key, nonce, b"", ciphertext_and_tag)
}

/// [`aes_gcm_open`] with associated data.
pub(crate) fn aes_gcm_open_with(
    key: &[u8],
    nonce: &[u8],
    associated_data: &[u8],
    ciphertext_and_tag: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    const TAG_LEN: usize = 16;
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let nonce = Nonce::try_from(nonce).ok()?;
    let body_len = ciphertext_and_tag.len().checked_sub(TAG_LEN)?;
    let tag = Tag::try_from(&ciphertext_and_tag[body_len..]).ok()?;
    let mut buffer = Zeroizing::new(ciphertext_and_tag[..body_len].to_vec());
    cipher
        .decrypt_inout_detached(&nonce, associated_data, buffer.as_mut_slice().into(), &tag)
        .ok()?;
    Some(buffer)
}

/// AES-256-GCM encryption: `ciphertext || tag`.
pub(crate) fn aes_gcm_seal(
    key: &[u8],
    nonce: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, ExportError> {
    let crypto = |what: &str| ExportError::Crypto {
        what: what.to_owned(),
    };
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| crypto("bad key length"))?;
    let nonce = Nonce::try_from(nonce).map_err(|_| crypto("bad nonce length"))?;
    let mut out = plaintext.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&nonce, b"", out.as_mut_slice().into())
        .map_err(|_| crypto("AES-GCM refused the message"))?;
    out.extend_from_slice(tag.as_slice());
    Ok(out)
}

/// AES-256-CBC decryption with PKCS#7 padding. `None` when the key is
/// wrong (the padding does not check) or the lengths are not AES's.
pub(crate) fn aes_cbc_open(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
    let decryptor = cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv).ok()?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    let len = decryptor
        .decrypt_padded::<Pkcs7>(buffer.as_mut_slice())
        .ok()?
        .len();
    buffer.truncate(len);
    Some(buffer)
}

/// Argon2id (version 0x13) cost a file may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub lanes: u32,
}

impl Argon2Cost {
    /// Most memory a file's key derivation may take: 1 GiB (the apps
    /// here use 19 MiB to 256 MiB).
    const MAX_MEMORY_KIB: u32 = 1 << 20;
    /// Most passes over that memory; m·t is bounded too (4 GiB·passes).
    const MAX_WORK_KIB: u64 = 1 << 22;
    const MAX_LANES: u32 = 16;

    /// `Err` (the reason) when the cost is out of bounds.
    pub(crate) fn check(self) -> Result<(), String> {
        if self.memory_kib > Self::MAX_MEMORY_KIB
            || u64::from(self.memory_kib) * u64::from(self.iterations) > Self::MAX_WORK_KIB
            || self.lanes == 0
            || self.lanes > Self::MAX_LANES
        {
            return Err(format!(
                "Argon2id cost too high ({} KiB × {}, {}): at most 1 GiB, 4 GiB over all passes and 16 lanes",
                self.memory_kib,
                counted(self.iterations, "pass", "passes"),
                counted(self.lanes, "lane", "lanes"),
            ));
        }
        Ok(())
    }

    /// [`kdf_guard::admit`] of this derivation for a file of `format`:
    /// `CostlyKeyDerivation` or `Cancelled` before the work starts.
    pub(crate) fn admit(self, format: Format) -> Result<(), ImportError> {
        kdf_guard::admit(
            format,
            kdf_guard::KdfCost::argon2(self.memory_kib, self.iterations),
        )
    }

    /// A 32-byte key from `password` and `salt`. `Err` (a secret-free
    /// reason) when the cost is out of bounds or the salt too short.
    pub(crate) fn derive(
        self,
        password: &[u8],
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, String> {
        self.check()?;
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.lanes, Some(32))
            .map_err(|e| format!("Argon2id parameters out of range ({e})"))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(password, salt, key.as_mut_slice())
            .map_err(|e| format!("Argon2id failed ({e})"))?;
        Ok(key)
    }
}

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], ExportError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| ExportError::Crypto {
        what: "no randomness from the operating system".to_owned(),
    })?;
    Ok(out)
}

/// The text of a file that must be UTF-8 (a BOM is skipped).
pub(crate) fn utf8(format: Format, bytes: &[u8]) -> Result<&str, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ImportError::malformed(
            format,
            format!("byte {}", e.valid_up_to()),
            "the file is not UTF-8 text",
        )
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Parses JSON into a private wire type, with a secret-free error.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    format: Format,
    bytes: &[u8],
) -> Result<T, ImportError> {
    serde_json::from_slice(bytes).map_err(|e| ImportError::json(format, &e))
}

/// A value read from a file that holds secret material (a secret field, a
/// URI): wiped when dropped. Private wire types use it instead of plain
/// `String`s.
#[derive(Default)]
pub(crate) struct Wiped<T: zeroize::Zeroize>(Zeroizing<T>);

impl<T: zeroize::Zeroize> std::ops::Deref for Wiped<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: zeroize::Zeroize + serde::Deserialize<'de>> serde::Deserialize<'de> for Wiped<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|value| Self(Zeroizing::new(value)))
    }
}
