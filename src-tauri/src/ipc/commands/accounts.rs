//! Adding, listing, editing and removing accounts, and their backup codes
//! (`core::session::accounts`). The list carries labels and parameters,
//! never a secret.

use tauri::State;

use crate::core::secret::SecretString;
use crate::core::session::{AccountEdit, AccountSummary, AppState, BackupCodeView, NewAccount};
use crate::ipc::error::IpcError;

use super::parse_id;

/// Every account in display order (after picking up changes the CLI made).
#[tauri::command]
#[specta::specta]
pub async fn list_accounts(state: State<'_, AppState>) -> Result<Vec<AccountSummary>, IpcError> {
    Ok(state.list_accounts()?)
}

/// Adds the account an `otpauth://` URI describes.
#[tauri::command]
#[specta::specta]
pub async fn add_account_from_uri(
    state: State<'_, AppState>,
    uri: String,
    tags: Vec<String>,
) -> Result<AccountSummary, IpcError> {
    Ok(state.add_account_from_uri(&SecretString::new(uri), tags)?)
}

/// Adds an account typed into the form.
#[tauri::command]
#[specta::specta]
pub async fn add_account(
    state: State<'_, AppState>,
    mut form: NewAccount,
) -> Result<AccountSummary, IpcError> {
    let secret = SecretString::new(std::mem::take(&mut form.secret));
    Ok(state.add_account(&form, &secret)?)
}

/// Changes what a person may change of an account: names, algorithm,
/// digits, period, tags, note and favourite mark.
#[tauri::command]
#[specta::specta]
pub async fn update_account(
    state: State<'_, AppState>,
    id: String,
    edit: AccountEdit,
) -> Result<AccountSummary, IpcError> {
    Ok(state.update_account(parse_id(&id)?, edit)?)
}

/// Deletes an account and its backup codes.
#[tauri::command]
#[specta::specta]
pub async fn remove_account(state: State<'_, AppState>, id: String) -> Result<(), IpcError> {
    Ok(state.remove_account(parse_id(&id)?)?)
}

/// Moves an account in the vault order: just before `before`, or to the end
/// when `before` is `None`. Returns every account in the new order.
#[tauri::command]
#[specta::specta]
pub async fn move_account(
    state: State<'_, AppState>,
    id: String,
    before: Option<String>,
) -> Result<Vec<AccountSummary>, IpcError> {
    let before = before.as_deref().map(parse_id).transpose()?;
    Ok(state.move_account(parse_id(&id)?, before)?)
}

/// The backup codes of an account, masked (its detail screen lists them).
#[tauri::command]
#[specta::specta]
pub async fn list_backup_codes(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<BackupCodeView>, IpcError> {
    Ok(state.backup_codes(parse_id(&id)?)?)
}

/// The backup codes of an account in clear, after Rust checked the vault
/// password (`wrong_password` otherwise): the page alone cannot read them.
#[tauri::command]
#[specta::specta]
pub async fn reveal_backup_codes(
    state: State<'_, AppState>,
    id: String,
    password: String,
) -> Result<Vec<BackupCodeView>, IpcError> {
    Ok(state.reveal_backup_codes(parse_id(&id)?, &SecretString::new(password))?)
}

/// Adds backup codes (blank lines are skipped); returns all of them.
#[tauri::command]
#[specta::specta]
pub async fn add_backup_codes(
    state: State<'_, AppState>,
    id: String,
    codes: Vec<String>,
) -> Result<Vec<BackupCodeView>, IpcError> {
    let codes = codes.into_iter().map(SecretString::new).collect();
    Ok(state.add_backup_codes(parse_id(&id)?, codes)?)
}

/// Marks one backup code used; returns all of them.
#[tauri::command]
#[specta::specta]
pub async fn mark_backup_code_used(
    state: State<'_, AppState>,
    id: String,
    code_id: String,
) -> Result<Vec<BackupCodeView>, IpcError> {
    Ok(state.mark_backup_code_used(parse_id(&id)?, parse_id(&code_id)?)?)
}

/// Deletes one backup code; returns the rest.
#[tauri::command]
#[specta::specta]
pub async fn remove_backup_code(
    state: State<'_, AppState>,
    id: String,
    code_id: String,
) -> Result<Vec<BackupCodeView>, IpcError> {
    Ok(state.remove_backup_code(parse_id(&id)?, parse_id(&code_id)?)?)
}
