//! The reference server's memory: users, sessions, TOTP checks, lockouts
//! and rate limits.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use tessera::core::clock::Clock;
use tessera::core::otp::{Account, Algorithm, OtpKind, code_at};
use tessera::core::secret::SecretBytes;

use super::Fault;
use super::jwt::{self, ACCESS_TTL_MS, Claims, REFRESH_TTL_MS};

/// Seed 001: the 4th wrong code in a row locks logins.
pub const LOCK_AFTER: u32 = 4;
/// Seed 001: for 5 minutes.
pub const LOCK_MS: u64 = 5 * 60 * 1000;
/// Seed 003: 5 failed verifications within 5 minutes...
pub const RATE_ATTEMPTS: usize = 5;
/// ...then 429 until the window passes.
pub const RATE_WINDOW_MS: u64 = 5 * 60 * 1000;

/// The server families, each under its own path prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    Syncano,
    Daptin,
    Laravel,
    Nest,
}

impl Flavor {
    /// The path prefix (`/syncano/...`).
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Syncano => "syncano",
            Self::Daptin => "daptin",
            Self::Laravel => "laravel",
            Self::Nest => "nest",
        }
    }

    /// The built-in profile that speaks to it.
    pub fn profile(self) -> &'static str {
        match self {
            Self::Syncano => "syncano",
            Self::Daptin => "daptin",
            Self::Laravel => "laravel-google2fa",
            Self::Nest => "nest-jwt",
        }
    }

    /// Every flavor.
    pub const ALL: [Self; 4] = [Self::Syncano, Self::Daptin, Self::Laravel, Self::Nest];
}

/// One user of one flavor.
#[derive(Debug, Default)]
pub struct User {
    pub id: String,
    pub password: String,
    /// The confirmed secret.
    pub secret: Option<Vec<u8>>,
    /// A secret handed out by setup, not yet verified.
    pub pending: Option<Vec<u8>>,
    pub enabled: bool,
    pub last_step: Option<u64>,
    pub accepted_steps: Vec<u64>,
    pub wrong_in_a_row: u32,
    pub locked_until: Option<u64>,
    /// Times (ms) of failed verifications, for the rate limit.
    pub failures: Vec<u64>,
    pub backup_codes: Vec<(String, bool)>,
}

/// A session: whose, and whether the second factor was passed.
#[derive(Clone, Debug)]
pub struct Session {
    pub flavor: Flavor,
    pub username: String,
    pub second_factor: bool,
}

/// What a code check found.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Ok,
    Wrong,
    Replay,
    BackupCode,
}

pub struct State {
    pub clock: Arc<dyn Clock>,
    pub users: HashMap<(Flavor, String), User>,
    pub sessions: HashMap<String, Session>,
    pub fault: Option<Fault>,
    pub requests: usize,
    /// Answer setups with stand-in QR images (see `ReferenceServer::set_image_answers`).
    pub image_answers: bool,
    /// How many times Nest's `auth/refresh` renewed a session.
    pub refreshes: usize,
    /// Nest's key for access tokens.
    access_key: Vec<u8>,
    /// Nest's key for refresh tokens: another one, as seed 004 insists.
    refresh_key: Vec<u8>,
    counter: u64,
}

