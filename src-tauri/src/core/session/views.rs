//! The shapes the session's actions take and return: what the window
//! shows of accounts, codes, backup codes, settings and the vault's state.
//! TypeScript types are generated from these (with the crate feature
//! `desktop`); none that is returned carries an OTP secret unless a reveal
//! asked for it (the account list has labels and parameters, codes come one
//! batch at a time).

use serde::{Deserialize, Serialize};

use crate::core::clock::Timestamp;
use crate::core::icon::AccountIcon;
use crate::core::otp::{Account, Algorithm, Code, OtpKind};
use crate::core::password_strength::{PasswordStrength, Verdict};
use crate::core::settings::{LogLevel, Settings, Theme};
use crate::core::vault::{self, BackupCode, Entry, Vault};

/// Whether there is a vault, and whether it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum VaultState {
    /// No vault file yet: first run.
    Missing,
    Locked,
    Unlocked,
}

/// What the unlock and first-run screens need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VaultStatus {
    pub state: VaultState,
    /// Whether keyring unlock is enabled for this vault.
    pub keyring_enabled: bool,
    pub vault_path: String,
}

impl VaultStatus {
    pub fn of(vault: &Vault) -> Self {
        Self {
            state: if vault.is_unlocked() {
                VaultState::Unlocked
            } else {
                VaultState::Locked
            },
            keyring_enabled: vault.has_keyring_slot(),
            vault_path: vault.path().display().to_string(),
        }
    }
}

/// How guessable a new password is, in words (zxcvbn's score).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PasswordVerdict {
    Empty,
    Weak,
    Fair,
    Good,
    Strong,
}

/// The estimate shown under a new-password field: never the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PasswordStrengthView {
    pub verdict: PasswordVerdict,
    /// Whether it may be used without confirming it is meant.
    pub acceptable: bool,
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
}

impl From<PasswordStrength> for PasswordStrengthView {
    fn from(strength: PasswordStrength) -> Self {
        Self {
            verdict: match strength.verdict {
                Verdict::Empty => PasswordVerdict::Empty,
                Verdict::Weak => PasswordVerdict::Weak,
                Verdict::Fair => PasswordVerdict::Fair,
                Verdict::Good => PasswordVerdict::Good,
                Verdict::Strong => PasswordVerdict::Strong,
            },
            acceptable: strength.is_acceptable(),
            warning: strength.warning,
            suggestions: strength.suggestions,
        }
    }
}

/// How an account's codes are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum KindName {
    Totp,
    Hotp,
    Steam,
}

/// The HMAC hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum AlgorithmName {
    Sha1,
    Sha256,
    Sha512,
}

impl From<Algorithm> for AlgorithmName {
    fn from(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha1 => Self::Sha1,
            Algorithm::Sha256 => Self::Sha256,
            Algorithm::Sha512 => Self::Sha512,
        }
    }
}

impl From<AlgorithmName> for Algorithm {
    fn from(name: AlgorithmName) -> Self {
        match name {
            AlgorithmName::Sha1 => Self::Sha1,
            AlgorithmName::Sha256 => Self::Sha256,
            AlgorithmName::Sha512 => Self::Sha512,
        }
    }
}

/// One account as the list and the detail screen show it: no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    pub id: String,
    pub issuer: String,
    pub name: String,
    pub kind: KindName,
    pub algorithm: AlgorithmName,
    pub digits: u8,
    /// Seconds per code (TOTP, Steam).
    pub period: Option<u32>,
    /// The next HOTP counter.
    pub counter: Option<u64>,
    pub tags: Vec<String>,
    pub favorite: bool,
    pub note: String,
    /// Unix milliseconds of the last copy or HOTP code.
    pub last_used_at: Option<u64>,
    pub backup_codes_left: u32,
    pub backup_codes_total: u32,
    /// The account's own icon (from an import); `None` shows the issuer's
    /// brand icon or the initial.
    pub icon: Option<IconView>,
}

/// An account's own icon as the rows draw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum IconView {
    /// A PNG Tessera drew, as a `data:image/png;base64,` URL.
    #[serde(rename_all = "camelCase")]
    Picture { data_url: String },
    /// Letters on a tile; `colour` is `#rrggbb`, or `None` for the
    /// account's own colour.
    Badge {
        text: String,
        colour: Option<String>,
    },
}

impl From<&AccountIcon> for IconView {
    fn from(icon: &AccountIcon) -> Self {
        match icon {
            AccountIcon::Png(_) => Self::Picture {
                data_url: icon.data_url().unwrap_or_default(),
            },
            AccountIcon::Badge(badge) => Self::Badge {
                text: badge.text.clone(),
                colour: badge.colour.clone(),
            },
        }
    }
}

impl From<&Entry> for AccountSummary {
    fn from(entry: &Entry) -> Self {
        let account = &entry.account;
        let count = |codes: usize| u32::try_from(codes).unwrap_or(u32::MAX);
        Self {
            id: entry.id.hyphenated().to_string(),
            issuer: account.issuer.clone(),
            name: account.name.clone(),
            kind: KindName::of(account),
            algorithm: account.algorithm.into(),
            digits: account.digits,
            period: account.period(),
            counter: account.counter(),
            tags: entry.details.tags.clone(),
            favorite: entry.details.favorite,
            note: entry.details.note.clone(),
            last_used_at: entry.last_used_at.map(Timestamp::unix_millis),
            backup_codes_left: count(
                entry
                    .backup_codes
                    .iter()
                    .filter(|c| c.used_at.is_none())
                    .count(),
            ),
            backup_codes_total: count(entry.backup_codes.len()),
            icon: entry.details.icon.as_ref().map(IconView::from),
        }
    }
}

