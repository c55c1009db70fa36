//! `core::server` against the reference server over real HTTP on loopback:
//! every profile's lifecycle, refusals, lockout, rate limit, replay,
//! garbage answers, timeouts, redirects, insecure URLs, a server that
//! forgets the user; server records and their sessions in the vault, and
//! the `tessera server` commands end to end. In each: a specific error, a
//! consistent vault, no seed lost, no secret in an error.

use std::future::Future;
use std::pin::Pin;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tessera::core::clock::{Clock, FixedClock, OffsetClock, SystemClock, Timestamp};
use tessera::core::secret::SecretString;
use tessera::core::server::{
    ARCHIVED_TAG, Enrol, EnrolStep, FlowRunner, Http, HttpOptions, Label, Login, LoginWith,
    NewServer, PENDING_TAG, Pause, Profile, ServerClient, ServerError, ServerRecord, ServerStore,
    Status, VaultServerStore, server_tag,
};
use tessera::core::vault::{KdfParams, Vault, VaultError};

use crate::support::cli::{CliVault, PASSWORD as PASSWORD_CLI, expect_success};
use crate::support::reference_server::{Fault, Flavor, ReferenceServer};

const PASSWORD: &str = "correct horse battery";

/// Waiting moves the shared fixed clock instead of sleeping.
struct AdvanceClock(Arc<FixedClock>);

impl Pause for AdvanceClock {
    fn pause(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.0.advance(i64::try_from(duration.as_millis()).unwrap());
        Box::pin(std::future::ready(()))
    }
}

struct Fixture {
    clock: Arc<FixedClock>,
    server: ReferenceServer,
    client: ServerClient,
    vault: Vault,
    dir: tempfile::TempDir,
}

fn options() -> HttpOptions {
    HttpOptions {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(2),
        max_body_bytes: 64 * 1024,
    }
}

impl Fixture {
    async fn new() -> Self {
        // 10 s into a period.
        let clock = Arc::new(FixedClock::at_unix_seconds(1_800_000_010));
        let server = ReferenceServer::start(clock.clone()).await.unwrap();
        let client = Self::client_with(clock.clone(), clock.clone());
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::create(
            dir.path().join("v.tessera"),
            &SecretString::from("vault password"),
            KdfParams::new(64, 2, 1).unwrap(),
            clock.clone(),
        )
        .unwrap();
        Self {
            clock,
            server,
            client,
            vault,
            dir,
        }
    }

    fn client_with(base: Arc<FixedClock>, clock: Arc<dyn Clock>) -> ServerClient {
        ServerClient::new(
            Http::new(options()).unwrap(),
            clock,
            Arc::new(AdvanceClock(base)),
            Some(tessera::core::server::qr_decoder()),
        )
    }

    /// A client whose clock is `offset_ms` off the server's.
    fn skewed_client(&self, offset_ms: i64) -> ServerClient {
        Self::client_with(
            self.clock.clone(),
            Arc::new(OffsetClock::new(self.clock.clone(), offset_ms)),
        )
    }

    /// A record for `flavor`, with its credential: password for Syncano and
    /// Daptin (registered through the client), pasted token or cookie for
    /// Laravel and Nest.
    async fn record(&mut self, flavor: Flavor, user: &str) -> (Profile, ServerRecord) {
        let profile = Profile::builtin(flavor.profile()).unwrap();
        let mut record =
            ServerRecord::new(flavor.prefix(), flavor.profile(), &self.server.url(flavor)).unwrap();
        record.username = Some(user.to_owned());
        match flavor {
            Flavor::Syncano | Flavor::Daptin => {
                record.credentials.password = Some(SecretString::from(PASSWORD));
                self.client.register(&profile, &mut record).await.unwrap();
            }
            Flavor::Laravel => {
                let token = self.server.add_user(flavor, user, PASSWORD);
                record.credentials.token = Some(SecretString::from(token));
            }
            Flavor::Nest => {
                let cookie = self.server.add_user(flavor, user, PASSWORD);
                record.credentials.set_cookies_from(&cookie, "jwt");
            }
        }
        (profile, record)
    }

    /// Ids of accounts linked to `server` that are neither pending nor archived.
    fn enabled_accounts(&self, server: &str) -> Vec<uuid::Uuid> {
        let tag = server_tag(server);
        self.vault
            .entries()
            .unwrap()
            .iter()
            .filter(|e| {
                e.details.tags.contains(&tag)
                    && !e
                        .details
                        .tags
                        .iter()
                        .any(|t| t == PENDING_TAG || t == ARCHIVED_TAG)
            })
            .map(|e| e.id)
            .collect()
    }

    async fn enrol(
        &mut self,
        profile: &Profile,
        record: &mut ServerRecord,
    ) -> Result<uuid::Uuid, ServerError> {
        self.client
            .enrol(profile, record, &mut self.vault, &Label::default())
            .await
    }
}

/// The error's text holds none of the credentials.
fn assert_clean(error: &ServerError, record: &ServerRecord) {
    let text = format!("{error} {error:?}");
    assert!(!text.contains(PASSWORD), "{text}");
    if let Some(token) = &record.credentials.token {
        assert!(!text.contains(token.expose()), "{text}");
    }
    for cookie in record.credentials.cookies.values() {
        assert!(!text.contains(cookie.expose()), "{text}");
    }
}

fn assert_steps_increase(steps: &[u64]) {
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]),
        "a time step was reused: {steps:?}"
    );
}

