//! [`ServerClient`]: the flows — `register`, `enrol`, `login`, `status`,
//! `disable` — run against one [`ServerRecord`] with its [`Profile`].
//!
//! Rules kept here (`docs/server-profiles.md`): a code is generated from
//! the stored secret at submit time; with fewer than 3 s left in the
//! period, or when this server already got the current time step, the
//! client waits for the next step (bounded); a refusal, a 429 or a lockout
//! is reported with its wait and never retried (a refused session is
//! renewed once through the profile's `refresh`, and the request sent
//! once more); the local account is
//! stored as pending before verification, marked enabled only after the
//! server confirms, and archived only after the server confirms disabling.
//!
//! Must never: send a time step twice to one server (unless the profile
//! says it accepts that), retry a refused code, or put a credential or a
//! code into an error.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::Method;
use serde_json::Value as Json;
use uuid::Uuid;

use super::discover::{Label, QrDecoder, discover};
use super::error::{ServerError, clean_message};
use super::http::{Answer, Http, Request, join, parse_base_url};
use super::profile::{AuthStyle, ErrorKind, OpName, Profile, UserIdSource, Vars, lookup};
use super::record::ServerRecord;
use crate::core::clock::Clock;
use crate::core::otp::{Account, OtpKind, code_at};
use crate::core::secret::SecretString;
use crate::core::vault::{Details, Vault};

/// Tag of an account whose enrolment is not confirmed by the server.
pub const PENDING_TAG: &str = "pending";
/// Tag of an account whose 2FA was switched off on the server.
pub const ARCHIVED_TAG: &str = "archived";
/// Fewest milliseconds left in a period for a code to be submitted.
pub const MIN_REMAINING_MS: u64 = 3000;

/// The tag linking an account to its server.
pub fn server_tag(server: &str) -> String {
    format!("server:{server}")
}

/// Waiting, injected so tests can move a fixed clock instead of sleeping.
pub trait Pause: Send + Sync {
    /// Waits `duration`.
    fn pause(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Real waiting, with tokio's timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioPause;

impl Pause for TokioPause {
    fn pause(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// How to log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginWith {
    /// Password only (a session for setup; "code needed" if 2FA is on).
    Password,
    /// Password (where the profile sends one) and a fresh code.
    Code,
    /// Password and the next unused backup code, marked used on success.
    BackupCode,
}

/// The steps of enrolment, reported as each begins
/// ([`ServerClient::enrol_reporting`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum EnrolStep {
    /// Making sure a session is kept (a login where one is needed).
    SignIn,
    /// Asking the server for a secret (and any step before verifying).
    RequestSecret,
    /// Storing the new account in the vault, tagged pending.
    StorePending,
    /// Waiting for a fresh time step, sending its code, reading the answer.
    Verify,
    /// The server confirmed; the account is no longer pending.
    Done,
}

/// Runs flows; one per app, shared by every server.
pub struct ServerClient {
    http: Http,
    clock: Arc<dyn Clock>,
    pause: Arc<dyn Pause>,
    qr: Option<QrDecoder>,
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("http", &self.http)
            .field("qr", &self.qr.is_some())
            .finish_non_exhaustive()
    }
}

impl ServerClient {
    /// A client reading the time from `clock` and waiting with `pause`;
    /// `qr` decodes QR images (none: QR-only servers fail with `Qr`).
    pub fn new(
        http: Http,
        clock: Arc<dyn Clock>,
        pause: Arc<dyn Pause>,
        qr: Option<QrDecoder>,
    ) -> Self {
        Self {
            http,
            clock,
            pause,
            qr,
        }
    }

    /// Creates the user on the server; keeps the session token if the
    /// answer carries one.
    pub async fn register(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
    ) -> Result<(), ServerError> {
        let answer = self.call(profile, server, OpName::Register, None).await?;
        Self::take_session(profile, server, OpName::Register, &answer, false)?;
        Ok(())
    }

