//! Servers the user added and the two-factor flows run against them (add,
//! list, sign in, enrol, status, log in, disable, remove), and the clock
//! check against a server's `Date` header.
//!
//! Credentials typed into the add form go straight into the server's vault
//! record. What is returned carries names, URLs, states, accounts' labels
//! and the server's cleaned messages; never a password, token, cookie,
//! seed or code.
//!
//! The flows do HTTP, so none holds the session while it waits: each opens
//! a second handle on the vault file with the session's key
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
//! Must never: hold the session mutex across an `.await`, return a
//! credential, or drop a seed the server handed out.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::core::clock::{Clock, SystemClock};
use crate::core::secret::SecretString;
use crate::core::server::clock_check::{self, ClockReading};
pub use crate::core::server::{CredentialKind, EnrolStep};
use crate::core::server::{
    Disable, Enrol, Flow, FlowActivity, FlowRunner, Http, HttpOptions, Label, Login, LoginWith,
    OpName, PENDING_TAG, Profile, Ran, ServerError, ServerRecord, SignIn, Status, VaultServerStore,
    profiles_dir,
};
use crate::core::vault::Vault;

use super::views::AccountSummary;
use super::{AppState, Result, Session};

/// Whether two-factor sign-in is on, as far as the vault knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct KeptCredentials {
    pub password: bool,
    pub token: bool,
    /// Cookie names.
    pub cookies: Vec<String>,
}

/// One server as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
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
#[derive(Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
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

/// What the server said about two-factor sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ServerStatus {
    pub server: ServerView,
    pub enabled: bool,
}

/// What disabling did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Disabled {
    pub server: ServerView,
    /// The account tagged `archived` (its seed is kept).
    pub archived_account: Option<String>,
}

/// What a clock check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
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

/// How enrolment went.
#[derive(Debug)]
pub struct Enrolled {
    pub server: ServerView,
    /// The account stored: confirmed when `failure` is `None`, else kept
    /// as pending (so that no seed is lost) or `None` if the server never
    /// handed out a secret or refused its first code.
    pub account: Option<AccountSummary>,
    /// The step that failed (`None`: every step passed).
    pub failed_at: Option<EnrolStep>,
    /// Why, with the server's own message where it gave one.
    pub failure: Option<ServerError>,
}

const SERVERS_NEED_UNLOCK: &str = "unlock the vault to use servers";

impl AppState {
    /// Every server in the order added.
    ///
    /// # Errors
    /// `Locked`; reading the records.
    pub fn list_servers(&self) -> Result<Vec<ServerView>> {
        let mut session = self.session()?;
        let now_ms = session.settings.code_clock().now().unix_millis();
        let Session { vault, servers, .. } = &mut *session;
        let vault = super::unlocked(vault, SERVERS_NEED_UNLOCK)?;
        vault.refresh()?;
        let records = VaultServerStore::new(vault).records()?;
        Ok(records
            .iter()
            .map(|(_, record)| ServerView::of(vault, record, servers, now_ms))
            .collect())
    }

    /// The built-in profiles, then those in `profiles/` beside the vault.
    ///
    /// # Errors
    /// A profile file that cannot be read.
    pub fn server_profiles(&self) -> Result<Vec<ProfileView>> {
        let builtins: Vec<String> = Profile::builtins()?.into_iter().map(|p| p.name).collect();
        Ok(Profile::all(Some(&profiles_dir(&self.vault_path)))?
            .iter()
            .map(|profile| ProfileView {
                name: profile.name.clone(),
                description: profile.description.clone(),
                builtin: builtins.contains(&profile.name),
                credential: profile.credential_kind(),
                can_register: profile.has(OpName::Register),
                can_check_status: profile.has(OpName::Status),
            })
            .collect())
    }

