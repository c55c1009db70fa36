//! The merge state of one synced entry ([`EntityState`]) and how a record
//! changes it (`docs/sync-format.md` §8): last writer wins per field and
//! per tag, HOTP counters and server steps to the maximum, a backup code's
//! use to the earliest, and any change after a delete brings the entry
//! back. Applying a record twice changes nothing and the order records
//! come in does not change the result, so devices that merged the same
//! records hold the same state.
//!
//! Owns: [`EntityState`], its rules, and the history of replaced values.
//!
//! Must never: lose a value (a dead entry keeps its fields; a replaced
//! value of a user-visible field goes to the history), or depend on the
//! order of records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::clock::Stamp;
use super::record::{Kind, Op, Value};

/// Fields whose replaced values the history keeps.
const HISTORY_FIELDS: [&str; 7] = [
    "issuer",
    "name",
    "note",
    "otp",
    "extra_params",
    "favorite",
    "icon",
];

/// Replaced values kept per field.
pub const HISTORY_PER_FIELD: usize = 8;

/// A last-writer-wins register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register<T> {
    pub v: T,
    pub t: Stamp,
}

/// A value a field had, and who wrote it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub field: String,
    pub value: Value,
    pub stamp: Stamp,
}

/// Everything merged about one entry (`docs/vault-format.md` §6.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityState {
    pub kind: Kind,
    pub alive: Register<bool>,
    #[serde(default)]
    pub set: BTreeMap<String, Register<Value>>,
    #[serde(default)]
    pub tags: BTreeMap<String, Register<bool>>,
    #[serde(default)]
    pub max: BTreeMap<String, u64>,
    #[serde(default)]
    pub min: BTreeMap<String, u64>,
    /// Newest first within a field; fields in name order.
    #[serde(default)]
    pub history: Vec<HistoryItem>,
}

/// What applying one record did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// The merged state changed (the vault may need rewriting).
    pub changed: bool,
    /// Two devices wrote different values to one field: one lost (and is
    /// in the history).
    pub conflict: bool,
}

impl EntityState {
    /// An entry of `kind` nothing has been merged into yet (dead).
    pub fn new(kind: Kind) -> Self {
        Self {
            kind,
            alive: Register {
                v: false,
                t: Stamp::ZERO,
            },
            set: BTreeMap::new(),
            tags: BTreeMap::new(),
            max: BTreeMap::new(),
            min: BTreeMap::new(),
            history: Vec::new(),
        }
    }

    pub fn is_alive(&self) -> bool {
        self.alive.v
    }

    /// The merged value of a last-writer-wins field.
    pub fn get(&self, field: &str) -> Option<&serde_json::Value> {
        self.set.get(field).map(|r| &r.v.0)
    }

    /// The tags present, in byte order.
    pub fn present_tags(&self) -> impl Iterator<Item = &str> {
        self.tags
            .iter()
            .filter(|(_, r)| r.v)
            .map(|(t, _)| t.as_str())
    }

    /// Folds one record, written at `stamp`, into the state.
    pub fn apply(&mut self, stamp: Stamp, op: &Op) -> Applied {
        let mut applied = Applied::default();
        match op {
            Op::Alive(alive) => {
                applied.changed = self.set_alive(*alive, stamp);
                return applied;
            }
            Op::Set { field, value } => self.apply_set(field, value, stamp, &mut applied),
            Op::Tag { tag, present } => match self.tags.get_mut(tag.as_str()) {
                Some(reg) if stamp > reg.t => {
                    applied.changed = reg.v != *present;
                    *reg = Register {
                        v: *present,
                        t: stamp,
                    };
                }
                Some(_) => {}
                None => {
                    self.tags.insert(
                        tag.clone(),
                        Register {
                            v: *present,
                            t: stamp,
                        },
                    );
                    applied.changed = true;
                }
            },
            Op::Max { field, value } => {
                let slot = self.max.entry(field.clone()).or_insert(0);
                applied.changed = *value > *slot;
                *slot = (*slot).max(*value);
            }
            Op::Min { field, value } => {
                let slot = self.min.entry(field.clone()).or_insert(u64::MAX);
                applied.changed = *value < *slot;
                *slot = (*slot).min(*value);
            }
        }
        // Any change but a delete counts as "alive" at its stamp: an edit
        // made after a delete brings the entry back.
        applied.changed |= self.set_alive(true, stamp);
        applied
    }

    fn set_alive(&mut self, alive: bool, stamp: Stamp) -> bool {
        if stamp <= self.alive.t {
            return false;
        }
        let changed = self.alive.v != alive;
        self.alive = Register { v: alive, t: stamp };
        changed
    }

    fn apply_set(&mut self, field: &str, value: &Value, stamp: Stamp, applied: &mut Applied) {
        let Some(reg) = self.set.get_mut(field) else {
            self.set.insert(
                field.to_owned(),
                Register {
                    v: value.clone(),
                    t: stamp,
                },
            );
            applied.changed = true;
            return;
        };
        if stamp == reg.t {
            return;
        }
        let differs = reg.v != *value;
        applied.conflict = differs && reg.t.device != stamp.device;
        let (lost, lost_stamp) = if stamp > reg.t {
            applied.changed = differs;
            let old = std::mem::replace(&mut reg.v, value.clone());
            let old_stamp = std::mem::replace(&mut reg.t, stamp);
            (old, old_stamp)
        } else {
            (value.clone(), stamp)
        };
        if HISTORY_FIELDS.contains(&field) {
            self.remember(field, lost, lost_stamp);
        }
    }

