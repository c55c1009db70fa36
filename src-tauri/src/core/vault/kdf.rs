//! Password → key-encryption key with Argon2id (v0x13, 32-byte output), and
//! the choice of its parameters ([`KdfParams`]).
//!
//! Owns: the bounds on Argon2 parameters (for new slots and for slots read
//! from a file, which may be damaged or hostile), the desktop defaults, and
//! the calibration of `t` on this machine.
//!
//! Must never: create a slot with t < 2, accept stored parameters that
//! would exhaust memory or run for minutes, or let the password or the
//! derived key reach an error or a log line.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};

use super::envelope::{EnvelopeKey, KEY_LEN};
use super::error::{Result, VaultError};
use crate::core::secret::SecretString;

/// The KDF name stored in `slots.kdf`.
pub const KDF_NAME: &str = "argon2id";
/// Desktop default memory: 256 MiB.
pub const DESKTOP_M_KIB: u32 = 256 * 1024;
/// Fewest passes a new slot may use.
pub const MIN_T: u32 = 2;
/// What one unlock should cost on the machine that creates the slot.
pub const TARGET_UNLOCK: Duration = Duration::from_millis(500);
/// Bytes of salt in new slots.
pub const SALT_LEN: usize = 16;

/// Largest memory accepted from a file: 4 GiB.
pub const MAX_M_KIB: u32 = 4 * 1024 * 1024;
/// Most passes accepted from a file.
pub const MAX_T: u32 = 100;
/// Most memory × passes accepted from a file, in KiB·passes: 16 GiB, e.g.
/// 4 GiB × 4 or 256 MiB × 64 (Tessera's own slots use 256 MiB and the
/// passes of about half a second, a handful). A slot asking for 4 GiB ×
/// 100 ran for 387 s; one past this is refused before any derivation.
pub const MAX_WORK: u64 = 16 * 1024 * 1024;
/// Most lanes accepted from a file.
pub const MAX_P: u32 = 16;
/// Salt lengths accepted from a file.
pub const SALT_LEN_RANGE: std::ops::RangeInclusive<usize> = 16..=64;

/// Argon2id cost parameters, stored per password slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over memory.
    pub t: u32,
    /// Lanes (degree of parallelism).
    pub p: u32,
}

impl KdfParams {
    /// Parameters for a new slot. Tests pass small ones here explicitly.
    ///
    /// Errors with `Invalid` unless `t ≥ 2` and the parameters are within
    /// the bounds that [`KdfParams::is_readable`] accepts.
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self> {
        let params = Self { m_kib, t, p };
        if t < MIN_T {
            return Err(VaultError::invalid("Argon2 needs at least 2 passes"));
        }
        if !params.is_readable() {
            return Err(VaultError::invalid(format!(
                "Argon2 parameters out of range (m {m_kib} KiB, t {t}, p {p}; allowed: 8·p ≤ m ≤ {MAX_M_KIB}, t ≤ {MAX_T}, m·t ≤ {MAX_WORK}, 1 ≤ p ≤ {MAX_P})"
            )));
        }
        Ok(params)
    }

    /// Whether a file may ask for these parameters (bounds in
    /// `docs/vault-format.md` §5.2). Smaller than what [`new`](Self::new)
    /// allows only in accepting `t = 1`.
    pub fn is_readable(&self) -> bool {
        (1..=MAX_P).contains(&self.p)
            && (1..=MAX_T).contains(&self.t)
            && self.m_kib <= MAX_M_KIB
            && u64::from(self.m_kib) >= 8 * u64::from(self.p)
            && self.work() <= MAX_WORK
    }

    /// Memory × passes, in KiB·passes.
    pub fn work(&self) -> u64 {
        u64::from(self.m_kib) * u64::from(self.t)
    }

    /// Desktop lanes: the machine's cores, clamped to 2–4.
    pub fn desktop_lanes() -> u32 {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        u32::try_from(cores).unwrap_or(4).clamp(2, 4)
    }

    /// What new vaults and password changes use: [`calibrate`](Self::calibrate)
    /// for [`TARGET_UNLOCK`] (about half a second).
    pub fn desktop() -> Result<Self> {
        Self::calibrate(TARGET_UNLOCK)
    }

    /// Desktop defaults calibrated on this machine: m = 256 MiB,
    /// p = [`desktop_lanes`](Self::desktop_lanes), and the largest t (at
    /// least 2) for which one derivation takes about `target`.
    ///
    /// Costs three derivations (two with t = 2, one with t = 3), about
    /// 1–1.5 s; one if t = 2 alone is already far over `target`.
    pub fn calibrate(target: Duration) -> Result<Self> {
        Self::calibrate_with(DESKTOP_M_KIB, Self::desktop_lanes(), target)
    }