async fn lifecycle(flavor: Flavor) {
    let mut fx = Fixture::new().await;
    let user = "alice@example.com";
    let (profile, mut record) = fx.record(flavor, user).await;
    let id = fx.enrol(&profile, &mut record).await.unwrap();
    assert!(fx.server.is_enabled(flavor, user));
    let debug = format!("{record:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    for secret in record
        .credentials
        .cookies
        .values()
        .chain(record.credentials.token.iter())
    {
        assert!(!debug.contains(secret.expose()), "{debug}");
    }
    assert_eq!(fx.enabled_accounts(&record.name), [id]);
    let entry = fx.vault.get(id).unwrap();
    assert_eq!(
        entry.account.issuer, record.name,
        "issuer is the server's name"
    );
    assert_eq!(
        entry.account.name, user,
        "name is the username, not “SecretKey”"
    );
    assert_eq!(record.account_id, Some(id));

    if profile.has(tessera::core::server::OpName::Status) {
        assert!(fx.client.status(&profile, &mut record).await.unwrap());
    }
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap();
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap();
    let archived = fx
        .client
        .disable(&profile, &mut record, &mut fx.vault)
        .await
        .unwrap();
    assert_eq!(archived, Some(id));
    assert!(!fx.server.is_enabled(flavor, user));
    assert!(fx.enabled_accounts(&record.name).is_empty());
    let tags = &fx.vault.get(id).unwrap().details.tags;
    assert!(
        tags.iter().any(|t| t == ARCHIVED_TAG),
        "the seed is kept, archived: {tags:?}"
    );
    if profile.has(tessera::core::server::OpName::Status) {
        assert!(!fx.client.status(&profile, &mut record).await.unwrap());
    }
    // Enrolling again (a new secret) still never reuses a time step.
    let again = fx.enrol(&profile, &mut record).await.unwrap();
    assert_eq!(fx.enabled_accounts(&record.name), [again]);
    assert_steps_increase(&fx.server.accepted_steps(flavor, user));
}

#[tokio::test]
async fn syncano_lifecycle() {
    lifecycle(Flavor::Syncano).await;
}

#[tokio::test]
async fn daptin_lifecycle() {
    lifecycle(Flavor::Daptin).await;
}

#[tokio::test]
async fn laravel_lifecycle() {
    lifecycle(Flavor::Laravel).await;
}

#[tokio::test]
async fn nest_lifecycle() {
    lifecycle(Flavor::Nest).await;
}

#[tokio::test]
async fn syncano_backup_codes_are_stored_and_used_once() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Syncano, "bob").await;
    let id = fx.enrol(&profile, &mut record).await.unwrap();
    let issued = fx.server.backup_codes(Flavor::Syncano, "bob");
    assert_eq!(issued.len(), 5);
    let stored = fx.vault.backup_codes(id).unwrap();
    assert_eq!(stored.len(), 5);
    assert!(
        issued
            .iter()
            .all(|(c, _)| c.len() == 10 && c.chars().all(|ch| ch.is_ascii_alphanumeric()))
    );
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::BackupCode)
        .await
        .unwrap();
    let stored = fx.vault.backup_codes(id).unwrap();
    assert!(stored[0].used_at.is_some());
    assert!(stored[1..].iter().all(|c| c.used_at.is_none()));
    assert!(fx.server.backup_codes(Flavor::Syncano, "bob")[0].1);
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::BackupCode)
        .await
        .unwrap();
    assert!(fx.vault.backup_codes(id).unwrap()[1].used_at.is_some());
    // A code the server refuses is spent too; the next login takes the next.
    let third = fx.vault.backup_codes(id).unwrap()[2].id;
    fx.vault.mark_backup_code_used(id, third).unwrap();
    let codes: Vec<_> = fx
        .vault
        .backup_codes(id)
        .unwrap()
        .iter()
        .map(|c| (c.id, c.code.clone()))
        .collect();
    fx.vault.remove_backup_code(id, codes[3].0).unwrap();
    fx.vault
        .add_backup_codes(id, vec![SecretString::from("NOTACODE00")])
        .unwrap();
    fx.vault.remove_backup_code(id, codes[4].0).unwrap();
    fx.vault
        .add_backup_codes(id, vec![codes[4].1.clone()])
        .unwrap();
    let err = fx
        .client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::BackupCode)
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::InvalidCode { .. }), "{err:?}");
    assert!(!err.to_string().contains("NOTACODE00"));
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::BackupCode)
        .await
        .unwrap();
    let err = fx
        .client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::BackupCode)
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::NoBackupCode), "{err:?}");
}

#[tokio::test]
async fn wrong_password_is_bad_credentials() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Syncano, "carol").await;
    record.credentials.token = None;
    record.credentials.password = Some(SecretString::from("wrong password"));
    let err = fx.enrol(&profile, &mut record).await.unwrap_err();
    assert!(matches!(err, ServerError::BadCredentials { .. }), "{err:?}");
    assert!(!err.to_string().contains("wrong password"));
    assert!(fx.vault.entries().unwrap().is_empty());
}

#[tokio::test]
async fn wrong_code_on_verify_leaves_no_enabled_account() {
    for flavor in Flavor::ALL {
        let mut fx = Fixture::new().await;
        let (profile, mut record) = fx.record(flavor, "dave@example.com").await;
        fx.client = fx.skewed_client(-300_000);
        let err = fx.enrol(&profile, &mut record).await.unwrap_err();
        assert!(
            matches!(err, ServerError::InvalidCode { .. }),
            "{flavor:?}: {err:?}"
        );
        assert_clean(&err, &record);
        assert!(fx.enabled_accounts(&record.name).is_empty(), "{flavor:?}");
        if flavor == Flavor::Laravel {
            // The server switched 2FA on at `enable`: the seed is kept, pending.
            let pending = fx.vault.entries().unwrap();
            assert_eq!(pending.len(), 1);
            assert!(pending[0].details.tags.iter().any(|t| t == PENDING_TAG));
        } else {
            assert!(fx.vault.entries().unwrap().is_empty(), "{flavor:?}");
            assert_eq!(record.account_id, None);
        }
    }
}

