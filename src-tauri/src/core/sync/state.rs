//! [`SyncState`]: what a device keeps about its sync, sealed in its vault
//! (`docs/vault-format.md` §6.4): the group and device ids, the device's
//! X25519 secret, the remote and its login, every epoch key, the roster,
//! its clock, its own log's position and the segments not yet uploaded,
//! how far it merged each other device's log, open invitations, and the
//! last sync's outcome.
//!
//! Owns: the state's JSON form and the secret-holding [`Hidden`] text.
//!
//! Must never: print a secret in `Debug`, or be written anywhere but the
//! vault's sealed `sync_state` row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroize;

use super::codec::{Member, hex};
use super::crypto::DeviceKey;
use super::error::{Problem, Result, SyncError};
use crate::core::secret::{SecretBytes, SecretString, serialize_json};
use crate::core::vault::envelope::EnvelopeKey;

/// Text that is a secret (a key in hex, a password): wiped on drop,
/// `<redacted>` in `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hidden(String);

impl Hidden {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn hex(bytes: &[u8]) -> Self {
        Self(hex(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The 32 bytes this hex text holds, if it does.
    pub fn bytes32(&self) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        let bytes =
            zeroize::Zeroizing::new(data_encoding::HEXLOWER.decode(self.0.as_bytes()).ok()?);
        let mut out = zeroize::Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return None;
        }
        out.copy_from_slice(&bytes);
        Some(out)
    }
}

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Hidden {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Where the group's files are, and how to get in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Backend {
    /// A folder kept in step by something else.
    Folder { path: PathBuf },
    /// A `WebDAV` collection.
    Webdav {
        url: String,
        username: String,
        password: Hidden,
    },
}

impl Backend {
    /// A `WebDAV` backend.
    pub fn webdav(
        url: impl Into<String>,
        username: impl Into<String>,
        password: &SecretString,
    ) -> Self {
        Self::Webdav {
            url: url.into(),
            username: username.into(),
            password: Hidden::new(password.expose()),
        }
    }

    /// What it is, for people (never the password).
    pub fn describe(&self) -> String {
        match self {
            Self::Folder { path } => format!("folder {}", path.display()),
            Self::Webdav { url, username, .. } => format!("WebDAV {url} as {username}"),
        }
    }
}

/// One epoch's group key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochKey {
    pub epoch: u32,
    pub key: Hidden,
}

/// How far a log was read or written: the last segment, the last
/// record's number, and the digest of that segment's file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub segment: u64,
    pub record: u64,
    #[serde(with = "hex_array")]
    pub digest: [u8; 32],
}

mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        data_encoding::HEXLOWER
            .decode(text.as_bytes())
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| D::Error::custom("not 32 bytes of hex"))
    }
}

/// A segment sealed and waiting to be uploaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub segment: u64,
    pub records: u64,
    #[serde(with = "base64_bytes")]
    pub file: Vec<u8>,
}

mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| D::Error::custom("not base64"))
    }
}

/// A pairing code this device showed and has not yet used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invite {
    pub pairing: Uuid,
    pub secret: Hidden,
    /// Unix ms after which it no longer admits anyone.
    pub expires: u64,
}

/// A join waiting for the inviting device's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Joining {
    pub pairing: Uuid,
    pub secret: Hidden,
}

/// What the last syncs did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Unix ms of the last sync that reached the remote.
    pub last_sync: Option<u64>,
    /// What stopped the last sync, if it failed.
    pub last_error: Option<String>,
    /// Conflicting edits resolved so far (the losing value is in the
    /// entry's history).
    pub conflicts: u64,
    /// Logs refused at the last sync.
    #[serde(default)]
    pub problems: Vec<StoredProblem>,
}

/// A [`Problem`] as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredProblem {
    pub text: String,
}

impl From<&Problem> for StoredProblem {
    fn from(problem: &Problem) -> Self {
        Self {
            text: problem.to_string(),
        }
    }
}

/// Everything a device keeps about its sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncState {
    pub version: u32,
    pub group: Uuid,
    pub device: Uuid,
    pub name: String,
    pub device_secret: Hidden,
    pub backend: Backend,
    /// Every epoch key this device holds, oldest first.
    pub keys: Vec<EpochKey>,
    /// The members of the newest epoch whose key file was read.
    pub members: Vec<Member>,
    /// That epoch.
    pub roster_epoch: u32,
    pub hlc: u64,
    /// This device's log as written (captured).
    pub log: Cursor,
    /// The last segment of this device's log known to be on the remote
    /// with a head naming it.
    pub uploaded: u64,
    pub outbox: Vec<Pending>,
    /// How far each other device's log was merged.
    pub peers: BTreeMap<Uuid, Cursor>,
    /// The HLC of each member's newest head seen (when it was last active).
    #[serde(default)]
    pub seen: BTreeMap<Uuid, u64>,
    pub invites: Vec<Invite>,
    pub joining: Option<Joining>,
    /// Set until the first sync after joining merged the group's records.
    pub fresh_join: bool,
    /// Entries alive in the merge state that could not be put in the vault.
    #[serde(default)]
    pub unmaterialized: BTreeSet<Uuid>,
    pub outcome: Outcome,
}

