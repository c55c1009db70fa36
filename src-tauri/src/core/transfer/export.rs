//! Exports: which formats Tessera writes ([`ExportFormat`]) and writing one
//! to a new file ([`write_file`]). The formats themselves live in their
//! modules (`otpauth_list`, `aegis`, `google`, `tessera_backup`).
//!
//! Must never: write a plaintext format without `allow_plaintext`;
//! overwrite an existing file; leave a file readable by other users (0600
//! on Unix); write a partial file under the final name.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use zeroize::Zeroizing;

use super::aegis::{self, ScryptCost};
use super::{ExportError, InvalidItem, google, otpauth_list, tessera_backup};
use crate::core::icon::AccountIcon;
use crate::core::private_file::{self, PrivateFileError};
use crate::core::secret::SecretString;
use crate::core::vault::{Entry, Vault};

/// The formats `tessera export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFormat {
    /// One `otpauth://` URI per line (plaintext).
    Otpauth,
    /// Aegis vault JSON, unencrypted (plaintext).
    Aegis,
    /// Aegis vault JSON, encrypted with a password (scrypt + AES-256-GCM).
    AegisEncrypted,
    /// Tessera's own backup (an encrypted vault snapshot, same password).
    Tessera,
    /// Google Authenticator migration URIs, one per QR batch (plaintext).
    GoogleMigration,
}

impl ExportFormat {
    pub const ALL: [Self; 5] = [
        Self::Otpauth,
        Self::Aegis,
        Self::AegisEncrypted,
        Self::Tessera,
        Self::GoogleMigration,
    ];

    /// The name `--format` takes.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Otpauth => "otpauth",
            Self::Aegis => "aegis",
            Self::AegisEncrypted => "aegis-encrypted",
            Self::Tessera => "tessera",
            Self::GoogleMigration => "google-qr",
        }
    }

    /// Whether the file holds the secrets readable by anyone who has it.
    pub const fn is_plaintext(self) -> bool {
        matches!(self, Self::Otpauth | Self::Aegis | Self::GoogleMigration)
    }

    /// Whether the file is encrypted with a password of its own, chosen
    /// for the export.
    pub const fn needs_password(self) -> bool {
        matches!(self, Self::AegisEncrypted)
    }

    /// Whether the file opens with the vault's own password.
    pub const fn opens_with_vault_password(self) -> bool {
        matches!(self, Self::Tessera)
    }

    /// The name people know the format by, and whether it is encrypted.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Tessera => "Tessera backup (encrypted)",
            Self::AegisEncrypted => "Aegis vault (encrypted)",
            Self::Aegis => "Aegis vault (plain text)",
            Self::Otpauth => "otpauth URI list (plain text)",
            Self::GoogleMigration => "Google Authenticator QR codes (plain)",
        }
    }

    /// What the file is and who can read it, in a sentence or two.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Tessera => {
                "A copy of the whole vault, opened with the vault's password. Keeps tags, notes and backup codes."
            }
            Self::AegisEncrypted => {
                "An Aegis vault file protected by a password you choose here. Aegis and Tessera can import it."
            }
            Self::Aegis => {
                "An unencrypted Aegis vault file. Anyone who has the file can read every secret."
            }
            Self::Otpauth => {
                "One otpauth:// link per line, readable by most authenticators. Anyone who has the file can read every secret."
            }
            Self::GoogleMigration => {
                "QR pictures Google Authenticator's \"Transfer accounts\" scans. Anyone who sees them can read every secret."
            }
        }
    }

    /// What a save dialog suggests for the file.
    pub const fn suggested_file(self) -> SuggestedFile {
        let (file_name, kind, extensions): (_, _, &'static [&'static str]) = match self {
            Self::Tessera => ("tessera-backup.tessera", "Tessera backup", &["tessera"]),
            Self::AegisEncrypted => ("aegis-export-encrypted.json", "Aegis vault", &["json"]),
            Self::Aegis => ("aegis-export-plain.json", "Aegis vault", &["json"]),
            Self::GoogleMigration => ("google-authenticator.png", "QR picture", &["png", "svg"]),
            Self::Otpauth => ("otpauth-uris.txt", "Text file", &["txt"]),
        };
        SuggestedFile {
            file_name,
            kind,
            extensions,
        }
    }

    /// A plaintext format needs the user's explicit consent
    /// (`PlaintextNotConfirmed`). Callers check it before asking for
    /// passwords; [`write_file`] checks it again with
    /// [`check`](Self::check).
    pub fn check_consent(self, allow_plaintext: bool) -> Result<(), ExportError> {
        if self.is_plaintext() && !allow_plaintext {
            return Err(ExportError::PlaintextNotConfirmed { format: self.id() });
        }
        Ok(())
    }

    /// Everything the format asks of `options`: consent for a plaintext
    /// format, a non-empty password for one with a password of its own
    /// (`PasswordRequired`).
    pub fn check(self, options: &ExportOptions<'_>) -> Result<(), ExportError> {
        self.check_consent(options.allow_plaintext)?;
        if self.needs_password() && options.password.is_none_or(SecretString::is_empty) {
            return Err(ExportError::PasswordRequired { format: self.id() });
        }
        Ok(())
    }
}

