//! [`FlowRunner`]: one user action against one server, the same for the
//! window and the CLI. It loads the server's record from the vault, picks
//! its profile, runs one flow of [`ServerClient`] and saves the record back
//! whatever the outcome: the session the flow obtained (token, cookies),
//! the linked account, the last time step sent, the user id, and the wait
//! a 429 or a lockout asked for. Adding a server (and registering the user
//! first, where asked) goes through it too.
//!
//! Rules kept here: a server whose wait has not ended is not asked (the
//! wait is in the record, so every process on the vault keeps it); after
//! the server refused a kept session token that a password login can
//! replace, the token is forgotten so that the next flow logs in again
//! (pasted tokens and cookies stay); a record another process removed
//! while the flow ran is not brought back.
//!
//! Must never: ask a server before its wait is over, or keep a credential
//! anywhere but the vault.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::discover::{Label, qr_decoder};
use super::error::ServerError;
use super::flows::{EnrolStep, LoginWith, ServerClient, TokioPause};
use super::http::{Http, HttpOptions, parse_base_url};
use super::profile::{AuthStyle, OpName, Profile};
use super::record::{ServerRecord, ServerStore};
use super::store::VaultServerStore;
use crate::core::clock::Clock;
use crate::core::secret::SecretString;
use crate::core::vault::Vault;

/// Which one secret a profile signs in with (what an add form asks for).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// The account's password (the client signs in itself).
    Password,
    /// A session token copied from the service.
    Token,
    /// A session cookie (`name=value; ...` or a bare JWT).
    Cookie,
}

impl Profile {
    /// The secret this profile signs in with.
    pub fn credential_kind(&self) -> CredentialKind {
        match self.auth {
            AuthStyle::Cookie => CredentialKind::Cookie,
            _ if self.has(OpName::Login) || self.has(OpName::Register) => CredentialKind::Password,
            _ => CredentialKind::Token,
        }
    }
}

/// A server to add. `Debug` leaves the secrets out.
pub struct NewServer {
    pub name: String,
    pub profile: String,
    pub url: String,
    pub username: Option<String>,
    /// The password.
    pub password: Option<SecretString>,
    /// A session (bearer or body) token.
    pub token: Option<SecretString>,
    /// A session cookie: a bare JWT (kept under the profile's cookie
    /// name) or `name=value; ...`.
    pub cookie: Option<SecretString>,
    /// Create the user on the server before keeping the record.
    pub register: bool,
    /// Whether the user confirmed sending to this server's host, where no
    /// server of the vault is yet (the CLI's command is that confirmation;
    /// the window asks for the vault password).
    pub host_confirmed: bool,
}

impl NewServer {
    /// A server signing in with `secret` as `profile` asks
    /// ([`Profile::credential_kind`]); an empty secret is none.
    pub fn with_secret(
        name: &str,
        profile: &Profile,
        url: &str,
        username: Option<&str>,
        secret: SecretString,
    ) -> Self {
        let (mut password, mut token, mut cookie) = (None, None, None);
        if !secret.expose().trim().is_empty() {
            match profile.credential_kind() {
                CredentialKind::Password => password = Some(secret),
                CredentialKind::Token => token = Some(SecretString::from(secret.expose().trim())),
                CredentialKind::Cookie => cookie = Some(SecretString::from(secret.expose().trim())),
            }
        }
        Self {
            name: name.trim().to_owned(),
            profile: profile.name.clone(),
            url: url.trim().to_owned(),
            username: username
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
            password,
            token,
            cookie,
            register: false,
            host_confirmed: false,
        }
    }
}

impl std::fmt::Debug for NewServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewServer")
            .field("name", &self.name)
            .field("profile", &self.profile)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.is_some())
            .field("token", &self.token.is_some())
            .field("cookie", &self.cookie.is_some())
            .field("register", &self.register)
            .field("host_confirmed", &self.host_confirmed)
            .finish()
    }
}

/// What one flow did.
#[derive(Debug)]
pub struct Ran<T> {
    /// The flow's own outcome.
    pub outcome: Result<T, ServerError>,
    /// The record as saved after the flow.
    pub record: ServerRecord,
    /// For an enrolment that failed: the step it failed at.
    pub failed_at: Option<EnrolStep>,
}

/// Runs the flows of one vault's servers: the profiles it knows (built-in,
/// then `profiles/` beside the vault) and one client.
pub struct FlowRunner {
    profiles_dir: PathBuf,
    client: ServerClient,
    clock: Arc<dyn Clock>,
}