    /// Adds a server; with `register`, creates the user on it first. The
    /// secret goes into the vault record only. A host no server of the
    /// vault has needs the vault password (checked without holding the
    /// session).
    ///
    /// # Errors
    /// `NewHostUnconfirmed`, `WrongPassword`, `DuplicateServer`, the
    /// registration's.
    pub async fn add_server(&self, mut form: NewServer) -> Result<ServerView> {
        let secret = SecretString::new(std::mem::take(&mut form.secret));
        let runner = self.flow_runner()?;
        let profile = runner.profile(&form.profile)?;
        let mut server = crate::core::server::NewServer::with_secret(
            &form.name,
            &profile,
            &form.url,
            form.username.as_deref(),
            secret,
        );
        server.register = form.register;
        if let Some(password) = form
            .vault_password
            .take()
            .map(SecretString::new)
            .filter(|p| !p.is_empty())
        {
            self.check_password(&password, SERVERS_NEED_UNLOCK)?;
            server.host_confirmed = true;
        }
        let _turn = Turn::take(self, &server.name)?;
        let mut vault = self.flow_vault()?;
        let record = runner.add(&mut vault, server).await?;
        self.finish_flow(&vault, &record)
    }

    /// Deletes a server's record (its credentials with it). The linked
    /// account stays in the vault.
    ///
    /// # Errors
    /// `Busy` while a flow runs against it; `UnknownServer`; `Locked`.
    pub fn remove_server(&self, name: &str) -> Result<()> {
        let mut session = self.session()?;
        let Session { vault, servers, .. } = &mut *session;
        if servers.is_busy(name) {
            return Err(ServerError::Busy {
                server: name.to_owned(),
            }
            .into());
        }
        FlowRunner::remove(super::unlocked(vault, SERVERS_NEED_UNLOCK)?, name)?;
        Ok(())
    }

    /// Signs in (the first step of enrolment): reuses a kept session or
    /// logs in with the password, with a code too if the server asks and
    /// an account is linked.
    ///
    /// # Errors
    /// The flow's.
    pub async fn server_sign_in(&self, name: &str) -> Result<ServerView> {
        let (ran, server) = self.run_flow(name, SignIn).await?;
        ran.outcome?;
        Ok(server)
    }

    /// Switches two-factor sign-in on: the profile's enrolment (request
    /// the secret, store the account as pending, verify a fresh code). A
    /// refusal by the server is reported in the answer with the step it
    /// stopped at; `Err` means the flow could not start or its results not
    /// be stored.
    ///
    /// # Errors
    /// As above.
    pub async fn server_enrol(&self, name: &str) -> Result<Enrolled> {
        let reported = name.to_owned();
        let enrol = Enrol {
            label: Label::default(),
            on_step: Some(Box::new(move |step| {
                if let Ok(mut session) = self.session() {
                    session.servers.report(&reported, step);
                }
            })),
        };
        let (ran, server) = self.run_flow(name, enrol).await?;
        Ok(Enrolled {
            account: server.account.clone(),
            server,
            failed_at: ran.failed_at,
            failure: ran.outcome.err(),
        })
    }

    /// Asks the server whether two-factor sign-in is on.
    ///
    /// # Errors
    /// The flow's.
    pub async fn server_status(&self, name: &str) -> Result<ServerStatus> {
        let (ran, server) = self.run_flow(name, Status).await?;
        Ok(ServerStatus {
            server,
            enabled: ran.outcome?,
        })
    }

    /// Logs in with a fresh code, or with the next unused backup code
    /// (marked used once the server has seen it).
    ///
    /// # Errors
    /// The flow's.
    pub async fn server_login(&self, name: &str, backup_code: bool) -> Result<ServerView> {
        let with = if backup_code {
            LoginWith::BackupCode
        } else {
            LoginWith::Code
        };
        let (ran, server) = self.run_flow(name, Login(with)).await?;
        ran.outcome?;
        Ok(server)
    }

