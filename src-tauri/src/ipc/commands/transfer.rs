//! Import and export from the window: reading another authenticator's file
//! (picked in the native dialog or dropped on the page) into a preview,
//! committing that preview, and writing an export to a file the user picks.
//!
//! The parsed file (which holds secrets) stays in Rust as the session's
//! [`StagedImport`]; the web view gets display fields and the preview's id,
//! and commits by that id. Locking the vault drops it. Reading the file
//! (and deriving its key, for an encrypted one) happens on a blocking
//! thread without the session lock, so codes keep coming meanwhile.
//!
//! Must never: send a secret, a password or file contents to the web view;
//! write the vault except through [`Preview::commit`]; write a plaintext
//! export without the caller's acknowledgement; overwrite a file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{Manager, State};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::otp::OtpKind;
use crate::core::secret::SecretString;
use crate::core::transfer::export::{self, ExportOptions};
use crate::core::transfer::{
    self, ExportError, ExportFormat, Format, ImportError, Preview, PreviewEntry, StagedImport,
    Status,
};
use crate::core::user_file::{self, UserFileError};
use crate::file_dialog::FileDialog;
use crate::ipc::dto::KindName;
use crate::ipc::error::{IpcError, IpcErrorCode};
use crate::ipc::state::AppState;

/// The largest file an import reads (authenticator exports are kilobytes).
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

/// A format the window offers, with the name people know it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportFormatOption {
    pub id: String,
    pub title: String,
}

/// An export format the window offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TransferFormats {
    pub import: Vec<ImportFormatOption>,
    pub export: Vec<ExportFormatOption>,
}

/// A file chosen in the native dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PickedFile {
    pub path: String,
    /// The file name, for display.
    pub name: String,
}

/// Where the file to import comes from: a path (from [`pick_import_file`])
/// or the bytes of a file dropped on the window.
#[derive(Clone, Deserialize, Type)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    New,
    Duplicate,
    Repeated,
    Invalid,
}

/// One entry of the file as the preview table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportCounts {
    pub new: u32,
    pub duplicate: u32,
    pub repeated: u32,
    pub invalid: u32,
}

/// A pending import as the window shows it: no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    pub imported: u32,
    /// The new accounts' ids, in file order.
    pub ids: Vec<String>,
}

/// What the export should write.
#[derive(Clone, Deserialize, Type)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LeftOutView {
    pub label: String,
    pub reason: String,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportResult {
    pub written: u32,
    pub files: Vec<String>,
    pub left_out: Vec<LeftOutView>,
    /// Display data the format cannot carry (e.g. "tags of 3 accounts").
    pub not_written: Vec<String>,
    pub plaintext: bool,
}

// ---- commands ----

/// The formats the window offers for import and export.
#[tauri::command]
#[specta::specta]
pub async fn transfer_formats() -> TransferFormats {
    formats()
}

/// Asks for the file to import in the native open dialog. `None` if the
/// user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn pick_import_file() -> Result<Option<PickedFile>, IpcError> {
    let dialog = FileDialog::open("Import accounts from a file");
    let Some(path) = super::choose_file(dialog).await? else {
        return Ok(None);
    };
    Ok(Some(PickedFile {
        name: file_name(&path),
        path: path.display().to_string(),
    }))
}

/// Reads a file (as `format`, or the sniffed format when `None`) and
/// classifies its entries against the vault. Replaces any earlier pending
/// import. `password_required` when the file is encrypted and no password
/// was given; `wrong_password` when it does not open the file.
#[tauri::command]
#[specta::specta]
pub async fn preview_import<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    source: ImportSource,
    format: Option<String>,
    password: Option<String>,
) -> Result<ImportPreviewView, IpcError> {
    tauri::async_runtime::spawn_blocking(move || {
        preview(
            &app.state::<AppState>(),
            source,
            format.as_deref(),
            password.map(SecretString::new),
        )
    })
    .await
    .map_err(|_| IpcError::internal("the import stopped unexpectedly"))?
}

/// Adds the new accounts of the pending import `id` in one transaction.
#[tauri::command]
#[specta::specta]
pub async fn commit_import(
    state: State<'_, AppState>,
    id: String,
) -> Result<ImportResult, IpcError> {
    commit(&state, &id)
}