    /// Logs in; see [`LoginWith`].
    pub async fn login(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        vault: &mut Vault,
        with: LoginWith,
    ) -> Result<(), ServerError> {
        let op = match with {
            LoginWith::Password => OpName::Login,
            _ if profile.has(OpName::LoginWithCode) => OpName::LoginWithCode,
            _ => OpName::Login,
        };
        profile.op(op)?;
        match with {
            LoginWith::Password => self.password_login(profile, server).await,
            LoginWith::Code => {
                let account = linked_account(server, vault)?;
                let code = self.fresh_code(profile, server, &account).await?;
                let answer = self.call(profile, server, op, Some(&code)).await?;
                Self::take_session(profile, server, op, &answer, true)
            }
            LoginWith::BackupCode => {
                if !profile.backup_codes {
                    return Err(ServerError::Unsupported {
                        profile: profile.name.clone(),
                        operation: "backup code login",
                    });
                }
                let account_id = server.account_id.ok_or(ServerError::NoAccount)?;
                let (code_id, code) = vault
                    .backup_codes(account_id)?
                    .iter()
                    .find(|c| c.used_at.is_none())
                    .map(|c| (c.id, c.code.clone()))
                    .ok_or(ServerError::NoBackupCode)?;
                match self.call(profile, server, op, Some(&code)).await {
                    Ok(answer) => {
                        vault.mark_backup_code_used(account_id, code_id)?;
                        Self::take_session(profile, server, op, &answer, true)
                    }
                    // The server refused this very code: it is spent (or
                    // never was valid); the next login takes the next one.
                    Err(error @ (ServerError::InvalidCode { .. } | ServerError::Replay { .. })) => {
                        vault.mark_backup_code_used(account_id, code_id)?;
                        Err(error)
                    }
                    Err(error) => Err(error),
                }
            }
        }
    }

    /// Switches 2FA on: runs the profile's `enrol` operations (e.g. setup →
    /// verify), storing the account as pending as soon as the secret is
    /// known and marking it enabled once the server confirms. Returns the
    /// account's id.
    ///
    /// If verification is refused, the pending account is removed when the
    /// server had not switched 2FA on yet (no `enable` step), and kept
    /// (still tagged pending, never enabled) otherwise, or when the outcome
    /// is unknown (timeout, 5xx, garbage), so that no seed is lost.
    pub async fn enrol(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        vault: &mut Vault,
        label: &Label,
    ) -> Result<Uuid, ServerError> {
        self.enrol_reporting(profile, server, vault, label, &|_| {})
            .await
    }

    /// [`enrol`](Self::enrol), calling `on_step` as each [`EnrolStep`]
    /// begins; after a failure, the last step reported is the one that
    /// failed.
    pub async fn enrol_reporting(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        vault: &mut Vault,
        label: &Label,
        on_step: &(dyn Fn(EnrolStep) + Send + Sync),
    ) -> Result<Uuid, ServerError> {
        on_step(EnrolStep::SignIn);
        self.open_session(profile, server, vault).await?;
        on_step(EnrolStep::RequestSecret);
        let mut stored: Option<Uuid> = None;
        for op in &profile.enrol {
            match op {
                OpName::Setup => {
                    let answer = self.call(profile, server, OpName::Setup, None).await?;
                    let issuer = label.issuer.clone().unwrap_or_else(|| server.name.clone());
                    let name = label.account.clone().or_else(|| server.username.clone());
                    let (account, _) = discover(
                        profile,
                        profile.op(OpName::Setup)?,
                        &answer,
                        self.qr,
                        &issuer,
                        name.as_deref(),
                    )?;
                    let details = Details {
                        tags: vec![server_tag(&server.name), PENDING_TAG.to_owned()],
                        ..Details::default()
                    };
                    on_step(EnrolStep::StorePending);
                    let id = vault.insert(account, details)?;
                    server.account_id = Some(id);
                    stored = Some(id);
                }
                OpName::Verify => {
                    let id = stored.ok_or_else(|| {
                        ServerError::protocol("the profile verifies before setup")
                    })?;
                    let account = vault.get(id)?.account.clone();
                    on_step(EnrolStep::Verify);
                    let code = self.fresh_code(profile, server, &account).await?;
                    match self
                        .call(profile, server, OpName::Verify, Some(&code))
                        .await
                    {
                        Ok(answer) => store_backup_codes(profile, vault, id, &answer)?,
                        Err(error) => {
                            if error.is_refusal() && !profile.enrol.contains(&OpName::Enable) {
                                vault.remove(id)?;
                                server.account_id = None;
                            }
                            return Err(error);
                        }
                    }
                }
                other => {
                    self.call(profile, server, *other, None).await?;
                }
            }
        }
        let id = stored.ok_or_else(|| ServerError::protocol("the profile has no setup step"))?;
        retag(vault, id, &[PENDING_TAG], &[])?;
        on_step(EnrolStep::Done);
        Ok(id)
    }

