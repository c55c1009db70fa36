//! Pairing (`docs/sync-format.md` §9.2–§9.4): the one-time code a member
//! shows, the request the new device leaves on the remote, the answer
//! that hands it the group's keys, and finishing the join.
//!
//! Owns: [`PairingCode`] and the three steps.
//!
//! Must never: put the vault password or the remote's login in a code,
//! admit a device after its invitation expired or was used, or accept an
//! answer meant for another device.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::backend::{Remote, RemoteError, paths};
use super::codec::{self, Member, PAIR_ACCEPT, PAIR_REQUEST};
use super::crypto;
use super::error::{Result, SyncError};
use super::keys;
use super::state::{Backend, Hidden, Invite, Joining, SyncState};
use crate::core::clock::Timestamp;
use crate::core::secret::{SecretString, serialize_json};
use crate::core::vault::envelope::EnvelopeKey;

const PREFIX: &str = "TSYNC1-";
/// The code of a group that syncs through a folder: no remote named.
const CODE_VERSION: u8 = 1;
/// The code of a group that syncs through `WebDAV`: its URL follows.
const CODE_WITH_REMOTE: u8 = 2;
/// The longest `WebDAV` URL a code carries (bytes).
const MAX_REMOTE: usize = 1024;
const BASE32: data_encoding::Encoding = data_encoding::BASE32_NOPAD;

/// A pairing code: the group, the invitation and its secret, and the
/// group's `WebDAV` URL (without a login) when it syncs through one.
pub struct PairingCode {
    pub group: Uuid,
    pub pairing: Uuid,
    secret: Zeroizing<[u8; 32]>,
    pub remote: Option<String>,
}

impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingCode")
            .field("group", &self.group)
            .field("pairing", &self.pairing)
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

impl PairingCode {
    fn body(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(69));
        out.push(if self.remote.is_some() {
            CODE_WITH_REMOTE
        } else {
            CODE_VERSION
        });
        out.extend_from_slice(self.group.as_bytes());
        out.extend_from_slice(self.pairing.as_bytes());
        out.extend_from_slice(self.secret.as_slice());
        if let Some(url) = &self.remote {
            let len = u16::try_from(url.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(url.as_bytes());
        }
        out
    }

    /// The code as text: `TSYNC1-` and base32 in groups of five (a secret:
    /// show it once, to the user, and nowhere else).
    pub fn text(&self) -> SecretString {
        let mut bytes = self.body();
        let check = crypto::digest(&bytes);
        bytes.extend_from_slice(&check[..4]);
        let plain = Zeroizing::new(BASE32.encode(&bytes));
        let groups: Vec<&str> = plain
            .as_bytes()
            .chunks(5)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        SecretString::from(format!("{PREFIX}{}", groups.join("-")))
    }

    /// Reads a code typed or pasted (any case, with or without dashes
    /// and spaces).
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let rest = text
            .get(..PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(PREFIX))
            .map(|_| &text[PREFIX.len()..])
            .ok_or(SyncError::BadPairingCode {
                reason: "it does not start with TSYNC1-",
            })?;
        let cleaned: Zeroizing<String> = Zeroizing::new(
            rest.chars()
                .filter(|c| !matches!(c, '-' | ' '))
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let bytes = Zeroizing::new(BASE32.decode(cleaned.as_bytes()).map_err(|_| {
            SyncError::BadPairingCode {
                reason: "a character is not one a code uses",
            }
        })?);
        let too_short = SyncError::BadPairingCode {
            reason: "it is too short or too long",
        };
        if bytes.len() < 69 {
            return Err(too_short);
        }
        let (body, check) = bytes.split_at(bytes.len() - 4);
        if crypto::digest(body)[..4] != *check {
            return Err(SyncError::BadPairingCode {
                reason: "it was mistyped (its check does not match)",
            });
        }
        let remote = match (body[0], &body[65..]) {
            (CODE_VERSION, []) => None,
            (CODE_WITH_REMOTE, [high, low, url @ ..])
                if usize::from(u16::from_be_bytes([*high, *low])) == url.len()
                    && url.len() <= MAX_REMOTE =>
            {
                Some(
                    std::str::from_utf8(url)
                        .map_err(|_| SyncError::BadPairingCode { reason: "damaged" })?
                        .to_owned(),
                )
            }
            (CODE_VERSION | CODE_WITH_REMOTE, _) => return Err(too_short),
            _ => {
                return Err(SyncError::BadPairingCode {
                    reason: "it comes from a newer version of Tessera",
                });
            }
        };
        let uuid = |range: std::ops::Range<usize>| {
            body[range]
                .try_into()
                .map(Uuid::from_bytes)
                .map_err(|_| SyncError::BadPairingCode { reason: "damaged" })
        };
        let mut secret = Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(&body[33..65]);
        Ok(Self {
            group: uuid(1..17)?,
            pairing: uuid(17..33)?,
            secret,
            remote,
        })
    }
}

