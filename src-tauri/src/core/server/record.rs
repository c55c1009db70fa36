//! [`ServerRecord`]: one server the user added (name, profile, base URL,
//! username, credentials, linked account), and [`ServerStore`], where
//! records are kept.
//!
//! Must never: print a credential (`Debug` of [`Credentials`] shows only
//! which ones are set and the cookie names), or write one anywhere but an
//! encrypted store. [`MemoryStore`] keeps records in memory only; the real
//! store is `VaultServerStore` (`store.rs`), inside the encrypted vault.

use std::collections::BTreeMap;
use std::fmt;

use uuid::Uuid;

use super::error::ServerError;
use super::http::parse_base_url;
use crate::core::secret::SecretString;

/// Credentials of one server. Never printed.
#[derive(Clone, Default)]
pub struct Credentials {
    pub password: Option<SecretString>,
    /// The session token (bearer or body).
    pub token: Option<SecretString>,
    /// Cookies by name, updated from every `Set-Cookie`.
    pub cookies: BTreeMap<String, SecretString>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("password", &self.password.is_some())
            .field("token", &self.token.is_some())
            .field("cookies", &self.cookies.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Credentials {
    /// Stores a pasted cookie credential: a `name=value; name2=value2`
    /// Cookie header, or a bare value (a JWT) stored as `default_name`.
    pub fn set_cookies_from(&mut self, pasted: &str, default_name: &str) {
        let pasted = pasted.trim();
        if pasted.contains('=') && !looks_like_jwt(pasted) {
            for pair in pasted.split(';') {
                if let Some((name, value)) = pair.split_once('=') {
                    let name = name.trim();
                    if !name.is_empty() {
                        self.cookies
                            .insert(name.to_owned(), SecretString::from(value.trim()));
                    }
                }
            }
        } else if !pasted.is_empty() {
            self.cookies
                .insert(default_name.to_owned(), SecretString::from(pasted));
        }
    }

    /// The `Cookie` header value, if any cookie is kept.
    pub(crate) fn cookie_header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        Some(
            self.cookies
                .iter()
                .map(|(n, v)| format!("{n}={}", v.expose()))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// Applies one `Set-Cookie` header: stores the cookie, or forgets it
    /// when it is emptied or expired (`Max-Age=0`).
    pub fn apply_set_cookie(&mut self, header: &str) {
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let name = name.trim();
        let value = value.trim().trim_matches('"');
        let expired = parts.any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p == "max-age=0" || p.starts_with("max-age=-")
        });
        if name.is_empty() {
            return;
        }
        if value.is_empty() || expired {
            self.cookies.remove(name);
        } else {
            self.cookies
                .insert(name.to_owned(), SecretString::from(value));
        }
    }

    /// Every credential's text, to scrub from server messages.
    pub(crate) fn texts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .password
            .iter()
            .chain(self.token.iter())
            .map(SecretString::expose)
            .collect();
        out.extend(self.cookies.values().map(SecretString::expose));
        out
    }
}

fn looks_like_jwt(text: &str) -> bool {
    text.split('.').count() == 3 && !text.contains(';') && !text.contains(' ')
}

/// One server the user added.
#[derive(Clone, Debug)]
pub struct ServerRecord {
    /// The user's name for it; also the issuer of the enrolled account.
    pub name: String,
    /// The profile's name.
    pub profile: String,
    /// The base URL (checked: https, or http to loopback).
    pub base_url: String,
    pub username: Option<String>,
    pub credentials: Credentials,
    /// The vault account enrolled on this server.
    pub account_id: Option<Uuid>,
    /// The last TOTP time step submitted to this server.
    pub last_step: Option<u64>,
    /// The server's id of the user (e.g. Daptin's JWT `sub`).
    pub user_id: Option<String>,
    /// Unix milliseconds (by the code clock) before which the server must
    /// not be asked again: the wait its last 429 or lockout named.
    pub wait_until_ms: Option<u64>,
}

impl ServerRecord {
    /// A new record; `InvalidUrl`/`InsecureUrl` if the URL cannot be used.
    pub fn new(
        name: impl Into<String>,
        profile: impl Into<String>,
        base_url: &str,
    ) -> Result<Self, ServerError> {
        let url = parse_base_url(base_url)?;
        let name = name.into();
        if name.trim().is_empty() {
            return Err(ServerError::InvalidUrl {
                reason: "the server needs a name".to_owned(),
            });
        }
        Ok(Self {
            name,
            profile: profile.into(),
            base_url: url.to_string(),
            username: None,
            credentials: Credentials::default(),
            account_id: None,
            last_step: None,
            user_id: None,
            wait_until_ms: None,
        })
    }