/// The file a save dialog suggests for an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuggestedFile {
    pub file_name: &'static str,
    /// What the dialog's filter calls the file type.
    pub kind: &'static str,
    pub extensions: &'static [&'static str],
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ExportFormat {
    type Err = super::UnknownFormatName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|f| f.id() == lower || (lower == "google" && *f == Self::GoogleMigration))
            .ok_or_else(|| super::UnknownFormatName::new(s, Self::ALL.map(Self::id)))
    }
}

/// How to export.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions<'a> {
    /// The password of an encrypted Aegis export.
    pub password: Option<&'a SecretString>,
    /// The caller's explicit consent to write secrets in plain text.
    pub allow_plaintext: bool,
    /// scrypt cost of an encrypted Aegis export.
    pub scrypt: ScryptCost,
}

impl Default for ExportOptions<'_> {
    fn default() -> Self {
        Self {
            password: None,
            allow_plaintext: false,
            scrypt: ScryptCost::AEGIS,
        }
    }
}

/// The file content of `format` for `entries` (every format but
/// [`ExportFormat::Tessera`], which copies the vault file: see
/// [`write_file`]).
pub fn render(
    entries: &[Entry],
    format: ExportFormat,
    options: &ExportOptions<'_>,
) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    format.check(options)?;
    let pairs = || entries.iter().map(|e| (&e.account, &e.details));
    match format {
        ExportFormat::Otpauth => {
            let text = otpauth_list::export(entries.iter().map(|e| &e.account));
            Ok(Zeroizing::new(text.as_bytes().to_vec()))
        }
        ExportFormat::Aegis => aegis::export_plain(pairs()),
        ExportFormat::AegisEncrypted => {
            let password = options.password.ok_or(ExportError::PasswordRequired {
                format: format.id(),
            })?;
            aegis::export_encrypted(pairs(), password, options.scrypt).map(Zeroizing::new)
        }
        ExportFormat::GoogleMigration => {
            let mut out = Zeroizing::new(Vec::new());
            for uri in google::export(entries.iter().map(|e| &e.account)) {
                let mut uri = Zeroizing::new(uri);
                out.extend_from_slice(uri.as_bytes());
                out.push(b'\n');
                uri.clear();
            }
            Ok(out)
        }
        ExportFormat::Tessera => Err(ExportError::Crypto {
            what: "a Tessera backup is written from the vault, not rendered".to_owned(),
        }),
    }
}

/// What [`write_file`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// Accounts in the file.
    pub written: usize,
    /// Accounts the format cannot carry, left out, with the reason.
    pub left_out: Vec<InvalidItem>,
    /// Display data the format cannot carry and that was not written (e.g.
    /// "tags of 3 accounts"), for the user to know before deleting the vault.
    pub not_written: Vec<String>,
    /// The files written: `dest`, or for a Google QR set of several codes
    /// `NAME-1-of-N.png` … beside it.
    pub files: Vec<PathBuf>,
}

/// What of `entries`' display data `format` drops.
pub fn not_written(entries: &[Entry], format: ExportFormat) -> Vec<String> {
    let count = |f: &dyn Fn(&Entry) -> bool| entries.iter().filter(|e| f(e)).count();
    let mut out = Vec::new();
    let mut note = |n: usize, what: &str| {
        if n > 0 {
            out.push(format!(
                "{what} of {n} {}",
                super::plural(n, "account", "accounts")
            ));
        }
    };
    match format {
        ExportFormat::Otpauth | ExportFormat::GoogleMigration => {
            note(count(&|e| !e.details.tags.is_empty()), "tags");
            note(count(&|e| e.details.favorite), "the favourite mark");
            note(count(&|e| e.details.icon.is_some()), "the icon");
            note(count(&|e| !e.details.note.is_empty()), "notes");
            note(count(&|e| !e.backup_codes.is_empty()), "backup codes");
        }
        ExportFormat::Aegis | ExportFormat::AegisEncrypted => {
            note(
                count(&|e| matches!(e.details.icon, Some(AccountIcon::Badge(_)))),
                "the letter badge",
            );
            note(count(&|e| !e.backup_codes.is_empty()), "backup codes");
        }
        ExportFormat::Tessera => {}
    }
    out
}

/// The accounts of `entries` that `format` cannot carry, and why.
pub fn left_out(entries: &[Entry], format: ExportFormat) -> Vec<InvalidItem> {
    match format {
        ExportFormat::GoogleMigration => google::left_out(entries.iter().map(|e| &e.account)),
        _ => Vec::new(),
    }
}