/// Forgets the pending import (the user cancelled).
#[tauri::command]
#[specta::specta]
pub async fn discard_import(state: State<'_, AppState>) -> Result<(), IpcError> {
    state.session()?.pending_import = None;
    Ok(())
}

/// Exports every account. Asks for the destination in the native save
/// dialog unless the request names a path; `None` if the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_accounts(
    state: State<'_, AppState>,
    request: ExportRequest,
) -> Result<Option<ExportResult>, IpcError> {
    let format = export_format(&request)?;
    let dest = if let Some(path) = &request.path {
        PathBuf::from(path)
    } else {
        let suggested = format.suggested_file();
        let dialog = FileDialog::save("Export accounts", suggested.file_name)
            .filter(suggested.kind, suggested.extensions);
        let Some(path) = super::choose_file(dialog).await? else {
            return Ok(None);
        };
        path
    };
    export_to(&state, &request, &dest).map(Some)
}

// ---- the work, on plain `AppState` (unit-testable without Tauri) ----

/// The formats the window offers.
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

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// The bytes and display name of `source`, at most [`MAX_IMPORT_BYTES`].
fn read_source(source: ImportSource) -> Result<(String, Zeroizing<Vec<u8>>), IpcError> {
    let too_big = |name: &str| {
        IpcError::invalid(format!(
            "{name} is larger than {} MiB; that is not an authenticator export",
            MAX_IMPORT_BYTES / (1024 * 1024)
        ))
    };
    match source {
        ImportSource::Path { path } => {
            let path = PathBuf::from(path);
            let bytes = user_file::read(&path, transfer::IMPORT_LIMIT)?;
            Ok((file_name(&path), bytes))
        }
        ImportSource::Bytes { name, bytes } => {
            let bytes = Zeroizing::new(bytes);
            if bytes.len() > MAX_IMPORT_BYTES {
                return Err(too_big(&name));
            }
            Ok((name, bytes))
        }
    }
}

/// Reads `source` (without holding the session: deriving an encrypted
/// file's key may take seconds), classifies it against the (unlocked)
/// vault and keeps it as the session's staged import.
pub fn preview(
    state: &AppState,
    source: ImportSource,
    format: Option<&str>,
    password: Option<SecretString>,
) -> Result<ImportPreviewView, IpcError> {
    let format = format
        .filter(|f| !f.trim().is_empty())
        .map(str::parse::<Format>)
        .transpose()
        .map_err(|e| IpcError::invalid(e.to_string()))?;
    let password = password.filter(|p| !p.is_empty());
    let locked = || IpcError::new(IpcErrorCode::Locked, "unlock the vault before importing");
    if !state.with_vault(|vault, _| Ok(vault.is_unlocked()))? {
        return Err(locked());
    }
    let (file_name, bytes) = read_source(source)?;
    let parsed = transfer::import(&bytes, format, password.as_ref()).map_err(import_error)?;
    let preview = state.with_vault(|vault, _| {
        if !vault.is_unlocked() {
            return Err(locked());
        }
        vault.refresh()?;
        Ok(Preview::new(parsed, vault.entries()?))
    })?;
    let staged = StagedImport::new(preview);
    let view = preview_view(staged.id(), file_name, staged.preview());
    state.session()?.pending_import = Some(staged);
    Ok(view)
}

/// Commits the staged import `id`: the accounts that are new to the vault
/// as it is now, in one transaction. `not_found` if there is no such
/// staged import (committed already, discarded, or the vault was locked
/// since).
pub fn commit(state: &AppState, id: &str) -> Result<ImportResult, IpcError> {
    let gone = || {
        IpcError::new(
            IpcErrorCode::NotFound,
            "this import preview is gone (the vault was locked, or it was imported already); choose the file again",
        )
    };
    let id = Uuid::parse_str(id).map_err(|_| gone())?;
    let staged = {
        let mut session = state.session()?;
        match session.pending_import.take() {
            Some(staged) if staged.id() == id => staged,
            other => {
                session.pending_import = other;
                return Err(gone());
            }
        }
    };
    let ids = state.with_vault(|vault, _| staged.commit(vault).map_err(import_error))?;
    Ok(ImportResult {
        imported: count(ids.len()),
        ids: ids.iter().map(|id| id.hyphenated().to_string()).collect(),
    })
}

