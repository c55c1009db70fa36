//! Import and export from the window: reading another authenticator's file
//! (picked in the open dialog or dropped on the page) into a preview,
//! committing that preview, and writing an export.
//!
//! The parsed file (which holds secrets) stays in the session as its
//! [`StagedImport`]; what is returned are display fields and the preview's
//! id, and the window commits by that id. Locking the vault drops it.
//! Reading the file (and deriving its key, for an encrypted one) happens
//! without the session, so codes keep coming meanwhile.
//!
//! Must never: return a secret, a password or file contents; write the
//! vault except through [`StagedImport::commit`]; write a plaintext export
//! without the caller's acknowledgement; overwrite a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::secret::SecretString;
use crate::core::transfer::export::{self, ExportOptions};
use crate::core::transfer::kdf_guard::{self, KdfPolicy};
use crate::core::transfer::{
    self, ExportError, ExportFormat, Format, ImportError, Preview, PreviewEntry, StagedImport,
    Status, UnknownFormatName,
};
use crate::core::user_file;

use super::views::KindName;
use super::{AppState, Result, SessionError};

/// A format the window offers, with the name people know it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ImportFormatOption {
    pub id: String,
    pub title: String,
}

/// An export format the window offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ExportFormatOption {
    pub id: String,
    pub title: String,
    /// Whether the file holds every secret readable by anyone who has it.
    pub plaintext: bool,
    /// Whether the export needs a password of its own.
    pub needs_password: bool,
    /// What the file is, in a sentence.
    pub description: String,
}

/// The formats the import can be told to read and the export can write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TransferFormats {
    pub import: Vec<ImportFormatOption>,
    pub export: Vec<ExportFormatOption>,
}

/// Where the file to import comes from: a path (picked in the open
/// dialog) or the bytes of a file dropped on the window.
#[derive(Clone, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ImportSource {
    Path { path: String },
    Bytes { name: String, bytes: Vec<u8> },
}

impl std::fmt::Debug for ImportSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Path { path } => f.debug_struct("Path").field("path", path).finish(),
            Self::Bytes { name, bytes } => f
                .debug_struct("Bytes")
                .field("name", name)
                .field("len", &bytes.len())
                .finish(),
        }
    }
}

/// What committing would do with one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    New,
    Duplicate,
    Repeated,
    Invalid,
}

/// One entry of the file as the preview table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ImportEntryView {
    /// 1-based position in the file.
    pub position: u32,
    pub issuer: String,
    pub name: String,
    /// `Issuer:name`, or what the file calls an invalid entry.
    pub label: String,
    /// Absent for an invalid entry.
    pub kind: Option<KindName>,
    pub status: ImportStatus,
    /// Why: "already in the vault", "same as entry 2", the invalid reason.
    pub detail: Option<String>,
}

/// How many entries have each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ImportCounts {
    pub new: u32,
    pub duplicate: u32,
    pub repeated: u32,
    pub invalid: u32,
}

/// A pending import as the window shows it: no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ImportPreviewView {
    /// Commit or discard the import by this id.
    pub id: String,
    pub file_name: String,
    /// The format id (see [`TransferFormats::import`]).
    pub format: String,
    pub format_title: String,
    pub entries: Vec<ImportEntryView>,
    pub counts: ImportCounts,
    /// What the format could not carry or Tessera does not import.
    pub losses: Vec<String>,
}

/// What a commit added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    pub imported: u32,
    /// The new accounts' ids, in file order.
    pub ids: Vec<String>,
}

/// What the export should write.
#[derive(Clone, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    /// An id from [`TransferFormats::export`].
    pub format: String,
    /// The vault's password, asked again for every export: whoever can
    /// drive the window cannot copy the secrets out without it.
    pub vault_password: String,
    /// The password of an encrypted export (not the vault's).
    pub password: Option<String>,
    /// The user ticked "I understand this file holds my secrets in plain
    /// text"; plaintext formats are refused without it.
    pub acknowledge_plaintext: bool,
    /// Write here instead of asking in the save dialog (used by the
    /// end-to-end tests, which cannot drive a native dialog). Never
    /// overwritten either.
    pub path: Option<String>,
}

impl std::fmt::Debug for ExportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRequest")
            .field("format", &self.format)
            .field("vault_password", &"<redacted>")
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("acknowledge_plaintext", &self.acknowledge_plaintext)
            .field("path", &self.path)
            .finish()
    }
}

/// An account the export format could not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LeftOutView {
    pub label: String,
    pub reason: String,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ExportResult {
    pub written: u32,
    pub files: Vec<String>,
    pub left_out: Vec<LeftOutView>,
    /// Display data the format cannot carry (e.g. "tags of 3 accounts").
    pub not_written: Vec<String>,
    pub plaintext: bool,
}

/// The formats the window offers for import and export.
pub fn formats() -> TransferFormats {
    TransferFormats {
        import: Format::ALL
            .into_iter()
            .map(|format| ImportFormatOption {
                id: format.id().to_owned(),
                title: format.title().to_owned(),
            })
            .collect(),
        export: ExportFormat::ALL
            .into_iter()
            .map(|format| ExportFormatOption {
                id: format.id().to_owned(),
                title: format.title().to_owned(),
                plaintext: format.is_plaintext(),
                needs_password: format.needs_password(),
                description: format.description().to_owned(),
            })
            .collect(),
    }
}