    /// Whole seconds left, at `now_ms`, of the wait the server asked for.
    pub fn wait_left_s(&self, now_ms: u64) -> Option<u64> {
        let until = self.wait_until_ms?;
        (until > now_ms).then(|| (until - now_ms).div_ceil(1000))
    }

    /// Milliseconds left, at `now_ms`, of the wait the server asked for.
    pub fn wait_left_ms(&self, now_ms: u64) -> Option<u64> {
        let until = self.wait_until_ms?;
        (until > now_ms).then(|| until - now_ms)
    }

    /// The base URL's host, for labels.
    pub fn host(&self) -> String {
        parse_base_url(&self.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Where server records are kept. The real store is the encrypted vault
/// (`VaultServerStore`); [`MemoryStore`] keeps them for one process.
pub trait ServerStore {
    /// Every record's name, sorted.
    fn names(&self) -> Result<Vec<String>, ServerError>;
    /// The record `name` (`UnknownServer` if none).
    fn load(&self, name: &str) -> Result<ServerRecord, ServerError>;
    /// Adds a record (`DuplicateServer` if the name is taken).
    fn add(&mut self, record: ServerRecord) -> Result<(), ServerError>;
    /// Replaces the record of the same name (`UnknownServer` if none).
    fn save(&mut self, record: &ServerRecord) -> Result<(), ServerError>;
    /// Deletes `name` (`UnknownServer` if none).
    fn remove(&mut self, name: &str) -> Result<(), ServerError>;
}

/// Records in memory, for tests and single-process use.
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: BTreeMap<String, ServerRecord>,
}

fn unknown(name: &str) -> ServerError {
    ServerError::UnknownServer {
        name: name.to_owned(),
    }
}

impl ServerStore for MemoryStore {
    fn names(&self) -> Result<Vec<String>, ServerError> {
        Ok(self.records.keys().cloned().collect())
    }

    fn load(&self, name: &str) -> Result<ServerRecord, ServerError> {
        self.records.get(name).cloned().ok_or_else(|| unknown(name))
    }

    fn add(&mut self, record: ServerRecord) -> Result<(), ServerError> {
        if self.records.contains_key(&record.name) {
            return Err(ServerError::DuplicateServer { name: record.name });
        }
        self.records.insert(record.name.clone(), record);
        Ok(())
    }

    fn save(&mut self, record: &ServerRecord) -> Result<(), ServerError> {
        let slot = self
            .records
            .get_mut(&record.name)
            .ok_or_else(|| unknown(&record.name))?;
        *slot = record.clone();
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<(), ServerError> {
        self.records
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| unknown(name))
    }
}

#[cfg(test)]
mod tests {
    use super::{Credentials, MemoryStore, ServerRecord, ServerStore};
    use crate::core::server::ServerError;

    #[test]
    fn cookies_from_pastes_and_set_cookie() {
        let mut c = Credentials::default();
        c.set_cookies_from("aaa.bbb.ccc", "jwt");
        assert_eq!(c.cookie_header().unwrap(), "jwt=aaa.bbb.ccc");
        c.set_cookies_from("jwt=x; refresh=y", "jwt");
        assert_eq!(c.cookie_header().unwrap(), "jwt=x; refresh=y");
        c.apply_set_cookie("jwt=z; Path=/; HttpOnly");
        assert_eq!(c.cookie_header().unwrap(), "jwt=z; refresh=y");
        c.apply_set_cookie("refresh=; Max-Age=0");
        assert_eq!(c.cookie_header().unwrap(), "jwt=z");
        let debug = format!("{c:?}");
        assert!(!debug.contains('z') || debug.contains("\"jwt\""));
        assert!(!debug.contains("=z"));
    }

    #[test]
    fn memory_store() {
        let mut store = MemoryStore::default();
        let record = ServerRecord::new("s", "syncano", "http://127.0.0.1:1/x").unwrap();
        assert_eq!(record.base_url, "http://127.0.0.1:1/x/");
        store.add(record.clone()).unwrap();
        assert!(matches!(
            store.add(record.clone()),
            Err(ServerError::DuplicateServer { .. })
        ));
        assert_eq!(store.names().unwrap(), ["s"]);
        store.save(&record).unwrap();
        store.remove("s").unwrap();
        assert!(matches!(
            store.load("s"),
            Err(ServerError::UnknownServer { .. })
        ));
    }
}