/// The state format version this code writes.
pub const STATE_VERSION: u32 = 1;

impl SyncState {
    /// A new state for a device of `group`, holding no key yet.
    pub fn new(group: Uuid, name: &str, key: &DeviceKey, backend: Backend) -> Self {
        Self {
            version: STATE_VERSION,
            group,
            device: Uuid::new_v4(),
            name: name.to_owned(),
            device_secret: Hidden::hex(key.secret_bytes().as_slice()),
            backend,
            keys: Vec::new(),
            members: Vec::new(),
            roster_epoch: 0,
            hlc: 0,
            log: Cursor::default(),
            uploaded: 0,
            outbox: Vec::new(),
            peers: BTreeMap::new(),
            seen: BTreeMap::new(),
            invites: Vec::new(),
            joining: None,
            fresh_join: false,
            unmaterialized: BTreeSet::new(),
            outcome: Outcome::default(),
        }
    }

    /// The state the vault holds (`Invalid` if it is not one this version reads).
    pub fn decode(bytes: &SecretBytes) -> Result<Self> {
        let state: Self = serde_json::from_slice(bytes.expose()).map_err(|_| {
            SyncError::invalid("the vault's sync state cannot be read by this version")
        })?;
        if state.version != STATE_VERSION {
            return Err(SyncError::invalid(
                "the vault's sync state was written by another version",
            ));
        }
        Ok(state)
    }

    pub fn encode(&self) -> SecretBytes {
        SecretBytes::new(serialize_json(self).to_vec())
    }

    /// The device's X25519 key pair.
    pub fn device_key(&self) -> Result<DeviceKey> {
        let bytes = self
            .device_secret
            .bytes32()
            .ok_or_else(|| SyncError::invalid("the vault's sync state is damaged (device key)"))?;
        Ok(DeviceKey::from_secret(&bytes))
    }

    /// The newest epoch and its key.
    pub fn current(&self) -> Result<(u32, EnvelopeKey)> {
        let last = self.keys.last().ok_or(SyncError::JoinPending)?;
        Ok((last.epoch, self.key(last.epoch)?))
    }

    /// The key of `epoch`, if this device holds it.
    pub fn key_of(&self, epoch: u32) -> Option<EnvelopeKey> {
        let held = self.keys.iter().find(|k| k.epoch == epoch)?;
        held.key.bytes32().map(|b| EnvelopeKey::from_array(&b))
    }

    fn key(&self, epoch: u32) -> Result<EnvelopeKey> {
        self.key_of(epoch)
            .ok_or_else(|| SyncError::invalid("the vault's sync state is damaged (group key)"))
    }

    /// Keeps `key` as the key of `epoch` (epochs stay in order).
    pub fn add_key(&mut self, epoch: u32, key: &EnvelopeKey) {
        if self.keys.iter().any(|k| k.epoch == epoch) {
            return;
        }
        self.keys.push(EpochKey {
            epoch,
            key: Hidden::hex(key.expose()),
        });
        self.keys.sort_by_key(|k| k.epoch);
    }

    /// Records captured but not yet uploaded.
    pub fn pending_records(&self) -> u64 {
        self.outbox.iter().map(|p| p.records).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips_and_debug_hides_secrets() {
        let key = DeviceKey::random().unwrap();
        let mut state = SyncState::new(
            Uuid::new_v4(),
            "laptop",
            &key,
            Backend::webdav(
                "http://127.0.0.1:1/d/",
                "alice",
                &SecretString::from("dav-password"),
            ),
        );
        let group_key = crate::core::sync::crypto::random_key().unwrap();
        state.add_key(1, &group_key);
        let back = SyncState::decode(&state.encode()).unwrap();
        assert_eq!(back.device_key().unwrap().public(), key.public());
        assert_eq!(back.current().unwrap().1.expose(), group_key.expose());
        let shown = format!("{back:?}");
        assert!(!shown.contains("dav-password") && !shown.contains(&hex(group_key.expose())));
        assert!(SyncState::decode(&SecretBytes::from(b"{}".as_slice())).is_err());
    }
}
