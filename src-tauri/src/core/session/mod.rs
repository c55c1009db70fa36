//! The window's session on one vault: the user actions of the desktop app
//! as plain Rust, one file per domain (vault, accounts, codes, scans,
//! import and export, servers, settings), each a function of [`AppState`]
//! that returns core values. The Tauri layer (`ipc`) only parses what the
//! web view sends, calls one of them and maps the result.
//!
//! [`AppState`] is what every action can reach: the vault location chosen
//! at start-up, the open vault behind a mutex with what the session keeps
//! between actions ([`Session`]: settings, the pending scan and import, the
//! HOTP codes shown, the server flows running), and the idle timer that
//! drives auto-lock.
//!
//! Must never: hand a reference to the vault out of the mutex, hold the
//! mutex across an `.await` or a key derivation, or keep anything
//! decrypted outside the vault once it locks (locking wipes everything).

pub mod accounts;
pub mod codes;
mod error;
pub mod phone;
pub mod scan;
pub mod servers;
pub mod settings;
pub mod sync;
pub mod transfer;
pub mod vault;
mod views;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::clock::{Clock, SystemClock};
use crate::core::link::AccountLink;
use crate::core::settings::Settings;
use crate::core::vault::{OsKeyring, Vault};

pub use error::{Result, SessionError};
pub use views::*;

/// The app's state for its lifetime: one per window process.
#[derive(Debug)]
pub struct AppState {
    /// The vault file this window works on (`--vault`, `TESSERA_VAULT` or the
    /// platform default).
    pub vault_path: PathBuf,
    /// Where the settings are saved (`None`: no home directory; kept in memory).
    pub settings_path: Option<PathBuf>,
    /// Whether the global shortcut has been asked for (once per run).
    pub shortcut_registered: AtomicBool,
    /// Whether the tray icon is up and the desktop has a tray to show it.
    pub tray_available: AtomicBool,
    /// A link the desktop asked this app to open (`tessera otpauth://…`, or
    /// a later start on this vault), until an unlocked window stages it.
    /// Kept across a lock: it may arrive before the unlock.
    opened_link: Mutex<Option<AccountLink>>,
    session: Mutex<Session>,
}

/// What [`AppState::refresh_vault`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    Unchanged,
    /// Another process committed changes; the vault has them.
    Changed,
    /// Another process changed the password: the vault is locked.
    Locked,
}

/// What changes while the app runs.
#[derive(Debug)]
pub struct Session {
    /// The vault, once opened (locked or unlocked).
    pub vault: Option<Vault>,
    pub settings: Settings,
    /// The last user input the web view reported.
    pub last_activity: Instant,
    /// The HOTP code last handed out per account, so copying copies what
    /// is shown instead of taking another counter. Wiped on lock.
    pub hotp_shown: HashMap<Uuid, Zeroizing<String>>,
    /// Which servers have a flow running, and the waits they asked for.
    pub servers: crate::core::server::FlowActivity,
    /// Accounts found by QR scans and not yet confirmed, and the parts of
    /// Google exports scanned so far (they hold secrets). Wiped on lock.
    pub pending_scan: crate::core::intake::ScanStaging,
    /// The import previewed and not yet committed (it holds the file's
    /// secrets). Wiped on lock.
    pub pending_import: Option<crate::core::transfer::StagedImport>,
    /// The key file chosen for imports (a `KeePass` database's). Wiped on
    /// lock.
    pub import_key_file: Option<transfer::ImportKeyFile>,
    /// Set to stop the import being read now (`cancel_import`, a newer
    /// import, a lock).
    pub import_cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// When the window syncs by itself next.
    pub sync_schedule: sync::SyncSchedule,
    /// The phone's Aegis backup folder followed, with the backups'
    /// password. Wiped on lock.
    pub aegis_following: Option<phone::AegisFollowing>,
}

impl Session {
    /// The vault, if it is open and unlocked; `Locked(what)` otherwise.
    ///
    /// # Errors
    /// `Locked` with `what` as its message.
    pub fn unlocked(&mut self, what: &'static str) -> Result<&mut Vault> {
        unlocked(&mut self.vault, what)
    }