/// The name of the file at `path`, for display.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// The bytes and display name of `source`, at most [`transfer::IMPORT_LIMIT`].
fn read_source(source: ImportSource) -> Result<(String, Zeroizing<Vec<u8>>)> {
    match source {
        ImportSource::Path { path } => {
            let path = PathBuf::from(path);
            let bytes = user_file::read(&path, transfer::IMPORT_LIMIT)?;
            Ok((file_name(&path), bytes))
        }
        ImportSource::Bytes { name, bytes } => {
            let bytes = Zeroizing::new(bytes);
            let limit = transfer::IMPORT_LIMIT.bytes;
            if bytes.len() as u64 > limit {
                return Err(SessionError::invalid(format!(
                    "{name} is larger than {} MiB; that is not an authenticator export",
                    limit / (1024 * 1024)
                )));
            }
            Ok((name, bytes))
        }
    }
}

const IMPORT_NEEDS_UNLOCK: &str = "unlock the vault before importing";

/// A key file chosen for the imports (a `KeePass` database's); its bytes
/// are wiped when it is dropped.
#[derive(Clone)]
pub struct ImportKeyFile {
    pub name: String,
    bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for ImportKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportKeyFile")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Reads `source` (as `format`, or the sniffed format when `None`) and
    /// classifies its entries against the vault; keeps it as the session's
    /// staged import, replacing an earlier one. The file is read and, when
    /// encrypted, its key derived without holding the session (it may take
    /// seconds: call this off an async runtime). A key derivation past the
    /// `kdf_guard` thresholds is refused unless `allow_costly`; the
    /// import can be stopped meanwhile ([`AppState::cancel_import`], a
    /// newer import, a lock).
    ///
    /// # Errors
    /// `Locked`; `Invalid` for an unknown format name; the import's
    /// (`PasswordRequired`, `WrongPassword`, `CostlyKeyDerivation`,
    /// `Cancelled`, `Malformed`, ...).
    pub fn preview_import(
        &self,
        source: ImportSource,
        format: Option<&str>,
        password: Option<&SecretString>,
        allow_costly: bool,
    ) -> Result<ImportPreviewView> {
        let format = format
            .filter(|f| !f.trim().is_empty())
            .map(str::parse::<Format>)
            .transpose()
            .map_err(|e: UnknownFormatName| SessionError::invalid(e.to_string()))?;
        let password = password.filter(|p| !p.is_empty());
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut session = self.session()?;
            session.unlocked(IMPORT_NEEDS_UNLOCK)?;
            session.cancel_import();
            session.import_cancel = Some(Arc::clone(&cancel));
        }
        let (file_name, bytes) = read_source(source)?;
        let key_file = self.session()?.import_key_file.clone();
        let policy = KdfPolicy {
            allow_costly,
            cancel: Some(Arc::clone(&cancel)),
        };
        let parsed = kdf_guard::with_policy(policy, || {
            transfer::import_with_key_file(
                &bytes,
                format,
                password,
                key_file.as_ref().map(|k| k.bytes.as_slice()),
            )
        });
        let mut session = self.session()?;
        if session
            .import_cancel
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, &cancel))
        {
            session.import_cancel = None;
        }
        let parsed = parsed?;
        if cancel.load(Ordering::SeqCst) {
            return Err(ImportError::Cancelled {
                format: parsed.format,
            }
            .into());
        }
        let vault = session.unlocked(IMPORT_NEEDS_UNLOCK)?;
        vault.refresh()?;
        let staged = StagedImport::new(Preview::new(parsed, vault.entries()?));
        let view = ImportPreviewView::of(staged.id(), file_name, staged.preview());
        session.pending_import = Some(staged);
        Ok(view)
    }

    /// Commits the staged import `id`: the accounts that are new to the
    /// vault as it is now, in one transaction.
    ///
    /// # Errors
    /// `NotFound` if there is no such staged import (committed already,
    /// discarded, or the vault was locked since); the vault's.
    pub fn commit_import(&self, id: Uuid) -> Result<ImportResult> {
        let mut session = self.session()?;
        let staged = match session.pending_import.take() {
            Some(staged) if staged.id() == id => staged,
            other => {
                session.pending_import = other;
                return Err(SessionError::NotFound(
                    "this import preview is gone (the vault was locked, or it was imported already); choose the file again".to_owned(),
                ));
            }
        };
        let ids = staged.commit(session.unlocked(IMPORT_NEEDS_UNLOCK)?)?;
        Ok(ImportResult {
            imported: count(ids.len()),
            ids: ids.iter().map(|id| id.hyphenated().to_string()).collect(),
        })
    }

    /// Reads the key file `path` (a `KeePass` database's, beside or instead
    /// of its password) for the imports that follow, until cleared or a
    /// lock. Returns its file name.
    ///
    /// # Errors
    /// `Locked`; reading the file (`user_file`'s size limit, an open
    /// vault's file).
    pub fn set_import_key_file(&self, path: &Path) -> Result<String> {
        self.session()?.unlocked(IMPORT_NEEDS_UNLOCK)?;
        let bytes = user_file::read(path, transfer::IMPORT_LIMIT)?;
        let name = file_name(path);
        self.session()?.import_key_file = Some(ImportKeyFile {
            name: name.clone(),
            bytes,
        });
        Ok(name)
    }

    /// Imports go on without a key file.
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn clear_import_key_file(&self) -> Result<()> {
        self.session()?.import_key_file = None;
        Ok(())
    }

    /// Forgets the staged import (the user cancelled).
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn discard_import(&self) -> Result<()> {
        self.session()?.pending_import = None;
        Ok(())
    }

    /// Stops the import being read (deriving its key, say): it ends with
    /// `Cancelled` at its next check, before the next slot is derived or
    /// once the derivation under way ends, and keeps nothing.
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn cancel_import(&self) -> Result<()> {
        self.session()?.cancel_import();
        Ok(())
    }

    /// Writes every account of the (unlocked) vault as the request's format
    /// to `dest`, which must not exist, after checking the vault password
    /// (derived without holding the session).
    ///
    /// # Errors
    /// `Invalid` (unknown format, no consent to plaintext, no vault
    /// password); `WrongPassword`; the export's (`PasswordRequired`,
    /// `AlreadyExists`, I/O).
    pub fn export_accounts(&self, request: &ExportRequest, dest: &Path) -> Result<ExportResult> {
        let format = request.format()?;
        if request.vault_password.is_empty() {
            return Err(SessionError::invalid(
                "type the vault's password to export its accounts",
            ));
        }
        let password = request.password.clone().map(SecretString::new);
        let options = ExportOptions {
            password: password.as_ref(),
            allow_plaintext: request.acknowledge_plaintext,
            ..ExportOptions::default()
        };
        format.check(&options).map_err(consent_failure)?;
        let vault_password = SecretString::new(request.vault_password.clone());
        let key = self.derive_password(&vault_password)?;
        let mut session = self.session()?;
        let vault = session.unlocked("unlock the vault to export its accounts")?;
        vault.verify_password_key(&key)?;
        vault.refresh()?;
        let summary = export::write_file(vault, format, dest, &options)?;
        Ok(ExportResult {
            written: count(summary.written),
            files: summary
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            left_out: summary
                .left_out
                .into_iter()
                .map(|item| LeftOutView {
                    label: item.label,
                    reason: item.reason,
                })
                .collect(),
            not_written: summary.not_written,
            plaintext: format.is_plaintext(),
        })
    }
}

