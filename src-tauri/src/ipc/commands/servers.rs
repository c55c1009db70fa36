//! Servers the user added and the two-factor flows run against them (add,
//! list, sign in, enrol, status, log in, disable, remove), and the clock
//! check against a server's `Date` header.
//!
//! Credentials typed into the add form go straight into the server's vault
//! record. Answers carry names, URLs, states, accounts' labels and the
//! server's cleaned messages; never a password, token, cookie, seed or code.
//!
//! The flows do HTTP, so none holds the session while it waits: a command
//! opens a second handle on the vault file with the session's key
//! ([`Vault::open_another`]) and runs the flow on it with core's
//! [`FlowRunner`], as the CLI does, so what the flow stores is in the file
//! at once (the pending account as soon as the server hands out its
//! secret, a confirmation, a used backup code, then the record);
//! afterwards the session's vault reads the changes. One flow at a time
//! per server (a second is refused); after a 429 or a lockout the runner
//! refuses every flow until the wait the server asked for is over (the
//! wait is in the server's record, so the CLI keeps it too). An
//! enrolment's steps come from the runner as they begin.
//!
//! Locking while a flow runs wipes the session's key; the flow's handle
//! keeps its copy until the flow ends (within the HTTP timeouts), stores
//! what the server did, reports it, and wipes it.
//!
//! Must never: hold the session mutex across an `.await`, send a
//! credential back to the web view, or drop a seed the server handed out.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::core::clock::{Clock, SystemClock};
use crate::core::secret::SecretString;
use crate::core::server::clock_check::{self, ClockReading};
pub use crate::core::server::{CredentialKind, EnrolStep};
use crate::core::server::{
    Disable, Enrol, Flow, FlowActivity, FlowRunner, Http, HttpOptions, Label, Login, LoginWith,
    PENDING_TAG, Profile, Ran, ServerError, ServerRecord, SignIn, Status, VaultServerStore,
    profiles_dir,
};
use crate::core::vault::Vault;
use crate::ipc::dto::AccountSummary;
use crate::ipc::error::{IpcError, IpcErrorCode};
use crate::ipc::state::{AppState, Session};

/// Whether two-factor sign-in is on, as far as the vault knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorState {
    /// No account is linked.
    Off,
    /// An account was stored but the server has not confirmed it.
    Pending,
    /// The server confirmed the linked account.
    On,
}

/// Which credentials are kept for a server (never their values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct KeptCredentials {
    pub password: bool,
    pub token: bool,
    /// Cookie names.
    pub cookies: Vec<String>,
}

/// One server as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerView {
    pub name: String,
    pub url: String,
    pub profile: String,
    pub username: Option<String>,
    /// The linked account (`None`: none, or it was deleted).
    pub account: Option<AccountSummary>,
    pub two_factor: TwoFactorState,
    /// Unix milliseconds at which the last code sent to this server began.
    pub last_code_at: Option<u64>,
    pub credentials: KeptCredentials,
    /// Milliseconds before the server may be asked again (after a 429 or
    /// a lockout).
    pub retry_in_ms: Option<u64>,
    /// Whether a flow is running against it now.
    pub busy: bool,
    /// While an enrolment runs: the step it is at.
    pub enrol_step: Option<EnrolStep>,
}

/// A profile the add form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub name: String,
    pub description: String,
    /// Whether it ships with Tessera (else it is a file in `profiles/`).
    pub builtin: bool,
    pub credential: CredentialKind,
    /// Whether the app can create the user on the server.
    pub can_register: bool,
    pub can_check_status: bool,
}

/// The add form. `Debug` leaves the secret out.
#[derive(Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewServer {
    pub name: String,
    pub profile: String,
    pub url: String,
    pub username: Option<String>,
    /// The password, token or cookie the profile asks for (may be empty
    /// when a credential is added later with the CLI).
    pub secret: String,
    /// Create the user on the server first (`register`).
    pub register: bool,
    /// The vault password, confirming that Tessera may send what the form
    /// holds to a host no server of the vault has yet (checked in Rust).
    pub vault_password: Option<String>,
}

impl std::fmt::Debug for NewServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewServer")
            .field("name", &self.name)
            .field("profile", &self.profile)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .field("register", &self.register)
            .field(
                "vault_password",
                &self.vault_password.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

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

/// What the server said about two-factor sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatus {
    pub server: ServerView,
    pub enabled: bool,
}