impl State {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            users: HashMap::new(),
            sessions: HashMap::new(),
            fault: None,
            requests: 0,
            image_answers: false,
            refreshes: 0,
            access_key: random_text(32).into_bytes(),
            refresh_key: random_text(32).into_bytes(),
            counter: 0,
        }
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now().unix_millis()
    }

    pub fn forget(&mut self) {
        self.users.clear();
        self.sessions.clear();
    }

    pub fn user(&self, flavor: Flavor, username: &str) -> Option<&User> {
        self.users.get(&(flavor, username.to_owned()))
    }

    pub fn user_mut(&mut self, flavor: Flavor, username: &str) -> Option<&mut User> {
        self.users.get_mut(&(flavor, username.to_owned()))
    }

    /// Creates a user (replacing one of the same name) and a session.
    pub fn add_user(&mut self, flavor: Flavor, username: &str, password: &str) -> String {
        self.counter += 1;
        let user = User {
            id: format!("usr-{:04}-{}", self.counter, random_text(6).to_lowercase()),
            password: password.to_owned(),
            ..User::default()
        };
        self.users.insert((flavor, username.to_owned()), user);
        self.new_session(flavor, username, false)
    }

    /// A new session token: a JWT-shaped token for Daptin, a signed
    /// 30-minute access JWT for Nest, random text for the others.
    pub fn new_session(&mut self, flavor: Flavor, username: &str, second_factor: bool) -> String {
        let id = self
            .user(flavor, username)
            .map(|u| u.id.clone())
            .unwrap_or_default();
        let token = match flavor {
            Flavor::Nest => {
                let claims = Claims {
                    sub: id,
                    email: username.to_owned(),
                    second_factor,
                    expires_ms: self.now_ms() + ACCESS_TTL_MS,
                };
                return jwt::sign(&claims, &self.access_key);
            }
            Flavor::Daptin => {
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
                let claims =
                    serde_json::json!({"sub": id, "email": username, "tfa": second_factor});
                let payload = b64.encode(claims.to_string());
                format!("{header}.{payload}.{}", random_text(24))
            }
            Flavor::Syncano | Flavor::Laravel => random_text(32),
        };
        self.sessions.insert(
            token.clone(),
            Session {
                flavor,
                username: username.to_owned(),
                second_factor,
            },
        );
        token
    }

    /// Nest: a 7-day refresh token for `username`, signed with the refresh key.
    pub fn new_refresh_token(&self, username: &str, second_factor: bool) -> String {
        let claims = Claims {
            sub: self
                .user(Flavor::Nest, username)
                .map(|u| u.id.clone())
                .unwrap_or_default(),
            email: username.to_owned(),
            second_factor,
            expires_ms: self.now_ms() + REFRESH_TTL_MS,
        };
        jwt::sign(&claims, &self.refresh_key)
    }

    /// Nest: a new access token for the holder of refresh token `token`
    /// (signed with the refresh key, unexpired, of a known user).
    pub fn refresh(&mut self, token: &str) -> Option<String> {
        let claims = jwt::verify(token, &self.refresh_key, self.now_ms())?;
        self.user(Flavor::Nest, &claims.email)?;
        self.refreshes += 1;
        Some(self.new_session(Flavor::Nest, &claims.email, claims.second_factor))
    }

    /// The session `token` of `flavor` (for Nest: an access JWT signed
    /// with the access key that has not expired).
    pub fn session(&self, flavor: Flavor, token: &str) -> Option<Session> {
        if flavor == Flavor::Nest {
            let claims = jwt::verify(token, &self.access_key, self.now_ms())?;
            self.user(flavor, &claims.email)?;
            return Some(Session {
                flavor,
                username: claims.email,
                second_factor: claims.second_factor,
            });
        }
        self.sessions
            .get(token)
            .filter(|s| s.flavor == flavor && self.user(flavor, &s.username).is_some())
            .cloned()
    }

    /// Checks `code` against `secret` (±1 step; never a step at or before
    /// the last accepted one), or, with `backup`, against unused backup
    /// codes. Records an accepted step.
    pub fn check_code(
        &mut self,
        flavor: Flavor,
        username: &str,
        code: &str,
        use_pending: bool,
        backup: bool,
    ) -> Check {
        let now = self.now_ms();
        let Some(user) = self.user_mut(flavor, username) else {
            return Check::Wrong;
        };
        let code = code.trim();
        if backup
            && let Some(entry) = user
                .backup_codes
                .iter_mut()
                .find(|(c, used)| !*used && c == code)
        {
            entry.1 = true;
            return Check::BackupCode;
        }
        let secret = if use_pending {
            user.pending.clone()
        } else {
            user.secret.clone()
        };
        let Some(secret) = secret else {
            return Check::Wrong;
        };
        let Ok(account) = Account::new(
            "",
            "",
            SecretBytes::new(secret),
            Algorithm::Sha1,
            6,
            OtpKind::Totp { period: 30 },
        ) else {
            return Check::Wrong;
        };
        let step = now / 30_000;
        for candidate in [step.saturating_sub(1), step, step + 1] {
            if code_at(&account, candidate).is_ok_and(|c| c == code) {
                if user.last_step.is_some_and(|last| candidate <= last) {
                    return Check::Replay;
                }
                user.last_step = Some(candidate);
                user.accepted_steps.push(candidate);
                return Check::Ok;
            }
        }
        Check::Wrong
    }

    /// Seed 001: records a wrong login code; `Some(wait_s)` once locked.
    pub fn wrong_login_code(&mut self, flavor: Flavor, username: &str) -> Option<u64> {
        let now = self.now_ms();
        let user = self.user_mut(flavor, username)?;
        user.wrong_in_a_row += 1;
        if user.wrong_in_a_row >= LOCK_AFTER {
            user.wrong_in_a_row = 0;
            user.locked_until = Some(now + LOCK_MS);
            return Some(LOCK_MS / 1000);
        }
        None
    }

    /// Seconds left of a lockout.
    pub fn locked_for(&self, flavor: Flavor, username: &str) -> Option<u64> {
        let now = self.now_ms();
        let until = self.user(flavor, username)?.locked_until?;
        (until > now).then(|| (until - now).div_ceil(1000))
    }

    /// Seed 003: seconds to wait if 5 verifications failed in 5 minutes.
    pub fn rate_limited_for(&mut self, flavor: Flavor, username: &str) -> Option<u64> {
        let now = self.now_ms();
        let user = self.user_mut(flavor, username)?;
        user.failures
            .retain(|t| now.saturating_sub(*t) < RATE_WINDOW_MS);
        if user.failures.len() >= RATE_ATTEMPTS {
            let oldest = user.failures.iter().min().copied().unwrap_or(now);
            return Some((oldest + RATE_WINDOW_MS - now).div_ceil(1000));
        }
        None
    }

    pub fn failed_verification(&mut self, flavor: Flavor, username: &str) {
        let now = self.now_ms();
        if let Some(user) = self.user_mut(flavor, username) {
            user.failures.push(now);
        }
    }
}

/// A new random secret (20 bytes).
pub fn new_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    getrandom::fill(&mut bytes).expect("system randomness");
    bytes
}

/// Seed 001: five codes of 10 characters from `[A-Za-z0-9]`.
pub fn new_backup_codes() -> Vec<(String, bool)> {
    (0..5).map(|_| (random_text(10), false)).collect()
}

/// Random `[A-Za-z0-9]` text.
pub fn random_text(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("system randomness");
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(ALPHABET[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The otpauth URI of a secret, with speakeasy's poor default label.
pub fn otpauth(secret: &[u8], issuer: Option<&str>) -> String {
    let issuer = issuer.map(|i| format!("&issuer={i}")).unwrap_or_default();
    format!("otpauth://totp/SecretKey?secret={}{issuer}", base32(secret))
}