impl FlowRunner {
    /// A runner for the vault at `vault_path`, reading the time from
    /// `clock` (the code clock: the user's clock offset applied), over
    /// real HTTP with the default limits.
    pub fn new(vault_path: &Path, clock: Arc<dyn Clock>) -> Result<Self, ServerError> {
        let client = ServerClient::new(
            Http::new(HttpOptions::default())?,
            Arc::clone(&clock),
            Arc::new(TokioPause),
            Some(qr_decoder()),
        );
        Ok(Self::with_client(profiles_dir(vault_path), client, clock))
    }

    /// A runner with its own client (tests move a fixed clock instead of
    /// waiting); `clock` must be the client's.
    pub fn with_client(profiles_dir: PathBuf, client: ServerClient, clock: Arc<dyn Clock>) -> Self {
        Self {
            profiles_dir,
            client,
            clock,
        }
    }

    /// Every profile: built-in, then the user's.
    pub fn profiles(&self) -> Result<Vec<Profile>, ServerError> {
        Profile::all(Some(&self.profiles_dir))
    }

    /// The profile `name`, or `UnknownProfile`.
    pub fn profile(&self, name: &str) -> Result<Profile, ServerError> {
        self.profiles()?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ServerError::UnknownProfile {
                name: name.to_owned(),
            })
    }

    /// Unix milliseconds by the runner's clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.now().unix_millis()
    }

    /// Adds `server` to the vault: checks the name is free and the URL
    /// usable, refuses a host no server of the vault has until the user
    /// confirmed it (`NewHostUnconfirmed`: whoever drives the window must
    /// not make Tessera send what it likes to any host), registers the user
    /// first when asked, and keeps the record (with the session a
    /// registration answered). Returns the record.
    pub async fn add(
        &self,
        vault: &mut Vault,
        server: NewServer,
    ) -> Result<ServerRecord, ServerError> {
        let profile = self.profile(&server.profile)?;
        let mut record = ServerRecord::new(server.name.clone(), profile.name.clone(), &server.url)?;
        record.username = server.username;
        record.credentials.password = server.password;
        record.credentials.token = server.token;
        if let Some(cookie) = &server.cookie {
            record
                .credentials
                .set_cookies_from(cookie.expose(), profile.cookie_name());
        }
        vault.refresh()?;
        if VaultServerStore::new(vault).names()?.contains(&record.name) {
            return Err(ServerError::DuplicateServer { name: record.name });
        }
        Self::check_host(vault, &record.base_url, server.host_confirmed)?;
        if server.register {
            self.client.register(&profile, &mut record).await?;
            vault.refresh()?;
        }
        VaultServerStore::new(vault).add(record.clone())?;
        Ok(record)
    }

    /// Refuses `url` (`InvalidUrl`, `InsecureUrl`) and, unless `confirmed`,
    /// a host that no server of `vault` has (`NewHostUnconfirmed`; a locked
    /// vault knows no host): Tessera sends what the caller chose only to
    /// hosts the user confirmed.
    pub fn check_host(vault: &mut Vault, url: &str, confirmed: bool) -> Result<(), ServerError> {
        let host = parse_base_url(url)?
            .host_str()
            .unwrap_or_default()
            .to_owned();
        if confirmed {
            return Ok(());
        }
        let known = if vault.is_unlocked() {
            VaultServerStore::new(vault).records()?
        } else {
            Vec::new()
        };
        if known.iter().any(|(_, r)| r.host() == host) {
            Ok(())
        } else {
            Err(ServerError::NewHostUnconfirmed { host })
        }
    }

    /// Removes server `name` from the vault (its account stays).
    pub fn remove(vault: &mut Vault, name: &str) -> Result<(), ServerError> {
        vault.refresh()?;
        VaultServerStore::new(vault).remove(name)
    }

    /// Runs `flow` against server `name`, storing into `vault` as it goes
    /// (the pending account as soon as the server hands out its secret, a
    /// used backup code), and saves the record afterwards.
    ///
    /// # Errors
    /// `UnknownServer`, `UnknownProfile`, `AskedToWait` (nothing was
    /// sent), or a vault error loading or saving the record; the flow's
    /// own failure is in [`Ran::outcome`].
    pub async fn run<F: Flow>(
        &self,
        vault: &mut Vault,
        name: &str,
        flow: F,
    ) -> Result<Ran<F::Output>, ServerError> {
        vault.refresh()?;
        let mut record = VaultServerStore::new(vault).load(name)?;
        if let Some(seconds) = record.wait_left_s(self.now_ms()) {
            return Err(ServerError::AskedToWait {
                server: name.to_owned(),
                seconds,
            });
        }
        let profile = self.profile(&record.profile)?;
        let steps = Steps::default();
        let outcome = flow
            .run(&self.client, &profile, &mut record, vault, &steps)
            .await;
        match &outcome {
            Err(error) => {
                if let Some(seconds) = error.retry_after() {
                    record.wait_until_ms =
                        Some(self.now_ms().saturating_add(seconds.saturating_mul(1000)));
                }
                if matches!(error, ServerError::Unauthorized { .. })
                    && record.credentials.password.is_some()
                    && profile.has(OpName::Login)
                {
                    record.credentials.token = None;
                }
            }
            Ok(_) => record.wait_until_ms = None,
        }
        vault.refresh()?;
        match VaultServerStore::new(vault).save(&record) {
            Ok(()) | Err(ServerError::UnknownServer { .. }) => {}
            Err(error) => return Err(error),
        }
        let failed_at = outcome.as_ref().err().and_then(|_| steps.last());
        Ok(Ran {
            outcome,
            record,
            failed_at,
        })
    }
}

