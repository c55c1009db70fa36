//! Between the vault and the merge state (`docs/sync-format.md` §7.2,
//! §8.1–§8.2): the fields of an account, backup code or server as the
//! sync sees them ([`Fields`]), the operations that bring a merge state
//! to what the vault holds ([`diff`]), and the vault rows a merge state
//! stands for (`materialize_*`).
//!
//! Owns: the field catalogue of §8.1 and both directions of the mapping,
//! which must agree: materializing a state and reading its fields back
//! gives the state's values, so an unchanged entry captures nothing.
//!
//! Must never: leave a secret in a JSON value that is not wiped, or make
//! an entry from a state that does not validate.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::codec::hex;
use super::merge::EntityState;
use super::record::{Kind, Op, Value, wipe};
use crate::core::clock::Timestamp;
use crate::core::secret::{SecretBytes, SecretString, serialize_json};
use crate::core::vault::{
    BackupCode, Entry, ServerEntry, SyncedAccount, SyncedCode, SyncedServer,
    account_document_value, account_from_document,
};

/// Members of the account document that make up the `otp` field.
const OTP_MEMBERS: [&str; 5] = ["secret", "algorithm", "digits", "kind", "period"];

/// Members of the account document synced as fields of their own.
const ACCOUNT_FIELDS: [&str; 6] = ["issuer", "name", "extra_params", "favorite", "note", "icon"];

/// Server payload members that take the maximum.
const SERVER_MAX: [&str; 2] = ["last_step", "wait_until_ms"];

/// An entry's fields, as the vault holds it now.
#[derive(Debug, Default)]
pub struct Fields {
    /// Last writer wins.
    pub set: Vec<(String, Value)>,
    /// Written when the entry is first captured, never diffed after.
    pub once: Vec<(String, Value)>,
    pub tags: BTreeSet<String>,
    pub max: Vec<(String, u64)>,
    pub min: Vec<(String, u64)>,
    /// Fields of the state absent here mean `null` (server members).
    pub absent_is_null: Option<&'static str>,
}

fn take(map: &mut Map<String, Json>, key: &str) -> Json {
    map.remove(key).unwrap_or(Json::Null)
}

/// The fields of an account.
pub fn account_fields(entry: &Entry) -> Fields {
    let mut parsed = account_document_value(&entry.account, &entry.details);
    let mut fields = Fields::default();
    if let Json::Object(map) = &mut parsed {
        let mut otp = Map::new();
        for member in OTP_MEMBERS {
            if let Some(value) = map.remove(member) {
                otp.insert(member.to_owned(), value);
            }
        }
        fields.set.push(("otp".into(), Value(Json::Object(otp))));
        if let Some(counter) = map.remove("counter").and_then(|c| c.as_u64()) {
            fields.max.push(("counter".into(), counter));
        }
        if let Json::Array(tags) = take(map, "tags") {
            fields.tags = tags
                .into_iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect();
        }
        for member in ACCOUNT_FIELDS {
            fields.set.push((member.into(), Value(take(map, member))));
        }
    }
    wipe(&mut parsed);
    fields
        .set
        .push(("position".into(), Value(entry.position.into())));
    fields.once.push((
        "created_at".into(),
        Value(entry.created_at.unix_millis().into()),
    ));
    fields
}

/// The fields of backup code `code`, the `index`th of `account`.
pub fn code_fields(account: Uuid, index: usize, code: &BackupCode) -> Fields {
    let mut fields = Fields::default();
    fields.set.push((
        "account".into(),
        Value::str(account.hyphenated().to_string()),
    ));
    fields
        .set
        .push(("code".into(), Value::str(code.code.expose())));
    fields.once.push(("position".into(), Value(index.into())));
    fields.once.push((
        "created_at".into(),
        Value(code.created_at.unix_millis().into()),
    ));
    if let Some(used) = code.used_at {
        fields.min.push(("used_at".into(), used.unix_millis()));
    }
    fields
}

/// The fields of a server: its payload's members when it is a JSON
/// object, else the payload as one field.
pub fn server_fields(server: &ServerEntry) -> Fields {
    let mut fields = Fields {
        absent_is_null: Some("m:"),
        ..Fields::default()
    };
    match serde_json::from_slice::<Json>(server.payload.expose()) {
        Ok(Json::Object(mut map)) => {
            let names: Vec<String> = map.keys().cloned().collect();
            for name in names {
                let value = take(&mut map, &name);
                if SERVER_MAX.contains(&name.as_str()) {
                    if let Some(n) = value.as_u64() {
                        fields.max.push((format!("m:{name}"), n));
                    }
                } else if !value.is_null() {
                    fields.set.push((format!("m:{name}"), Value(value)));
                }
            }
        }
        Ok(mut other) => {
            wipe(&mut other);
            fields
                .set
                .push(("raw".into(), Value::str(hex(server.payload.expose()))));
        }
        Err(_) => fields
            .set
            .push(("raw".into(), Value::str(hex(server.payload.expose())))),
    }
    fields
        .set
        .push(("position".into(), Value(server.position.into())));
    fields.once.push((
        "created_at".into(),
        Value(server.created_at.unix_millis().into()),
    ));
    fields
}