impl ExportRequest {
    /// The format asked for, once the plaintext consent it needs is given.
    ///
    /// # Errors
    /// `Invalid` for an unknown format or a plaintext format without the
    /// acknowledgement.
    pub fn format(&self) -> Result<ExportFormat> {
        let format: ExportFormat = self
            .format
            .parse()
            .map_err(|e: UnknownFormatName| SessionError::invalid(e.to_string()))?;
        format
            .check_consent(self.acknowledge_plaintext)
            .map_err(consent_failure)?;
        Ok(format)
    }
}

/// The window's words for a plaintext export without consent (the CLI's
/// name its flag).
fn consent_failure(error: ExportError) -> SessionError {
    match error {
        ExportError::PlaintextNotConfirmed { .. } => SessionError::invalid(
            "this format writes every secret in plain text: tick the box saying you understand, or choose an encrypted format",
        ),
        other => SessionError::Export(other),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl ImportEntryView {
    fn of(entry: &PreviewEntry) -> Self {
        let (status, detail) = match &entry.status {
            Status::New => (ImportStatus::New, None),
            Status::Duplicate { .. } => (
                ImportStatus::Duplicate,
                Some("already in the vault".to_owned()),
            ),
            Status::RepeatedInFile { position } => (
                ImportStatus::Repeated,
                Some(format!("same as entry {position}")),
            ),
            Status::Invalid { reason } => (ImportStatus::Invalid, Some(reason.clone())),
        };
        Self {
            position: count(entry.position),
            issuer: entry.issuer.clone(),
            name: entry.name.clone(),
            label: entry.label.clone(),
            kind: entry.item.as_ref().map(|item| KindName::of(&item.account)),
            status,
            detail,
        }
    }
}

impl ImportPreviewView {
    pub(super) fn of(id: Uuid, file_name: String, preview: &Preview) -> Self {
        Self {
            id: id.hyphenated().to_string(),
            file_name,
            format: preview.format.id().to_owned(),
            format_title: preview.format.title().to_owned(),
            entries: preview.entries.iter().map(ImportEntryView::of).collect(),
            counts: ImportCounts {
                new: count(preview.count("new")),
                duplicate: count(preview.count("duplicate")),
                repeated: count(preview.count("repeated")),
                invalid: count(preview.count("invalid")),
            },
            losses: preview.losses.iter().map(|l| l.message.clone()).collect(),
        }
    }
}