/// What disabling did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Disabled {
    pub server: ServerView,
    /// The account tagged `archived` (its seed is kept).
    pub archived_account: Option<String>,
}

/// What a clock check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ClockCheck {
    pub url: String,
    /// The clock offset that makes this computer read the server's time.
    pub offset_ms: i64,
    /// How far the true offset may be from `offset_ms`.
    pub uncertainty_ms: u64,
    pub round_trip_ms: u64,
    /// Unix milliseconds the server's `Date` header named.
    pub server_date: u64,
    /// The offset setting in force now.
    pub current_offset_ms: i64,
}

/// Every server in the order added.
#[tauri::command]
#[specta::specta]
pub async fn list_servers(state: State<'_, AppState>) -> Result<Vec<ServerView>, IpcError> {
    list(&state).await
}

/// The built-in profiles, then those in `profiles/` beside the vault.
#[tauri::command]
#[specta::specta]
pub async fn list_server_profiles(
    state: State<'_, AppState>,
) -> Result<Vec<ProfileView>, IpcError> {
    profiles(&state).await
}

/// Adds a server; with `register`, creates the user on it first. The
/// secret goes into the vault record only.
#[tauri::command]
#[specta::specta]
pub async fn add_server(
    state: State<'_, AppState>,
    server: NewServer,
) -> Result<ServerView, IpcError> {
    add(&state, server).await
}

/// Deletes a server's record (its credentials with it). The linked
/// account stays in the vault.
#[tauri::command]
#[specta::specta]
pub async fn remove_server(state: State<'_, AppState>, name: String) -> Result<(), IpcError> {
    remove(&state, name).await
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
    sign_in(&state, name).await
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
    enrol(&state, name).await
}

/// Asks the server whether two-factor sign-in is on.
#[tauri::command]
#[specta::specta]
pub async fn server_status(
    state: State<'_, AppState>,
    name: String,
) -> Result<ServerStatus, IpcError> {
    status(&state, name).await
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
    login(&state, name, backup_code).await
}

/// Switches two-factor sign-in off; once the server confirms, the linked
/// account is tagged `archived` (its seed is kept) and unlinked.
#[tauri::command]
#[specta::specta]
pub async fn server_disable(
    state: State<'_, AppState>,
    name: String,
) -> Result<Disabled, IpcError> {
    disable(&state, name).await
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
    check_clock(&state, url, vault_password.map(SecretString::new)).await
}

/// What [`list_servers`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn list(state: &AppState) -> Result<Vec<ServerView>, IpcError> {
    let mut session = state.session()?;
    let now_ms = session.settings.code_clock().now().unix_millis();
    let Session { vault, servers, .. } = &mut *session;
    let vault = unlocked(vault.as_mut())?;
    vault.refresh()?;
    let records = VaultServerStore::new(vault).records()?;
    Ok(records
        .iter()
        .map(|(_, record)| view(vault, record, servers, now_ms))
        .collect())
}

/// What [`list_server_profiles`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn profiles(state: &AppState) -> Result<Vec<ProfileView>, IpcError> {
    let builtins: Vec<String> = Profile::builtins()?.into_iter().map(|p| p.name).collect();
    Ok(Profile::all(Some(&profiles_dir(&state.vault_path)))?
        .iter()
        .map(|profile| ProfileView {
            name: profile.name.clone(),
            description: profile.description.clone(),
            builtin: builtins.contains(&profile.name),
            credential: profile.credential_kind(),
            can_register: profile.has(crate::core::server::OpName::Register),
            can_check_status: profile.has(crate::core::server::OpName::Status),
        })
        .collect())
}

/// What [`add_server`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn add(state: &AppState, mut form: NewServer) -> Result<ServerView, IpcError> {
    let secret = SecretString::new(std::mem::take(&mut form.secret));
    let runner = runner(state)?;
    let profile = runner.profile(&form.profile)?;
    let mut server = crate::core::server::NewServer::with_secret(
        &form.name,
        &profile,
        &form.url,
        form.username.as_deref(),
        secret,
    );
    server.register = form.register;
    let vault_password = form
        .vault_password
        .take()
        .map(SecretString::new)
        .filter(|p| !p.is_empty());
    let _turn = Turn::take(state, &server.name)?;
    let mut vault = flow_vault(state)?;
    if let Some(password) = &vault_password {
        vault.verify_password(password)?;
        server.host_confirmed = true;
    }
    let record = runner.add(&mut vault, server).await?;
    finish(state, &vault, &record)
}