/// The operations that bring `state` to `fields` (all of them for a new
/// or dead entry), in the order of §7.2.
pub fn diff(fields: &Fields, state: Option<&EntityState>) -> Vec<Op> {
    let mut ops = Vec::new();
    let alive = state.is_some_and(EntityState::is_alive);
    if !alive {
        ops.push(Op::Alive(true));
    }
    for (field, value) in &fields.set {
        if state.and_then(|s| s.get(field)) != Some(&value.0) {
            ops.push(Op::Set {
                field: field.clone(),
                value: value.clone(),
            });
        }
    }
    for (field, value) in &fields.once {
        if state.and_then(|s| s.get(field)).is_none() {
            ops.push(Op::Set {
                field: field.clone(),
                value: value.clone(),
            });
        }
    }
    if let (Some(prefix), Some(state)) = (fields.absent_is_null, state) {
        for (field, reg) in &state.set {
            let listed = fields.set.iter().any(|(f, _)| f == field);
            if field.starts_with(prefix) && !listed && !reg.v.0.is_null() {
                ops.push(Op::Set {
                    field: field.clone(),
                    value: Value(Json::Null),
                });
            }
        }
    }
    let present: BTreeSet<&str> = state
        .map(|s| s.present_tags().collect())
        .unwrap_or_default();
    for tag in &fields.tags {
        if !present.contains(tag.as_str()) {
            ops.push(Op::Tag {
                tag: tag.clone(),
                present: true,
            });
        }
    }
    for tag in present {
        if !fields.tags.contains(tag) {
            ops.push(Op::Tag {
                tag: tag.to_owned(),
                present: false,
            });
        }
    }
    for (field, value) in &fields.max {
        if state
            .and_then(|s| s.max.get(field))
            .is_none_or(|have| value > have)
        {
            ops.push(Op::Max {
                field: field.clone(),
                value: *value,
            });
        }
    }
    for (field, value) in &fields.min {
        if state
            .and_then(|s| s.min.get(field))
            .is_none_or(|have| value < have)
        {
            ops.push(Op::Min {
                field: field.clone(),
                value: *value,
            });
        }
    }
    ops
}

fn position(state: &EntityState) -> i64 {
    state.get("position").and_then(Json::as_i64).unwrap_or(0)
}

fn created_at(state: &EntityState) -> Timestamp {
    Timestamp::from_unix_millis(state.get("created_at").and_then(Json::as_u64).unwrap_or(0))
}

/// The account a live merge state stands for; `None` if it is dead or its
/// fields do not make a valid account.
pub fn materialize_account(id: Uuid, state: &EntityState) -> Option<SyncedAccount> {
    if !state.is_alive() || state.kind != Kind::Account {
        return None;
    }
    let Some(Json::Object(otp)) = state.get("otp") else {
        return None;
    };
    let mut doc = otp.clone();
    if otp.get("kind").and_then(Json::as_str) == Some("hotp") {
        doc.insert(
            "counter".into(),
            state.max.get("counter").copied().unwrap_or(0).into(),
        );
    }
    for member in ACCOUNT_FIELDS {
        if let Some(value) = state
            .get(member)
            .filter(|v| !v.is_null() || member == "icon")
        {
            doc.insert(member.into(), value.clone());
        }
    }
    doc.entry("issuer").or_insert_with(|| "".into());
    doc.entry("name").or_insert_with(|| "".into());
    doc.insert(
        "tags".into(),
        Json::Array(state.present_tags().map(Json::from).collect()),
    );
    let mut doc = Json::Object(doc);
    let bytes = serialize_json(&doc);
    wipe(&mut doc);
    let (account, details) = account_from_document(&bytes)?;
    Some(SyncedAccount {
        id,
        account,
        details,
        position: position(state),
        created_at: created_at(state),
    })
}

/// The backup code a live merge state stands for.
pub fn materialize_code(id: Uuid, state: &EntityState) -> Option<SyncedCode> {
    if !state.is_alive() || state.kind != Kind::Code {
        return None;
    }
    let account_id = state
        .get("account")?
        .as_str()
        .and_then(|a| Uuid::try_parse(a).ok())?;
    let code = state.get("code")?.as_str()?;
    if code.trim().is_empty() {
        return None;
    }
    Some(SyncedCode {
        id,
        account_id,
        code: SecretString::from(code),
        used_at: state
            .min
            .get("used_at")
            .copied()
            .map(Timestamp::from_unix_millis),
        position: position(state),
        created_at: created_at(state),
    })
}

