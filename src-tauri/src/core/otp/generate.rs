//! Codes: [`generate`] gives the current and next code of an [`Account`]
//! at a given time, and how long the current one stays valid.
//!
//! HMAC, dynamic truncation and the Steam alphabet come from `totp-rs`.
//! Every kind is run through it as a counter-based code (a `totp_rs::Totp`
//! with a one-second step, asked for "time" = counter), because `totp-rs`
//! has no HOTP of its own; the TOTP counter `floor(t / period)` is computed
//! here from milliseconds, which also gives the exact time left.
//!
//! Hand-written here, and why: 10-digit codes. `totp-rs` 6 keeps the
//! truncated value modulo 10^digits in a `u32` and panics from 10 digits on
//! (10^10 does not fit), so for 10 digits we take its raw HMAC
//! (`Totp::sign`) and do RFC 4226's dynamic truncation ourselves; the 31-bit
//! value is then simply zero-padded to ten digits. We also build the
//! `Totp` with `build_noncompliant`, because its checks would refuse
//! secrets shorter than 128 bits, which real services do issue (RFC 4226
//! only recommends 160 bits) and which every authenticator accepts.
//!
//! Must never: read the clock itself (time is a parameter, or an injected
//! [`Clock`]), advance or store an HOTP counter (the vault does that,
//! atomically with showing the code), or panic on a malformed account.

use totp_rs::{Algorithm as TotpAlgorithm, Builder, Totp};

use super::account::{Account, Algorithm, OtpKind};
use super::error::OtpError;
use crate::core::clock::{Clock, Timestamp};

/// The codes of one account at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    /// The code to type now (TOTP/Steam), or at the account's counter (HOTP).
    pub current: String,
    /// The code of the next period (TOTP/Steam), or at counter + 1 (HOTP).
    pub next: String,
    /// Milliseconds until `current` stops being the current code (TOTP and
    /// Steam); `None` for HOTP, whose codes do not expire.
    pub valid_for_ms: Option<u64>,
}

/// The current and next code of `account` at time `at`.
///
/// # Errors
/// The account's own validation errors ([`Account::validate`]), and
/// `CounterExhausted` for an HOTP counter at `u64::MAX`.
pub fn generate(account: &Account, at: Timestamp) -> Result<Code, OtpError> {
    account.validate()?;
    let signer = Signer::new(account);
    match account.kind {
        OtpKind::Hotp { counter } => {
            let next = counter.checked_add(1).ok_or(OtpError::CounterExhausted)?;
            Ok(Code {
                current: signer.code(counter),
                next: signer.code(next),
                valid_for_ms: None,
            })
        }
        OtpKind::Totp { period } | OtpKind::Steam { period } => {
            let period_ms = u64::from(period) * 1000;
            let step = at.unix_millis() / period_ms;
            let step_end_ms = u128::from(step + 1) * u128::from(period_ms);
            let valid_for_ms =
                u64::try_from(step_end_ms - u128::from(at.unix_millis())).unwrap_or(period_ms);
            Ok(Code {
                current: signer.code(step),
                next: signer.code(step + 1),
                valid_for_ms: Some(valid_for_ms),
            })
        }
    }
}

/// [`generate`] at `clock`'s current time (apply the clock-offset setting by
/// passing an [`OffsetClock`](crate::core::clock::OffsetClock)).
pub fn generate_now<C: Clock + ?Sized>(account: &Account, clock: &C) -> Result<Code, OtpError> {
    generate(account, clock.now())
}

/// The code for one moving factor: the HOTP counter, or the TOTP/Steam
/// time step (`floor(unix_seconds / period)`). For checking a code against
/// a window of steps, or showing an HOTP code at another counter.
pub fn code_at(account: &Account, moving_factor: u64) -> Result<String, OtpError> {
    account.validate()?;
    Ok(Signer::new(account).code(moving_factor))
}

/// A `totp_rs::Totp` set up to compute `HMAC(secret, counter)` codes.
struct Signer {
    totp: Totp,
    digits: u8,
}

impl Signer {
    /// The account must be valid (digits in range).
    fn new(account: &Account) -> Self {
        let algorithm = match (account.kind, account.algorithm) {
            (OtpKind::Steam { .. }, _) => TotpAlgorithm::Steam,
            (_, Algorithm::Sha1) => TotpAlgorithm::SHA1,
            (_, Algorithm::Sha256) => TotpAlgorithm::SHA256,
            (_, Algorithm::Sha512) => TotpAlgorithm::SHA512,
        };
        let totp = Builder::new()
            .with_algorithm(algorithm)
            .with_digits(account.digits)
            .with_secret(account.secret.expose())
            .with_step_duration(1)
            .build_noncompliant();
        Self {
            totp,
            digits: account.digits,
        }
    }

