//! Time, injected: the [`Clock`] trait, [`SystemClock`], [`FixedClock`]
//! for tests, and [`OffsetClock`] (the global clock-offset setting).
//!
//! Owns: the one call in the whole program that reads the system time
//! (`SystemClock::now`). Everything else that needs "now" takes a `Clock`.
//!
//! Must never: be bypassed. No other module calls `SystemTime::now()`
//! (clippy's `disallowed-methods` fences it), so tests can pin the time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time: milliseconds since the Unix epoch (UTC), never before
/// it. Serializes as that plain number.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// From milliseconds since the Unix epoch.
    pub const fn from_unix_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// From whole seconds since the Unix epoch (saturating far in the future).
    pub const fn from_unix_seconds(seconds: u64) -> Self {
        Self(seconds.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub const fn unix_seconds(self) -> u64 {
        self.0 / 1000
    }

    /// This time moved by a signed number of milliseconds, saturating at the
    /// epoch and at the far future instead of overflowing.
    #[must_use]
    pub const fn offset_by(self, offset_ms: i64) -> Self {
        Self(self.0.saturating_add_signed(offset_ms))
    }

    /// The signed difference `self - earlier` in milliseconds (saturating).
    pub fn millis_since(self, earlier: Self) -> i64 {
        if self.0 >= earlier.0 {
            i64::try_from(self.0 - earlier.0).unwrap_or(i64::MAX)
        } else {
            i64::try_from(earlier.0 - self.0).map_or(i64::MIN, |d| -d)
        }
    }
}

impl From<SystemTime> for Timestamp {
    /// Times before the epoch become the epoch; times past `u64::MAX` ms
    /// saturate.
    fn from(time: SystemTime) -> Self {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Self(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned reading of the system time
    fn now(&self) -> Timestamp {
        Timestamp::from(SystemTime::now())
    }
}

/// A clock that stays where it is put; tests move it with [`set`](Self::set)
/// and [`advance`](Self::advance) (through a shared reference, so it can be
/// shared with the code under test behind an `Arc`).
#[derive(Debug, Default)]
pub struct FixedClock(AtomicU64);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(AtomicU64::new(at.unix_millis()))
    }

    /// A clock stopped at `seconds` since the epoch.
    pub fn at_unix_seconds(seconds: u64) -> Self {
        Self::new(Timestamp::from_unix_seconds(seconds))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.unix_millis(), Ordering::SeqCst);
    }

    /// Moves the clock forward (or back, if negative) by `millis`.
    pub fn advance(&self, millis: i64) {
        // fetch_update's closure always returns Some, so this cannot fail.
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add_signed(millis))
            });
    }
}

impl Clone for FixedClock {
    fn clone(&self) -> Self {
        Self::new(self.now())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.0.load(Ordering::SeqCst))
    }
}

/// Another clock shifted by a signed offset in milliseconds: the global
/// "clock offset" setting, for machines whose clock is known to be wrong.
/// A positive offset moves the time forward.
#[derive(Clone, Debug, Default)]
pub struct OffsetClock<C> {
    inner: C,
    offset_ms: i64,
}

impl<C: Clock> OffsetClock<C> {
    /// `inner` shifted by `offset_ms`.
    pub fn new(inner: C, offset_ms: i64) -> Self {
        Self { inner, offset_ms }
    }

    /// The offset applied, in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms
    }

    /// Changes the offset.
    pub fn set_offset_ms(&mut self, offset_ms: i64) {
        self.offset_ms = offset_ms;
    }

    /// The clock underneath.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The offset that makes `local` read as `reference`, e.g. a server's
    /// `Date` header against this machine's clock at the moment of the
    /// response: `reference - local` in milliseconds.
    pub fn measure(local: Timestamp, reference: Timestamp) -> i64 {
        reference.millis_since(local)
    }
}

impl<C: Clock> Clock for OffsetClock<C> {
    fn now(&self) -> Timestamp {
        self.inner.now().offset_by(self.offset_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::{Clock, FixedClock, OffsetClock, SystemClock, Timestamp};
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamp_conversions() {
        let t = Timestamp::from_unix_seconds(59);
        assert_eq!(t.unix_millis(), 59_000);
        assert_eq!(Timestamp::from_unix_millis(59_999).unix_seconds(), 59);
        assert_eq!(t.offset_by(-60_000), Timestamp::UNIX_EPOCH);
        assert_eq!(t.offset_by(1), Timestamp::from_unix_millis(59_001));
        assert_eq!(
            Timestamp::from_unix_millis(u64::MAX)
                .offset_by(5)
                .unix_millis(),
            u64::MAX
        );
        assert_eq!(
            Timestamp::from_unix_millis(10).millis_since(Timestamp::from_unix_millis(25)),
            -15
        );
        assert_eq!(
            Timestamp::from(UNIX_EPOCH + Duration::from_millis(1234)).unix_millis(),
            1234
        );
        assert_eq!(
            Timestamp::from(UNIX_EPOCH - Duration::from_secs(5)),
            Timestamp::UNIX_EPOCH
        );
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::at_unix_seconds(100);
        assert_eq!(clock.now().unix_seconds(), 100);
        clock.advance(1500);
        assert_eq!(clock.now().unix_millis(), 101_500);
        clock.advance(-101_501);
        assert_eq!(clock.now(), Timestamp::UNIX_EPOCH);
        clock.set(Timestamp::from_unix_seconds(7));
        assert_eq!(clock.clone().now().unix_seconds(), 7);
    }

    #[test]
    fn offset_clock_shifts_and_measures() {
        let base = Arc::new(FixedClock::at_unix_seconds(1000));
        let mut shifted = OffsetClock::new(Arc::clone(&base), -2500);
        assert_eq!(shifted.now().unix_millis(), 997_500);
        base.advance(1000);
        assert_eq!(shifted.now().unix_millis(), 998_500);
        shifted.set_offset_ms(0);
        assert_eq!(shifted.now(), base.now());
        let offset = OffsetClock::<SystemClock>::measure(
            Timestamp::from_unix_seconds(10),
            Timestamp::from_unix_seconds(13),
        );
        assert_eq!(offset, 3000);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().unix_seconds() > 1_577_836_800);
        let dynamic: Box<dyn Clock> = Box::new(SystemClock);
        assert!(dynamic.now() >= Timestamp::from_unix_seconds(1_577_836_800));
    }
}