    /// [`calibrate`](Self::calibrate) with chosen memory and lanes.
    pub fn calibrate_with(m_kib: u32, p: u32, target: Duration) -> Result<Self> {
        let salt = [0u8; SALT_LEN];
        let password = SecretString::from("calibration");
        let time = |t: u32| -> Result<f64> {
            let params = Self::new(m_kib, t, p)?;
            let start = Instant::now();
            derive(&password, &salt, &params)?;
            Ok(start.elapsed().as_secs_f64())
        };
        // One derivation costs a fixed part (allocating and wiping m) plus
        // t passes. Measure t = 2 twice (the first run also pays for cold
        // caches) and t = 3 once, and solve for both parts.
        let first = time(MIN_T)?;
        let target = target.as_secs_f64();
        if first > 2.0 * target {
            return Self::new(m_kib, MIN_T, p);
        }
        let two = first.min(time(MIN_T)?);
        let three = time(MIN_T + 1)?;
        // Noise can make the difference tiny or negative; a pass never
        // costs less than an eighth of a t = 2 run.
        let pass = (three - two).max(two / 8.0);
        let fixed = (two - 2.0 * pass).max(0.0);
        let passes = ((target - fixed) / pass).floor();
        let t = if passes.is_finite() && passes >= f64::from(MIN_T) {
            // Truncation is intended: whole passes, bounded above.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let t = passes.min(f64::from(MAX_T)) as u32;
            let within_work = u32::try_from(MAX_WORK / u64::from(m_kib.max(1))).unwrap_or(MAX_T);
            t.min(within_work).max(MIN_T)
        } else {
            MIN_T
        };
        Self::new(m_kib, t, p)
    }
}

/// Derives the 32-byte key-encryption key from `password`.
///
/// Errors with `Invalid` if the parameters or the salt are out of range.
pub fn derive(password: &SecretString, salt: &[u8], params: &KdfParams) -> Result<EnvelopeKey> {
    if !params.is_readable() {
        return Err(VaultError::invalid("Argon2 parameters out of range"));
    }
    if !SALT_LEN_RANGE.contains(&salt.len()) {
        return Err(VaultError::invalid("Argon2 salt length out of range"));
    }
    let argon_params = Params::new(params.m_kib, params.t, params.p, Some(KEY_LEN))
        .map_err(|_| VaultError::invalid("Argon2 parameters out of range"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = zeroize::Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(password.expose().as_bytes(), salt, out.as_mut_slice())
        .map_err(|e| match e {
            argon2::Error::OutOfMemory => VaultError::invalid("not enough memory for Argon2"),
            _ => VaultError::invalid("Argon2 rejected its inputs"),
        })?;
    EnvelopeKey::from_slice(out.as_slice())
        .ok_or_else(|| VaultError::invalid("Argon2 output length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(KdfParams::new(64, 2, 1).is_ok());
        assert!(
            KdfParams::new(64, 1, 1).is_err(),
            "t = 1 is never used for new slots"
        );
        assert!(KdfParams::new(7, 2, 1).is_err());
        assert!(KdfParams::new(64, 2, 17).is_err());
        assert!(KdfParams::new(64, 2, 0).is_err());
        assert!(KdfParams::new(MAX_M_KIB + 1, 2, 1).is_err());
        assert!(KdfParams::new(64, MAX_T + 1, 1).is_err());
        // Each bound alone is met; memory × passes is not (387 s here).
        assert!(KdfParams::new(MAX_M_KIB, MAX_T, 1).is_err());
        assert!(KdfParams::new(MAX_M_KIB, 4, 1).is_ok());
        assert!(KdfParams::new(MAX_M_KIB, 5, 1).is_err());
        assert!(KdfParams::new(DESKTOP_M_KIB, 64, 4).is_ok());
        assert!(
            KdfParams {
                m_kib: 64,
                t: 1,
                p: 1
            }
            .is_readable()
        );
        assert!((2..=4).contains(&KdfParams::desktop_lanes()));
    }

    #[test]
    fn derivation_depends_on_every_input() {
        // Deterministic: same inputs, same key; any change, another key.
        let params = KdfParams::new(64, 2, 1).unwrap();
        let salt = [1u8; SALT_LEN];
        let pw = SecretString::from("correct horse");
        let first = derive(&pw, &salt, &params).unwrap();
        let again = derive(&pw, &salt, &params).unwrap();
        assert_eq!(first.expose(), again.expose());
        let other_pw = derive(&SecretString::from("correct horsf"), &salt, &params).unwrap();
        assert_ne!(first.expose(), other_pw.expose());
        let other_salt = derive(&pw, &[2u8; SALT_LEN], &params).unwrap();
        assert_ne!(first.expose(), other_salt.expose());
        let other_t = derive(&pw, &salt, &KdfParams::new(64, 3, 1).unwrap()).unwrap();
        assert_ne!(first.expose(), other_t.expose());
        assert!(derive(&pw, &[0u8; 8], &params).is_err(), "short salt");
    }

    #[test]
    fn known_answer() {
        // Cross-checked with the reference implementation:
        // `echo -n password | argon2 somesaltsomesalt -id -t 2 -k 64 -p 1 -l 32 -r`
        let params = KdfParams::new(64, 2, 1).unwrap();
        let key = derive(
            &SecretString::from("password"),
            b"somesaltsomesalt",
            &params,
        )
        .unwrap();
        let hex: String = key.expose().iter().fold(String::new(), |mut s, b| {
            use std::fmt::Write;
            write!(s, "{b:02x}").unwrap();
            s
        });
        assert_eq!(hex, KNOWN_ANSWER_HEX);
    }

    const KNOWN_ANSWER_HEX: &str =
        "1a98fba8e6394425c9bdc333a9c750aaf811df070f5fb4a5788e1cf4db5793a1";

    #[test]
    fn calibration_respects_floor() {
        let params = KdfParams::calibrate_with(64, 1, Duration::from_nanos(1)).unwrap();
        assert_eq!(params.t, MIN_T);
        assert_eq!(params.m_kib, 64);
    }
}