#[tokio::test]
async fn fourth_wrong_login_code_locks_for_five_minutes() {
    for flavor in [Flavor::Syncano, Flavor::Daptin] {
        let mut fx = Fixture::new().await;
        let (profile, mut record) = fx.record(flavor, "erin@example.com").await;
        fx.enrol(&profile, &mut record).await.unwrap();
        let skewed = fx.skewed_client(600_000);
        for attempt in 1..=3 {
            let err = skewed
                .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
                .await
                .unwrap_err();
            assert!(
                matches!(err, ServerError::InvalidCode { .. }),
                "{flavor:?} {attempt}: {err:?}"
            );
        }
        let before = fx.server.requests();
        let err = skewed
            .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                ServerError::LockedOut {
                    retry_after: Some(300),
                    ..
                }
            ),
            "{flavor:?}: {err:?}"
        );
        assert_eq!(err.retry_after(), Some(300));
        assert_eq!(fx.server.requests(), before + 1, "no automatic retry");
        assert_clean(&err, &record);
        // A right code is refused while locked...
        record.last_step = None;
        let err = fx
            .client
            .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
            .await
            .unwrap_err();
        assert!(matches!(err, ServerError::LockedOut { .. }), "{err:?}");
        // ...but status with the stored session still works.
        assert!(fx.client.status(&profile, &mut record).await.unwrap());
        // After 5 minutes, logins work again.
        fx.clock.advance(300_000);
        fx.client
            .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn laravel_rate_limit_reports_retry_after() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Laravel, "frank").await;
    fx.enrol(&profile, &mut record).await.unwrap();
    let skewed = fx.skewed_client(600_000);
    for _ in 0..5 {
        let err = skewed
            .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
            .await
            .unwrap_err();
        assert!(matches!(err, ServerError::InvalidCode { .. }), "{err:?}");
    }
    let before = fx.server.requests();
    let err = skewed
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap_err();
    let Some(wait) = err.retry_after() else {
        panic!("{err:?}");
    };
    assert!(matches!(err, ServerError::RateLimited { .. }), "{err:?}");
    assert!(wait > 0 && wait <= 300, "{wait}");
    assert!(err.to_string().contains("Too Many Attempts."), "{err}");
    assert_eq!(fx.server.requests(), before + 1, "no automatic retry");
}

#[tokio::test]
async fn the_same_time_step_is_never_sent_twice() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Laravel, "gina").await;
    fx.enrol(&profile, &mut record).await.unwrap();
    let start = fx.clock.now();
    for _ in 0..3 {
        fx.client
            .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
            .await
            .unwrap();
    }
    let steps = fx.server.accepted_steps(Flavor::Laravel, "gina");
    assert_eq!(steps.len(), 4);
    assert_steps_increase(&steps);
    assert!(
        fx.clock.now().unix_millis() - start.unix_millis() >= 60_000,
        "waited for new steps"
    );
}

#[tokio::test]
async fn a_profile_that_allows_reuse_meets_the_servers_replay_refusal() {
    let mut fx = Fixture::new().await;
    let (mut profile, mut record) = fx.record(Flavor::Syncano, "hank").await;
    fx.enrol(&profile, &mut record).await.unwrap();
    profile.accepts_reused_step = true;
    let err = fx
        .client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::Replay { .. }), "{err:?}");
}

#[tokio::test]
async fn less_than_three_seconds_left_waits_for_the_next_period() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Nest, "ivy").await;
    fx.clock.set(Timestamp::from_unix_millis(1_800_000_028_000)); // 2 s left
    fx.enrol(&profile, &mut record).await.unwrap();
    let steps = fx.server.accepted_steps(Flavor::Nest, "ivy");
    assert_eq!(steps, [1_800_000_030 / 30]);
    assert!(fx.clock.now().unix_millis() >= 1_800_000_030_000);
}

/// Enrolment on Syncano under `fault`: the error, and no enabled account.
async fn enrol_under(fault: Fault) -> (ServerError, Fixture) {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Syncano, "jo").await;
    fx.server.set_fault(Some(fault));
    let err = fx.enrol(&profile, &mut record).await.unwrap_err();
    assert_clean(&err, &record);
    assert!(fx.enabled_accounts(&record.name).is_empty());
    (err, fx)
}