/// What [`remove_server`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn remove(state: &AppState, name: String) -> Result<(), IpcError> {
    let mut session = state.session()?;
    let Session { vault, servers, .. } = &mut *session;
    if servers.is_busy(&name) {
        return Err(ServerError::Busy { server: name }.into());
    }
    FlowRunner::remove(unlocked(vault.as_mut())?, &name)?;
    Ok(())
}

/// What [`server_sign_in`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn sign_in(state: &AppState, name: String) -> Result<ServerView, IpcError> {
    let (ran, server) = run(state, &name, SignIn).await?;
    ran.outcome?;
    Ok(server)
}

/// What [`server_enrol`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn enrol(state: &AppState, name: String) -> Result<EnrolReport, IpcError> {
    let reported = name.clone();
    let enrol = Enrol {
        label: Label::default(),
        on_step: Some(Box::new(move |step| {
            if let Ok(mut session) = state.session() {
                session.servers.report(&reported, step);
            }
        })),
    };
    let (ran, server) = run(state, &name, enrol).await?;
    Ok(EnrolReport {
        account: server.account.clone(),
        server,
        failed_at: ran.failed_at,
        failure: ran.outcome.err().map(IpcError::from),
    })
}

/// What [`server_status`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn status(state: &AppState, name: String) -> Result<ServerStatus, IpcError> {
    let (ran, server) = run(state, &name, Status).await?;
    Ok(ServerStatus {
        server,
        enabled: ran.outcome?,
    })
}

/// What [`server_login`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn login(
    state: &AppState,
    name: String,
    backup_code: bool,
) -> Result<ServerView, IpcError> {
    let with = if backup_code {
        LoginWith::BackupCode
    } else {
        LoginWith::Code
    };
    let (ran, server) = run(state, &name, Login(with)).await?;
    ran.outcome?;
    Ok(server)
}

/// What [`server_disable`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn disable(state: &AppState, name: String) -> Result<Disabled, IpcError> {
    let (ran, server) = run(state, &name, Disable).await?;
    let archived = ran.outcome?;
    Ok(Disabled {
        server,
        archived_account: archived.map(|id| id.hyphenated().to_string()),
    })
}

/// What [`server_clock_check`] does, for a caller holding the state itself.
///
/// # Errors
/// As the command.
pub async fn check_clock(
    state: &AppState,
    url: String,
    vault_password: Option<SecretString>,
) -> Result<ClockCheck, IpcError> {
    let current_offset_ms = state.with_vault(|vault, settings| {
        let confirmed = match vault_password.as_ref().filter(|p| !p.is_empty()) {
            Some(password) => {
                vault.verify_password(password)?;
                true
            }
            None => false,
        };
        vault.refresh()?;
        FlowRunner::check_host(vault, url.trim(), confirmed)?;
        Ok(settings.clock_offset_ms)
    })?;
    let http = Http::new(HttpOptions::default())?;
    let reading: ClockReading = clock_check::check_clock(&http, url.trim(), &SystemClock).await?;
    Ok(ClockCheck {
        url: url.trim().to_owned(),
        offset_ms: reading.offset_ms,
        uncertainty_ms: reading.uncertainty_ms,
        round_trip_ms: reading.round_trip_ms,
        server_date: reading.server_date.unix_millis(),
        current_offset_ms,
    })
}

/// Runs `flow` against server `name` on a second handle on the session's
/// vault file, so that what the flow stores is committed to the file
/// there and then, and the session stays free while the server answers.
/// Returns what the flow did and the server's view afterwards.
async fn run<F: Flow>(
    state: &AppState,
    name: &str,
    flow: F,
) -> Result<(Ran<F::Output>, ServerView), IpcError> {
    let _turn = Turn::take(state, name)?;
    let runner = runner(state)?;
    let mut vault = flow_vault(state)?;
    let ran = runner.run(&mut vault, name, flow).await?;
    let server = finish(state, &vault, &ran.record)?;
    Ok((ran, server))
}

/// The runner, with the session's code clock.
fn runner(state: &AppState) -> Result<FlowRunner, IpcError> {
    let clock = state.session()?.settings.code_clock();
    Ok(FlowRunner::new(&state.vault_path, Arc::new(clock))?)
}

/// A second handle on the session's vault file, unlocked with the
/// session's key; dropping it wipes the key.
fn flow_vault(state: &AppState) -> Result<Vault, IpcError> {
    let mut session = state.session()?;
    Ok(unlocked(session.vault.as_mut())?.open_another()?)
}