    /// Whether 2FA is on for the user.
    pub async fn status(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
    ) -> Result<bool, ServerError> {
        let op = profile.op(OpName::Status)?;
        let field = op.enabled_field.clone().unwrap_or_default();
        self.ensure_session(profile, server).await?;
        let answer = self
            .exchange_renewing(profile, server, OpName::Status, None)
            .await?;
        let json = answer.json()?;
        if let Some(enabled) = json.as_ref().and_then(|j| lookup(j, &field)) {
            return enabled
                .as_bool()
                .ok_or_else(|| ServerError::protocol(format!("“{field}” is not true or false")));
        }
        if answer.is_success() {
            return Err(ServerError::protocol(format!(
                "the answer has no “{field}”"
            )));
        }
        Err(Self::refusal(profile, server, &answer, json.as_ref()))
    }

    /// Switches 2FA off (with a fresh code where the profile sends one);
    /// once the server confirms, the linked account is tagged archived
    /// and unlinked. Returns the archived account's id.
    pub async fn disable(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        vault: &mut Vault,
    ) -> Result<Option<Uuid>, ServerError> {
        let op = profile.op(OpName::Disable)?;
        self.open_session(profile, server, vault).await?;
        if profile.login_before_disable {
            self.login(profile, server, vault, LoginWith::Code).await?;
        }
        let code = if op.uses("code") {
            let account = linked_account(server, vault)?;
            Some(self.fresh_code(profile, server, &account).await?)
        } else {
            None
        };
        self.call(profile, server, OpName::Disable, code.as_ref())
            .await?;
        let archived = server.account_id.take();
        if let Some(id) = archived
            && vault.get(id).is_ok()
        {
            retag(vault, id, &[PENDING_TAG], &[ARCHIVED_TAG])?;
        }
        Ok(archived)
    }

    /// Makes sure a session is kept: logs in with the password when the
    /// profile needs a token and none is kept, and with a fresh code too
    /// when the server asks for one and an account is linked.
    pub async fn open_session(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        vault: &mut Vault,
    ) -> Result<(), ServerError> {
        match self.ensure_session(profile, server).await {
            Err(ServerError::CodeRequired { .. })
                if server.account_id.is_some() && profile.has(OpName::LoginWithCode) =>
            {
                self.login(profile, server, vault, LoginWith::Code).await
            }
            other => other,
        }
    }

    /// Logs in with the password when the profile needs a session token
    /// and none is kept.
    async fn ensure_session(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
    ) -> Result<(), ServerError> {
        match profile.auth {
            AuthStyle::Cookie if server.credentials.cookies.is_empty() => {
                Err(ServerError::MissingCredential {
                    what: "session cookie",
                })
            }
            AuthStyle::Bearer | AuthStyle::Body if server.credentials.token.is_none() => {
                if profile.has(OpName::Login) && server.credentials.password.is_some() {
                    self.password_login(profile, server).await
                } else {
                    Err(ServerError::MissingCredential {
                        what: "session token",
                    })
                }
            }
            _ => Ok(()),
        }
    }