fn export_format(request: &ExportRequest) -> Result<ExportFormat, IpcError> {
    let format: ExportFormat = request
        .format
        .parse()
        .map_err(|e: transfer::UnknownFormatName| IpcError::invalid(e.to_string()))?;
    format
        .check_consent(request.acknowledge_plaintext)
        .map_err(export_error)?;
    Ok(format)
}

/// Writes every account of the (unlocked) vault as the request's format to
/// `dest`, which must not exist.
pub fn export_to(
    state: &AppState,
    request: &ExportRequest,
    dest: &Path,
) -> Result<ExportResult, IpcError> {
    let format = export_format(request)?;
    if request.vault_password.is_empty() {
        return Err(IpcError::invalid(
            "type the vault's password to export its accounts",
        ));
    }
    let vault_password = SecretString::new(request.vault_password.clone());
    let password = request.password.clone().map(SecretString::new);
    let options = ExportOptions {
        password: password.as_ref(),
        allow_plaintext: request.acknowledge_plaintext,
        ..ExportOptions::default()
    };
    format.check(&options).map_err(export_error)?;
    let summary = state.with_vault(|vault, _| {
        vault.verify_password(&vault_password)?;
        vault.refresh()?;
        export::write_file(vault, format, dest, &options).map_err(export_error)
    })?;
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

// ---- mapping to what the web view sees ----

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The UI branches on `password_required` (show the password field) and
/// `wrong_password` (say so, keep the file).
fn import_error(error: ImportError) -> IpcError {
    let message = error.to_string();
    let code = match error {
        ImportError::PasswordRequired { .. } => IpcErrorCode::PasswordRequired,
        ImportError::WrongPassword { .. } => IpcErrorCode::WrongPassword,
        ImportError::Io { .. } | ImportError::File(UserFileError::Io { .. }) => IpcErrorCode::Io,
        ImportError::Vault(vault) => IpcError::from(vault).code,
        _ => IpcErrorCode::Invalid,
    };
    IpcError::new(code, message)
}

fn export_error(error: ExportError) -> IpcError {
    let message = error.to_string();
    let code = match error {
        ExportError::PlaintextNotConfirmed { .. } => {
            return IpcError::invalid(
                "this format writes every secret in plain text: tick the box saying you understand, or choose an encrypted format",
            );
        }
        ExportError::PasswordRequired { .. } => IpcErrorCode::PasswordRequired,
        ExportError::AlreadyExists { .. } => IpcErrorCode::AlreadyExists,
        ExportError::Io { .. } => IpcErrorCode::Io,
        ExportError::Vault(vault) => IpcError::from(vault).code,
        _ => IpcErrorCode::Invalid,
    };
    IpcError::new(code, message)
}

fn entry_view(entry: &PreviewEntry) -> ImportEntryView {
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
    let account = entry.item.as_ref().map(|item| &item.account);
    ImportEntryView {
        position: count(entry.position),
        issuer: entry.issuer.clone(),
        name: entry.name.clone(),
        label: entry.label.clone(),
        kind: account.map(|a| match a.kind {
            OtpKind::Totp { .. } => KindName::Totp,
            OtpKind::Hotp { .. } => KindName::Hotp,
            OtpKind::Steam { .. } => KindName::Steam,
        }),
        status,
        detail,
    }
}

fn preview_view(id: Uuid, file_name: String, preview: &Preview) -> ImportPreviewView {
    ImportPreviewView {
        id: id.hyphenated().to_string(),
        file_name,
        format: preview.format.id().to_owned(),
        format_title: preview.format.title().to_owned(),
        entries: preview.entries.iter().map(entry_view).collect(),
        counts: ImportCounts {
            new: count(preview.count("new")),
            duplicate: count(preview.count("duplicate")),
            repeated: count(preview.count("repeated")),
            invalid: count(preview.count("invalid")),
        },
        losses: preview.losses.iter().map(|l| l.message.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::settings::Settings;
    use crate::core::vault::{KdfParams, Vault};
    use crate::ipc::state::vault_clock;

    const AEGIS_PASSWORD: &str = "test";
    const VAULT_PASSWORD: &str = "pw";
    /// The base32 secrets of the seven fixture accounts.
    const SECRETS: [&str; 7] = [
        "4SJHB4GSD43FZBAI7C2HLRJGPQ",
        "5OM4WOOGPLQEF6UGN3CPEOOLWU",
        "7ELGJSGXNCCTV3O6LKJWYFV2RA",
        "YOOMIXWS5GN6RTBPUFFWKTW5M4",
        "KUVJJOM753IHTNDSZVCNKL7GII",
        "5VAML3X35THCEBVRLV24CGBKOY",
        "JRZCL47CMXVOQMNPZR2F7J4RGI",
    ];

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/aegis-importers")
            .join(name)
    }

    fn unlocked_state() -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transfer.tessera");
        let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
        drop(
            Vault::create(
                &path,
                &SecretString::from(VAULT_PASSWORD),
                kdf,
                vault_clock(),
            )
            .unwrap(),
        );
        let state = AppState::with_settings(path, None, Settings::default());
        state
            .with_vault(|vault, _| {
                Ok(vault.unlock_with_password(&SecretString::from(VAULT_PASSWORD))?)
            })
            .unwrap();
        (dir, state)
    }

    fn encrypted_aegis() -> ImportSource {
        ImportSource::Bytes {
            name: "aegis_encrypted.json".to_owned(),
            bytes: std::fs::read(fixture("aegis_encrypted.json")).unwrap(),
        }
    }

    fn account_count(state: &AppState) -> usize {
        state
            .with_vault(|vault, _| Ok(vault.entries()?.len()))
            .unwrap()
    }

    fn assert_no_secret(json: &str) {
        for secret in SECRETS {
            assert!(!json.to_uppercase().contains(secret), "{secret} in {json}");
        }
    }

    /// Codes come from the session while an encrypted file's key is being
    /// derived: the derivation (scrypt at 2^17 × 8, 128 MiB) takes far
    /// longer than 20 code requests, so they all complete before it ends
    /// only if the import does not hold the session meanwhile.
    #[test]
    fn codes_keep_coming_while_an_encrypted_file_derives_its_key() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        use crate::core::clock::Clock;
        use crate::core::otp;
        use crate::core::transfer::aegis::{self, ScryptCost};
        use crate::core::vault::Details;

        let (_dir, state) = unlocked_state();
        let account =
            otp::parse_uri("otpauth://totp/Ticking:alice?secret=JBSWY3DPEHPK3PXP").unwrap();
        state
            .with_vault(|vault, _| Ok(vault.insert(account.clone(), Details::default())?))
            .unwrap();
        let password = SecretString::from(AEGIS_PASSWORD);
        let cost = ScryptCost {
            log_n: 17,
            r: 8,
            p: 1,
        };
        let details = Details::default();
        let file = aegis::export_encrypted([(&account, &details)], &password, cost).unwrap();
        let state = Arc::new(state);
        let started = Arc::new(AtomicBool::new(false));
        let import = std::thread::spawn({
            let (state, started) = (Arc::clone(&state), Arc::clone(&started));
            move || {
                started.store(true, Ordering::SeqCst);
                let source = ImportSource::Bytes {
                    name: "slow.json".to_owned(),
                    bytes: file,
                };
                preview(&state, source, None, Some(password))
            }
        });
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        for _ in 0..20 {
            let code = state
                .with_vault(|vault, settings| {
                    Ok(otp::generate(
                        &vault.entries()?[0].account,
                        settings.code_clock().now(),
                    )?)
                })
                .unwrap();
            assert_eq!(code.current.len(), 6);
        }
        assert!(
            !import.is_finished(),
            "the import held the session while it derived the file's key"
        );
        let view = import.join().unwrap().unwrap();
        assert_eq!(view.counts.duplicate, 1);
    }

    #[test]
    fn an_encrypted_file_asks_for_its_password_then_previews_and_commits() {
        let (_dir, state) = unlocked_state();
        let error = preview(&state, encrypted_aegis(), None, None).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::PasswordRequired, "{error:?}");
        let error = preview(
            &state,
            encrypted_aegis(),
            None,
            Some(SecretString::from("nope")),
        )
        .unwrap_err();
        assert_eq!(error.code, IpcErrorCode::WrongPassword, "{error:?}");
        assert!(state.session().unwrap().pending_import.is_none());

        let view = preview(
            &state,
            encrypted_aegis(),
            None,
            Some(SecretString::from(AEGIS_PASSWORD)),
        )
        .unwrap();
        assert_eq!(view.format, "aegis");
        assert_eq!(view.file_name, "aegis_encrypted.json");
        assert_eq!(
            view.counts,
            ImportCounts {
                new: 7,
                duplicate: 0,
                repeated: 0,
                invalid: 0
            }
        );
        let first = &view.entries[0];
        assert_eq!(
            (first.issuer.as_str(), first.name.as_str(), first.kind),
            ("Deno", "Mason", Some(KindName::Totp))
        );
        assert_eq!(view.entries[3].kind, Some(KindName::Hotp));
        assert_eq!(view.entries[6].kind, Some(KindName::Steam));
        let json = serde_json::to_string(&view).unwrap();
        assert_no_secret(&json);

        assert_eq!(account_count(&state), 0, "a preview writes nothing");
        let result = commit(&state, &view.id).unwrap();
        assert_eq!(result.imported, 7);
        assert_eq!(account_count(&state), 7);
        let again = commit(&state, &view.id).unwrap_err();
        assert_eq!(again.code, IpcErrorCode::NotFound);
        assert_eq!(account_count(&state), 7);

        let twice = preview(
            &state,
            encrypted_aegis(),
            Some("aegis"),
            Some(SecretString::from(AEGIS_PASSWORD)),
        )
        .unwrap();
        assert_eq!(twice.counts.duplicate, 7);
        assert_eq!(twice.counts.new, 0);
        assert!(
            twice
                .entries
                .iter()
                .all(|e| e.status == ImportStatus::Duplicate)
        );
    }

    #[test]
    fn accounts_added_after_the_preview_are_not_imported_twice() {
        let (_dir, state) = unlocked_state();
        let source = ImportSource::Path {
            path: fixture("plain.txt").display().to_string(),
        };
        let view = preview(&state, source, None, None).unwrap();
        assert_eq!(view.counts.new, 7);
        let first = state
            .session()
            .unwrap()
            .pending_import
            .as_ref()
            .and_then(|p| p.preview().entries[0].item.clone())
            .unwrap();
        state
            .with_vault(|vault, _| Ok(vault.insert(first.account, first.details)?))
            .unwrap();
        let result = commit(&state, &view.id).unwrap();
        assert_eq!(result.imported, 6);
        assert_eq!(account_count(&state), 7);
    }

    #[test]
    fn locking_drops_the_pending_import() {
        let (_dir, state) = unlocked_state();
        let source = ImportSource::Path {
            path: fixture("plain.txt").display().to_string(),
        };
        let view = preview(&state, source, None, None).unwrap();
        assert_eq!(view.format, "otpauth");
        state.session().unwrap().lock();
        assert!(state.session().unwrap().pending_import.is_none());
        let error = commit(&state, &view.id).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::NotFound);
    }

    #[test]
    fn only_the_latest_preview_can_be_committed() {
        let (_dir, state) = unlocked_state();
        let plain = || ImportSource::Path {
            path: fixture("plain.txt").display().to_string(),
        };
        let old = preview(&state, plain(), None, None).unwrap();
        let new = preview(&state, plain(), None, None).unwrap();
        assert_eq!(
            commit(&state, &old.id).unwrap_err().code,
            IpcErrorCode::NotFound
        );
        assert_eq!(commit(&state, &new.id).unwrap().imported, 7);
    }

    #[test]
    fn bad_sources_and_formats_get_specific_errors() {
        let (dir, state) = unlocked_state();
        let unknown = ImportSource::Bytes {
            name: "notes.txt".to_owned(),
            bytes: b"just some words".to_vec(),
        };
        assert_eq!(
            preview(&state, unknown, None, None).unwrap_err().code,
            IpcErrorCode::Invalid
        );
        let huge = ImportSource::Bytes {
            name: "huge.json".to_owned(),
            bytes: vec![b' '; MAX_IMPORT_BYTES + 1],
        };
        let error = preview(&state, huge, None, None).unwrap_err();
        assert!(error.message.contains("larger than"), "{error:?}");
        let missing = ImportSource::Path {
            path: dir.path().join("absent.json").display().to_string(),
        };
        assert_eq!(
            preview(&state, missing, None, None).unwrap_err().code,
            IpcErrorCode::Io
        );
        let error = preview(&state, encrypted_aegis(), Some("lastpass"), None).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::Invalid);
        assert!(error.message.contains("lastpass"), "{error:?}");
    }

    #[test]
    fn a_locked_vault_previews_nothing() {
        let (_dir, state) = unlocked_state();
        state.session().unwrap().lock();
        let source = ImportSource::Path {
            path: fixture("plain.txt").display().to_string(),
        };
        let error = preview(&state, source, None, None).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::Locked);
    }

    fn request(format: &str, acknowledge: bool, password: Option<&str>) -> ExportRequest {
        ExportRequest {
            format: format.to_owned(),
            vault_password: VAULT_PASSWORD.to_owned(),
            password: password.map(str::to_owned),
            acknowledge_plaintext: acknowledge,
            path: None,
        }
    }

    fn filled_state() -> (tempfile::TempDir, AppState) {
        let (dir, state) = unlocked_state();
        let source = ImportSource::Path {
            path: fixture("plain.txt").display().to_string(),
        };
        let view = preview(&state, source, None, None).unwrap();
        commit(&state, &view.id).unwrap();
        (dir, state)
    }

    #[test]
    fn a_plaintext_export_needs_the_acknowledgement() {
        let (dir, state) = filled_state();
        let dest = dir.path().join("out.txt");
        let error = export_to(&state, &request("otpauth", false, None), &dest).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::Invalid);
        assert!(error.message.contains("plain text"), "{error:?}");
        assert!(!dest.exists());

        let result = export_to(&state, &request("otpauth", true, None), &dest).unwrap();
        assert_eq!(result.written, 7);
        assert!(result.plaintext);
        assert_eq!(result.files, vec![dest.display().to_string()]);
        let text = std::fs::read_to_string(&dest).unwrap();
        assert!(text.contains(SECRETS[0]), "the export holds the secrets");

        let error = export_to(&state, &request("otpauth", true, None), &dest).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), text);
    }

    #[test]
    fn an_export_needs_the_vault_password() {
        let (dir, state) = filled_state();
        let dest = dir.path().join("out.json");
        for (typed, code) in [
            ("", IpcErrorCode::Invalid),
            ("not the vault password", IpcErrorCode::WrongPassword),
        ] {
            let request = ExportRequest {
                vault_password: typed.to_owned(),
                ..request("aegis-encrypted", false, Some("export pw"))
            };
            let error = export_to(&state, &request, &dest).unwrap_err();
            assert_eq!(error.code, code, "{error:?}");
            assert!(!dest.exists());
        }
        // With the right one (what `request` sends) the same export is
        // written: the next test.
    }

    #[test]
    fn an_encrypted_export_needs_a_password_and_reimports_as_duplicates() {
        let (dir, state) = filled_state();
        let dest = dir.path().join("out.json");
        let error =
            export_to(&state, &request("aegis-encrypted", false, Some("")), &dest).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::PasswordRequired);
        assert!(!dest.exists());

        let result = export_to(
            &state,
            &request("aegis-encrypted", false, Some("export pw")),
            &dest,
        )
        .unwrap();
        assert_eq!(result.written, 7);
        assert!(!result.plaintext);
        assert_no_secret(&std::fs::read_to_string(&dest).unwrap());

        let source = ImportSource::Path {
            path: dest.display().to_string(),
        };
        let view = preview(&state, source, None, Some(SecretString::from("export pw"))).unwrap();
        assert_eq!(view.counts.duplicate, 7);
    }

    #[test]
    fn google_qr_leaves_out_what_it_cannot_hold() {
        let (dir, state) = filled_state();
        let dest = dir.path().join("google.png");
        let result = export_to(&state, &request("google-qr", true, None), &dest).unwrap();
        assert_eq!(
            result.written as usize + result.left_out.len(),
            7,
            "{result:?}"
        );
        assert!(!result.files.is_empty());
        for file in &result.files {
            assert!(Path::new(file).exists(), "{file}");
        }
    }

    #[test]
    fn the_formats_offered_mark_plaintext_and_passwords() {
        let formats = formats();
        assert_eq!(formats.import.len(), Format::ALL.len());
        let by_id = |id: &str| {
            formats
                .export
                .iter()
                .find(|f| f.id == id)
                .unwrap_or_else(|| panic!("{id}"))
                .clone()
        };
        assert!(!by_id("tessera").plaintext);
        assert!(by_id("aegis-encrypted").needs_password);
        assert!(by_id("aegis").plaintext);
        assert!(by_id("otpauth").plaintext);
        assert!(by_id("google-qr").plaintext);
        for option in &formats.export {
            assert!(option.id.parse::<ExportFormat>().is_ok(), "{}", option.id);
        }
    }
}