/// The `WebDAV` URL of `backend` as another device may be told it: no
/// login in it, and not longer than a code carries.
fn shareable_url(backend: &Backend) -> Option<String> {
    let Backend::Webdav { url, .. } = backend else {
        return None;
    };
    let mut parsed = url::Url::parse(url).ok()?;
    parsed.set_username("").ok()?;
    parsed.set_password(None).ok()?;
    let text = String::from(parsed);
    (text.len() <= MAX_REMOTE).then_some(text)
}

fn pair_key(secret: &[u8], group: Uuid, pairing: Uuid, info: &[u8]) -> EnvelopeKey {
    let mut salt = group.as_bytes().to_vec();
    salt.extend_from_slice(pairing.as_bytes());
    crypto::hkdf(secret, &salt, info)
}

fn request_key(secret: &[u8], group: Uuid, pairing: Uuid) -> EnvelopeKey {
    pair_key(secret, group, pairing, b"tessera-sync-pair-request")
}

fn accept_key(secret: &[u8], group: Uuid, pairing: Uuid) -> EnvelopeKey {
    pair_key(secret, group, pairing, b"tessera-sync-pair-accept")
}

#[derive(Serialize, Deserialize)]
struct AcceptBody {
    device: Uuid,
    keys: Vec<KeyOut>,
}

#[derive(Serialize, Deserialize)]
struct KeyOut {
    epoch: u32,
    key: Hidden,
}

/// A new invitation of `state`'s group, valid until `expires`; it names
/// the group's `WebDAV` URL (a folder's path is each device's own).
pub fn invite(state: &mut SyncState, expires: Timestamp) -> Result<PairingCode> {
    let code = PairingCode {
        group: state.group,
        pairing: Uuid::new_v4(),
        secret: crypto::random_bytes::<32>()?,
        remote: shareable_url(&state.backend),
    };
    state.invites.push(Invite {
        pairing: code.pairing,
        secret: Hidden::hex(code.secret.as_slice()),
        expires: expires.unix_millis(),
    });
    Ok(code)
}

/// Leaves the joining device's request on the remote and remembers the
/// join in `state`.
pub fn send_request(remote: &dyn Remote, state: &mut SyncState, code: &PairingCode) -> Result<()> {
    let member = Member {
        device: state.device,
        name: state.name.clone(),
        public_key: state.device_key()?.public(),
    };
    let key = request_key(code.secret.as_slice(), code.group, code.pairing);
    let file = codec::seal_pairing(
        PAIR_REQUEST,
        code.group,
        code.pairing,
        &key,
        &serialize_json(&member),
    )?;
    match remote.create(&paths::request(code.pairing), &file) {
        Ok(()) => {}
        Err(RemoteError::AlreadyExists { .. }) => {
            return Err(SyncError::BadPairingCode {
                reason: "it was used already",
            });
        }
        Err(e) => return Err(e.into()),
    }
    state.joining = Some(Joining {
        pairing: code.pairing,
        secret: Hidden::hex(code.secret.as_slice()),
    });
    Ok(())
}

