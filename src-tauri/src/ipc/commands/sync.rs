//! Settings › Sync and an account's earlier values
//! (`core::session::sync`): each command calls one session action, on a
//! blocking thread when it reaches the remote.

use tauri::{AppHandle, Runtime, State};

use crate::core::secret::SecretString;
use crate::core::session::AppState;
use crate::core::session::phone::AegisBackupView;
use crate::core::session::sync::{
    HistoryView, PairingView, SyncOutcome, SyncRemoteInput, SyncView,
};
use crate::file_dialog::FileDialog;
use crate::ipc::error::IpcError;

use super::blocking;

/// Where sync stands: set up or not, last sync, changes waiting, devices.
#[tauri::command]
#[specta::specta]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncView, IpcError> {
    Ok(state.sync_status()?)
}

/// Starts a new sync group on `remote` with this vault as its first device
/// (`name`; the host name when empty), and sends every account up.
#[tauri::command]
#[specta::specta]
pub async fn sync_setup<R: Runtime>(
    app: AppHandle<R>,
    remote: SyncRemoteInput,
    name: String,
) -> Result<SyncOutcome, IpcError> {
    blocking(app, move |state| state.sync_setup(remote, &name)).await
}

/// Joins the group of a pairing code made on another device, through
/// `remote`; `status.joining` until that device accepts this one.
#[tauri::command]
#[specta::specta]
pub async fn sync_join<R: Runtime>(
    app: AppHandle<R>,
    code: String,
    remote: SyncRemoteInput,
    name: String,
) -> Result<SyncOutcome, IpcError> {
    let code = SecretString::new(code);
    blocking(app, move |state| state.sync_join(&code, remote, &name)).await
}

/// Syncs now.
#[tauri::command]
#[specta::specta]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>) -> Result<SyncOutcome, IpcError> {
    blocking(app, AppState::sync_now).await
}

/// A one-time pairing code (text and QR picture) for another device.
#[tauri::command]
#[specta::specta]
pub async fn sync_pair<R: Runtime>(app: AppHandle<R>) -> Result<PairingView, IpcError> {
    blocking(app, AppState::sync_pair).await
}

/// Takes a device out of the group; it cannot read what is written later.
#[tauri::command]
#[specta::specta]
pub async fn sync_remove_device<R: Runtime>(
    app: AppHandle<R>,
    id: String,
) -> Result<SyncView, IpcError> {
    blocking(app, move |state| state.sync_remove_device(&id)).await
}

/// Stops syncing this vault (its accounts stay); `force` when the remote
/// cannot be reached.
#[tauri::command]
#[specta::specta]
pub async fn sync_leave<R: Runtime>(app: AppHandle<R>, force: bool) -> Result<SyncView, IpcError> {
    blocking(app, move |state| state.sync_leave(force)).await
}

/// Picks the folder to sync through. `None` if the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_sync_folder() -> Result<Option<String>, IpcError> {
    let dialog = FileDialog::folder("Choose the folder to sync through");
    Ok(super::choose_file(dialog)
        .await?
        .map(|path| path.display().to_string()))
}

/// Earlier values of an account's fields that sync merges replaced.
#[tauri::command]
#[specta::specta]
pub async fn account_history(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<HistoryView>, IpcError> {
    Ok(state.account_history(&id)?)
}

/// Follows a phone's Aegis automatic backups in `folder` (the password is
/// kept until the vault locks): the newest backup is staged as the import
/// preview (`commit_import` adds its new accounts), and newer ones are
/// staged as they come (`aegis-backup-found`).
#[tauri::command]
#[specta::specta]
pub async fn follow_aegis<R: Runtime>(
    app: AppHandle<R>,
    folder: String,
    password: String,
) -> Result<AegisBackupView, IpcError> {
    let password = SecretString::new(password);
    blocking(app, move |state| state.follow_aegis(&folder, &password)).await
}

/// The Aegis backup folder followed, if any.
#[tauri::command]
#[specta::specta]
pub async fn aegis_followed(state: State<'_, AppState>) -> Result<Option<String>, IpcError> {
    Ok(state.aegis_followed()?)
}

/// Stops following the Aegis backups (forgets the folder and password).
#[tauri::command]
#[specta::specta]
pub async fn stop_following_aegis(state: State<'_, AppState>) -> Result<(), IpcError> {
    Ok(state.stop_following_aegis()?)
}