#[tokio::test]
async fn server_errors_and_garbage_are_specific() {
    let (err, _) = enrol_under(Fault::Status500).await;
    assert!(
        matches!(err, ServerError::Server { status: 500, .. }),
        "{err:?}"
    );
    let (err, _) = enrol_under(Fault::MalformedJson).await;
    assert!(
        matches!(&err, ServerError::Protocol { what } if what.contains("malformed JSON")),
        "{err:?}"
    );
    let (err, _) = enrol_under(Fault::EmptyBody).await;
    assert!(
        matches!(&err, ServerError::Protocol { what } if what.contains("empty")),
        "{err:?}"
    );
    let (err, _) = enrol_under(Fault::WrongContentType).await;
    assert!(
        matches!(&err, ServerError::Protocol { what } if what.contains("text/html")),
        "{err:?}"
    );
    let (err, _) = enrol_under(Fault::Huge(100_000)).await;
    assert!(
        matches!(err, ServerError::TooLarge { limit: 65_536 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_stalling_server_times_out() {
    let (err, _) = enrol_under(Fault::Stall(Duration::from_secs(4))).await;
    assert!(
        matches!(err, ServerError::Timeout { seconds: 2 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirects_to_another_origin_are_refused() {
    let mut fx = Fixture::new().await;
    let port = fx.server.addr().port();
    let (profile, mut record) = fx.record(Flavor::Syncano, "kim").await;
    fx.server
        .set_fault(Some(Fault::RedirectTo(format!("http://localhost:{port}"))));
    let before = fx.server.requests();
    let err = fx.enrol(&profile, &mut record).await.unwrap_err();
    assert!(
        matches!(&err, ServerError::RedirectRefused { to } if to == &format!("http://localhost:{port}")),
        "{err:?}"
    );
    assert_eq!(
        fx.server.requests(),
        before,
        "the redirect was not followed"
    );
    assert!(fx.vault.entries().unwrap().is_empty());
}

#[tokio::test]
async fn redirects_within_the_origin_are_followed() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Syncano, "lee").await;
    fx.server.set_fault(Some(Fault::RedirectSameOrigin));
    let id = fx.enrol(&profile, &mut record).await.unwrap();
    assert_eq!(fx.enabled_accounts(&record.name), [id]);
}

#[tokio::test]
async fn plain_http_is_refused_except_loopback() {
    for url in [
        "http://example.com/",
        "http://10.0.0.1:8080/api/",
        "http://[2001:db8::1]/",
    ] {
        let err = ServerRecord::new("x", "syncano", url).unwrap_err();
        assert!(
            matches!(err, ServerError::InsecureUrl { .. }),
            "{url}: {err:?}"
        );
    }
    for url in [
        "http://127.0.0.1:1/",
        "http://localhost:1/",
        "http://[::1]:1/",
        "https://example.com/",
    ] {
        ServerRecord::new("x", "syncano", url).unwrap();
    }
}

#[tokio::test]
async fn a_server_that_forgets_the_user_mid_flow() {
    let (err, fx) = enrol_under(Fault::ForgetUsersOn("verify-token".into())).await;
    assert!(matches!(err, ServerError::Unauthorized { .. }), "{err:?}");
    // A definite refusal before 2FA was on: the pending account is rolled back.
    assert!(fx.vault.entries().unwrap().is_empty());
}

#[tokio::test]
async fn a_base_url_without_trailing_slash_keeps_its_prefix() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Laravel, "max").await;
    record.base_url = fx
        .server
        .url(Flavor::Laravel)
        .trim_end_matches('/')
        .to_owned();
    fx.enrol(&profile, &mut record).await.unwrap();
    assert!(fx.server.is_enabled(Flavor::Laravel, "max"));
}

#[tokio::test]
async fn missing_credentials_and_unsupported_operations() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Nest, "ned").await;
    let err = fx.client.status(&profile, &mut record).await.unwrap_err();
    assert!(
        matches!(
            err,
            ServerError::Unsupported {
                operation: "status",
                ..
            }
        ),
        "{err:?}"
    );
    let err = fx
        .client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::NoAccount), "{err:?}");
    record.credentials.cookies.clear();
    let err = fx.enrol(&profile, &mut record).await.unwrap_err();
    assert!(
        matches!(err, ServerError::MissingCredential { .. }),
        "{err:?}"
    );
}

/// The cookie `name` the record keeps (a clone of its value).
fn cookie(record: &ServerRecord, name: &str) -> Option<String> {
    record
        .credentials
        .cookies
        .get(name)
        .map(|value| value.expose().to_owned())
}

/// 31 minutes: past seed 004's 30-minute access token.
const PAST_ACCESS_TOKEN_MS: i64 = 31 * 60 * 1000;

#[tokio::test]
async fn nest_session_is_renewed_with_the_refresh_cookie_after_its_access_token_expires() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Nest, "rita").await;
    let id = fx.enrol(&profile, &mut record).await.unwrap();
    // Passing the second factor sets a new access cookie and the refresh cookie.
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap();
    let refresh = cookie(&record, "refresh").expect("the refresh cookie is kept");
    let access = cookie(&record, "jwt").unwrap();
    assert_ne!(refresh, access);

    // Past the access token's 30 minutes by the client's clock: renewed
    // before the request.
    fx.clock.advance(PAST_ACCESS_TOKEN_MS);
    let before = fx.server.requests();
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap();
    assert_eq!(fx.server.refreshes(), 1);
    assert_eq!(fx.server.requests() - before, 2, "refresh, authenticate");
    let second = cookie(&record, "jwt").unwrap();
    assert_ne!(second, access, "the renewed access cookie is kept");
    // Passing the second factor again set a new refresh cookie too.
    assert!(cookie(&record, "refresh").is_some_and(|r| r != refresh));

    // Expired by the server's clock, 20 s ahead of the client's: the
    // refused request is renewed and sent once more.
    fx.clock.advance(30 * 60 * 1000 + 10_000);
    let lagging = fx.skewed_client(-20_000);
    let before = fx.server.requests();
    let archived = lagging
        .disable(&profile, &mut record, &mut fx.vault)
        .await
        .unwrap();
    assert_eq!(archived, Some(id));
    assert!(!fx.server.is_enabled(Flavor::Nest, "rita"));
    assert_eq!(fx.server.refreshes(), 2, "renewed once more");
    // authenticate (refused), refresh, authenticate, turn-off.
    assert_eq!(fx.server.requests() - before, 4);
    let renewed = cookie(&record, "jwt").unwrap();
    assert_ne!(renewed, second);
    assert_steps_increase(&fx.server.accepted_steps(Flavor::Nest, "rita"));

    // The record saved in the vault carries the renewed session.
    VaultServerStore::new(&mut fx.vault).add(record).unwrap();
    let saved = VaultServerStore::new(&mut reopen_vault(&fx))
        .load("nest")
        .unwrap();
    assert_eq!(cookie(&saved, "jwt"), Some(renewed));
}

