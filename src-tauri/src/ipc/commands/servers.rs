//! Servers the user added and the two-factor flows run against them
//! (`core::session::servers`): add, list, sign in, enrol, status, log in,
//! disable, remove, and the clock check. Answers never carry a password,
//! token, cookie, seed or code.

use serde::Serialize;
use specta::Type;
use tauri::State;

use crate::core::secret::SecretString;
use crate::core::session::servers::{
    ClockCheck, Disabled, EnrolStep, NewServer, ProfileView, ServerStatus, ServerView,
};
use crate::core::session::{AccountSummary, AppState};
use crate::ipc::error::IpcError;

/// How enrolment went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct EnrolReport {
    pub server: ServerView,
    /// The account stored: confirmed when `failure` is `None`, else kept
    /// as pending (so that no seed is lost) or `None` if the server never
    /// handed out a secret or refused its first code.
    pub account: Option<AccountSummary>,
    /// The step that failed (`None`: every step passed).
    pub failed_at: Option<EnrolStep>,
    /// Why, with the server's own message where it gave one.
    pub failure: Option<IpcError>,
}

/// Every server in the order added.
#[tauri::command]
#[specta::specta]
pub async fn list_servers(state: State<'_, AppState>) -> Result<Vec<ServerView>, IpcError> {
    Ok(state.list_servers()?)
}

/// The built-in profiles, then those in `profiles/` beside the vault.
#[tauri::command]
#[specta::specta]
pub async fn list_server_profiles(
    state: State<'_, AppState>,
) -> Result<Vec<ProfileView>, IpcError> {
    Ok(state.server_profiles()?)
}

/// Adds a server; with `register`, creates the user on it first. The
/// secret goes into the vault record only.
#[tauri::command]
#[specta::specta]
pub async fn add_server(
    state: State<'_, AppState>,
    server: NewServer,
) -> Result<ServerView, IpcError> {
    Ok(state.add_server(server).await?)
}

/// Deletes a server's record (its credentials with it). The linked
/// account stays in the vault.
#[tauri::command]
#[specta::specta]
pub async fn remove_server(state: State<'_, AppState>, name: String) -> Result<(), IpcError> {
    Ok(state.remove_server(&name)?)
}

/// Signs in (the first step of enrolment): reuses a kept session or logs
/// in with the password, with a code too if the server asks and an
/// account is linked.
#[tauri::command]
#[specta::specta]
pub async fn server_sign_in(
    state: State<'_, AppState>,
    name: String,
) -> Result<ServerView, IpcError> {
    Ok(state.server_sign_in(&name).await?)
}

/// Switches two-factor sign-in on: the profile's enrolment (request the
/// secret, store the account as pending, verify a fresh code). A refusal
/// by the server is reported in the answer with the step it stopped at;
/// `Err` means the flow could not start or its results not be stored.
#[tauri::command]
#[specta::specta]
pub async fn server_enrol(
    state: State<'_, AppState>,
    name: String,
) -> Result<EnrolReport, IpcError> {
    let enrolled = state.server_enrol(&name).await?;
    Ok(EnrolReport {
        server: enrolled.server,
        account: enrolled.account,
        failed_at: enrolled.failed_at,
        failure: enrolled.failure.map(IpcError::from),
    })
}

/// Asks the server whether two-factor sign-in is on.
#[tauri::command]
#[specta::specta]
pub async fn server_status(
    state: State<'_, AppState>,
    name: String,
) -> Result<ServerStatus, IpcError> {
    Ok(state.server_status(&name).await?)
}

/// Logs in with a fresh code, or with the next unused backup code (marked
/// used once the server has seen it).
#[tauri::command]
#[specta::specta]
pub async fn server_login(
    state: State<'_, AppState>,
    name: String,
    backup_code: bool,
) -> Result<ServerView, IpcError> {
    Ok(state.server_login(&name, backup_code).await?)
}

/// Switches two-factor sign-in off; once the server confirms, the linked
/// account is tagged `archived` (its seed is kept) and unlinked.
#[tauri::command]
#[specta::specta]
pub async fn server_disable(
    state: State<'_, AppState>,
    name: String,
) -> Result<Disabled, IpcError> {
    Ok(state.server_disable(&name).await?)
}

/// Compares this computer's clock with the `Date` header of the server at
/// `url`: `https://`, or `http://` to this computer only. A host no
/// configured server has needs the vault password (`password_required`):
/// the page must not make Tessera send requests where it likes.
#[tauri::command]
#[specta::specta]
pub async fn server_clock_check(
    state: State<'_, AppState>,
    url: String,
    vault_password: Option<String>,
) -> Result<ClockCheck, IpcError> {
    let vault_password = vault_password.map(SecretString::new);
    Ok(state
        .server_clock_check(&url, vault_password.as_ref())
        .await?)
}
