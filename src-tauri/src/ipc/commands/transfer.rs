//! Import and export from the window (`core::session::transfer`): the file
//! dialogs, and the session's preview, commit and export. The parsed file
//! stays in Rust; the web view gets display fields and the preview's id.

use std::path::PathBuf;

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Runtime, State};

use crate::core::secret::SecretString;
use crate::core::session::AppState;
use crate::core::session::transfer::{
    self as session_transfer, ExportRequest, ExportResult, ImportPreviewView, ImportResult,
    ImportSource, TransferFormats, file_name,
};
use crate::file_dialog::FileDialog;
use crate::ipc::error::IpcError;

use super::{blocking, parse_id};

/// A file chosen in the native dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PickedFile {
    pub path: String,
    /// The file name, for display.
    pub name: String,
}

/// The formats the window offers for import and export.
#[tauri::command]
#[specta::specta]
pub async fn transfer_formats() -> TransferFormats {
    session_transfer::formats()
}

/// Asks for the file to import in the native open dialog. `None` if the
/// user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn pick_import_file() -> Result<Option<PickedFile>, IpcError> {
    let dialog = FileDialog::open("Import accounts from a file");
    Ok(super::choose_file(dialog).await?.map(|path| PickedFile {
        name: file_name(&path),
        path: path.display().to_string(),
    }))
}

/// Picks a key file for the imports that follow (a `KeePass` database
/// opened with one, beside or instead of its password); its name, `None`
/// if the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_import_key_file<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Option<String>, IpcError> {
    let Some(path) = super::choose_file(FileDialog::open("Choose the key file")).await? else {
        return Ok(None);
    };
    blocking(app, move |state| state.set_import_key_file(&path))
        .await
        .map(Some)
}

/// Imports go on without a key file.
#[tauri::command]
#[specta::specta]
pub async fn clear_import_key_file(state: State<'_, AppState>) -> Result<(), IpcError> {
    Ok(state.clear_import_key_file()?)
}

/// Reads a file (as `format`, or the sniffed format when `None`) and
/// classifies its entries against the vault. Replaces any earlier pending
/// import. `password_required` when the file is encrypted and no password
/// was given; `wrong_password` when it does not open the file;
/// `costly_key_derivation` when deriving its key takes more memory or time
/// than an import takes without asking (call again with `allow_costly`
/// once the user agreed); `cancelled` after [`cancel_import`].
#[tauri::command]
#[specta::specta]
pub async fn preview_import<R: Runtime>(
    app: AppHandle<R>,
    source: ImportSource,
    format: Option<String>,
    password: Option<String>,
    allow_costly: bool,
) -> Result<ImportPreviewView, IpcError> {
    let password = password.map(SecretString::new);
    blocking(app, move |state| {
        state.preview_import(source, format.as_deref(), password.as_ref(), allow_costly)
    })
    .await
}

/// Stops the import being read (while its key is derived): its
/// `preview_import` answers `cancelled` and nothing is kept.
#[tauri::command]
#[specta::specta]
pub async fn cancel_import(state: State<'_, AppState>) -> Result<(), IpcError> {
    Ok(state.cancel_import()?)
}

/// Adds the new accounts of the pending import `id` in one transaction.
#[tauri::command]
#[specta::specta]
pub async fn commit_import(
    state: State<'_, AppState>,
    id: String,
) -> Result<ImportResult, IpcError> {
    Ok(state.commit_import(parse_id(&id)?)?)
}

/// Forgets the pending import (the user cancelled).
#[tauri::command]
#[specta::specta]
pub async fn discard_import(state: State<'_, AppState>) -> Result<(), IpcError> {
    Ok(state.discard_import()?)
}

/// Exports every account. Asks for the destination in the native save
/// dialog unless the request names a path; `None` if the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_accounts<R: Runtime>(
    app: AppHandle<R>,
    request: ExportRequest,
) -> Result<Option<ExportResult>, IpcError> {
    let format = request.format()?;
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
    blocking(app, move |state| state.export_accounts(&request, &dest))
        .await
        .map(Some)
}
