//! `core::server` against the reference server over real HTTP on loopback:
//! every profile's lifecycle, refusals, lockout, rate limit, replay,
//! garbage answers, timeouts, redirects, insecure URLs, a server that
//! forgets the user. In each: a specific error, a consistent vault, no
//! seed lost, no secret in an error.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tessera::core::clock::{Clock, FixedClock, OffsetClock, Timestamp};
use tessera::core::secret::SecretString;
use tessera::core::server::{
    ARCHIVED_TAG, Http, HttpOptions, Label, LoginWith, PENDING_TAG, Pause, Profile, ServerClient,
    ServerError, ServerRecord, server_tag,
};
use tessera::core::vault::{KdfParams, Vault};

use crate::support::reference_server::{Fault, Flavor, ReferenceServer, stand_in_qr_decoder};

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
    _dir: tempfile::TempDir,
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
            _dir: dir,
        }
    }

    fn client_with(base: Arc<FixedClock>, clock: Arc<dyn Clock>) -> ServerClient {
        ServerClient::new(
            Http::new(options()).unwrap(),
            clock,
            Arc::new(AdvanceClock(base)),
            Some(stand_in_qr_decoder),
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
                record
                    .credentials
                    .set_cookies_from(&format!("jwt={cookie}; refresh=r1"), "jwt");
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
        "name is the username, not `SecretKey`"
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