/// Counts the flow as activity (auto-lock counts from its end), brings
/// the session's vault up to date and returns the server's view: from the
/// session's vault, or from the flow's handle when the session was locked
/// meanwhile (it reads the changes when it is unlocked).
fn finish(
    state: &AppState,
    flow_vault: &Vault,
    record: &ServerRecord,
) -> Result<ServerView, IpcError> {
    let mut session = state.session()?;
    let now_ms = session.settings.code_clock().now().unix_millis();
    let Session {
        vault,
        servers,
        last_activity,
        ..
    } = &mut *session;
    *last_activity = Instant::now();
    let shown = match vault.as_mut() {
        Some(vault) if vault.is_unlocked() => {
            vault.refresh()?;
            vault
        }
        _ => flow_vault,
    };
    Ok(view(shown, record, servers, now_ms))
}

/// One running flow's claim on a server; released when dropped.
struct Turn<'a> {
    state: &'a AppState,
    name: String,
}

impl<'a> Turn<'a> {
    /// Claims `name`: `Invalid` while another flow runs against it.
    fn take(state: &'a AppState, name: &str) -> Result<Self, IpcError> {
        let mut session = state.session()?;
        session.servers.claim(name)?;
        session.last_activity = Instant::now();
        Ok(Self {
            state,
            name: name.to_owned(),
        })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Ok(mut session) = self.state.session() {
            session.servers.release(&self.name);
        }
    }
}

fn view(vault: &Vault, record: &ServerRecord, activity: &FlowActivity, now_ms: u64) -> ServerView {
    let entry = record.account_id.and_then(|id| vault.get(id).ok());
    let two_factor = match entry {
        None => TwoFactorState::Off,
        Some(e) if e.details.tags.iter().any(|t| t == PENDING_TAG) => TwoFactorState::Pending,
        Some(_) => TwoFactorState::On,
    };
    let period_ms = entry
        .and_then(|e| e.account.period())
        .map_or(30_000, |p| u64::from(p) * 1000);
    let credentials = &record.credentials;
    ServerView {
        name: record.name.clone(),
        url: record.base_url.clone(),
        profile: record.profile.clone(),
        username: record.username.clone(),
        account: entry.map(AccountSummary::from),
        two_factor,
        last_code_at: record.last_step.map(|step| step.saturating_mul(period_ms)),
        credentials: KeptCredentials {
            password: credentials.password.is_some(),
            token: credentials.token.is_some(),
            cookies: credentials.cookies.keys().cloned().collect(),
        },
        retry_in_ms: record.wait_left_ms(now_ms),
        busy: activity.is_busy(&record.name),
        enrol_step: activity.step(&record.name),
    }
}

