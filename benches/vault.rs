//! Vault performance (issue 3): open a 10,000-account vault after the KDF
//! (≤ 300 ms), add 10,000 accounts in one transaction (≤ 1 s), and unlock
//! with Argon2id at m = 256 MiB calibrated for this machine (≤ 0.6 s); one
//! write in a vault of 10,000 accounts.
//!
//! Run with `cargo bench --bench vault`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tessera::core::clock::FixedClock;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::vault::{Details, KdfParams, Vault, kdf};

const ACCOUNTS: u64 = 10_000;

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_unix_seconds(1_700_000_000))
}

fn password() -> SecretString {
    SecretString::from("benchmark password")
}

/// Cheap Argon2id parameters, so that what is measured is everything but
/// the KDF.
fn cheap_kdf() -> KdfParams {
    KdfParams::new(64, 2, 1).unwrap()
}

fn accounts() -> Vec<(Account, Details)> {
    (0..ACCOUNTS)
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
                favorite: i % 13 == 0,
                note: String::new(),
                icon: None,
            };
            (account, details)
        })
        .collect()
}

fn open_after_kdf(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.tessera");
    let mut vault = Vault::create(&path, &password(), cheap_kdf(), clock()).unwrap();
    vault.insert_many(accounts()).unwrap();
    drop(vault);

    let mut group = c.benchmark_group("vault");
    group.sample_size(20);
    group.bench_function("open_and_decrypt_10k_accounts_after_kdf", |b| {
        b.iter(|| {
            let mut vault = Vault::open(&path, clock()).unwrap();
            vault.unlock_with_password(&password()).unwrap();
            assert_eq!(black_box(vault.entries().unwrap()).len(), 10_000);
        });
    });
    group.finish();
}

fn insert_10k_in_one_transaction(c: &mut Criterion) {
    let items = accounts();
    let mut group = c.benchmark_group("vault");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("add_10k_accounts_in_one_transaction", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("bench.tessera");
                let vault = Vault::create(&path, &password(), cheap_kdf(), clock()).unwrap();
                (dir, vault, items.clone())
            },
            |(dir, mut vault, items)| {
                let ids = vault.insert_many(items).unwrap();
                assert_eq!(ids.len(), 10_000);
                (dir, vault)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

/// One write in a vault of 10,000 accounts: an account marked used (its
/// row changed, and the row manifest of every row sealed again).
fn one_write_among_10k(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.tessera");
    let mut vault = Vault::create(&path, &password(), cheap_kdf(), clock()).unwrap();
    let ids = vault.insert_many(accounts()).unwrap();
    let mut group = c.benchmark_group("vault");
    group.sample_size(20);
    group.bench_function("one_write_in_a_vault_of_10k_accounts", |b| {
        b.iter(|| vault.mark_used(black_box(ids[4_321])).unwrap());
    });
    group.finish();
}

fn unlock_with_desktop_argon2id(c: &mut Criterion) {
    let params = KdfParams::calibrate(kdf::TARGET_UNLOCK).unwrap();
    eprintln!(
        "calibrated Argon2id: m = {} KiB ({} MiB), t = {}, p = {}",
        params.m_kib,
        params.m_kib / 1024,
        params.t,
        params.p
    );
    assert!(params.m_kib >= 256 * 1024 && params.t >= 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.tessera");
    drop(Vault::create(&path, &password(), params, clock()).unwrap());

    let mut group = c.benchmark_group("vault");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("unlock_argon2id_256mib_calibrated", |b| {
        let mut vault = Vault::open(&path, clock()).unwrap();
        b.iter(|| {
            vault.unlock_with_password(&password()).unwrap();
            vault.lock();
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    open_after_kdf,
    insert_10k_in_one_transaction,
    one_write_among_10k,
    unlock_with_desktop_argon2id
);
criterion_main!(benches);