impl KindName {
    /// How `account`'s codes are made.
    pub fn of(account: &Account) -> Self {
        match account.kind {
            OtpKind::Totp { .. } => Self::Totp,
            OtpKind::Hotp { .. } => Self::Hotp,
            OtpKind::Steam { .. } => Self::Steam,
        }
    }
}

/// An account typed into the add form. The secret is base32 as services
/// show it; it goes one way, into Rust.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NewAccount {
    pub issuer: String,
    pub name: String,
    pub secret: String,
    pub kind: KindName,
    pub algorithm: AlgorithmName,
    pub digits: u8,
    /// Seconds (TOTP, Steam).
    pub period: u32,
    /// Starting counter (HOTP).
    pub counter: u64,
    pub tags: Vec<String>,
}

impl NewAccount {
    pub fn kind(&self) -> OtpKind {
        match self.kind {
            KindName::Totp => OtpKind::Totp {
                period: self.period,
            },
            KindName::Hotp => OtpKind::Hotp {
                counter: self.counter,
            },
            KindName::Steam => OtpKind::Steam {
                period: self.period,
            },
        }
    }
}

/// What the account page may change: all but the secret, kind and counter.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AccountEdit {
    pub issuer: String,
    pub name: String,
    pub algorithm: AlgorithmName,
    pub digits: u8,
    /// Seconds per code (TOTP, Steam); ignored for HOTP.
    pub period: Option<u32>,
    pub tags: Vec<String>,
    pub note: String,
    pub favorite: bool,
}

impl From<AccountEdit> for vault::AccountEdit {
    fn from(edit: AccountEdit) -> Self {
        Self {
            issuer: edit.issuer,
            name: edit.name,
            algorithm: edit.algorithm.into(),
            digits: edit.digits,
            period: edit.period,
            tags: edit.tags,
            note: edit.note,
            favorite: edit.favorite,
        }
    }
}

/// The codes of one account right now. HOTP accounts have none until the
/// user asks for the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CodeView {
    pub id: String,
    pub current: Option<String>,
    pub next: Option<String>,
    /// Milliseconds the current code stays valid (TOTP, Steam).
    pub valid_for_ms: Option<u64>,
    /// Length of one period in milliseconds (TOTP, Steam).
    pub period_ms: Option<u64>,
}

impl CodeView {
    pub fn of(id: String, account: &Account, code: Code) -> Self {
        Self {
            id,
            current: Some(code.current),
            next: Some(code.next),
            valid_for_ms: code.valid_for_ms,
            period_ms: account.period().map(|p| u64::from(p) * 1000),
        }
    }

    pub fn hidden(id: String) -> Self {
        Self {
            id,
            current: None,
            next: None,
            valid_for_ms: None,
            period_ms: None,
        }
    }
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Copied {
    /// The code now on the clipboard (already shown in the list).
    pub code: String,
    /// Seconds until the clipboard is cleared (0: never).
    pub clear_after_seconds: u32,
}

/// One backup code of an account, shown on its detail screen: masked,
/// unless the user revealed the codes with the vault password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BackupCodeView {
    pub id: String,
    /// The code, only in the answer of a reveal.
    pub code: Option<String>,
    /// The code with every letter and digit shown as `•` (separators kept).
    pub masked: String,
    /// Unix milliseconds when it was marked used.
    pub used_at: Option<u64>,
}

impl BackupCodeView {
    /// The code in clear, for a reveal the vault password confirmed.
    pub fn revealed(code: &BackupCode) -> Self {
        Self {
            code: Some(code.code.expose().to_owned()),
            ..Self::from(code)
        }
    }
}

impl From<&BackupCode> for BackupCodeView {
    fn from(code: &BackupCode) -> Self {
        Self {
            id: code.id.hyphenated().to_string(),
            code: None,
            masked: code
                .code
                .expose()
                .chars()
                .map(|c| if c.is_alphanumeric() { '•' } else { c })
                .collect(),
            used_at: code.used_at.map(Timestamp::unix_millis),
        }
    }
}

/// Light, dark, or whatever the desktop says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    System,
    Light,
    Dark,
}

/// The user's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// Milliseconds added to the system time for codes.
    pub clock_offset_ms: i32,
    /// 0: never.
    pub clipboard_clear_seconds: u32,
    /// 0: never.
    pub auto_lock_minutes: u32,
    pub theme: ThemeName,
    /// Closing the window hides it to the tray (when the desktop has one).
    pub close_to_tray: bool,
    /// What the log file records (`TESSERA_LOG`, when set, wins).
    pub log_level: LogLevel,
}

impl From<&Settings> for SettingsView {
    fn from(settings: &Settings) -> Self {
        Self {
            clock_offset_ms: i32::try_from(settings.clock_offset_ms).unwrap_or(
                if settings.clock_offset_ms < 0 {
                    i32::MIN
                } else {
                    i32::MAX
                },
            ),
            clipboard_clear_seconds: settings.clipboard_clear_seconds,
            auto_lock_minutes: settings.auto_lock_minutes,
            theme: match settings.theme {
                Theme::System => ThemeName::System,
                Theme::Light => ThemeName::Light,
                Theme::Dark => ThemeName::Dark,
            },
            close_to_tray: settings.close_to_tray,
            log_level: settings.log_level,
        }
    }
}

impl From<&SettingsView> for Settings {
    fn from(view: &SettingsView) -> Self {
        Self {
            clock_offset_ms: i64::from(view.clock_offset_ms),
            clipboard_clear_seconds: view.clipboard_clear_seconds,
            auto_lock_minutes: view.auto_lock_minutes,
            theme: match view.theme {
                ThemeName::System => Theme::System,
                ThemeName::Light => Theme::Light,
                ThemeName::Dark => Theme::Dark,
            },
            close_to_tray: view.close_to_tray,
            log_level: view.log_level,
        }
    }
}