impl std::fmt::Debug for FlowRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowRunner")
            .field("profiles_dir", &self.profiles_dir)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// Which servers have a flow running in this process, and the step each
/// running enrolment reported last: one flow per server at a time.
#[derive(Debug, Default)]
pub struct FlowActivity {
    busy: HashSet<String>,
    steps: HashMap<String, EnrolStep>,
}

impl FlowActivity {
    /// Claims server `name` for one flow; `Busy` while another runs.
    pub fn claim(&mut self, name: &str) -> Result<(), ServerError> {
        if self.busy.insert(name.to_owned()) {
            Ok(())
        } else {
            Err(ServerError::Busy {
                server: name.to_owned(),
            })
        }
    }

    /// Ends the flow on `name`.
    pub fn release(&mut self, name: &str) {
        self.busy.remove(name);
        self.steps.remove(name);
    }

    /// Notes that the enrolment running on `name` began `step`.
    pub fn report(&mut self, name: &str, step: EnrolStep) {
        if self.busy.contains(name) {
            self.steps.insert(name.to_owned(), step);
        }
    }

    /// Whether a flow runs on `name`.
    pub fn is_busy(&self, name: &str) -> bool {
        self.busy.contains(name)
    }

    /// The step the enrolment running on `name` began last.
    pub fn step(&self, name: &str) -> Option<EnrolStep> {
        self.steps.get(name).copied()
    }
}

/// `profiles/` beside the vault: where the user's own profiles are.
pub fn profiles_dir(vault_path: &Path) -> PathBuf {
    vault_path
        .parent()
        .map_or_else(|| PathBuf::from("profiles"), |d| d.join("profiles"))
}

/// The last enrolment step a flow reported.
#[derive(Debug, Default)]
pub struct Steps {
    last: Mutex<Option<EnrolStep>>,
}

impl Steps {
    fn report(&self, step: EnrolStep) {
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(step);
    }

    fn last(&self) -> Option<EnrolStep> {
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One flow of [`ServerClient`], as [`FlowRunner::run`] runs it.
pub trait Flow: Send {
    type Output: Send;

    /// Runs the flow on `record`, storing into `vault`.
    fn run<'a>(
        self,
        client: &'a ServerClient,
        profile: &'a Profile,
        record: &'a mut ServerRecord,
        vault: &'a mut Vault,
        steps: &'a Steps,
    ) -> impl Future<Output = Result<Self::Output, ServerError>> + Send;
}

/// Makes sure a session is kept (a login where needed, with a code if
/// the server asks for one).
#[derive(Debug)]
pub struct SignIn;

impl Flow for SignIn {
    type Output = ();

    async fn run(
        self,
        client: &ServerClient,
        profile: &Profile,
        record: &mut ServerRecord,
        vault: &mut Vault,
        _: &Steps,
    ) -> Result<(), ServerError> {
        client.open_session(profile, record, vault).await
    }
}

/// Creates the user on the server.
#[derive(Debug)]
pub struct Register;

impl Flow for Register {
    type Output = ();