#[tokio::test]
async fn nest_session_that_cannot_be_renewed_says_to_sign_in_again() {
    let mut fx = Fixture::new().await;
    let (profile, mut record) = fx.record(Flavor::Nest, "sam").await;
    let id = fx.enrol(&profile, &mut record).await.unwrap();
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap();

    // The refresh cookie holds the access token: signed with the other
    // key, the server refuses it, as it must.
    let access = cookie(&record, "jwt").unwrap();
    fx.clock.advance(PAST_ACCESS_TOKEN_MS);
    let mut swapped = record.clone();
    swapped
        .credentials
        .set_cookies_from(&format!("jwt={access}; refresh={access}"), "jwt");
    let err = fx
        .client
        .login(&profile, &mut swapped, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::SessionExpired { .. }), "{err:?}");

    // Past the refresh token's seven days too.
    fx.clock.advance(8 * 24 * 60 * 60 * 1000);
    let err = fx
        .client
        .disable(&profile, &mut record, &mut fx.vault)
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::SessionExpired { .. }), "{err:?}");
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert_clean(&err, &record);
    assert_eq!(fx.server.refreshes(), 0);
    assert!(fx.server.is_enabled(Flavor::Nest, "sam"), "nothing changed");
    assert_eq!(fx.enabled_accounts(&record.name), [id], "the seed is kept");

    // A pasted access cookie alone, expired: nothing to renew it with.
    let (_, mut bare) = fx.record(Flavor::Nest, "tom").await;
    fx.clock.advance(PAST_ACCESS_TOKEN_MS);
    let err = fx.enrol(&profile, &mut bare).await.unwrap_err();
    assert!(matches!(err, ServerError::SessionExpired { .. }), "{err:?}");
}

/// A runner over the fixture's folder and clock (waits move the clock).
fn runner_of(fx: &Fixture) -> FlowRunner {
    FlowRunner::with_client(
        fx.dir.path().join("profiles"),
        Fixture::client_with(fx.clock.clone(), fx.clock.clone()),
        fx.clock.clone(),
    )
}

fn syncano_server(fx: &Fixture, name: &str, user: &str) -> NewServer {
    NewServer {
        name: name.to_owned(),
        profile: "syncano".to_owned(),
        url: fx.server.url(Flavor::Syncano),
        username: Some(user.to_owned()),
        password: Some(SecretString::from(PASSWORD)),
        token: None,
        cookie: None,
        register: true,
        host_confirmed: true,
    }
}

#[tokio::test]
async fn the_runner_reports_each_enrolment_step_and_the_one_that_failed() {
    let mut fx = Fixture::new().await;
    let runner = runner_of(&fx);
    let server = syncano_server(&fx, "sync", "uma");
    let record = runner.add(&mut fx.vault, server).await.unwrap();
    assert!(
        record.credentials.token.is_some(),
        "registering kept the session"
    );
    let again = syncano_server(&fx, "sync", "uma");
    let err = runner.add(&mut fx.vault, again).await.unwrap_err();
    assert!(
        matches!(err, ServerError::DuplicateServer { .. }),
        "{err:?}"
    );

    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let enrol = |seen: &Arc<std::sync::Mutex<Vec<EnrolStep>>>| {
        let seen = Arc::clone(seen);
        Enrol {
            label: Label::default(),
            on_step: Some(Box::new(move |step| seen.lock().unwrap().push(step))),
        }
    };
    fx.server.set_fault(Some(Fault::Status500));
    let ran = runner
        .run(&mut fx.vault, "sync", enrol(&seen))
        .await
        .unwrap();
    assert!(matches!(
        ran.outcome,
        Err(ServerError::Server { status: 500, .. })
    ));
    assert_eq!(ran.failed_at, Some(EnrolStep::RequestSecret));
    fx.server.set_fault(None);

    seen.lock().unwrap().clear();
    let ran = runner
        .run(&mut fx.vault, "sync", enrol(&seen))
        .await
        .unwrap();
    let id = ran.outcome.unwrap();
    assert_eq!(ran.failed_at, None);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            EnrolStep::SignIn,
            EnrolStep::RequestSecret,
            EnrolStep::StorePending,
            EnrolStep::Verify,
            EnrolStep::Done
        ]
    );
    let saved = VaultServerStore::new(&mut reopen_vault(&fx))
        .load("sync")
        .unwrap();
    assert_eq!(saved.account_id, Some(id), "the record was saved");
}

#[tokio::test]
async fn a_lockout_wait_is_kept_in_the_record_and_every_process_on_the_vault_keeps_it() {
    let mut fx = Fixture::new().await;
    let runner = runner_of(&fx);
    let server = syncano_server(&fx, "sync", "vera");
    runner.add(&mut fx.vault, server).await.unwrap();
    let enrol = Enrol {
        label: Label::default(),
        on_step: None,
    };
    let id = runner
        .run(&mut fx.vault, "sync", enrol)
        .await
        .unwrap()
        .outcome
        .unwrap();

    // Codes from another secret: the fourth wrong one locks the account.
    let entry = fx.vault.get(id).unwrap().clone();
    let mut wrong = entry.account.clone();
    wrong.secret = tessera::core::secret::SecretBytes::new(vec![7; 20]);
    fx.vault.update(id, wrong, entry.details.clone()).unwrap();
    for _ in 0..3 {
        let ran = runner
            .run(&mut fx.vault, "sync", Login(LoginWith::Code))
            .await
            .unwrap();
        assert!(matches!(ran.outcome, Err(ServerError::InvalidCode { .. })));
        assert_eq!(ran.record.wait_until_ms, None);
    }
    let ran = runner
        .run(&mut fx.vault, "sync", Login(LoginWith::Code))
        .await
        .unwrap();
    assert!(matches!(ran.outcome, Err(ServerError::LockedOut { .. })));
    let now = fx.clock.now().unix_millis();
    assert_eq!(ran.record.wait_until_ms, Some(now + 300_000));
    fx.vault
        .update(id, entry.account.clone(), entry.details.clone())
        .unwrap();

    // Another process on the file refuses before sending anything.
    let mut other = reopen_vault(&fx);
    let before = fx.server.requests();
    let err = runner_of(&fx)
        .run(&mut other, "sync", Status)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServerError::AskedToWait { seconds: 300, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("try again in 300 s"), "{err}");
    assert_eq!(fx.server.requests(), before, "nothing was sent");

    // Once the wait is over, a right code passes and the wait is cleared.
    fx.clock.advance(300_000);
    runner_of(&fx)
        .run(&mut other, "sync", Login(LoginWith::Code))
        .await
        .unwrap()
        .outcome
        .unwrap();
    let saved = VaultServerStore::new(&mut reopen_vault(&fx))
        .load("sync")
        .unwrap();
    assert_eq!(saved.wait_until_ms, None);
}