/// Exports every account of `vault` (unlocked) as `format` into `dest`,
/// which must not exist.
///
/// `PlaintextNotConfirmed`, `PasswordRequired`, `AlreadyExists`, `Io`,
/// `Vault(Locked)`.
pub fn write_file(
    vault: &Vault,
    format: ExportFormat,
    dest: &Path,
    options: &ExportOptions<'_>,
) -> Result<ExportSummary, ExportError> {
    format.check(options)?;
    let entries = vault.entries()?;
    if dest.exists() {
        return Err(ExportError::AlreadyExists {
            path: dest.to_owned(),
        });
    }
    let files = match (format, QrPicture::for_path(dest)) {
        (ExportFormat::Tessera, _) => {
            tessera_backup::export(vault, dest)?;
            vec![dest.to_owned()]
        }
        (ExportFormat::GoogleMigration, Some(picture)) => {
            write_google_pictures(entries, dest, picture)?
        }
        _ => {
            let content = render(entries, format, options)?;
            write_new(dest, &content)?;
            vec![dest.to_owned()]
        }
    };
    let left_out = left_out(entries, format);
    Ok(ExportSummary {
        written: entries.len() - left_out.len(),
        left_out,
        not_written: not_written(entries, format),
        files,
    })
}

/// The kind of picture a Google QR export writes, from `dest`'s extension
/// (`.png` or `.svg`); any other name gets the migration URIs as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QrPicture {
    Png,
    Svg,
}

impl QrPicture {
    fn for_path(dest: &Path) -> Option<Self> {
        let extension = dest.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "png" => Some(Self::Png),
            "svg" => Some(Self::Svg),
            _ => None,
        }
    }
}

/// One QR picture per migration URI (each stays easy to scan): `dest`
/// itself for one, `NAME-K-of-N.EXT` beside it for several. Nothing is
/// written if any of those files exists.
fn write_google_pictures(
    entries: &[Entry],
    dest: &Path,
    picture: QrPicture,
) -> Result<Vec<PathBuf>, ExportError> {
    let uris: Vec<Zeroizing<String>> = google::export(entries.iter().map(|e| &e.account))
        .into_iter()
        .map(Zeroizing::new)
        .collect();
    let paths = numbered_paths(dest, uris.len());
    if let Some(existing) = paths.iter().find(|path| path.exists()) {
        return Err(ExportError::AlreadyExists {
            path: existing.clone(),
        });
    }
    for (uri, path) in uris.iter().zip(&paths) {
        let content = match picture {
            QrPicture::Png => Zeroizing::new(crate::core::qr::encode_png(uri)?),
            QrPicture::Svg => Zeroizing::new(crate::core::qr::encode_svg(uri)?.into_bytes()),
        };
        write_new(path, &content)?;
    }
    Ok(paths)
}

/// `dest` for one file; `STEM-K-of-N.EXT` in `dest`'s folder for several.
fn numbered_paths(dest: &Path, count: usize) -> Vec<PathBuf> {
    if count == 1 {
        return vec![dest.to_owned()];
    }
    let stem = dest
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = dest
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    (1..=count)
        .map(|k| dest.with_file_name(format!("{stem}-{k}-of-{count}.{extension}")))
        .collect()
}

/// Writes `content` to the new file `dest` through the one private-file
/// writer (owner-only, never replacing anything, complete or absent).
fn write_new(dest: &Path, content: &[u8]) -> Result<(), ExportError> {
    private_file::write_new(dest, content).map_err(|error| match error {
        PrivateFileError::AlreadyExists { path } | PrivateFileError::Symlink { path } => {
            ExportError::AlreadyExists { path }
        }
        PrivateFileError::Io { path, source } => ExportError::Io { path, source },
    })
}

#[cfg(test)]
mod tests {
    use super::{ExportError, ExportFormat, ExportOptions};
    use crate::core::secret::SecretString;

    #[test]
    fn each_format_says_what_it_asks_for_and_checks_it() {
        let password = SecretString::from("export pass");
        let empty = SecretString::from("");
        let options = |password, allow_plaintext| ExportOptions {
            password,
            allow_plaintext,
            ..ExportOptions::default()
        };
        for format in ExportFormat::ALL {
            let suggested = format.suggested_file();
            assert!(
                suggested
                    .extensions
                    .iter()
                    .any(|e| suggested.file_name.ends_with(&format!(".{e}"))),
                "{format}: {suggested:?}"
            );
            assert!(!format.title().is_empty() && !format.description().is_empty());
            let plain = format.is_plaintext();
            assert_eq!(
                format.description().contains("Anyone who"),
                plain,
                "{format}: the description says who can read it"
            );
            let refused = format.check(&options(Some(&password), false));
            assert_eq!(
                matches!(refused, Err(ExportError::PlaintextNotConfirmed { .. })),
                plain,
                "{format}"
            );
            for missing in [None, Some(&empty)] {
                let checked = format.check(&options(missing, true));
                assert_eq!(
                    matches!(checked, Err(ExportError::PasswordRequired { .. })),
                    format.needs_password(),
                    "{format}"
                );
            }
            assert!(format.check(&options(Some(&password), true)).is_ok());
        }
        assert!(ExportFormat::AegisEncrypted.needs_password());
        assert!(ExportFormat::Tessera.opens_with_vault_password());
    }
}