    fn code(&self, counter: u64) -> String {
        if self.digits <= 9 {
            // With a one-second step, "time" is the counter itself.
            self.totp.generate(counter).to_string()
        } else {
            ten_digits(self.totp.sign(counter).as_ref())
        }
    }
}

/// RFC 4226 §5.3 dynamic truncation, for 10 digits (see the module doc).
fn ten_digits(mac: &[u8]) -> String {
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0F);
    let mut word = [0u8; 4];
    if let Some(bytes) = mac.get(offset..offset + 4) {
        word.copy_from_slice(bytes);
    }
    let value = u32::from_be_bytes(word) & 0x7FFF_FFFF;
    // 2^31 - 1 has ten digits, so value mod 10^10 is the value itself.
    format!("{value:010}")
}

#[cfg(test)]
mod tests {
    use super::{code_at, generate, generate_now};
    use crate::core::clock::{FixedClock, OffsetClock, Timestamp};
    use crate::core::otp::{Account, Algorithm, OtpError, OtpKind};
    use crate::core::secret::SecretBytes;

    fn account(kind: OtpKind, digits: u8) -> Account {
        Account::new(
            "",
            "",
            SecretBytes::from(b"12345678901234567890".as_slice()),
            Algorithm::Sha1,
            digits,
            kind,
        )
        .unwrap()
    }

    #[test]
    fn valid_for_counts_down_to_the_period_end() {
        let a = account(OtpKind::Totp { period: 30 }, 6);
        let at = |ms| generate(&a, Timestamp::from_unix_millis(ms)).unwrap();
        assert_eq!(at(59_000).valid_for_ms, Some(1000));
        assert_eq!(at(59_999).valid_for_ms, Some(1));
        assert_eq!(at(60_000).valid_for_ms, Some(30_000));
        assert_eq!(at(59_999).next, at(60_000).current);
        // Far future: no overflow.
        assert!(generate(&a, Timestamp::from_unix_millis(u64::MAX)).is_ok());
    }

    #[test]
    fn hotp_has_no_expiry_and_a_last_counter() {
        let a = account(OtpKind::Hotp { counter: 0 }, 6);
        let code = generate(&a, Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(
            (code.current.as_str(), code.next.as_str()),
            ("755224", "287082")
        );
        assert_eq!(code.valid_for_ms, None);
        assert_eq!(code_at(&a, 9).unwrap(), "520489");
        let last = account(OtpKind::Hotp { counter: u64::MAX }, 6);
        assert_eq!(
            generate(&last, Timestamp::UNIX_EPOCH),
            Err(OtpError::CounterExhausted)
        );
    }

    #[test]
    fn invalid_accounts_are_errors_not_panics() {
        let mut a = account(OtpKind::Totp { period: 30 }, 6);
        a.kind = OtpKind::Totp { period: 0 };
        assert!(matches!(
            generate(&a, Timestamp::UNIX_EPOCH),
            Err(OtpError::InvalidPeriod { .. })
        ));
        a.kind = OtpKind::Totp { period: 30 };
        a.digits = 11;
        assert!(matches!(
            generate(&a, Timestamp::UNIX_EPOCH),
            Err(OtpError::DigitsOutOfRange { .. })
        ));
        a.digits = 6;
        a.secret = SecretBytes::default();
        assert_eq!(
            generate(&a, Timestamp::UNIX_EPOCH),
            Err(OtpError::EmptySecret)
        );
    }

    #[test]
    fn clock_offset_is_applied() {
        let a = account(OtpKind::Totp { period: 30 }, 8);
        let clock = OffsetClock::new(FixedClock::at_unix_seconds(29), 30_000);
        let shifted = generate_now(&a, &clock).unwrap();
        let direct = generate(&a, Timestamp::from_unix_seconds(59)).unwrap();
        assert_eq!(shifted, direct);
        assert_eq!(direct.current, "94287082");
    }

    #[test]
    fn ten_digits() {
        // RFC 4226 counter 0: truncated value 1284755224.
        let a = account(OtpKind::Hotp { counter: 0 }, 10);
        assert_eq!(
            generate(&a, Timestamp::UNIX_EPOCH).unwrap().current,
            "1284755224"
        );
        let a = account(OtpKind::Hotp { counter: 0 }, 9);
        assert_eq!(
            generate(&a, Timestamp::UNIX_EPOCH).unwrap().current,
            "284755224"
        );
    }
}
