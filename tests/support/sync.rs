//! Devices for the sync tests: each a vault of its own in a directory of
//! its own (its HOME and data directory), and what a test compares of a
//! vault after syncs.

use std::sync::Arc;
use std::time::Duration;

use tessera::core::clock::SystemClock;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::sync::retry::RetryPolicy;
use tessera::core::sync::webdav::Timeouts;
use tessera::core::sync::{self, Backend, SyncOptions, SyncReport};
use tessera::core::vault::{Details, KdfParams, Vault};
use uuid::Uuid;

pub const PASSWORD: &str = "device password";

/// One device: a directory of its own and its vault in it.
pub struct Device {
    /// Its HOME and data directory (removed with it).
    pub _dir: tempfile::TempDir,
    pub vault: Vault,
    pub name: String,
}

impl Device {
    pub fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("device directory");
        let data = dir.path().join("home/.local/share/tessera");
        std::fs::create_dir_all(&data).unwrap();
        let vault = Vault::create(
            data.join("vault.tessera"),
            &SecretString::from(PASSWORD),
            KdfParams::new(64, 2, 1).unwrap(),
            Arc::new(SystemClock),
        )
        .unwrap();
        Self {
            _dir: dir,
            vault,
            name: name.to_owned(),
        }
    }

    /// Adds a TOTP account whose secret derives from `seed`.
    pub fn add(&mut self, issuer: &str, name: &str, seed: u64) -> Uuid {
        self.vault
            .insert(account(issuer, name, seed, false), Details::default())
            .unwrap()
    }

    /// Adds an HOTP account at counter 0.
    pub fn add_hotp(&mut self, issuer: &str, seed: u64) -> Uuid {
        self.vault
            .insert(account(issuer, "counter", seed, true), Details::default())
            .unwrap()
    }

    pub fn sync(&mut self) -> SyncReport {
        sync::sync_now(&mut self.vault, &options()).unwrap()
    }

    /// What must be equal on every device after they all synced.
    pub fn view(&mut self) -> Vec<AccountView> {
        self.vault.refresh().unwrap();
        let mut out: Vec<AccountView> = self
            .vault
            .entries()
            .unwrap()
            .iter()
            .map(|e| {
                let mut tags = e.details.tags.clone();
                tags.sort();
                let mut codes: Vec<(Uuid, bool)> = e
                    .backup_codes
                    .iter()
                    .map(|c| (c.id, c.used_at.is_some()))
                    .collect();
                codes.sort();
                AccountView {
                    id: e.id,
                    issuer: e.account.issuer.clone(),
                    name: e.account.name.clone(),
                    counter: e.account.kind.counter(),
                    secret: e.account.secret.expose().to_vec(),
                    tags,
                    note: e.details.note.clone(),
                    favorite: e.details.favorite,
                    position: e.position,
                    codes,
                }
            })
            .collect();
        out.sort_by_key(|a| a.id);
        out
    }
}

/// An account as the tests compare it across devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub id: Uuid,
    pub issuer: String,
    pub name: String,
    pub counter: Option<u64>,
    pub secret: Vec<u8>,
    pub tags: Vec<String>,
    pub note: String,
    pub favorite: bool,
    pub position: i64,
    pub codes: Vec<(Uuid, bool)>,
}

pub fn account(issuer: &str, name: &str, seed: u64, hotp: bool) -> Account {
    Account {
        issuer: issuer.into(),
        name: name.into(),
        secret: SecretBytes::new(seed.to_be_bytes().repeat(3)),
        algorithm: Algorithm::Sha1,
        digits: 6,
        kind: if hotp {
            OtpKind::Hotp { counter: 0 }
        } else {
            OtpKind::Totp { period: 30 }
        },
        extra_params: Vec::new(),
    }
}

/// Quick retries and timeouts, so that fault tests do not wait long.
pub fn options() -> SyncOptions {
    SyncOptions {
        retry: RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(400),
        },
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            total: Duration::from_secs(5),
        },
        invite_ttl: Duration::from_mins(2),
    }
}

/// `joiner` joins `member`'s group through `backend` (its own way to the
/// remote): pair, join, the member admits it, the joiner finishes.
/// `between` runs after each step that wrote to the remote (e.g. waits
/// for Syncthing to carry the files over).
pub fn pair(member: &mut Device, joiner: &mut Device, backend: Backend, between: &dyn Fn()) {
    let code = sync::pair(&mut member.vault, &options()).unwrap();
    sync::join(
        &mut joiner.vault,
        code.text().expose(),
        backend,
        &joiner.name,
        &options(),
    )
    .unwrap();
    between();
    let report = member.sync();
    assert_eq!(report.joined.len(), 1, "the member admitted the joiner");
    between();
    joiner.sync();
}
