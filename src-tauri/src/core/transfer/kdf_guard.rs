//! What deriving an encrypted file's key will cost, said before the work
//! starts, and a way to stop an import between derivations.
//!
//! Importers call [`admit`] with the [`KdfCost`] their header asks for
//! before they derive anything, and [`check_cancel`] between derivations
//! (one per password slot). What happens then is the caller's
//! [`KdfPolicy`], set for the duration of one import with [`with_policy`]:
//! a cost past [`CONFIRM_MEMORY_BYTES`] or [`CONFIRM_SECONDS`] is refused
//! with `CostlyKeyDerivation` (naming the memory and the time) unless the
//! policy allows it, and a cancelled import stops with `Cancelled` at the
//! next check. With no policy (the CLI, tests) everything is admitted.
//!
//! The hard bounds that no confirmation lifts stay with each format (an
//! Aegis file's summed scrypt work, [`super::Argon2Cost`]'s bounds); this
//! module only asks before what is allowed but slow.
//!
//! Must never: derive, or keep anything from the file but the numbers.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "estimates in seconds: a few significant digits are all they have"
)]

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Format, ImportError};

/// Memory from which an import asks first: 1 GiB.
pub const CONFIRM_MEMORY_BYTES: u64 = 1 << 30;
/// Estimated time from which an import asks first.
pub const CONFIRM_SECONDS: f64 = 4.0;

/// What one key derivation (or several in a row) costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KdfCost {
    /// The most memory it holds at once.
    pub memory_bytes: u64,
    /// About how long it takes on a desktop computer of 2024 (measured here
    /// on 2 cores: scrypt N = 2^20, r = 8 in about 3 s; Argon2id 256 MiB ×
    /// 3 passes in about 0.5 s; PBKDF2-HMAC-SHA256 600,000 rounds in about
    /// 0.08 s).
    pub seconds: f64,
}

/// The hash of a PBKDF2-HMAC derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pbkdf2Hash {
    Sha1,
    Sha256,
    Sha512,
}

impl KdfCost {
    /// scrypt with `n`, `r`, `p`.
    pub fn scrypt(n: u64, r: u32, p: u32) -> Self {
        const SECONDS_PER_BLOCK_ROUND: f64 = 3.0 / ((1u64 << 20) * 8) as f64;
        let memory = 128u64.saturating_mul(u64::from(r)).saturating_mul(n);
        let work = n.saturating_mul(u64::from(r)).saturating_mul(u64::from(p));
        Self {
            memory_bytes: memory,
            seconds: work as f64 * SECONDS_PER_BLOCK_ROUND,
        }
    }

    /// Argon2 over `memory_kib` KiB, `passes` times.
    pub fn argon2(memory_kib: u32, passes: u32) -> Self {
        const SECONDS_PER_MIB_PASS: f64 = 0.5 / (256.0 * 3.0);
        Self {
            memory_bytes: u64::from(memory_kib) * 1024,
            seconds: f64::from(memory_kib) / 1024.0 * f64::from(passes) * SECONDS_PER_MIB_PASS,
        }
    }

    /// PBKDF2-HMAC with `hash`, `rounds` times.
    pub fn pbkdf2(hash: Pbkdf2Hash, rounds: u64) -> Self {
        let per_round = match hash {
            Pbkdf2Hash::Sha1 => 0.07e-6,
            Pbkdf2Hash::Sha256 => 0.13e-6,
            Pbkdf2Hash::Sha512 => 0.35e-6,
        };
        Self {
            memory_bytes: 0,
            seconds: rounds as f64 * per_round,
        }
    }

    /// This derivation, then `other`.
    #[must_use]
    pub fn then(self, other: Self) -> Self {
        Self {
            memory_bytes: self.memory_bytes.max(other.memory_bytes),
            seconds: self.seconds + other.seconds,
        }
    }

    /// Whether an import asks before it.
    pub fn is_costly(&self) -> bool {
        self.memory_bytes >= CONFIRM_MEMORY_BYTES || self.seconds >= CONFIRM_SECONDS
    }
}

/// What an import may do, for the thread that runs it.
#[derive(Debug, Clone, Default)]
pub struct KdfPolicy {
    /// Derive even when the cost is past the thresholds (the user agreed).
    pub allow_costly: bool,
    /// Set to stop the import at its next check.
    pub cancel: Option<Arc<AtomicBool>>,
}