fn unlocked(vault: Option<&mut Vault>) -> Result<&mut Vault, IpcError> {
    match vault {
        Some(vault) if vault.is_unlocked() => Ok(vault),
        _ => Err(IpcError::new(
            IpcErrorCode::Locked,
            "unlock the vault to use servers",
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::core::server::ServerError;
    use crate::core::vault::VaultError;
    use crate::ipc::error::{IpcError, IpcErrorCode};

    #[test]
    fn server_errors_map_to_the_codes_the_screen_branches_on() {
        let cases = [
            (
                ServerError::LockedOut {
                    retry_after: Some(300),
                    message: "Locked".into(),
                },
                IpcErrorCode::RateLimited,
            ),
            (
                ServerError::RateLimited {
                    retry_after: None,
                    message: String::new(),
                },
                IpcErrorCode::RateLimited,
            ),
            (
                ServerError::InvalidCode {
                    message: "Invalid token".into(),
                },
                IpcErrorCode::Server,
            ),
            (
                ServerError::DuplicateServer { name: "s".into() },
                IpcErrorCode::AlreadyExists,
            ),
            (
                ServerError::UnknownServer { name: "s".into() },
                IpcErrorCode::NotFound,
            ),
            (
                ServerError::InsecureUrl {
                    host: "example.com".into(),
                },
                IpcErrorCode::Invalid,
            ),
            (ServerError::Vault(VaultError::Locked), IpcErrorCode::Locked),
        ];
        for (error, code) in cases {
            let text = error.to_string();
            let ipc = IpcError::from(error);
            assert_eq!(ipc.code, code, "{text}");
            assert_eq!(ipc.message, text);
        }
    }

    #[test]
    fn the_add_form_never_prints_its_secret() {
        let form: super::NewServer = serde_json::from_value(serde_json::json!({
            "name": "wiki", "profile": "syncano", "url": "https://example.com/",
            "username": "alice", "secret": "hunter2-secret", "register": false,
            "vaultPassword": "vault-pass-9"
        }))
        .unwrap();
        let debug = format!("{form:?}");
        assert!(!debug.contains("hunter2-secret"), "{debug}");
        assert!(!debug.contains("vault-pass-9"), "{debug}");
        assert!(
            debug.contains("<redacted>") && debug.contains("alice"),
            "{debug}"
        );
    }
}

/// Enrolment through the commands against a Syncano-shaped server on
/// loopback that holds each verification until the test answers it, to
/// look at the vault file while the server has not confirmed.
#[cfg(test)]
mod flow_tests {
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{mpsc, oneshot};

    use super::{EnrolStep, NewServer, TwoFactorState};
    use crate::core::clock::SystemClock;
    use crate::core::secret::SecretString;
    use crate::core::server::{PENDING_TAG, ServerStore, VaultServerStore, server_tag};
    use crate::core::settings::Settings;
    use crate::core::vault::{KdfParams, Vault};
    use crate::ipc::state::{AppState, vault_clock};

    const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const PASSWORD: &str = "vault pass 3f9a";
    const NAME: &str = "wiki";
    const WAIT: Duration = Duration::from_secs(30);

    /// A verification the server holds: send the status to answer with.
    type Held = oneshot::Sender<u16>;

    /// Answers Syncano's login and setup at once; hands each verification
    /// to the test and answers it with the status the test sends back.
    async fn start_server() -> (String, mpsc::Receiver<Held>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let (held, verifications) = mpsc::channel(4);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, held.clone()));
            }
        });
        (url, verifications)
    }

    async fn answer(mut stream: TcpStream, held: mpsc::Sender<Held>) {
        let path = read_request(&mut stream).await;
        let (status, body) = if path.ends_with("/two-factor-auth/login/") {
            (200, r#"{"token":"session-token-5d1"}"#.to_owned())
        } else if path.ends_with("/setup-two-factor/") {
            (200, format!(r#"{{"tempSecret":"{SEED}"}}"#))
        } else if path.ends_with("/verify-token/") {
            let (release, status) = oneshot::channel();
            held.send(release).await.unwrap();
            match status.await.unwrap_or(500) {
                200 => (200, "{}".to_owned()),
                other => (other, r#"{"message":"Internal error"}"#.to_owned()),
            }
        } else {
            (404, r#"{"message":"Not found"}"#.to_owned())
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
    }

    /// Reads one request (head and body); returns its path.
    async fn read_request(stream: &mut TcpStream) -> String {
        let mut data = Vec::new();
        let mut chunk = [0_u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the client hung up mid-request");
            data.extend_from_slice(&chunk[..n]);
            let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if data.len() >= end + 4 + length {
                return head.split(' ').nth(1).unwrap().to_owned();
            }
        }
    }

    fn unlocked_state(path: &Path) -> Arc<AppState> {
        let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
        drop(Vault::create(path, &SecretString::from(PASSWORD), kdf, vault_clock()).unwrap());
        let state = AppState::with_settings(path.to_owned(), None, Settings::default());
        state
            .with_vault(|vault, _| Ok(vault.unlock_with_password(&SecretString::from(PASSWORD))?))
            .unwrap();
        Arc::new(state)
    }

    async fn add_server(state: &AppState, url: &str) {
        let form = NewServer {
            name: NAME.into(),
            profile: "syncano".into(),
            url: url.into(),
            username: Some("alice".into()),
            secret: "server pass 81c2".into(),
            register: false,
            vault_password: Some(PASSWORD.into()),
        };
        super::add(state, form).await.unwrap();
    }

    /// The vault file as another process sees it.
    fn reopened(path: &Path) -> Vault {
        let mut vault = Vault::open(path, Arc::new(SystemClock)).unwrap();
        vault
            .unlock_with_password(&SecretString::from(PASSWORD))
            .unwrap();
        vault
    }

    /// The accounts tagged for the server in `vault`: (id, pending, seed).
    fn server_accounts(vault: &Vault) -> Vec<(uuid::Uuid, bool, Vec<u8>)> {
        vault
            .entries()
            .unwrap()
            .iter()
            .filter(|e| e.details.tags.contains(&server_tag(NAME)))
            .map(|e| {
                (
                    e.id,
                    e.details.tags.iter().any(|t| t == PENDING_TAG),
                    e.account.secret.expose().to_vec(),
                )
            })
            .collect()
    }

    fn seed() -> Vec<u8> {
        data_encoding::BASE32_NOPAD.decode(SEED.as_bytes()).unwrap()
    }

    async fn held_verification(verifications: &mut mpsc::Receiver<Held>) -> Held {
        tokio::time::timeout(WAIT, verifications.recv())
            .await
            .expect("the enrolment never sent its code")
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pending_account_is_in_the_vault_file_before_the_server_verifies() {
        let (url, mut verifications) = start_server().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.tessera");
        let state = unlocked_state(&path);
        add_server(&state, &url).await;

        let running = tokio::spawn({
            let state = Arc::clone(&state);
            async move { super::enrol(&state, NAME.to_owned()).await }
        });
        let release = held_verification(&mut verifications).await;

        // Before the server answers, the seed it handed out is in the file,
        // tagged pending, for any other handle (a crash now loses nothing).
        let stored = server_accounts(&reopened(&path));
        assert_eq!(stored.len(), 1, "{} accounts", stored.len());
        assert!(stored[0].1, "tagged pending");
        assert_eq!(stored[0].2, seed());
        // The window is free meanwhile and shows the step.
        let listed = super::list(&state).await.unwrap();
        assert!(listed[0].busy);
        assert_eq!(listed[0].enrol_step, Some(EnrolStep::Verify));
        // A second flow on the same server is refused while this one runs.
        let refused = super::status(&state, NAME.to_owned()).await.unwrap_err();
        assert_eq!(refused.code, crate::ipc::error::IpcErrorCode::Invalid);
        assert!(
            refused.message.contains("already running"),
            "{}",
            refused.message
        );

        // Locked while the server answers: the confirmation still reaches
        // the file, and the answer says how the flow went.
        state.session().unwrap().lock();
        release.send(200).unwrap();
        let report = tokio::time::timeout(WAIT, running)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(report.failure, None, "{report:?}");
        assert_eq!(report.failed_at, None);
        assert_eq!(report.server.two_factor, TwoFactorState::On);

        let mut file = reopened(&path);
        let accounts = server_accounts(&file);
        assert_eq!(accounts.len(), 1, "one account, confirmed");
        let (id, pending, secret) = accounts[0].clone();
        assert!(!pending);
        assert_eq!(secret, seed());
        assert_eq!(
            report.account.map(|a| a.id),
            Some(id.hyphenated().to_string())
        );
        let record = VaultServerStore::new(&mut file).load(NAME).unwrap();
        assert_eq!(record.account_id, Some(id));
        assert!(record.credentials.token.is_some(), "the session is kept");

        // Unlocked again, the window reads what the flow stored.
        state
            .with_vault(|vault, _| Ok(vault.unlock_with_password(&SecretString::from(PASSWORD))?))
            .unwrap();
        let listed = super::list(&state).await.unwrap();
        assert_eq!(listed[0].two_factor, TwoFactorState::On);
        assert!(!listed[0].busy);
        assert_eq!(listed[0].enrol_step, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_verification_with_no_clear_answer_keeps_the_account_pending() {
        let (url, mut verifications) = start_server().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.tessera");
        let state = unlocked_state(&path);
        add_server(&state, &url).await;

        let running = tokio::spawn({
            let state = Arc::clone(&state);
            async move { super::enrol(&state, NAME.to_owned()).await }
        });
        held_verification(&mut verifications)
            .await
            .send(500)
            .unwrap();
        let report = tokio::time::timeout(WAIT, running)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(report.failed_at, Some(EnrolStep::Verify), "{report:?}");
        assert!(report.failure.is_some());
        assert_eq!(report.server.two_factor, TwoFactorState::Pending);

        let accounts = server_accounts(&reopened(&path));
        assert_eq!(accounts.len(), 1);
        assert!(accounts[0].1, "still pending");
        assert_eq!(accounts[0].2, seed());
        assert_eq!(
            report.account.map(|a| a.id),
            Some(accounts[0].0.hyphenated().to_string())
        );
        let accounts = state
            .with_vault(|vault, _| Ok(server_accounts(vault)))
            .unwrap();
        assert_eq!(accounts.len(), 1, "the window's vault has it too");
    }
}