#[tokio::test]
async fn user_profiles_from_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let text = Profile::builtin_toml("syncano")
        .unwrap()
        .replace("name = \"syncano\"", "name = \"in-house\"");
    std::fs::write(dir.path().join("in-house.toml"), text).unwrap();
    let all = Profile::all(Some(dir.path())).unwrap();
    assert_eq!(all.len(), 5);
    let mut fx = Fixture::new().await;
    let profile = all.into_iter().find(|p| p.name == "in-house").unwrap();
    let mut record =
        ServerRecord::new("mine", "in-house", &fx.server.url(Flavor::Syncano)).unwrap();
    record.username = Some("olga".into());
    record.credentials.password = Some(SecretString::from(PASSWORD));
    fx.client.register(&profile, &mut record).await.unwrap();
    fx.enrol(&profile, &mut record).await.unwrap();

    std::fs::write(
        dir.path().join("broken.toml"),
        "name = \"broken\"\nauth = \"telepathy\"\n",
    )
    .unwrap();
    let err = Profile::all(Some(dir.path())).unwrap_err().to_string();
    assert!(
        err.contains("broken.toml") && err.contains("telepathy"),
        "{err}"
    );
}

#[tokio::test]
async fn qr_image_answers_are_decoded() {
    for flavor in [Flavor::Laravel, Flavor::Nest] {
        let mut fx = Fixture::new().await;
        fx.server.set_image_answers(true);
        let (profile, mut record) = fx.record(flavor, "pat@example.com").await;
        let id = fx.enrol(&profile, &mut record).await.unwrap();
        assert!(
            fx.server.is_enabled(flavor, "pat@example.com"),
            "{flavor:?}"
        );
        assert_eq!(fx.vault.get(id).unwrap().account.name, "pat@example.com");
    }
    // Without a decoder: a clear error, and nothing stored.
    let mut fx = Fixture::new().await;
    fx.server.set_image_answers(true);
    let (profile, mut record) = fx.record(Flavor::Nest, "quin").await;
    let client = ServerClient::new(
        Http::new(options()).unwrap(),
        fx.clock.clone(),
        Arc::new(AdvanceClock(fx.clock.clone())),
        None,
    );
    let err = client
        .enrol(&profile, &mut record, &mut fx.vault, &Label::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::Qr { .. }), "{err:?}");
    assert!(fx.vault.entries().unwrap().is_empty());
}

#[tokio::test]
async fn validation_errors_name_the_fields() {
    let fx = Fixture::new().await;
    let profile = Profile::builtin("syncano").unwrap();
    let mut record = ServerRecord::new("v", "syncano", &fx.server.url(Flavor::Syncano)).unwrap();
    record.username = Some(String::new());
    record.credentials.password = Some(SecretString::from(""));
    let err = fx.client.register(&profile, &mut record).await.unwrap_err();
    let ServerError::Validation { fields, message } = err else {
        panic!("{err:?}");
    };
    assert_eq!(fields, ["password", "username"]);
    assert_eq!(message, "Validation error(s)");
}

// ---------------------------------------------------------------------------
// Server records in the vault

/// The fixture's vault, opened again as the next command would.
fn reopen_vault(fx: &Fixture) -> Vault {
    let mut vault = Vault::open(fx.dir.path().join("v.tessera"), fx.clock.clone()).unwrap();
    vault
        .unlock_with_password(&SecretString::from("vault password"))
        .unwrap();
    vault
}

