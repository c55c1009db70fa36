//! Every command the web view can call, one file per domain, and the
//! tauri-specta builder that registers them and generates
//! `ui/src/ipc/bindings.ts`.

#![allow(
    clippy::needless_pass_by_value,
    clippy::unused_async,
    reason = "Tauri hands commands their State and arguments by value; async keeps them off the main thread"
)]

pub mod accounts;
pub mod app;
pub mod codes;
pub mod scan;
pub mod servers;
pub mod settings;
pub mod sync;
pub mod transfer;
pub mod vault;

use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::{Builder, collect_commands, collect_events};
use uuid::Uuid;

use crate::core::session::{AppState, SessionError};
use crate::file_dialog::FileDialog;
use crate::ipc::error::{IpcError, IpcErrorCode};
use crate::ipc::events::{
    AegisBackupFound, EntriesChanged, LinkOpened, OpenPalette, SyncFinished, VaultLocked,
};

/// Where the generated TypeScript bindings live, relative to the crate root.
pub const BINDINGS_PATH: &str = "ui/src/ipc/bindings.ts";

/// Every command's name (`build.rs` grants each an `allow-<command>`
/// permission from the same file).
pub const COMMAND_NAMES: &[&str] = include!("../../../command_names.in");

/// Shows `dialog` (in a child process: see [`crate::file_dialog`]) without
/// holding up the async runtime; the chosen path, `None` if cancelled.
pub async fn choose_file(dialog: FileDialog) -> Result<Option<std::path::PathBuf>, IpcError> {
    tauri::async_runtime::spawn_blocking(move || dialog.show())
        .await
        .map_err(|_| IpcError::internal("the file dialog stopped unexpectedly"))?
        .map_err(|error| IpcError::internal(error.to_string()))
}

/// An account (or backup code) id from the web view.
pub fn parse_id(id: &str) -> Result<Uuid, IpcError> {
    Uuid::parse_str(id)
        .map_err(|_| IpcError::new(IpcErrorCode::NotFound, format!("no account {id}")))
}

/// Runs a session action that blocks (decoding a picture, reading the
/// screen or the clipboard, deriving a key) on a blocking thread, off the
/// async runtime.
pub async fn blocking<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    action: impl FnOnce(&AppState) -> Result<T, SessionError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(move || action(&app.state::<AppState>()))
        .await
        .map_err(|_| IpcError::internal("the command stopped unexpectedly"))?
        .map_err(IpcError::from)
}

/// The typed command set, shared by the app and the bindings export.
pub fn specta_builder<R: Runtime>() -> Builder<R> {
    Builder::<R>::new()
        .commands(collect_commands![
            app::app_info,
            app::copy_diagnostics::<tauri::Wry>,
            app::pending_crash_report,
            app::dismiss_crash_report,
            app::report_first_screen::<tauri::Wry>,
            vault::vault_status,
            vault::create_vault::<tauri::Wry>,
            vault::password_strength,
            vault::unlock_with_password::<tauri::Wry>,
            vault::unlock_with_keyring,
            vault::lock_vault,
            vault::note_activity,
            accounts::list_accounts,
            accounts::add_account_from_uri,
            accounts::add_account,
            accounts::update_account,
            accounts::remove_account,
            accounts::move_account,
            accounts::list_backup_codes,
            accounts::reveal_backup_codes,
            accounts::add_backup_codes,
            accounts::mark_backup_code_used,
            accounts::remove_backup_code,
            codes::codes,
            codes::next_hotp_code,
            codes::copy_code::<tauri::Wry>,
            settings::get_settings,
            settings::save_settings,
            settings::change_password::<tauri::Wry>,
            settings::set_keyring_unlock,
            settings::backup_now,
            transfer::transfer_formats,
            transfer::pick_import_file,
            transfer::preview_import::<tauri::Wry>,
            transfer::commit_import,
            transfer::discard_import,
            transfer::cancel_import,
            transfer::export_accounts::<tauri::Wry>,
            scan::scan_image::<tauri::Wry>,
            scan::scan_image_file::<tauri::Wry>,
            scan::scan_screen::<tauri::Wry>,
            scan::scan_clipboard::<tauri::Wry>,
            scan::scan_text,
            scan::pending_scan,
            scan::take_opened_link,
            scan::add_scanned,
            scan::discard_scan,
            scan::show_account_qr::<tauri::Wry>,
            servers::list_servers,
            servers::list_server_profiles,
            servers::add_server,
            servers::remove_server,
            servers::server_sign_in,
            servers::server_enrol,
            servers::server_status,
            servers::server_login,
            servers::server_disable,
            servers::server_clock_check,
            sync::sync_status,
            sync::sync_setup::<tauri::Wry>,
            sync::sync_join::<tauri::Wry>,
            sync::sync_now::<tauri::Wry>,
            sync::sync_pair::<tauri::Wry>,
            sync::sync_remove_device::<tauri::Wry>,
            sync::sync_leave::<tauri::Wry>,
            sync::choose_sync_folder,
            sync::account_history,
            sync::follow_aegis::<tauri::Wry>,
            sync::aegis_followed,
            sync::stop_following_aegis,
            transfer::choose_import_key_file::<tauri::Wry>,
            transfer::clear_import_key_file,
        ])
        .events(collect_events![
            VaultLocked,
            OpenPalette,
            EntriesChanged,
            LinkOpened,
            SyncFinished,
            AegisBackupFound
        ])
        .typ::<IpcError>()
}

/// Writes the TypeScript bindings for every command and type.
///
/// # Errors
/// Returns the exporter's error when a type cannot be expressed in
/// TypeScript or the file cannot be written.
pub fn export_bindings(path: &std::path::Path) -> Result<(), specta_typescript::ExportError> {
    specta_builder::<tauri::Wry>().export(
        specta_typescript::Typescript::default()
            .header("// Generated by `cargo test export_bindings` from the Rust command definitions. Do not edit.\n/* eslint-disable */")
            .bigint(specta_typescript::BigIntExportBehavior::Number),
        path,
    )
}

#[cfg(test)]
mod tests {
    /// Regenerates the bindings; `make test` then fails if the committed
    /// file differs (`git diff --exit-code`).
    #[test]
    fn export_bindings() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(super::BINDINGS_PATH);
        super::export_bindings(&path).unwrap();
    }

    /// The main window's capability allows every command; a command missing
    /// from it could not be called from the window.
    #[test]
    fn the_capability_lists_every_command() {
        let capability = include_str!("../../../capabilities/main-window.json");
        for name in super::COMMAND_NAMES {
            let permission = format!("\"allow-{}\"", name.replace('_', "-"));
            assert!(
                capability.contains(&permission),
                "main-window.json lacks {permission}"
            );
        }
    }
}
