//! Sync performance (issue 17): the merge on a device of 10,000 accounts
//! when the two other devices of the group sent 1,000 changes (≤ 200 ms:
//! the whole `sync_with` through a folder: listing, reading and checking
//! the segments, capture over the 10,000 accounts, merge, the vault
//! write), and an edit reaching the other device through a real `WebDAV`
//! server on loopback after "sync now" on both (≤ 1 s).
//!
//! Run with `cargo bench --bench sync` (Apache's `apache2` must be
//! installed: `.ci/setup`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/webdav.rs"]
#[allow(dead_code)]
mod webdav;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tessera::core::clock::SystemClock;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::sync::folder::Folder;
use tessera::core::sync::{self, Backend, SyncOptions};
use tessera::core::vault::{AccountEdit, Details, KdfParams, Vault};

const ACCOUNTS: u64 = 10_000;
const CHANGES: u64 = 1_000;

fn password() -> SecretString {
    SecretString::from("benchmark password")
}

fn new_vault(path: &Path) -> Vault {
    Vault::create(
        path,
        &password(),
        KdfParams::new(64, 2, 1).unwrap(),
        Arc::new(SystemClock),
    )
    .unwrap()
}

fn open(path: &Path) -> Vault {
    let mut vault = Vault::open(path, Arc::new(SystemClock)).unwrap();
    vault.unlock_with_password(&password()).unwrap();
    vault
}

fn accounts(n: u64) -> Vec<(Account, Details)> {
    (0..n)
        .map(|i| {
            let account = Account {
                issuer: format!("Issuer {}", i % 97),
                name: format!("user{i}@example.com"),
                secret: SecretBytes::new(i.to_be_bytes().repeat(3)),
                algorithm: Algorithm::Sha1,
                digits: 6,
                kind: OtpKind::Totp { period: 30 },
                extra_params: Vec::new(),
            };
            let details = Details {
                tags: vec![format!("tag{}", i % 10)],
                ..Details::default()
            };
            (account, details)
        })
        .collect()
}

fn touch(vault: &mut Vault, index: usize, note: &str) {
    let entry = &vault.entries().unwrap()[index];
    let edit = AccountEdit {
        issuer: entry.account.issuer.clone(),
        name: entry.account.name.clone(),
        algorithm: entry.account.algorithm,
        digits: entry.account.digits,
        period: entry.account.kind.period(),
        tags: entry.details.tags.clone(),
        note: note.to_owned(),
        favorite: entry.details.favorite,
    };
    let id = entry.id;
    vault.edit(id, edit).unwrap();
}

fn pair(member: &mut Vault, joiner: &mut Vault, backend: Backend, options: &SyncOptions) {
    let code = sync::pair(member, options).unwrap();
    sync::join(joiner, code.text().expose(), backend, "bench", options).unwrap();
    sync::sync_now(member, options).unwrap();
    sync::sync_now(joiner, options).unwrap();
}

/// A synced group of three on a folder: `a` holds 10,000 accounts, and
/// `b` and `c` have each changed 500 of them since `a` last synced.
/// Returns the folder and a copy of `a`'s vault from before its sync.
fn group(dir: &Path) -> (PathBuf, PathBuf) {
    let remote = dir.join("remote");
    std::fs::create_dir_all(&remote).unwrap();
    let backend = Backend::Folder {
        path: remote.clone(),
    };
    let options = SyncOptions::default();
    let mut a = new_vault(&dir.join("a.tessera"));
    a.insert_many(accounts(ACCOUNTS)).unwrap();
    sync::setup(&mut a, backend.clone(), "a", &options).unwrap();
    let mut b = new_vault(&dir.join("b.tessera"));
    let mut c = new_vault(&dir.join("c.tessera"));
    pair(&mut a, &mut b, backend.clone(), &options);
    pair(&mut a, &mut c, backend, &options);
    sync::sync_now(&mut b, &options).unwrap();
    let half = usize::try_from(CHANGES / 2).unwrap();
    for i in 0..half {
        touch(&mut b, i * 7, "from b");
        touch(&mut c, i * 11 + 3, "from c");
    }
    sync::sync_now(&mut b, &options).unwrap();
    sync::sync_now(&mut c, &options).unwrap();
    let before = dir.join("a-before.tessera");
    a.snapshot(&before).unwrap();
    (remote, before)
}

fn merge_10k_with_1k_changes(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (remote, before) = group(dir.path());
    let mut round = 0;
    let mut group = c.benchmark_group("sync");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function(
        "merge 10,000 accounts x 3 devices, 1,000 changes",
        |bench| {
            bench.iter_batched(
                || {
                    round += 1;
                    let path = dir.path().join(format!("a-{round}.tessera"));
                    std::fs::copy(&before, &path).unwrap();
                    open(&path)
                },
                |mut vault| {
                    let folder = Folder::new(&remote).unwrap();
                    let report = sync::sync_with(&mut vault, &folder).unwrap();
                    assert_eq!(report.merged, CHANGES);
                    vault
                },
                BatchSize::PerIteration,
            );
        },
    );
    group.finish();
}

fn an_edit_reaches_the_other_device_through_webdav(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let apache = webdav::Apache::start();
    let backend = Backend::webdav(
        apache.url(),
        webdav::USER,
        &SecretString::from(webdav::PASSWORD),
    );
    let options = SyncOptions::default();
    let mut a = new_vault(&dir.path().join("a.tessera"));
    let mut b = new_vault(&dir.path().join("b.tessera"));
    a.insert_many(accounts(100)).unwrap();
    sync::setup(&mut a, backend.clone(), "a", &options).unwrap();
    pair(&mut a, &mut b, backend, &options);
    let mut round = 0u64;
    let mut group = c.benchmark_group("sync");
    group.sample_size(20);
    group.bench_function("an edit reaches the other device through WebDAV", |bench| {
        bench.iter(|| {
            round += 1;
            let note = format!("round {round}");
            touch(&mut a, 5, &note);
            sync::sync_now(&mut a, &options).unwrap();
            sync::sync_now(&mut b, &options).unwrap();
            let id = a.entries().unwrap()[5].id;
            assert_eq!(b.get(id).unwrap().details.note, note);
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    merge_10k_with_1k_changes,
    an_edit_reaches_the_other_device_through_webdav
);
criterion_main!(benches);
