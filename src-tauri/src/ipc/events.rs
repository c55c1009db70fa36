//! Events sent from Rust to the web view, typed through tauri-specta.
//! More (`import-progress`, `server-flow-progress`) are registered as their
//! features land.

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri_specta::Event;

/// The global shortcut was pressed: the window is shown and the web view
/// opens the quick search (type, Enter copies).
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct OpenPalette;

/// Another process (the CLI, a second handle) committed changes to the
/// vault, and the unlocked vault has picked them up: the web view lists
/// the accounts again.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct EntriesChanged;

/// The vault was locked by Rust (auto-lock after idle, or the tray menu);
/// the web view drops what it shows and returns to the unlock screen.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct VaultLocked;

/// The desktop asked Tessera to open an `otpauth://` or
/// `otpauth-migration://` link (a later start passed it on); the web view
/// stages it with `take_opened_link` and shows its accounts to confirm.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct LinkOpened;

/// The window synced by itself (after a change, or every few minutes):
/// Settings › Sync shows the new status; when the merge changed entries,
/// `entries-changed` comes too.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct SyncFinished;

/// The phone's Aegis backup folder (followed from Settings › Sync) has a
/// newer backup: with new or renamed accounts, it is staged as the import
/// preview (`backup`); when it could not be read, `problem` says why.
#[derive(Debug, Clone, Serialize, Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct AegisBackupFound {
    pub backup: Option<crate::core::session::phone::AegisBackupView>,
    pub problem: Option<String>,
}