    /// Logs in with the password alone and keeps the session.
    async fn password_login(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
    ) -> Result<(), ServerError> {
        let answer = self.call(profile, server, OpName::Login, None).await?;
        Self::take_session(profile, server, OpName::Login, &answer, true)
    }

    /// A code for `account` that this server has not been sent yet, with
    /// at least 3 s left; waits (at most twice) for the next step.
    async fn fresh_code(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        account: &Account,
    ) -> Result<SecretString, ServerError> {
        let period = match account.kind {
            OtpKind::Totp { period } | OtpKind::Steam { period } => u64::from(period) * 1000,
            OtpKind::Hotp { .. } => {
                return Err(ServerError::protocol(
                    "the server's account is HOTP, which this client does not submit",
                ));
            }
        };
        for _ in 0..3 {
            let now = self.clock.now().unix_millis();
            let step = now / period;
            let left = period - now % period;
            let reused = !profile.accepts_reused_step && server.last_step >= Some(step);
            if left >= MIN_REMAINING_MS && !reused {
                server.last_step = Some(step);
                return Ok(SecretString::new(code_at(account, step)?));
            }
            let steps_ahead = server.last_step.map_or(0, |last| last.saturating_sub(step));
            let wait = left + steps_ahead.min(1) * period + 50;
            self.pause.pause(Duration::from_millis(wait)).await;
        }
        Err(ServerError::protocol(
            "no fresh time step came; is the clock moving?",
        ))
    }

    /// [`exchange_renewing`](Self::exchange_renewing), with non-2xx
    /// answers mapped to errors and 2xx answers checked to be JSON, an
    /// image or empty.
    async fn call(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        op: OpName,
        code: Option<&SecretString>,
    ) -> Result<Answer, ServerError> {
        let answer = self.exchange_renewing(profile, server, op, code).await?;
        let json = answer.json()?;
        if !answer.is_success() {
            return Err(Self::refusal(profile, server, &answer, json.as_ref()));
        }
        if json.is_none() && !answer.is_image() && !answer.body.iter().all(u8::is_ascii_whitespace)
        {
            return Err(ServerError::protocol(format!(
                "expected JSON, got “{}”",
                if answer.content_type.is_empty() {
                    "untyped data"
                } else {
                    &answer.content_type
                }
            )));
        }
        Ok(answer)
    }

    /// [`exchange`](Self::exchange), for a profile that can renew its
    /// session: renews it first when the session JWT's `exp` has passed,
    /// and otherwise, when the answer refuses the session (`Unauthorized`,
    /// not a refused code), renews it once and sends the operation once
    /// more. The second sending carries the same code: the server refused
    /// the session before it read the code, so no time step was spent.
    async fn exchange_renewing(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        op: OpName,
        code: Option<&SecretString>,
    ) -> Result<Answer, ServerError> {
        let renewable = op != OpName::Refresh && profile.has(OpName::Refresh);
        if renewable && self.session_expired(profile, server) {
            self.renew_session(profile, server).await?;
            return self.exchange(profile, server, op, code).await;
        }
        let answer = self.exchange(profile, server, op, code).await?;
        if answer.is_success() || !renewable {
            return Ok(answer);
        }
        let json = answer.json()?;
        if !matches!(
            Self::refusal(profile, server, &answer, json.as_ref()),
            ServerError::Unauthorized { .. }
        ) {
            return Ok(answer);
        }
        self.renew_session(profile, server).await?;
        self.exchange(profile, server, op, code).await
    }