/// The server a live merge state stands for.
pub fn materialize_server(id: Uuid, state: &EntityState) -> Option<SyncedServer> {
    if !state.is_alive() || state.kind != Kind::Server {
        return None;
    }
    let payload = if let Some(raw) = state.get("raw") {
        SecretBytes::new(
            data_encoding::HEXLOWER
                .decode(raw.as_str()?.as_bytes())
                .ok()?,
        )
    } else {
        let mut map = Map::new();
        for (field, reg) in &state.set {
            if let Some(name) = field.strip_prefix("m:")
                && !reg.v.0.is_null()
            {
                map.insert(name.to_owned(), reg.v.0.clone());
            }
        }
        for (field, value) in &state.max {
            if let Some(name) = field.strip_prefix("m:") {
                map.insert(name.to_owned(), (*value).into());
            }
        }
        let mut doc = Json::Object(map);
        let bytes = serialize_json(&doc);
        wipe(&mut doc);
        SecretBytes::new(bytes.to_vec())
    };
    Some(SyncedServer {
        id,
        payload,
        position: position(state),
        created_at: created_at(state),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::clock::Timestamp;
    use crate::core::otp::{Account, Algorithm, OtpKind};
    use crate::core::secret::SecretBytes;
    use crate::core::sync::clock::Stamp;
    use crate::core::vault::Details;

    fn entry(kind: OtpKind) -> Entry {
        Entry {
            id: Uuid::new_v4(),
            account: Account {
                issuer: "GitHub".into(),
                name: "alice".into(),
                secret: SecretBytes::from(vec![7; 20]),
                algorithm: Algorithm::Sha256,
                digits: 8,
                kind,
                extra_params: vec![("image".into(), "x".into())],
            },
            details: Details {
                tags: vec!["work".into(), "a".into()],
                favorite: true,
                note: "n".into(),
                icon: crate::core::icon::AccountIcon::badge("GH", Some("#112233")),
            },
            position: 4,
            created_at: Timestamp::from_unix_millis(5),
            updated_at: Timestamp::from_unix_millis(6),
            last_used_at: None,
            backup_codes: Vec::new(),
        }
    }

    fn captured(fields: &Fields) -> EntityState {
        let mut state = EntityState::new(Kind::Account);
        let stamp = Stamp {
            hlc: 1,
            device: Uuid::new_v4(),
        };
        for op in diff(fields, None) {
            state.apply(stamp, &op);
        }
        state
    }

    #[test]
    fn an_account_materializes_to_itself_and_captures_nothing_more() {
        for kind in [
            OtpKind::Totp { period: 45 },
            OtpKind::Hotp { counter: 9 },
            OtpKind::Steam { period: 30 },
        ] {
            let mut entry = entry(kind);
            if matches!(kind, OtpKind::Steam { .. }) {
                entry.account.algorithm = Algorithm::Sha1;
                entry.account.digits = 5;
            }
            let state = captured(&account_fields(&entry));
            let back = materialize_account(entry.id, &state).unwrap();
            assert_eq!(back.account, entry.account);
            assert_eq!(
                back.details.tags,
                ["a", "work"],
                "tags come back in byte order"
            );
            assert_eq!((back.position, back.created_at), (4, entry.created_at));
            let mut again = entry.clone();
            again.account = back.account;
            again.details = back.details;
            assert!(diff(&account_fields(&again), Some(&state)).is_empty());
        }
    }

    #[test]
    fn a_server_payload_splits_by_member_and_comes_back() {
        let server = ServerEntry {
            id: Uuid::new_v4(),
            payload: SecretBytes::from(
                br#"{"name":"s","token":"t","last_step":7,"user_id":null}"#.as_slice(),
            ),
            position: 1,
            created_at: Timestamp::from_unix_millis(2),
            updated_at: Timestamp::from_unix_millis(3),
        };
        let mut state = EntityState::new(Kind::Server);
        let stamp = Stamp {
            hlc: 1,
            device: Uuid::new_v4(),
        };
        for op in diff(&server_fields(&server), None) {
            state.apply(stamp, &op);
        }
        let back = materialize_server(server.id, &state).unwrap();
        let json: Json = serde_json::from_slice(back.payload.expose()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name": "s", "token": "t", "last_step": 7})
        );
        let mut dropped = server.clone();
        dropped.payload = SecretBytes::from(br#"{"name":"s","last_step":7}"#.as_slice());
        let ops = diff(&server_fields(&dropped), Some(&state));
        assert_eq!(ops.len(), 1, "a member gone becomes null: {ops:?}");
    }

    #[test]
    fn a_state_without_a_valid_account_makes_none() {
        let mut state = EntityState::new(Kind::Account);
        let stamp = Stamp {
            hlc: 1,
            device: Uuid::new_v4(),
        };
        state.apply(stamp, &Op::Set { field: "otp".into(), value: Value(serde_json::json!({"secret": "", "algorithm": "SHA1", "digits": 6, "kind": "totp", "period": 30})) });
        assert!(materialize_account(Uuid::new_v4(), &state).is_none());
    }
}
