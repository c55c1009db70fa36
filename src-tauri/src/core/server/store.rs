//! [`VaultServerStore`]: the [`ServerStore`] that keeps every
//! [`ServerRecord`], credentials included, in the encrypted vault (one
//! `servers` row each, `docs/vault-format.md` §6.3).
//!
//! Owns: the private JSON shape of a record inside its sealed payload.
//!
//! Must never: write a record anywhere but the vault, expose the DTO
//! (secrets are plain strings only inside it, on their way into or out of
//! a sealed payload), or put a field value into an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroize;

use super::error::ServerError;
use super::record::{Credentials, ServerRecord, ServerStore};
use crate::core::secret::{SecretBytes, SecretString, serialize_json};
use crate::core::vault::{Vault, VaultError};

const TABLE: &str = "servers";

#[derive(Serialize)]
struct RecordOut<'a> {
    name: &'a str,
    profile: &'a str,
    base_url: &'a str,
    username: Option<&'a str>,
    password: Option<&'a str>,
    token: Option<&'a str>,
    cookies: BTreeMap<&'a str, &'a str>,
    account_id: Option<String>,
    last_step: Option<u64>,
    user_id: Option<&'a str>,
    wait_until_ms: Option<u64>,
}

#[derive(Deserialize)]
struct RecordIn {
    name: String,
    profile: String,
    base_url: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    cookies: BTreeMap<String, String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    last_step: Option<u64>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    wait_until_ms: Option<u64>,
}

impl Drop for RecordIn {
    fn drop(&mut self) {
        self.password.zeroize();
        self.token.zeroize();
        for value in self.cookies.values_mut() {
            value.zeroize();
        }
    }
}

/// The sealed payload of `record`: JSON written into a buffer sized in
/// advance (so no partial copy is left by a reallocation).
fn encode(record: &ServerRecord) -> SecretBytes {
    let c = &record.credentials;
    let dto = RecordOut {
        name: &record.name,
        profile: &record.profile,
        base_url: &record.base_url,
        username: record.username.as_deref(),
        password: c.password.as_ref().map(SecretString::expose),
        token: c.token.as_ref().map(SecretString::expose),
        cookies: c
            .cookies
            .iter()
            .map(|(n, v)| (n.as_str(), v.expose()))
            .collect(),
        account_id: record.account_id.map(|id| id.hyphenated().to_string()),
        last_step: record.last_step,
        user_id: record.user_id.as_deref(),
        wait_until_ms: record.wait_until_ms,
    };
    let mut out = serialize_json(&dto);
    SecretBytes::new(std::mem::take(&mut *out))
}

/// The record in `payload`; `None` if it is not one.
fn decode(payload: &[u8]) -> Option<ServerRecord> {
    let mut dto: RecordIn = serde_json::from_slice(payload).ok()?;
    let mut record = ServerRecord::new(
        std::mem::take(&mut dto.name),
        std::mem::take(&mut dto.profile),
        &dto.base_url,
    )
    .ok()?;
    let account_id = match dto.account_id.as_deref() {
        Some(text) => Some(Uuid::try_parse(text).ok()?),
        None => None,
    };
    record.username = dto.username.take();
    record.credentials = Credentials {
        password: dto.password.take().map(SecretString::new),
        token: dto.token.take().map(SecretString::new),
        cookies: std::mem::take(&mut dto.cookies)
            .into_iter()
            .map(|(n, v)| (n, SecretString::new(v)))
            .collect(),
    };
    record.account_id = account_id;
    record.last_step = dto.last_step;
    record.user_id = dto.user_id.take();
    record.wait_until_ms = dto.wait_until_ms;
    Some(record)
}

/// Server records in the unlocked vault, credentials and session (token,
/// cookies) included. Borrows the vault for as long as it is used; a flow
/// that needs the vault itself runs between a `load` and a `save`.
#[derive(Debug)]
pub struct VaultServerStore<'a> {
    vault: &'a mut Vault,
}