    /// Whether the session credential (the profile's cookie, else the
    /// token) is a JWT whose `exp` has passed by the client's clock.
    fn session_expired(&self, profile: &Profile, server: &ServerRecord) -> bool {
        let credentials = &server.credentials;
        let session = match profile.auth {
            AuthStyle::Cookie => credentials.cookies.get(profile.cookie_name()),
            AuthStyle::Bearer | AuthStyle::Body => credentials.token.as_ref(),
        };
        session
            .and_then(|token| jwt_claims(token.expose()))
            .and_then(|claims| claims.get("exp")?.as_u64())
            .is_some_and(|exp| exp.saturating_mul(1000) <= self.clock.now().unix_millis())
    }

    /// Runs the profile's `refresh`: keeps the cookies it sets (and the
    /// token it answers, where the profile names token fields). A refusal
    /// becomes `SessionExpired`; a rate limit, a lockout or an answer of
    /// unknown outcome keeps its own kind.
    async fn renew_session(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
    ) -> Result<(), ServerError> {
        let answer = self
            .exchange(profile, server, OpName::Refresh, None)
            .await?;
        if !answer.is_success() {
            let json = answer.json().ok().flatten();
            return Err(
                match Self::refusal(profile, server, &answer, json.as_ref()) {
                    ServerError::Unauthorized { message }
                    | ServerError::BadCredentials { message }
                    | ServerError::InvalidCode { message }
                    | ServerError::Validation { message, .. } => {
                        ServerError::SessionExpired { message }
                    }
                    other => other,
                },
            );
        }
        Self::take_session(profile, server, OpName::Refresh, &answer, false)
    }

    /// Sends one operation and keeps the cookies it sets.
    async fn exchange(
        &self,
        profile: &Profile,
        server: &mut ServerRecord,
        op: OpName,
        code: Option<&SecretString>,
    ) -> Result<Answer, ServerError> {
        let operation = profile.op(op)?;
        let user_id = match profile.user_id {
            Some(UserIdSource::JwtSub) if operation.uses("user_id") => {
                let sub = server
                    .credentials
                    .token
                    .as_ref()
                    .and_then(|t| jwt_sub(t.expose()));
                if sub.is_some() {
                    server.user_id.clone_from(&sub);
                }
                server.user_id.clone()
            }
            _ => None,
        };
        let local_part = server
            .username
            .as_deref()
            .map(|u| u.split('@').next().unwrap_or(u).to_owned());
        let mut vars = Vars::default();
        vars.set("username", server.username.as_deref());
        vars.set("name", local_part.as_deref());
        vars.set(
            "password",
            server
                .credentials
                .password
                .as_ref()
                .map(SecretString::expose),
        );
        vars.set(
            "token",
            server.credentials.token.as_ref().map(SecretString::expose),
        );
        vars.set("code", code.map(SecretString::expose));
        vars.set("user_id", user_id.as_deref());
        let base = parse_base_url(&server.base_url)?;
        let url = join(&base, &vars.render_path(&operation.path)?)?;
        let body = operation
            .body
            .as_ref()
            .map(|b| vars.render_body(b))
            .transpose()?;
        let mut headers: Vec<(String, String)> = profile
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match profile.auth {
            AuthStyle::Bearer => {
                if let Some(token) = &server.credentials.token {
                    headers.push(("Authorization".into(), format!("Bearer {}", token.expose())));
                }
            }
            AuthStyle::Cookie | AuthStyle::Body => {}
        }
        if let Some(cookie) = server.credentials.cookie_header() {
            headers.push(("Cookie".into(), cookie));
        }
        let method = Method::from_bytes(operation.method.as_bytes())
            .map_err(|_| ServerError::protocol("invalid method"))?;
        let answer = self
            .http
            .send(Request {
                method,
                url,
                headers,
                body,
            })
            .await?;
        for value in answer.headers.get_all(reqwest::header::SET_COOKIE) {
            if let Ok(text) = value.to_str() {
                server.credentials.apply_set_cookie(text);
            }
        }
        Ok(answer)
    }