    /// Stops the import being read, if one is: it ends with `Cancelled`
    /// at its next check and keeps nothing.
    pub fn cancel_import(&mut self) {
        if let Some(flag) = self.import_cancel.take() {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Locks the vault (if open) and forgets every code shown.
    pub fn lock(&mut self) {
        if let Some(vault) = self.vault.as_mut() {
            vault.lock();
        }
        self.hotp_shown.clear();
        self.pending_scan.clear();
        self.pending_import = None;
        self.import_key_file = None;
        self.aegis_following = None;
        self.cancel_import();
    }
}

impl AppState {
    /// State for the vault at `vault_path`, with the settings from the
    /// platform config directory (the defaults if there are none or they
    /// cannot be read).
    pub fn new(vault_path: PathBuf) -> Self {
        let settings_path = crate::core::settings::default_settings_path();
        let settings = settings_path
            .as_deref()
            .and_then(|path| Settings::load(path).ok())
            .unwrap_or_default();
        Self::with_settings(vault_path, settings_path, settings)
    }

    /// State with explicit settings (tests).
    pub fn with_settings(
        vault_path: PathBuf,
        settings_path: Option<PathBuf>,
        settings: Settings,
    ) -> Self {
        Self {
            vault_path,
            settings_path,
            shortcut_registered: AtomicBool::new(false),
            tray_available: AtomicBool::new(false),
            opened_link: Mutex::new(None),
            session: Mutex::new(Session {
                vault: None,
                settings,
                last_activity: Instant::now(),
                hotp_shown: HashMap::new(),
                servers: crate::core::server::FlowActivity::default(),
                pending_scan: crate::core::intake::ScanStaging::default(),
                pending_import: None,
                import_cancel: None,
                import_key_file: None,
                sync_schedule: sync::SyncSchedule::default(),
                aegis_following: None,
            }),
        }
    }

    /// Keeps `link` for the window to stage (a newer link replaces one
    /// still waiting).
    pub fn hold_link(&self, link: AccountLink) {
        let mut held = self
            .opened_link
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *held = Some(link);
    }

    /// The link waiting to be staged, taken out.
    pub fn take_link(&self) -> Option<AccountLink> {
        self.opened_link
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// The session, for one action's duration.
    ///
    /// # Errors
    /// `Internal` when an earlier action panicked while holding it.
    pub fn session(&self) -> Result<MutexGuard<'_, Session>> {
        self.session.lock().map_err(|_| {
            SessionError::internal("an earlier command failed while holding the vault")
        })
    }

    /// Runs `f` on the vault, opening the file (locked) on first use.
    ///
    /// # Errors
    /// Opening the file's, or `f`'s.
    pub fn with_vault<T>(&self, f: impl FnOnce(&mut Vault, &Settings) -> Result<T>) -> Result<T> {
        let mut session = self.session()?;
        let Session {
            vault, settings, ..
        } = &mut *session;
        let vault = match vault {
            Some(vault) => vault,
            None => vault.insert(Vault::open(&self.vault_path, vault_clock())?),
        };
        f(vault, settings)
    }

    /// Opens the vault and, when it has a keyring slot, unlocks it through
    /// the OS keyring: what the window asks first, done while the web view
    /// is still starting. A failure (no vault yet, keyring unavailable) is
    /// left for the window's own attempt to meet and explain.
    pub fn unlock_at_start(&self) {
        if !self.vault_path.is_file() {
            return;
        }
        let _ = self.with_vault(|vault, _| {
            if vault.has_keyring_slot() && !vault.is_unlocked() {
                vault.unlock_with_keyring(&OsKeyring::default())?;
            }
            Ok(())
        });
    }

    /// Picks up what other processes committed to the unlocked vault.
    /// Does nothing while a command holds the session, or when the vault
    /// is locked or fails to re-read (the next command meets and reports
    /// that failure). When another process changed the password, the vault
    /// locks itself: then everything the session kept is wiped too, and the
    /// answer is [`Refreshed::Locked`].
    pub fn refresh_vault(&self) -> Refreshed {
        let Ok(mut session) = self.session.try_lock() else {
            return Refreshed::Unchanged;
        };
        match session.vault.as_mut() {
            Some(vault) if vault.is_unlocked() => match vault.refresh() {
                Ok(true) => Refreshed::Changed,
                Err(_) if !vault.is_unlocked() => {
                    session.lock();
                    Refreshed::Locked
                }
                Ok(false) | Err(_) => Refreshed::Unchanged,
            },
            _ => Refreshed::Unchanged,
        }
    }

    /// Records user input now (resets the auto-lock timer).
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn note_activity(&self) -> Result<()> {
        self.session()?.last_activity = Instant::now();
        Ok(())
    }

    /// Locks the vault if it is unlocked and nobody has used the app for
    /// the auto-lock time. Returns whether it locked.
    pub fn lock_if_idle(&self, now: Instant) -> bool {
        let Ok(mut session) = self.session() else {
            return false;
        };
        let minutes = session.settings.auto_lock_minutes;
        let idle = now.saturating_duration_since(session.last_activity);
        if minutes == 0 || idle < Duration::from_secs(u64::from(minutes) * 60) {
            return false;
        }
        if !session.vault.as_ref().is_some_and(Vault::is_unlocked) {
            return false;
        }
        session.lock();
        true
    }
}

/// The vault in `vault` if it is open and unlocked; `Locked(what)`
/// otherwise (for actions that borrow other parts of the session beside
/// it).
fn unlocked<'v>(vault: &'v mut Option<Vault>, what: &'static str) -> Result<&'v mut Vault> {
    vault
        .as_mut()
        .filter(|vault| vault.is_unlocked())
        .ok_or(SessionError::Locked(what))
}

/// The single-instance name for a vault: one window per vault file (a
/// second start on the same file raises the first window; another vault
/// opens its own). A D-Bus-safe name derived from the path (FNV-1a).
pub fn instance_id(vault_path: &std::path::Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in vault_path.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("app.tessera.desktop.vault_{hash:016x}")
}

/// The clock the vault stamps its rows with.
pub fn vault_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secret::SecretString;
    use crate::core::vault::KdfParams;

    fn unlocked_state(minutes: u32) -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idle.tessera");
        let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
        drop(Vault::create(&path, &SecretString::from("pw"), kdf, vault_clock()).unwrap());
        let settings = Settings {
            auto_lock_minutes: minutes,
            ..Settings::default()
        };
        let state = AppState::with_settings(path, None, settings);
        state
            .with_vault(|vault, _| Ok(vault.unlock_with_password(&SecretString::from("pw"))?))
            .unwrap();
        (dir, state)
    }