#[tokio::test]
async fn vault_store_keeps_records_with_their_credentials() {
    let mut fx = Fixture::new().await;
    let mut record = ServerRecord::new("nest", "nest-jwt", &fx.server.url(Flavor::Nest)).unwrap();
    record.username = Some("carol".into());
    record.credentials.password = Some(SecretString::from(PASSWORD));
    record.credentials.token = Some(SecretString::from("token-value-123"));
    record
        .credentials
        .set_cookies_from("jwt=cookie-jwt-456; refresh=r1", "jwt");
    record.account_id = Some(uuid::Uuid::new_v4());
    record.last_step = Some(7);
    record.user_id = Some("u1".into());
    {
        let mut store = VaultServerStore::new(&mut fx.vault);
        store.add(record.clone()).unwrap();
        assert!(matches!(
            store.add(record.clone()),
            Err(ServerError::DuplicateServer { .. })
        ));
        let other =
            ServerRecord::new("another", "syncano", &fx.server.url(Flavor::Syncano)).unwrap();
        store.add(other).unwrap();
        assert_eq!(store.names().unwrap(), ["another", "nest"]);
    }
    assert_eq!(fx.vault.servers().unwrap().len(), 2);

    let mut vault = reopen_vault(&fx);
    let mut store = VaultServerStore::new(&mut vault);
    let back = store.load("nest").unwrap();
    assert_eq!(
        (&back.name, &back.profile, &back.base_url),
        (&record.name, &record.profile, &record.base_url)
    );
    assert_eq!(back.username.as_deref(), Some("carol"));
    assert_eq!(back.credentials.password, record.credentials.password);
    assert_eq!(back.credentials.token, record.credentials.token);
    assert_eq!(back.credentials.cookies, record.credentials.cookies);
    assert_eq!(back.account_id, record.account_id);
    assert_eq!(back.last_step, Some(7));
    assert_eq!(back.user_id.as_deref(), Some("u1"));
    let debug = format!("{back:?}");
    for secret in [PASSWORD, "token-value-123", "cookie-jwt-456"] {
        assert!(!debug.contains(secret), "{debug}");
    }

    let mut changed = back.clone();
    changed.credentials.token = Some(SecretString::from("token-value-789"));
    changed.last_step = Some(8);
    store.save(&changed).unwrap();
    store.remove("another").unwrap();
    assert!(matches!(
        store.remove("another"),
        Err(ServerError::UnknownServer { .. })
    ));
    assert!(matches!(
        store
            .save(&ServerRecord::new("ghost", "syncano", &fx.server.url(Flavor::Syncano)).unwrap()),
        Err(ServerError::UnknownServer { .. })
    ));
    drop(vault);

    let mut vault = reopen_vault(&fx);
    let store = VaultServerStore::new(&mut vault);
    assert_eq!(store.names().unwrap(), ["nest"]);
    let back = store.load("nest").unwrap();
    assert_eq!(back.credentials.token, changed.credentials.token);
    assert_eq!(back.last_step, Some(8));

    // No credential is in the files in clear text.
    for entry in std::fs::read_dir(fx.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for secret in [PASSWORD, "token-value-", "cookie-jwt-456", "carol"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} is in a file"
            );
        }
    }

    vault.lock();
    let store = VaultServerStore::new(&mut vault);
    assert!(matches!(
        store.load("nest"),
        Err(ServerError::Vault(VaultError::Locked))
    ));
}

#[tokio::test]
async fn a_session_saved_in_the_vault_is_reused_without_logging_in_again() {
    let mut fx = Fixture::new().await;
    let profile = Profile::builtin("syncano").unwrap();
    let mut record = ServerRecord::new("sync", "syncano", &fx.server.url(Flavor::Syncano)).unwrap();
    record.username = Some("erin".into());
    record.credentials.password = Some(SecretString::from(PASSWORD));
    VaultServerStore::new(&mut fx.vault).add(record).unwrap();

    // One command: load, register, enrol, log in with a code, save.
    let mut record = VaultServerStore::new(&mut fx.vault).load("sync").unwrap();
    assert!(record.credentials.token.is_none());
    fx.client.register(&profile, &mut record).await.unwrap();
    let id = fx.enrol(&profile, &mut record).await.unwrap();
    fx.client
        .login(&profile, &mut record, &mut fx.vault, LoginWith::Code)
        .await
        .unwrap();
    let token = record.credentials.token.clone().expect("a session token");
    let last_step = record.last_step;
    VaultServerStore::new(&mut fx.vault).save(&record).unwrap();
    drop(record);

    // The next command, with the vault opened again.
    let mut vault = reopen_vault(&fx);
    let mut record = VaultServerStore::new(&mut vault).load("sync").unwrap();
    assert_eq!(record.credentials.token.as_ref(), Some(&token));
    assert_eq!(record.account_id, Some(id));
    assert_eq!(record.last_step, last_step);
    let before = fx.server.requests();
    fx.client
        .open_session(&profile, &mut record, &mut vault)
        .await
        .unwrap();
    assert!(fx.client.status(&profile, &mut record).await.unwrap());
    assert_eq!(
        fx.server.requests() - before,
        1,
        "status reused the saved session: no login"
    );

    // Without the saved session, the same status needs a login first.
    record.credentials.token = None;
    let before = fx.server.requests();
    fx.client
        .open_session(&profile, &mut record, &mut vault)
        .await
        .unwrap();
    assert!(fx.client.status(&profile, &mut record).await.unwrap());
    assert!(fx.server.requests() - before > 1);
}

// ---------------------------------------------------------------------------
// The CLI against the reference server

/// The real time shifted by an offset the test moves forward, so that every
/// command gets a fresh time step without waiting; the CLI gets the same
/// offset through its settings file.
struct SteppedClock(AtomicI64);

impl Clock for SteppedClock {
    fn now(&self) -> Timestamp {
        let offset = self.0.load(Ordering::SeqCst);
        OffsetClock::new(SystemClock, offset).now()
    }
}

/// Runs `tessera` commands on one vault against the reference server.
struct CliRun<'a> {
    vault: &'a CliVault,
    config: &'a std::path::Path,
    clock: &'a SteppedClock,
    server_password: &'a str,
}