    /// Keeps the session token found in a register/login answer. With
    /// `required`, a profile that names token fields must find one.
    ///
    /// # Errors
    /// `Protocol` when the answer is malformed or lacks a required token.
    pub fn take_session(
        profile: &Profile,
        server: &mut ServerRecord,
        op: OpName,
        answer: &Answer,
        required: bool,
    ) -> Result<(), ServerError> {
        let fields = profile
            .op(op)?
            .token_fields
            .clone()
            .unwrap_or_else(|| profile.token_fields.clone());
        if fields.is_empty() && !profile.action_list {
            return Ok(());
        }
        let json = answer.json()?;
        let token = json.as_ref().and_then(|j| {
            fields
                .iter()
                .find_map(|f| lookup(j, f).and_then(Json::as_str))
                .or_else(|| profile.action_list.then(|| action_list_token(j)).flatten())
        });
        match token {
            Some(token) if !token.trim().is_empty() => {
                server.credentials.token = Some(SecretString::from(token.trim()));
                if profile.user_id == Some(UserIdSource::JwtSub) {
                    server.user_id = jwt_sub(token.trim());
                }
                Ok(())
            }
            _ if required => Err(ServerError::protocol("no session token in the answer")),
            _ => Ok(()),
        }
    }

    /// Maps a non-2xx answer to an error kind.
    pub fn refusal(
        profile: &Profile,
        server: &ServerRecord,
        answer: &Answer,
        json: Option<&Json>,
    ) -> ServerError {
        let raw = json
            .and_then(|j| message_of(profile, j))
            .unwrap_or_else(|| {
                if json.is_none() && answer.content_type.starts_with("text/plain") {
                    String::from_utf8_lossy(&answer.body).into_owned()
                } else {
                    String::new()
                }
            });
        let message = clean_message(&raw, &server.credentials.texts());
        let retry_after = json
            .and_then(|j| lookup(j, "retry_after"))
            .and_then(Json::as_u64)
            .or_else(|| answer.retry_after_header());
        let status = answer.status;
        if status == 429 {
            return ServerError::RateLimited {
                retry_after,
                message,
            };
        }
        if status == 423 {
            return ServerError::LockedOut {
                retry_after,
                message,
            };
        }
        let lower = message.to_lowercase();
        let rule = profile.errors.iter().find(|r| {
            r.status.is_none_or(|s| s == status)
                && r.contains
                    .as_ref()
                    .is_none_or(|c| lower.contains(&c.to_lowercase()))
        });
        if let Some(rule) = rule {
            return match rule.kind {
                ErrorKind::BadCredentials => ServerError::BadCredentials { message },
                ErrorKind::CodeRequired => ServerError::CodeRequired { message },
                ErrorKind::InvalidCode => ServerError::InvalidCode { message },
                ErrorKind::Replay => ServerError::Replay { message },
                ErrorKind::AlreadyEnabled => ServerError::AlreadyEnabled { message },
                ErrorKind::NotEnabled => ServerError::NotEnabled { message },
                ErrorKind::NotSetUp => ServerError::NotSetUp { message },
                ErrorKind::RateLimited => ServerError::RateLimited {
                    retry_after,
                    message,
                },
                ErrorKind::Locked => ServerError::LockedOut {
                    retry_after,
                    message,
                },
                ErrorKind::Validation => ServerError::Validation {
                    fields: json.map(validation_fields).unwrap_or_default(),
                    message,
                },
                ErrorKind::Unauthorized => ServerError::Unauthorized { message },
            };
        }
        match status {
            401 | 403 => ServerError::Unauthorized { message },
            _ => ServerError::Server { status, message },
        }
    }
}

/// The account linked to `server`, from the vault.
fn linked_account(server: &ServerRecord, vault: &Vault) -> Result<Account, ServerError> {
    let id = server.account_id.ok_or(ServerError::NoAccount)?;
    Ok(vault.get(id)?.account.clone())
}

/// Removes the tags `remove` and adds `add` to account `id`.
fn retag(vault: &mut Vault, id: Uuid, remove: &[&str], add: &[&str]) -> Result<(), ServerError> {
    let entry = vault.get(id)?;
    let account = entry.account.clone();
    let mut details = entry.details.clone();
    details.tags.retain(|t| !remove.contains(&t.as_str()));
    for tag in add {
        if !details.tags.iter().any(|t| t == tag) {
            details.tags.push((*tag).to_owned());
        }
    }
    vault.update(id, account, details)?;
    Ok(())
}

fn store_backup_codes(
    profile: &Profile,
    vault: &mut Vault,
    id: Uuid,
    answer: &Answer,
) -> Result<(), ServerError> {
    let fields = &profile.op(OpName::Verify)?.backup_code_fields;
    let Some(json) = answer.json()? else {
        return Ok(());
    };
    let codes: Vec<SecretString> = fields
        .iter()
        .find_map(|f| lookup(&json, f).and_then(Json::as_array))
        .map(|items| {
            items
                .iter()
                .filter_map(Json::as_str)
                .map(SecretString::from)
                .collect()
        })
        .unwrap_or_default();
    if !codes.is_empty() {
        vault.add_backup_codes(id, codes)?;
    }
    Ok(())
}

/// The server's message: the profile's message fields, or the text of a
/// Daptin action list's `client.notify`.
fn message_of(profile: &Profile, json: &Json) -> Option<String> {
    profile
        .message_fields
        .iter()
        .find_map(|f| lookup(json, f).and_then(Json::as_str))
        .map(str::to_owned)
        .or_else(|| {
            json.as_array()?.iter().find_map(|item| {
                (item.get("ResponseType")?.as_str()? == "client.notify")
                    .then(|| {
                        lookup(item, "Attributes.message")?
                            .as_str()
                            .map(str::to_owned)
                    })
                    .flatten()
            })
        })
}

/// Daptin: `[{"ResponseType":"client.store.set","Attributes":{"key":"token","value":"<jwt>"}}]`.
fn action_list_token(json: &Json) -> Option<&str> {
    json.as_array()?.iter().find_map(|item| {
        let attributes = item.get("Attributes")?;
        (item.get("ResponseType")?.as_str()? == "client.store.set"
            && attributes.get("key")?.as_str()? == "token")
            .then(|| attributes.get("value")?.as_str())
            .flatten()
    })
}

fn validation_fields(json: &Json) -> Vec<String> {
    ["details", "errors"]
        .iter()
        .find_map(|k| json.get(*k)?.as_object())
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default()
}

/// The claims of a JWT (not verified: they only name the user and say
/// when the session ends).
fn jwt_claims(token: &str) -> Option<Json> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The `sub` claim of a JWT.
fn jwt_sub(token: &str) -> Option<String> {
    let claims = jwt_claims(token)?;
    match claims.get("sub")? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{action_list_token, jwt_sub, message_of};
    use crate::core::server::profile::Profile;
    use serde_json::json;

    #[test]
    fn daptin_shapes() {
        let list = json!([
            {"ResponseType": "client.notify", "Attributes": {"message": "Invalid OTP"}},
            {"ResponseType": "client.store.set", "Attributes": {"key": "token", "value": "t"}}
        ]);
        assert_eq!(action_list_token(&list), Some("t"));
        let p = Profile::builtin("daptin").unwrap();
        assert_eq!(message_of(&p, &list).as_deref(), Some("Invalid OTP"));
        let api = json!({"errors": [{"title": "forbidden"}]});
        assert_eq!(message_of(&p, &api).as_deref(), Some("forbidden"));
        // {"sub":"u-1"}
        assert_eq!(jwt_sub("e30.eyJzdWIiOiJ1LTEifQ.x").as_deref(), Some("u-1"));
        assert_eq!(jwt_sub("nope"), None);
    }
}