    fn is_unlocked(state: &AppState) -> bool {
        state
            .with_vault(|vault, _| Ok(vault.is_unlocked()))
            .unwrap()
    }

    #[test]
    fn one_instance_per_vault_file() {
        let a = instance_id(std::path::Path::new("/home/a/vault.tessera"));
        assert_eq!(
            a,
            instance_id(std::path::Path::new("/home/a/vault.tessera"))
        );
        assert_ne!(
            a,
            instance_id(std::path::Path::new("/home/b/vault.tessera"))
        );
        assert!(
            a.split('.')
                .all(|part| part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        );
    }

    #[test]
    fn locks_after_the_idle_time_and_not_before() {
        let (_dir, state) = unlocked_state(1);
        let start = Instant::now();
        assert!(!state.lock_if_idle(start + Duration::from_secs(30)));
        assert!(is_unlocked(&state));
        assert!(state.lock_if_idle(start + Duration::from_secs(61)));
        assert!(!is_unlocked(&state));
    }

    #[test]
    fn activity_resets_the_timer_and_zero_means_never() {
        let (_dir, state) = unlocked_state(1);
        std::thread::sleep(Duration::from_millis(20));
        state.note_activity().unwrap();
        let later = Instant::now() + Duration::from_secs(59);
        assert!(!state.lock_if_idle(later));
        let (_dir, never) = unlocked_state(0);
        assert!(!never.lock_if_idle(Instant::now() + Duration::from_hours(24)));
        assert!(is_unlocked(&never));
    }

    #[test]
    fn a_password_changed_by_another_process_locks_the_window_and_wipes_what_it_kept() {
        let (dir, state) = unlocked_state(0);
        let path = dir.path().join("idle.tessera");
        assert_eq!(state.refresh_vault(), Refreshed::Unchanged);
        state
            .session()
            .unwrap()
            .hotp_shown
            .insert(Uuid::new_v4(), Zeroizing::new("123456".to_owned()));
        let mut cli = Vault::open(&path, vault_clock()).unwrap();
        cli.unlock_with_password(&SecretString::from("pw")).unwrap();
        cli.change_password(
            &SecretString::from("pw"),
            &SecretString::from("changed by the CLI"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(state.refresh_vault(), Refreshed::Locked);
        assert!(!is_unlocked(&state));
        assert!(state.session().unwrap().hotp_shown.is_empty());
        assert_eq!(state.refresh_vault(), Refreshed::Unchanged);
    }
}
