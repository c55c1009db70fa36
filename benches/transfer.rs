//! Import performance (issue 5): preview + commit of a 10,000-account Aegis
//! plain JSON into an empty vault (target ≤ 500 ms; there is no KDF in a
//! plain file, and the vault uses cheap Argon2id parameters so that only
//! the import is measured), and a preview of the same file against a vault
//! that already holds all 10,000 (duplicates found by hashing, not by
//! comparing every pair).
//!
//! Opening an encrypted export at its app's default key derivation:
//! a Bitwarden password-protected JSON export with PBKDF2-SHA256 at
//! 600,000 iterations (Bitwarden's default), read from the test fixture.
//!
//! Run with `cargo bench --bench transfer`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tessera::core::clock::FixedClock;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::transfer::{self, Format, Preview, aegis};
use tessera::core::vault::{Details, KdfParams, Vault};

const ACCOUNTS: u32 = 10_000;

fn accounts() -> Vec<(Account, Details)> {
    (0..ACCOUNTS)
        .map(|i| {
            let secret: Vec<u8> = (0..20u32)
                .map(|b| {
                    (i.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(40_503)).to_le_bytes()
                        [b as usize % 4]
                })
                .chain(i.to_le_bytes())
                .collect();
            let (algorithm, digits, kind) = match i % 10 {
                0 => (Algorithm::Sha256, 6, OtpKind::Totp { period: 30 }),
                1 => (Algorithm::Sha512, 8, OtpKind::Totp { period: 60 }),
                2 => (
                    Algorithm::Sha1,
                    6,
                    OtpKind::Hotp {
                        counter: u64::from(i),
                    },
                ),
                3 => (Algorithm::Sha1, 5, OtpKind::Steam { period: 30 }),
                _ => (Algorithm::Sha1, 6, OtpKind::Totp { period: 30 }),
            };
            let account = Account::new(
                format!("Issuer {}", i % 97),
                format!("user{i}@example.com"),
                SecretBytes::new(secret),
                algorithm,
                digits,
                kind,
            )
            .unwrap();
            let details = Details {
                tags: vec![format!("group {}", i % 7)],
                ..Details::default()
            };
            (account, details)
        })
        .collect()
}

fn aegis_file() -> Vec<u8> {
    let accounts = accounts();
    aegis::export_plain(accounts.iter().map(|(a, d)| (a, d)))
        .unwrap()
        .to_vec()
}

fn empty_vault(dir: &tempfile::TempDir, name: &str) -> Vault {
    Vault::create(
        dir.path().join(name),
        &SecretString::from("benchmark password"),
        KdfParams::new(64, 2, 1).unwrap(),
        Arc::new(FixedClock::at_unix_seconds(1_700_000_000)),
    )
    .unwrap()
}

fn import(c: &mut Criterion) {
    let file = aegis_file();
    let dir = tempfile::tempdir().unwrap();
    let mut counter = 0u32;
    let mut group = c.benchmark_group("import");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.bench_function("aegis_plain_10k_preview_commit", |b| {
        b.iter_batched(
            || {
                counter += 1;
                empty_vault(&dir, &format!("v{counter}.tessera"))
            },
            |mut vault| {
                let parsed = transfer::import(&file, None, None).unwrap();
                assert_eq!(parsed.format, Format::Aegis);
                let preview = Preview::new(parsed, vault.entries().unwrap());
                let ids = preview.commit(&mut vault).unwrap();
                assert_eq!(ids.len(), ACCOUNTS as usize);
                vault
            },
            BatchSize::PerIteration,
        );
    });
    let mut full = empty_vault(&dir, "full.tessera");
    full.insert_many(accounts()).unwrap();
    group.bench_function("aegis_plain_10k_preview_all_duplicates", |b| {
        b.iter(|| {
            let parsed = transfer::import(&file, None, None).unwrap();
            assert_eq!(parsed.format, Format::Aegis);
            let preview = Preview::new(parsed, full.entries().unwrap());
            assert_eq!(preview.count("duplicate"), ACCOUNTS as usize);
            black_box(preview)
        });
    });
    group.finish();
}

/// Sniff, derive, check the MAC, decrypt and read: what the window does
/// with a dropped password-protected Bitwarden export.
fn encrypted(c: &mut Criterion) {
    let file = include_bytes!("../tests/fixtures/formats/bitwarden/password_protected_pbkdf2.json");
    let password = SecretString::from("test");
    let mut group = c.benchmark_group("import_encrypted");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("bitwarden_pbkdf2_600k", |b| {
        b.iter(|| {
            let parsed = transfer::import(file, None, Some(&password)).unwrap();
            assert_eq!(parsed.format, Format::BitwardenJson);
            assert_eq!(parsed.items().count(), 3);
            black_box(parsed)
        });
    });
    group.finish();
}

criterion_group!(benches, import, encrypted);
criterion_main!(benches);