thread_local! {
    static POLICY: RefCell<Option<KdfPolicy>> = const { RefCell::new(None) };
}

/// Runs `import` under `policy` (on this thread), then restores the one
/// before.
pub fn with_policy<T>(policy: KdfPolicy, import: impl FnOnce() -> T) -> T {
    let before = POLICY.with(|current| current.replace(Some(policy)));
    let result = import();
    POLICY.with(|current| *current.borrow_mut() = before);
    result
}

/// Refuses `cost` with `CostlyKeyDerivation` when it is costly and the
/// policy does not allow it, and with `Cancelled` when the import was
/// cancelled.
pub(crate) fn admit(format: Format, cost: KdfCost) -> Result<(), ImportError> {
    check_cancel(format)?;
    let allowed = POLICY.with(|policy| {
        policy
            .borrow()
            .as_ref()
            .is_none_or(|policy| policy.allow_costly)
    });
    if cost.is_costly() && !allowed {
        return Err(ImportError::CostlyKeyDerivation {
            format,
            memory_mib: cost.memory_bytes.div_ceil(1024 * 1024),
            seconds: cost.seconds.ceil() as u64,
        });
    }
    Ok(())
}

/// `Cancelled` once the import's policy was cancelled.
pub(crate) fn check_cancel(format: Format) -> Result<(), ImportError> {
    let cancelled = POLICY.with(|policy| {
        policy
            .borrow()
            .as_ref()
            .and_then(|policy| policy.cancel.as_ref())
            .is_some_and(|flag| flag.load(Ordering::SeqCst))
    });
    if cancelled {
        return Err(ImportError::Cancelled { format });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_apps_use_is_not_costly_and_a_bomb_is() {
        let aegis = KdfCost::scrypt(1 << 15, 8, 1);
        assert!(!aegis.is_costly(), "{aegis:?}");
        let bitwarden = KdfCost::pbkdf2(Pbkdf2Hash::Sha256, 600_000);
        assert!(!bitwarden.is_costly(), "{bitwarden:?}");
        let ente = KdfCost::argon2(256 * 1024, 4);
        assert!(!ente.is_costly(), "{ente:?}");
        let gib = KdfCost::scrypt(1 << 20, 8, 1);
        assert_eq!(gib.memory_bytes, 1 << 30);
        assert!(gib.is_costly());
        let slow = KdfCost::argon2(512 * 1024, 16);
        assert!(
            slow.memory_bytes < CONFIRM_MEMORY_BYTES && slow.is_costly(),
            "{slow:?}"
        );
        let slots = (0..16).fold(aegis, |total, _| total.then(KdfCost::scrypt(1 << 17, 8, 1)));
        assert!(slots.is_costly(), "{slots:?}");
    }

    #[test]
    fn the_policy_decides_and_lasts_for_its_import_only() {
        let gib = KdfCost::scrypt(1 << 20, 8, 1);
        assert!(admit(Format::Aegis, gib).is_ok(), "no policy: admitted");
        let refused = with_policy(KdfPolicy::default(), || admit(Format::Aegis, gib));
        assert!(
            matches!(
                refused,
                Err(ImportError::CostlyKeyDerivation {
                    memory_mib: 1024,
                    seconds: 3,
                    ..
                })
            ),
            "{refused:?}"
        );
        let allowed = KdfPolicy {
            allow_costly: true,
            cancel: None,
        };
        assert!(with_policy(allowed, || admit(Format::Aegis, gib)).is_ok());
        let cancel = Arc::new(AtomicBool::new(false));
        let policy = KdfPolicy {
            allow_costly: true,
            cancel: Some(Arc::clone(&cancel)),
        };
        let stopped = with_policy(policy, || {
            check_cancel(Format::Aegis)?;
            cancel.store(true, Ordering::SeqCst);
            check_cancel(Format::Aegis)
        });
        assert!(
            matches!(stopped, Err(ImportError::Cancelled { .. })),
            "{stopped:?}"
        );
        assert!(
            admit(Format::Aegis, gib).is_ok(),
            "the policy ended with its import"
        );
    }
}
