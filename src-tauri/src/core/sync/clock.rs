//! The hybrid logical clock of `docs/sync-format.md` §7.1 and the
//! [`Stamp`] every record carries: a change made after a device has seen
//! another change always gets a larger stamp, whatever the wall clocks
//! say; wall clocks only order changes made without seeing each other.
//!
//! Owns: the HLC arithmetic and the total order of stamps.
//!
//! Must never: go backwards, or read the time itself (the caller passes
//! the vault's clock reading).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::clock::Timestamp;

/// Bits of the logical counter below the milliseconds.
const COUNTER_BITS: u32 = 16;

/// The largest milliseconds an HLC can hold (48 bits: the year 10889).
const MAX_MS: u64 = (1 << (64 - COUNTER_BITS)) - 1;

/// A device's hybrid logical clock: the last value it handed out or saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HybridClock(u64);

impl HybridClock {
    /// A clock that last saw `hlc`.
    pub const fn at(hlc: u64) -> Self {
        Self(hlc)
    }

    /// The last value handed out or seen.
    pub const fn last(self) -> u64 {
        self.0
    }

    /// A new value for a local change at wall time `now`: larger than
    /// every value handed out or seen before.
    pub fn tick(&mut self, now: Timestamp) -> u64 {
        let ms = now.unix_millis().min(MAX_MS);
        let wall = ms << COUNTER_BITS;
        self.0 = if wall > self.0 {
            wall
        } else {
            self.0.saturating_add(1)
        };
        self.0
    }

    /// A new value for a local change made at `made` (no later than
    /// `now`): the change's own time when that is later than everything
    /// handed out or seen, else just after that, so a change captured late
    /// keeps its place among changes made elsewhere meanwhile.
    pub fn tick_at(&mut self, made: Timestamp, now: Timestamp) -> u64 {
        let ms = made.min(now).unix_millis().min(MAX_MS);
        self.0 = (ms << COUNTER_BITS).max(self.0.saturating_add(1));
        self.0
    }

    /// Takes in a value from another device's record.
    pub fn observe(&mut self, hlc: u64) {
        self.0 = self.0.max(hlc);
    }
}

/// The milliseconds part of an HLC value.
pub const fn hlc_millis(hlc: u64) -> u64 {
    hlc >> COUNTER_BITS
}

/// Who wrote a value, and when: ordered by HLC, then by the device id's
/// bytes, so no two records of different devices tie. Stored as 48
/// lowercase hex digits: the HLC (16) and the device id (32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp {
    pub hlc: u64,
    pub device: Uuid,
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{:016x}{}", self.hlc, self.device.simple()))
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        let bad = || serde::de::Error::custom("not a stamp");
        if text.len() != 48 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let hlc = u64::from_str_radix(&text[..16], 16).map_err(|_| bad())?;
        let device = Uuid::try_parse(&text[16..]).map_err(|_| bad())?;
        Ok(Self { hlc, device })
    }
}

impl Stamp {
    /// The stamp below every real one (a register never written).
    pub const ZERO: Self = Self {
        hlc: 0,
        device: Uuid::nil(),
    };
}

impl Ord for Stamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.hlc
            .cmp(&other.hlc)
            .then_with(|| self.device.as_bytes().cmp(other.device.as_bytes()))
    }
}

impl PartialOrd for Stamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_follow_the_wall_clock_and_never_go_back() {
        let mut clock = HybridClock::default();
        let a = clock.tick(Timestamp::from_unix_millis(1_000));
        assert_eq!(hlc_millis(a), 1_000);
        let b = clock.tick(Timestamp::from_unix_millis(1_000));
        assert_eq!(b, a + 1, "same millisecond: the counter moves");
        let c = clock.tick(Timestamp::from_unix_millis(500));
        assert!(
            c > b,
            "a wall clock that went back does not move the HLC back"
        );
        let d = clock.tick(Timestamp::from_unix_millis(2_000));
        assert_eq!(d, 2_000 << 16);
    }

    #[test]
    fn a_change_captured_late_keeps_its_own_time_but_never_goes_back() {
        let mut clock = HybridClock::default();
        let now = Timestamp::from_unix_millis(9_000);
        assert_eq!(
            hlc_millis(clock.tick_at(Timestamp::from_unix_millis(4_000), now)),
            4_000
        );
        let seen = clock.tick(Timestamp::from_unix_millis(6_000));
        assert!(clock.tick_at(Timestamp::from_unix_millis(5_000), now) > seen);
        assert_eq!(
            hlc_millis(clock.tick_at(Timestamp::from_unix_millis(20_000), now)),
            9_000,
            "never past now"
        );
    }

    #[test]
    fn a_change_after_seeing_another_is_later_even_with_a_slow_wall_clock() {
        let mut fast = HybridClock::default();
        let seen = fast.tick(Timestamp::from_unix_millis(9_000));
        let mut slow = HybridClock::default();
        slow.observe(seen);
        assert!(slow.tick(Timestamp::from_unix_millis(1_000)) > seen);
    }

    #[test]
    fn stamps_are_stored_as_48_hex_digits() {
        let stamp = Stamp {
            hlc: 0x0123_4567_89ab_cdef,
            device: Uuid::from_bytes([0xfe; 16]),
        };
        let json = serde_json::to_string(&stamp).unwrap();
        assert_eq!(json, format!("\"0123456789abcdef{}\"", "fe".repeat(16)));
        assert_eq!(serde_json::from_str::<Stamp>(&json).unwrap(), stamp);
        assert!(serde_json::from_str::<Stamp>("\"0123\"").is_err());
    }

    #[test]
    fn stamps_order_by_clock_then_device() {
        let low = Uuid::from_bytes([1; 16]);
        let high = Uuid::from_bytes([2; 16]);
        let a = Stamp {
            hlc: 5,
            device: high,
        };
        let b = Stamp {
            hlc: 6,
            device: low,
        };
        assert!(a < b);
        assert!(
            Stamp {
                hlc: 6,
                device: high
            } > b
        );
        assert!(Stamp::ZERO < a);
    }
}