impl<'a> VaultServerStore<'a> {
    /// A store over `vault`, which must be unlocked for every operation
    /// (`Vault(Locked)` otherwise).
    pub fn new(vault: &'a mut Vault) -> Self {
        Self { vault }
    }

    /// Every record with its row id, in the order they were added.
    pub fn records(&self) -> Result<Vec<(Uuid, ServerRecord)>, ServerError> {
        self.vault
            .servers()?
            .iter()
            .map(|entry| {
                decode(entry.payload.expose())
                    .map(|record| (entry.id, record))
                    .ok_or_else(|| {
                        ServerError::Vault(VaultError::corrupt(
                            TABLE,
                            entry.id.hyphenated().to_string(),
                        ))
                    })
            })
            .collect()
    }

    fn find(&self, name: &str) -> Result<(Uuid, ServerRecord), ServerError> {
        self.records()?
            .into_iter()
            .find(|(_, record)| record.name == name)
            .ok_or_else(|| ServerError::UnknownServer {
                name: name.to_owned(),
            })
    }
}

impl ServerStore for VaultServerStore<'_> {
    fn names(&self) -> Result<Vec<String>, ServerError> {
        let mut names: Vec<String> = self.records()?.into_iter().map(|(_, r)| r.name).collect();
        names.sort();
        Ok(names)
    }

    fn load(&self, name: &str) -> Result<ServerRecord, ServerError> {
        self.find(name).map(|(_, record)| record)
    }

    fn add(&mut self, record: ServerRecord) -> Result<(), ServerError> {
        if self.records()?.iter().any(|(_, r)| r.name == record.name) {
            return Err(ServerError::DuplicateServer { name: record.name });
        }
        self.vault.put_server(Uuid::new_v4(), encode(&record))?;
        Ok(())
    }

    fn save(&mut self, record: &ServerRecord) -> Result<(), ServerError> {
        let (id, _) = self.find(&record.name)?;
        self.vault.put_server(id, encode(record))?;
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<(), ServerError> {
        let (id, _) = self.find(name)?;
        self.vault.remove_server(id)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use crate::core::secret::SecretString;
    use crate::core::server::ServerRecord;

    #[test]
    fn payload_round_trip_keeps_every_field() {
        let mut record = ServerRecord::new("s", "syncano", "http://127.0.0.1:1/x").unwrap();
        record.username = Some("alice".into());
        record.credentials.password = Some(SecretString::from("pw \"q\""));
        record.credentials.token = Some(SecretString::from("tok-secret-1"));
        record
            .credentials
            .set_cookies_from("jwt=a; refresh=b", "jwt");
        record.account_id = Some(uuid::Uuid::new_v4());
        record.last_step = Some(42);
        record.user_id = Some("7".into());
        let payload = encode(&record);
        assert_eq!(payload.len(), payload.expose().len());
        let back = decode(payload.expose()).unwrap();
        assert_eq!(back.name, "s");
        assert_eq!(back.profile, "syncano");
        assert_eq!(back.base_url, record.base_url);
        assert_eq!(back.username.as_deref(), Some("alice"));
        assert_eq!(back.credentials.password, record.credentials.password);
        assert_eq!(back.credentials.token, record.credentials.token);
        assert_eq!(back.credentials.cookies, record.credentials.cookies);
        assert_eq!(back.account_id, record.account_id);
        assert_eq!(back.last_step, Some(42));
        assert_eq!(back.user_id.as_deref(), Some("7"));
        let debug = format!("{back:?}");
        assert!(
            !debug.contains("tok-secret") && !debug.contains("pw "),
            "{debug}"
        );
        assert!(decode(b"{}").is_none());
        assert!(
            decode(br#"{"name":"s","profile":"p","base_url":"http://example.com/"}"#).is_none()
        );
    }
}
