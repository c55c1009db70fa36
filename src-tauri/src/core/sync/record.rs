//! [`Record`]: one change of one field of one entry, as a device's log
//! carries it (`docs/sync-format.md` §6.1, §8), and [`Value`], a field's
//! value (JSON that may hold a secret: wiped on drop, never printed).
//!
//! Owns: the record's JSON form inside a segment and its checks.
//!
//! Must never: print a value or a tag in `Debug`, or accept a record whose
//! operation, field or value has the wrong shape.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroize;

/// The kinds of synced entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Account,
    /// A backup code of an account.
    Code,
    Server,
}

/// A field's value: JSON, wiped when dropped (an `otp` value holds the
/// secret, a server member a password), `Debug` prints no content.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Value(pub serde_json::Value);

impl Value {
    pub fn str(text: impl Into<String>) -> Self {
        Self(serde_json::Value::String(text.into()))
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Value(<redacted>)")
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites every string in `value` with zeros.
pub fn wipe(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => text.zeroize(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(wipe),
        serde_json::Value::Object(members) => members.values_mut().for_each(wipe),
        _ => {}
    }
}

/// What a record does to its field (`docs/sync-format.md` §8).
#[derive(Clone, PartialEq, Eq)]
pub enum Op {
    /// Created (or brought back) / deleted.
    Alive(bool),
    /// Last writer wins.
    Set { field: String, value: Value },
    /// Last writer wins per tag.
    Tag { tag: String, present: bool },
    /// The largest value seen.
    Max { field: String, value: u64 },
    /// The smallest value seen.
    Min { field: String, value: u64 },
}

/// The operation and field, never a value or a tag text.
impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Alive(alive) => write!(f, "Alive({alive})"),
            Self::Set { field, .. } => write!(f, "Set({field})"),
            Self::Tag { present, .. } => write!(f, "Tag(<redacted>, {present})"),
            Self::Max { field, value } => write!(f, "Max({field}, {value})"),
            Self::Min { field, value } => write!(f, "Min({field}, {value})"),
        }
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        if let Self::Tag { tag, .. } = self {
            tag.zeroize();
        }
    }
}

/// One change, as a device's log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its number in the writer's log (1, 2, … contiguous).
    pub n: u64,
    /// The writer's HLC when it was made.
    pub hlc: u64,
    pub entity: Uuid,
    pub kind: Kind,
    pub op: Op,
}

/// The JSON form: `{"n", "t", "e", "k", "o", "f", "v"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Wire {
    n: u64,
    t: u64,
    e: Uuid,
    k: Kind,
    o: String,
    f: String,
    v: serde_json::Value,
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.f.zeroize();
        wipe(&mut self.v);
    }
}

impl Record {
    pub(super) fn to_wire(&self) -> Wire {
        let (o, f, v) = match &self.op {
            Op::Alive(alive) => ("alive", String::new(), serde_json::Value::Bool(*alive)),
            Op::Set { field, value } => ("set", field.clone(), value.0.clone()),
            Op::Tag { tag, present } => ("tag", tag.clone(), serde_json::Value::Bool(*present)),
            Op::Max { field, value } => ("max", field.clone(), (*value).into()),
            Op::Min { field, value } => ("min", field.clone(), (*value).into()),
        };
        Wire {
            n: self.n,
            t: self.hlc,
            e: self.entity,
            k: self.kind,
            o: o.to_owned(),
            f,
            v,
        }
    }

    /// The record of a wire form; `None` if its operation and value do
    /// not fit (an unknown operation, a `max` of a string, an empty field).
    pub(super) fn from_wire(mut wire: Wire) -> Option<Self> {
        let field = std::mem::take(&mut wire.f);
        let op = match (wire.o.as_str(), &wire.v) {
            ("alive", serde_json::Value::Bool(alive)) if field.is_empty() => Op::Alive(*alive),
            ("set", _) if !field.is_empty() => Op::Set {
                field,
                value: Value(std::mem::take(&mut wire.v)),
            },
            ("tag", serde_json::Value::Bool(present)) if !field.is_empty() => Op::Tag {
                tag: field,
                present: *present,
            },
            ("max", v) if !field.is_empty() => Op::Max {
                field,
                value: v.as_u64()?,
            },
            ("min", v) if !field.is_empty() => Op::Min {
                field,
                value: v.as_u64()?,
            },
            _ => return None,
        };
        Some(Self {
            n: wire.n,
            hlc: wire.t,
            entity: wire.e,
            kind: wire.k,
            op,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(op: Op) -> Record {
        Record {
            n: 3,
            hlc: 99,
            entity: Uuid::from_bytes([7; 16]),
            kind: Kind::Account,
            op,
        }
    }

    #[test]
    fn every_operation_round_trips_through_json() {
        for op in [
            Op::Alive(false),
            Op::Set {
                field: "issuer".into(),
                value: Value::str("GitHub"),
            },
            Op::Tag {
                tag: "work".into(),
                present: true,
            },
            Op::Max {
                field: "counter".into(),
                value: 7,
            },
            Op::Min {
                field: "used_at".into(),
                value: 1,
            },
        ] {
            let json = serde_json::to_vec(&record(op.clone()).to_wire()).unwrap();
            let back: Wire = serde_json::from_slice(&json).unwrap();
            assert_eq!(Record::from_wire(back).unwrap(), record(op));
        }
    }

    #[test]
    fn ill_formed_records_are_refused() {
        for json in [
            r#"{"n":1,"t":1,"e":"07070707-0707-0707-0707-070707070707","k":"account","o":"max","f":"counter","v":"x"}"#,
            r#"{"n":1,"t":1,"e":"07070707-0707-0707-0707-070707070707","k":"account","o":"alive","f":"x","v":true}"#,
            r#"{"n":1,"t":1,"e":"07070707-0707-0707-0707-070707070707","k":"account","o":"set","f":"","v":1}"#,
            r#"{"n":1,"t":1,"e":"07070707-0707-0707-0707-070707070707","k":"account","o":"drop","f":"a","v":1}"#,
        ] {
            let wire: Wire = serde_json::from_str(json).unwrap();
            assert!(Record::from_wire(wire).is_none(), "{json}");
        }
        let unknown = r#"{"n":1,"t":1,"e":"07070707-0707-0707-0707-070707070707","k":"vault","o":"alive","f":"","v":true}"#;
        assert!(serde_json::from_str::<Wire>(unknown).is_err());
    }

    #[test]
    fn debug_shows_no_value_or_tag() {
        let shown = format!(
            "{:?} {:?}",
            record(Op::Set {
                field: "otp".into(),
                value: Value::str("SECRETSECRET"),
            }),
            record(Op::Tag {
                tag: "private-tag".into(),
                present: true,
            })
        );
        assert!(!shown.contains("SECRETSECRET") && !shown.contains("private-tag"));
        assert!(shown.contains("Set(otp)"));
    }
}