    /// Switches two-factor sign-in off; once the server confirms, the
    /// linked account is tagged `archived` (its seed is kept) and unlinked.
    ///
    /// # Errors
    /// The flow's.
    pub async fn server_disable(&self, name: &str) -> Result<Disabled> {
        let (ran, server) = self.run_flow(name, Disable).await?;
        let archived = ran.outcome?;
        Ok(Disabled {
            server,
            archived_account: archived.map(|id| id.hyphenated().to_string()),
        })
    }

    /// Compares this computer's clock with the `Date` header of the server
    /// at `url`: `https://`, or `http://` to this computer only. A host no
    /// configured server has needs the vault password: whoever drives the
    /// window must not make Tessera send requests where they like.
    ///
    /// # Errors
    /// `NewHostUnconfirmed`, `WrongPassword`, the request's.
    pub async fn server_clock_check(
        &self,
        url: &str,
        vault_password: Option<&SecretString>,
    ) -> Result<ClockCheck> {
        let url = url.trim();
        let confirmed = match vault_password.filter(|p| !p.is_empty()) {
            Some(password) => {
                self.check_password(password, SERVERS_NEED_UNLOCK)?;
                true
            }
            None => false,
        };
        let current_offset_ms = self.with_vault(|vault, settings| {
            vault.refresh()?;
            FlowRunner::check_host(vault, url, confirmed)?;
            Ok(settings.clock_offset_ms)
        })?;
        let http = Http::new(HttpOptions::default())?;
        let reading: ClockReading = clock_check::check_clock(&http, url, &SystemClock).await?;
        Ok(ClockCheck {
            url: url.to_owned(),
            offset_ms: reading.offset_ms,
            uncertainty_ms: reading.uncertainty_ms,
            round_trip_ms: reading.round_trip_ms,
            server_date: reading.server_date.unix_millis(),
            current_offset_ms,
        })
    }

    /// Runs `flow` against server `name` on a second handle on the
    /// session's vault file, so that what the flow stores is committed to
    /// the file there and then, and the session stays free while the
    /// server answers. Returns what the flow did and the server's view
    /// afterwards.
    async fn run_flow<F: Flow>(&self, name: &str, flow: F) -> Result<(Ran<F::Output>, ServerView)> {
        let _turn = Turn::take(self, name)?;
        let runner = self.flow_runner()?;
        let mut vault = self.flow_vault()?;
        let ran = runner.run(&mut vault, name, flow).await?;
        let server = self.finish_flow(&vault, &ran.record)?;
        Ok((ran, server))
    }

    /// The runner, with the session's code clock.
    fn flow_runner(&self) -> Result<FlowRunner> {
        let clock = self.session()?.settings.code_clock();
        Ok(FlowRunner::new(&self.vault_path, Arc::new(clock))?)
    }

    /// A second handle on the session's vault file, unlocked with the
    /// session's key; dropping it wipes the key.
    fn flow_vault(&self) -> Result<Vault> {
        let mut session = self.session()?;
        Ok(session.unlocked(SERVERS_NEED_UNLOCK)?.open_another()?)
    }

    /// Counts the flow as activity (auto-lock counts from its end), brings
    /// the session's vault up to date and returns the server's view: from
    /// the session's vault, or from the flow's handle when the session was
    /// locked meanwhile (it reads the changes when it is unlocked).
    fn finish_flow(&self, flow_vault: &Vault, record: &ServerRecord) -> Result<ServerView> {
        let mut session = self.session()?;
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
        Ok(ServerView::of(shown, record, servers, now_ms))
    }
}

/// One running flow's claim on a server; released when dropped.
struct Turn<'a> {
    state: &'a AppState,
    name: String,
}

impl<'a> Turn<'a> {
    /// Claims `name`: `Busy` while another flow runs against it.
    fn take(state: &'a AppState, name: &str) -> Result<Self> {
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

impl ServerView {
    fn of(vault: &Vault, record: &ServerRecord, activity: &FlowActivity, now_ms: u64) -> Self {
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
        Self {
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
}

#[cfg(test)]
mod tests {
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