impl CliRun<'_> {
    /// Runs `args`, expects success, keeps the output; returns stdout.
    async fn run(&self, args: &[&str], outputs: &mut Vec<(Vec<String>, Output)>) -> String {
        // A new time step for every command, on both sides.
        let offset = self.clock.0.fetch_add(30_000, Ordering::SeqCst) + 30_000;
        std::fs::write(
            self.config.join("tessera").join("settings.json"),
            format!(r#"{{"clockOffsetMs": {offset}}}"#),
        )
        .unwrap();
        let mut command = self.vault.command(args);
        command
            .env("XDG_CONFIG_HOME", self.config)
            .env("TESSERA_TEST_SERVER_PW", self.server_password);
        let output = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let stdout = expect_success(&output, args);
        outputs.push((args.iter().map(|a| (*a).to_owned()).collect(), output));
        stdout
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_lifecycle_keeps_credentials_and_sessions_in_the_vault_only() {
    let clock = Arc::new(SteppedClock(AtomicI64::new(0)));
    let server = ReferenceServer::start(clock.clone()).await.unwrap();
    let vault = CliVault::init();
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("tessera")).unwrap();
    let config_dir = config.path().to_owned();
    let url = server.url(Flavor::Syncano);
    let server_password = "server password 7f3a";

    let mut outputs = Vec::new();
    let ctx = CliRun {
        vault: &vault,
        config: &config_dir,
        clock: &clock,
        server_password,
    };
    let mut run = async |args: &[&str]| ctx.run(args, &mut outputs).await;

    let added = run(&[
        "server",
        "add",
        "sync",
        "--profile",
        "syncano",
        "--url",
        &url,
        "--username",
        "frank",
        "--password-env",
        "TESSERA_TEST_SERVER_PW",
    ])
    .await;
    assert_eq!(added.trim(), "sync");
    assert_eq!(
        run(&["server", "register", "sync"]).await.trim(),
        "registered"
    );
    let id = run(&["server", "enrol", "sync"]).await;
    let id = uuid::Uuid::parse_str(id.trim()).unwrap();
    assert!(server.is_enabled(Flavor::Syncano, "frank"));

    // The session from enrolment is in the vault: status needs one request.
    let before = server.requests();
    assert_eq!(run(&["server", "status", "sync"]).await.trim(), "enabled");
    assert_eq!(server.requests() - before, 1, "status logged in again");

    assert_eq!(run(&["server", "login", "sync"]).await.trim(), "ok");
    assert_eq!(
        run(&["server", "login", "sync", "--backup-code"])
            .await
            .trim(),
        "ok"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&run(&["server", "list", "--json"]).await).unwrap();
    assert_eq!(listed[0]["name"], "sync");
    assert_eq!(listed[0]["password"], true);
    assert_eq!(listed[0]["token"], true);
    assert_eq!(listed[0]["account_id"], id.to_string());
    assert_eq!(
        run(&["server", "disable", "sync"]).await.trim(),
        format!("disabled; account {id} archived")
    );
    assert!(!server.is_enabled(Flavor::Syncano, "frank"));
    assert_eq!(run(&["server", "status", "sync"]).await.trim(), "disabled");

    // What the vault holds, read through the library.
    let mut opened = Vault::open(&vault.path, clock.clone()).unwrap();
    opened
        .unlock_with_password(&SecretString::from(PASSWORD_CLI))
        .unwrap();
    let record = VaultServerStore::new(&mut opened).load("sync").unwrap();
    assert_eq!(
        record
            .credentials
            .password
            .as_ref()
            .map(SecretString::expose),
        Some(server_password)
    );
    let token = record
        .credentials
        .token
        .clone()
        .expect("the session is kept");
    let codes: Vec<String> = opened
        .backup_codes(id)
        .unwrap()
        .iter()
        .map(|c| c.code.expose().to_owned())
        .collect();
    assert!(!codes.is_empty());
    drop(opened);

    let mut forbidden = vec![server_password.to_owned(), token.expose().to_owned()];
    forbidden.extend(codes);
    assert_no_secret_printed(&outputs, &forbidden);
    assert_only_the_vault_beside(&vault);
}

fn assert_no_secret_printed(outputs: &[(Vec<String>, Output)], forbidden: &[String]) {
    for (args, output) in outputs {
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            for secret in forbidden {
                assert!(!text.contains(secret.as_str()), "{args:?} printed a secret");
            }
        }
    }
}

/// Nothing but the vault (and its WAL files) beside the vault.
fn assert_only_the_vault_beside(vault: &CliVault) {
    let name = vault
        .path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for entry in std::fs::read_dir(vault.dir.path()).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            [name.clone(), format!("{name}-wal"), format!("{name}-shm")].contains(&file),
            "{file} was written beside the vault"
        );
    }
}

// ---------------------------------------------------------------------------
// Proxies from the environment

/// A TCP listener standing in for a proxy: counts the connections it gets
/// and closes each at once.
struct FakeProxy {
    addr: std::net::SocketAddr,
    connections: Arc<std::sync::atomic::AtomicUsize>,
}

impl FakeProxy {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Self { addr, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_request_never_goes_to_the_proxy_of_the_environment() {
    let clock = Arc::new(FixedClock::at_unix_seconds(1_800_000_010));
    let server = ReferenceServer::start(clock).await.unwrap();
    let proxy = FakeProxy::start();
    // A sanity check of the fake proxy itself.
    drop(std::net::TcpStream::connect(proxy.addr).unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while proxy.connections() == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(proxy.connections(), 1, "the fake proxy counts connections");

    let vault = CliVault::init();
    let proxy_url = format!("http://{}", proxy.addr);
    let url = server.url(Flavor::Syncano);
    // Registering sends the username and password to the server.
    let commands: [Vec<&str>; 2] = [
        vec![
            "server",
            "add",
            "sync",
            "--profile",
            "syncano",
            "--url",
            &url,
            "--username",
            "proxied",
            "--password-env",
            "TESSERA_TEST_SERVER_PW",
        ],
        vec!["server", "register", "sync"],
    ];
    let mut outputs = Vec::new();
    for args in &commands {
        let mut command = vault.command(args);
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            command.env(var, &proxy_url);
        }
        command
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env("TESSERA_TEST_SERVER_PW", PASSWORD);
        let output = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        outputs.push(output);
    }
    expect_success(&outputs[0], &commands[0]);
    let registered = expect_success(&outputs[1], &commands[1]);
    assert_eq!(registered.trim(), "registered");
    assert!(server.requests() > 0, "the reference server was reached");
    assert_eq!(
        proxy.connections(),
        1,
        "the server password went to the proxy in clear"
    );
}
