//! Codes for 10,000 accounts at one instant (target: ≤ 10 ms).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera::core::clock::Timestamp;
use tessera::core::otp::{Account, Algorithm, OtpKind, generate};
use tessera::core::secret::SecretBytes;

/// 10,000 accounts mixing what real vaults hold: mostly SHA1 TOTP, some
/// SHA256/SHA512, HOTP, Steam and 8/10-digit codes.
fn accounts() -> Vec<Account> {
    (0u32..10_000)
        .map(|i| {
            let secret: Vec<u8> = (0..20u32)
                .map(|b| (i.wrapping_mul(31) ^ b).to_le_bytes()[0])
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
                4 => (Algorithm::Sha1, 10, OtpKind::Totp { period: 30 }),
                _ => (Algorithm::Sha1, 6, OtpKind::Totp { period: 30 }),
            };
            Account::new(
                "Issuer",
                format!("user{i}"),
                SecretBytes::new(secret),
                algorithm,
                digits,
                kind,
            )
            .unwrap_or_else(|e| panic!("bench account: {e}"))
        })
        .collect()
}

fn codes_for_10k_accounts(c: &mut Criterion) {
    let accounts = accounts();
    let at = Timestamp::from_unix_seconds(1_700_000_000);
    c.bench_function("codes for 10,000 accounts", |b| {
        b.iter(|| {
            for account in &accounts {
                let code = generate(black_box(account), black_box(at));
                black_box(code.is_ok());
            }
        });
    });
}

criterion_group!(benches, codes_for_10k_accounts);
criterion_main!(benches);