    async fn run(
        self,
        client: &ServerClient,
        profile: &Profile,
        record: &mut ServerRecord,
        _: &mut Vault,
        _: &Steps,
    ) -> Result<(), ServerError> {
        client.register(profile, record).await
    }
}

/// Switches 2FA on; the output is the new account's id.
pub struct Enrol<'a> {
    pub label: Label,
    /// Told each step as it begins (the window's stepper).
    pub on_step: Option<Box<dyn Fn(EnrolStep) + Send + Sync + 'a>>,
}

impl std::fmt::Debug for Enrol<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrol")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Flow for Enrol<'_> {
    type Output = Uuid;

    async fn run(
        self,
        client: &ServerClient,
        profile: &Profile,
        record: &mut ServerRecord,
        vault: &mut Vault,
        steps: &Steps,
    ) -> Result<Uuid, ServerError> {
        let on_step = self.on_step;
        let report = move |step: EnrolStep| {
            steps.report(step);
            if let Some(listener) = &on_step {
                listener(step);
            }
        };
        client
            .enrol_reporting(profile, record, vault, &self.label, &report)
            .await
    }
}

/// Whether 2FA is on, after making sure a session is kept.
#[derive(Debug)]
pub struct Status;

impl Flow for Status {
    type Output = bool;

    async fn run(
        self,
        client: &ServerClient,
        profile: &Profile,
        record: &mut ServerRecord,
        vault: &mut Vault,
        _: &Steps,
    ) -> Result<bool, ServerError> {
        client.open_session(profile, record, vault).await?;
        client.status(profile, record).await
    }
}

/// Logs in with a fresh code or the next unused backup code.
#[derive(Debug)]
pub struct Login(pub LoginWith);

impl Flow for Login {
    type Output = ();

    async fn run(
        self,
        client: &ServerClient,
        profile: &Profile,
        record: &mut ServerRecord,
        vault: &mut Vault,
        _: &Steps,
    ) -> Result<(), ServerError> {
        client.login(profile, record, vault, self.0).await
    }
}

/// Switches 2FA off; the output is the archived account's id, if it is
/// still in the vault.
#[derive(Debug)]
pub struct Disable;

impl Flow for Disable {
    type Output = Option<Uuid>;

    async fn run(
        self,
        client: &ServerClient,
        profile: &Profile,
        record: &mut ServerRecord,
        vault: &mut Vault,
        _: &Steps,
    ) -> Result<Option<Uuid>, ServerError> {
        let archived = client.disable(profile, record, vault).await?;
        Ok(archived.filter(|id| vault.get(*id).is_ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::{CredentialKind, NewServer};
    use crate::core::secret::SecretString;
    use crate::core::server::Profile;

    #[test]
    fn each_builtin_profile_asks_for_what_it_signs_in_with() {
        let kind = |name: &str| Profile::builtin(name).unwrap().credential_kind();
        assert_eq!(kind("syncano"), CredentialKind::Password);
        assert_eq!(kind("daptin"), CredentialKind::Password);
        assert_eq!(kind("nest-jwt"), CredentialKind::Cookie);
        assert_eq!(kind("laravel-google2fa"), CredentialKind::Token);
    }

    #[test]
    fn one_secret_becomes_the_credential_the_profile_signs_in_with() {
        let new = |profile: &str, secret: &str| {
            NewServer::with_secret(
                " wiki ",
                &Profile::builtin(profile).unwrap(),
                " https://example.com/ ",
                Some("  "),
                SecretString::from(secret),
            )
        };
        let syncano = new("syncano", " pass word ");
        assert_eq!(
            syncano.password.as_ref().map(SecretString::expose),
            Some(" pass word "),
            "a password is kept as typed"
        );
        assert!(syncano.token.is_none() && syncano.cookie.is_none());
        assert_eq!((syncano.name.as_str(), syncano.username), ("wiki", None));
        let laravel = new("laravel-google2fa", " tok-1 ");
        assert_eq!(
            laravel.token.as_ref().map(SecretString::expose),
            Some("tok-1")
        );
        let nest = new("nest-jwt", "jwt=a.b.c");
        assert_eq!(
            nest.cookie.as_ref().map(SecretString::expose),
            Some("jwt=a.b.c")
        );
        let empty = new("syncano", "   ");
        assert!(empty.password.is_none());
        let debug = format!("{nest:?}");
        assert!(!debug.contains("a.b.c"), "{debug}");
    }
}