    /// Keeps a replaced value: newest first per field, at most
    /// [`HISTORY_PER_FIELD`], fields in name order, so the history is the
    /// same whatever order the records came in.
    fn remember(&mut self, field: &str, value: Value, stamp: Stamp) {
        if self
            .history
            .iter()
            .any(|h| h.field == field && h.stamp == stamp)
        {
            return;
        }
        self.history.push(HistoryItem {
            field: field.to_owned(),
            value,
            stamp,
        });
        self.history
            .sort_by(|a, b| a.field.cmp(&b.field).then(b.stamp.cmp(&a.stamp)));
        let mut kept: BTreeMap<String, usize> = BTreeMap::new();
        self.history.retain(|item| {
            let count = kept.entry(item.field.clone()).or_insert(0);
            *count += 1;
            *count <= HISTORY_PER_FIELD
        });
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn stamp(hlc: u64, device: u8) -> Stamp {
        Stamp {
            hlc,
            device: Uuid::from_bytes([device; 16]),
        }
    }

    fn set(field: &str, text: &str) -> Op {
        Op::Set {
            field: field.into(),
            value: Value::str(text),
        }
    }

    /// Every order of `records` gives the same state.
    fn every_order_agrees(records: &[(Stamp, Op)]) -> EntityState {
        let mut orders = vec![records.to_vec()];
        let mut reversed = records.to_vec();
        reversed.reverse();
        orders.push(reversed);
        for shift in 1..records.len() {
            let mut rotated = records.to_vec();
            rotated.rotate_left(shift);
            orders.push(rotated);
        }
        let fold = |records: &[(Stamp, Op)]| {
            let mut state = EntityState::new(Kind::Account);
            for (s, op) in records {
                state.apply(*s, op);
                state.apply(*s, op);
            }
            state
        };
        let first = fold(&orders[0]);
        for order in &orders[1..] {
            assert_eq!(fold(order), first);
        }
        first
    }

    #[test]
    fn the_later_edit_wins_and_the_other_is_kept_in_the_history() {
        let state = every_order_agrees(&[
            (stamp(1, 1), Op::Alive(true)),
            (stamp(1, 1), set("issuer", "First")),
            (stamp(5, 2), set("issuer", "Laptop")),
            (stamp(6, 3), set("issuer", "Desktop")),
        ]);
        assert_eq!(state.get("issuer"), Some(&serde_json::json!("Desktop")));
        let kept: Vec<_> = state.history.iter().map(|h| h.value.0.clone()).collect();
        assert_eq!(
            kept,
            [serde_json::json!("Laptop"), serde_json::json!("First")]
        );
    }

    #[test]
    fn an_edit_after_a_delete_brings_the_entry_back_and_one_before_does_not() {
        let revived = every_order_agrees(&[
            (stamp(1, 1), Op::Alive(true)),
            (stamp(1, 1), set("name", "a")),
            (stamp(4, 1), Op::Alive(false)),
            (stamp(7, 2), set("note", "edited later")),
        ]);
        assert!(revived.is_alive());
        assert_eq!(revived.get("name"), Some(&serde_json::json!("a")));
        let deleted = every_order_agrees(&[
            (stamp(1, 1), Op::Alive(true)),
            (stamp(3, 2), set("note", "edited before")),
            (stamp(4, 1), Op::Alive(false)),
        ]);
        assert!(!deleted.is_alive());
        assert_eq!(
            deleted.get("note"),
            Some(&serde_json::json!("edited before")),
            "the edit is kept in the dead entry"
        );
    }

    #[test]
    fn counters_take_the_maximum_uses_the_minimum_and_tags_merge_per_tag() {
        let state = every_order_agrees(&[
            (stamp(1, 1), Op::Alive(true)),
            (
                stamp(2, 1),
                Op::Max {
                    field: "counter".into(),
                    value: 9,
                },
            ),
            (
                stamp(3, 2),
                Op::Max {
                    field: "counter".into(),
                    value: 4,
                },
            ),
            (
                stamp(2, 1),
                Op::Min {
                    field: "used_at".into(),
                    value: 50,
                },
            ),
            (
                stamp(3, 2),
                Op::Min {
                    field: "used_at".into(),
                    value: 40,
                },
            ),
            (
                stamp(2, 1),
                Op::Tag {
                    tag: "work".into(),
                    present: true,
                },
            ),
            (
                stamp(3, 2),
                Op::Tag {
                    tag: "home".into(),
                    present: true,
                },
            ),
            (
                stamp(4, 2),
                Op::Tag {
                    tag: "work".into(),
                    present: false,
                },
            ),
        ]);
        assert_eq!(state.max["counter"], 9);
        assert_eq!(state.min["used_at"], 40);
        assert_eq!(state.present_tags().collect::<Vec<_>>(), ["home"]);
    }

    #[test]
    fn the_history_keeps_the_newest_values_per_field() {
        let mut records = vec![(stamp(0, 1), Op::Alive(true))];
        for i in 1..=20u64 {
            records.push((
                stamp(i, u8::try_from(i % 3).unwrap()),
                set("note", &i.to_string()),
            ));
        }
        let state = every_order_agrees(&records);
        assert_eq!(state.get("note"), Some(&serde_json::json!("20")));
        let kept: Vec<_> = state.history.iter().map(|h| h.stamp.hlc).collect();
        assert_eq!(kept, (12..=19).rev().collect::<Vec<_>>());
    }

    #[test]
    fn conflicts_are_counted_only_between_devices_with_different_values() {
        let mut state = EntityState::new(Kind::Account);
        state.apply(stamp(1, 1), &set("name", "a"));
        assert!(!state.apply(stamp(2, 1), &set("name", "b")).conflict);
        assert!(state.apply(stamp(1, 2), &set("name", "c")).conflict);
        assert!(!state.apply(stamp(3, 2), &set("name", "b")).conflict);
    }
}