/// Admits the devices whose requests answer this device's open
/// invitations: a new epoch with them, and an answer with the keys.
/// Expired invitations are dropped. Returns the devices admitted.
pub fn answer_requests(
    remote: &dyn Remote,
    state: &mut SyncState,
    now: Timestamp,
) -> Result<Vec<Uuid>> {
    state.invites.retain(|i| i.expires > now.unix_millis());
    let mut admitted = Vec::new();
    for invite in state.invites.clone() {
        let Some(file) = remote.get(&paths::request(invite.pairing))? else {
            continue;
        };
        let secret = invite
            .secret
            .bytes32()
            .ok_or_else(|| SyncError::invalid("the vault's sync state is damaged (invitation)"))?;
        let key = request_key(secret.as_slice(), state.group, invite.pairing);
        let Some(plain) =
            codec::open_pairing(PAIR_REQUEST, state.group, invite.pairing, &key, &file.bytes)
        else {
            tracing::warn!(pairing = %invite.pairing, "a pairing request that does not open was ignored");
            continue;
        };
        let member: Member = serde_json::from_slice(&plain)
            .map_err(|_| SyncError::tampered(paths::request(invite.pairing)))?;
        let held: Vec<KeyOut> = state
            .keys
            .iter()
            .map(|k| KeyOut {
                epoch: k.epoch,
                key: k.key.clone(),
            })
            .collect();
        let joining = member.clone();
        keys::rotate(remote, state, |members| {
            let mut next: Vec<Member> = members
                .iter()
                .filter(|m| m.device != joining.device)
                .cloned()
                .collect();
            next.push(joining.clone());
            next
        })?;
        let body = AcceptBody {
            device: member.device,
            keys: held,
        };
        let key = accept_key(secret.as_slice(), state.group, invite.pairing);
        let answer = codec::seal_pairing(
            PAIR_ACCEPT,
            state.group,
            invite.pairing,
            &key,
            &serialize_json(&body),
        )?;
        match remote.create(&paths::accept(invite.pairing), &answer) {
            Ok(()) | Err(RemoteError::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        state.invites.retain(|i| i.pairing != invite.pairing);
        tracing::info!(device = %member.device, "a device joined the sync group");
        admitted.push(member.device);
    }
    Ok(admitted)
}

/// Finishes a join once the answer is there: keeps the keys, reads the
/// key files, removes the pairing files. `Ok(false)` while no answer.
pub fn finish_join(remote: &dyn Remote, state: &mut SyncState) -> Result<bool> {
    let Some(joining) = state.joining.clone() else {
        return Ok(true);
    };
    let path = paths::accept(joining.pairing);
    let Some(file) = remote.get(&path)? else {
        return Ok(false);
    };
    let secret = joining
        .secret
        .bytes32()
        .ok_or_else(|| SyncError::invalid("the vault's sync state is damaged (join)"))?;
    let key = accept_key(secret.as_slice(), state.group, joining.pairing);
    let plain = codec::open_pairing(PAIR_ACCEPT, state.group, joining.pairing, &key, &file.bytes)
        .ok_or_else(|| SyncError::tampered(&path))?;
    let body: AcceptBody =
        serde_json::from_slice(&plain).map_err(|_| SyncError::tampered(&path))?;
    if body.device != state.device {
        return Err(SyncError::tampered(&path));
    }
    for held in &body.keys {
        let bytes = held
            .key
            .bytes32()
            .ok_or_else(|| SyncError::tampered(&path))?;
        state.add_key(held.epoch, &EnvelopeKey::from_array(&bytes));
    }
    state.joining = None;
    state.fresh_join = true;
    keys::refresh(remote, state)?;
    let _ = remote.delete(&paths::request(joining.pairing));
    let _ = remote.delete(&path);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> PairingCode {
        PairingCode {
            group: Uuid::new_v4(),
            pairing: Uuid::new_v4(),
            secret: Zeroizing::new([42; 32]),
            remote: None,
        }
    }

    /// A `WebDAV` group's code names its URL, never the login; a folder
    /// group's code stays 69 bytes and names nothing.
    #[test]
    fn a_webdav_groups_code_names_its_url_without_the_login() {
        let mut state = SyncState::new(
            Uuid::new_v4(),
            "a",
            &super::super::crypto::DeviceKey::random().unwrap(),
            Backend::webdav(
                "https://me:hunter2@dav.example.org/tessera/",
                "me",
                &SecretString::from("hunter2"),
            ),
        );
        let code = invite(&mut state, Timestamp::from_unix_millis(0)).unwrap();
        let text = code.text();
        let back = PairingCode::parse(text.expose()).unwrap();
        assert_eq!(
            back.remote.as_deref(),
            Some("https://dav.example.org/tessera/")
        );
        assert_eq!(*back.secret, *code.secret);
        let upper = text.expose().to_uppercase();
        assert!(!upper.contains("HUNTER2") && !format!("{back:?}").contains("hunter2"));

        state.backend = Backend::Folder {
            path: "/home/me/Sync/tessera".into(),
        };
        let folder = invite(&mut state, Timestamp::from_unix_millis(0)).unwrap();
        assert_eq!(folder.remote, None);
        let folder_text = folder.text();
        let base32: String = folder_text.expose()["TSYNC1-".len()..]
            .chars()
            .filter(|c| *c != '-')
            .collect();
        assert_eq!(BASE32.decode(base32.as_bytes()).unwrap().len(), 69);
        assert_eq!(
            PairingCode::parse(folder_text.expose()).unwrap().remote,
            None
        );
    }

    #[test]
    fn a_code_round_trips_however_it_is_typed() {
        let code = code();
        let text = code.text();
        assert!(text.expose().starts_with("TSYNC1-"));
        for typed in [
            text.expose().to_owned(),
            text.expose().to_lowercase(),
            text.expose().replace('-', " ").replacen(' ', "-", 1),
            format!("  {}\n", text.expose()),
        ] {
            let back = PairingCode::parse(&typed).unwrap();
            assert_eq!((back.group, back.pairing), (code.group, code.pairing));
            assert_eq!(*back.secret, *code.secret);
        }
        assert!(!format!("{code:?}").contains("2a2a2a") && !format!("{code:?}").contains("42, 42"));
    }

    #[test]
    fn a_mistyped_code_says_so() {
        let text = code().text().expose().to_owned();
        // A character inside the body (the last one also carries padding
        // bits, which a change may leave out of the data).
        let at = "TSYNC1-".len() + 1;
        let typo = if text.as_bytes()[at] == b'A' {
            "B"
        } else {
            "A"
        };
        let swapped = format!("{}{typo}{}", &text[..at], &text[at + 1..]);
        assert!(matches!(
            PairingCode::parse(&swapped),
            Err(SyncError::BadPairingCode { reason }) if reason.contains("mistyped")
        ));
        assert!(PairingCode::parse("hello").is_err());
        assert!(PairingCode::parse(&text[..40]).is_err());
        assert!(PairingCode::parse(&text.replace('A', "1")).is_err() || !text.contains('A'));
    }
}
