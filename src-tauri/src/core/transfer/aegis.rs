//! Aegis vault files (`docs/vault.md` of Aegis), plain and encrypted, in
//! both directions.
//!
//! Encrypted: each password slot (type 1) wraps the 256-bit master key with
//! AES-256-GCM under scrypt(password, salt, N, r, p); the content (`db`,
//! base64) is AES-256-GCM under the master key with `header.params`' nonce
//! and tag. Content versions 1–3: v2 entries name one `group`, v3 entries
//! list group uuids resolved through `db.groups`; both become tags. Entry
//! icons (base64 PNG, JPEG or SVG) are drawn again as Tessera icons
//! ([`AccountIcon::from_picture`]); exports write them as PNG.
//!
//! Must never: put the password, the master key, a secret or decrypted
//! content into an error; accept a slot type other than password for
//! decryption (raw and biometric slots need keys we do not have).

use std::collections::HashMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, aes_gcm_open, aes_gcm_seal,
    algorithm_named, base32_encode, base32_secret, base64_decode, fits, hex_decode, hex_encode,
    label_of, make_account, random_bytes,
};
use crate::core::icon::{AccountIcon, IconError};
use crate::core::otp::{Account, Algorithm, OtpKind, ParseNote};
use crate::core::secret::SecretString;
use crate::core::transfer::ExportError;
use crate::core::vault::Details;

/// Importer for [`Format::Aegis`].
pub struct Aegis;

const FORMAT: Format = Format::Aegis;
/// Content versions this module reads.
const MAX_DB_VERSION: u64 = 3;
/// Password slot.
const SLOT_PASSWORD: u64 = 1;
/// Most memory scrypt may use for one slot (128·r·N bytes; Aegis itself
/// uses 32 MiB): a file cannot make the import allocate more.
const MAX_SCRYPT_BYTES: u128 = 1 << 30;
/// Most scrypt lanes (p) of one slot (Aegis uses 1).
const MAX_SCRYPT_P: u32 = 16;
/// Most password slots a file may have (Aegis makes one, and one per added
/// password): each is a derivation a wrong password pays for in full.
const MAX_PASSWORD_SLOTS: usize = 16;
/// Most scrypt work (N·r·p, summed over the password slots) one file may
/// ask for: two slots at 1 GiB, or 64 at Aegis's own cost (N 2^15, r 8,
/// p 1), a few seconds on a laptop. A file asking for more is refused
/// before anything is derived.
const MAX_FILE_SCRYPT_WORK: u128 = 1 << 24;

#[derive(Deserialize)]
struct File {
    version: u64,
    header: Header,
    db: Value,
}

#[derive(Deserialize, Default)]
struct Header {
    #[serde(default)]
    slots: Option<Vec<Slot>>,
    #[serde(default)]
    params: Option<KeyParams>,
}

#[derive(Deserialize, Serialize)]
struct KeyParams {
    nonce: String,
    tag: String,
}

#[derive(Deserialize)]
struct Slot {
    #[serde(rename = "type")]
    kind: u64,
    #[serde(default)]
    key: String,
    key_params: Option<KeyParams>,
    n: Option<u64>,
    r: Option<u32>,
    p: Option<u32>,
    salt: Option<String>,
}

#[derive(Deserialize)]
struct Db {
    version: u64,
    entries: Vec<Value>,
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize, Serialize)]
struct Group {
    uuid: String,
    name: String,
}

#[derive(Deserialize)]
struct WireEntry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    favorite: bool,
    #[serde(default)]
    icon: Option<String>,
    /// Content v2: one group name.
    #[serde(default)]
    group: Option<String>,
    /// Content v3: group uuids.
    #[serde(default)]
    groups: Vec<String>,
    info: Info,
}

#[derive(Deserialize)]
struct Info {
    secret: super::Wiped<String>,
    #[serde(default)]
    algo: Option<String>,
    #[serde(default)]
    digits: Option<u64>,
    #[serde(default)]
    period: Option<u64>,
    #[serde(default)]
    counter: Option<u64>,
}

impl Importer for Aegis {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let file: File = super::from_json(FORMAT, bytes)?;
        if file.version != 1 {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("file version {}", file.version),
            });
        }
        let db: Db = match &file.db {
            Value::Object(_) => serde_json::from_value(file.db)
                .map_err(|_| ImportError::malformed(FORMAT, "db", "not Aegis content"))?,
            Value::String(encoded) => {
                let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
                let content = decrypt(&file.header, encoded, password)?;
                super::from_json(FORMAT, &content)?
            }
            _ => {
                return Err(ImportError::malformed(
                    FORMAT,
                    "db",
                    "neither content nor base64",
                ));
            }
        };
        if db.version > MAX_DB_VERSION {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("content version {}", db.version),
            });
        }
        let groups: HashMap<&str, &str> = db
            .groups
            .iter()
            .map(|g| (g.uuid.as_str(), g.name.as_str()))
            .collect();
        let mut parsed = Parsed::new(FORMAT);
        for (index, value) in db.entries.into_iter().enumerate() {
            let Ok(mut entry) = serde_json::from_value::<WireEntry>(value) else {
                parsed.entries.push(Err(InvalidItem::at(
                    format!("entry {}", index + 1),
                    "a field is missing or has the wrong type".to_owned(),
                )));
                continue;
            };
            let icon = entry.icon.take().map(|base64| {
                base64_decode(&base64)
                    .ok_or(IconError::NotAPicture)
                    .and_then(|bytes| AccountIcon::from_picture(&bytes))
            });
            let mut notes = Vec::new();
            let mut read = read_entry(entry, &groups, &mut notes);
            if let Ok(item) = &mut read {
                match icon {
                    Some(Ok(icon)) => item.details.icon = Some(icon),
                    Some(Err(error)) => parsed.push_loss(format!(
                        "entry {} ({}): {error}; it is imported without it",
                        parsed.entries.len() + 1,
                        label_of(&item.account.issuer, &item.account.name)
                    )),
                    None => {}
                }
            }
            parsed.push_entry(read, &notes);
        }
        parsed.non_empty()
    }
}

fn read_entry(
    entry: WireEntry,
    groups: &HashMap<&str, &str>,
    notes: &mut Vec<ParseNote>,
) -> Result<ImportedItem, InvalidItem> {
    let invalid = |reason: String| InvalidItem::named(&entry.issuer, &entry.name, reason);
    let info = &entry.info;
    let algorithm = match &info.algo {
        None => Algorithm::Sha1,
        Some(name) => algorithm_named(name).map_err(&invalid)?,
    };
    let period = |info: &Info| fits::<u32>(info.period.unwrap_or(30), "period");
    let kind = match entry.kind.as_str() {
        "totp" => OtpKind::Totp {
            period: period(info).map_err(&invalid)?,
        },
        "steam" => OtpKind::Steam {
            period: period(info).map_err(&invalid)?,
        },
        "hotp" => OtpKind::Hotp {
            counter: info.counter.unwrap_or(0),
        },
        other => return Err(invalid(format!("{other} tokens are not supported"))),
    };
    let digits = fits::<u8>(
        info.digits.unwrap_or(u64::from(kind.default_digits())),
        "digits",
    )
    .map_err(&invalid)?;
    let secret = base32_secret(&info.secret, notes).map_err(&invalid)?;
    let account = make_account(&entry.issuer, &entry.name, secret, algorithm, digits, kind)
        .map_err(&invalid)?;
    let mut tags: Vec<String> = entry.group.into_iter().filter(|g| !g.is_empty()).collect();
    for uuid in &entry.groups {
        if let Some(name) = groups.get(uuid.as_str()) {
            tags.push((*name).to_owned());
        }
    }
    Ok(ImportedItem {
        account,
        details: Details {
            tags,
            favorite: entry.favorite,
            note: entry.note.unwrap_or_default(),
            icon: None,
        },
    })
}

/// Unwraps the master key with the first password slot that opens, then
/// decrypts the content.
fn decrypt(
    header: &Header,
    encoded: &str,
    password: &SecretString,
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let bad = |location: &str, what: &str| ImportError::malformed(FORMAT, location, what);
    let params = header
        .params
        .as_ref()
        .ok_or_else(|| bad("header.params", "missing for an encrypted vault"))?;
    let slots = header
        .slots
        .as_deref()
        .ok_or_else(|| bad("header.slots", "missing for an encrypted vault"))?;
    check_work(slots)?;
    super::kdf_guard::admit(FORMAT, slots_cost(slots))?;
    let mut tried = false;
    let mut master = None;
    for (i, slot) in slots.iter().enumerate() {
        if slot.kind != SLOT_PASSWORD {
            continue;
        }
        tried = true;
        super::kdf_guard::check_cancel(FORMAT)?;
        let at = |field: &str| format!("header.slots[{i}].{field}");
        let salt = slot
            .salt
            .as_deref()
            .and_then(hex_decode)
            .ok_or_else(|| bad(&at("salt"), "missing or not hex"))?;
        let n = slot.n.ok_or_else(|| bad(&at("n"), "missing"))?;
        let (r, p) = (slot.r.unwrap_or(8), slot.p.unwrap_or(1));
        if !n.is_power_of_two() || n < 2 {
            return Err(bad(&at("n"), "not a power of two"));
        }
        let log_n = u8::try_from(n.trailing_zeros()).map_err(|_| bad(&at("n"), "too large"))?;
        if p == 0 || p > MAX_SCRYPT_P || 128 * u128::from(r) * u128::from(n) > MAX_SCRYPT_BYTES {
            return Err(bad(
                &at("n"),
                "scrypt cost too high (at most 1 GiB of memory, p at most 16)",
            ));
        }
        let scrypt_params = scrypt::Params::new(log_n, r, p)
            .map_err(|_| bad(&at("n"), "scrypt parameters out of range"))?;
        let mut derived = Zeroizing::new([0u8; 32]);
        scrypt::scrypt(
            password.expose().as_bytes(),
            &salt,
            &scrypt_params,
            derived.as_mut_slice(),
        )
        .map_err(|_| bad(&at("n"), "scrypt failed"))?;
        let key_params = slot
            .key_params
            .as_ref()
            .ok_or_else(|| bad(&at("key_params"), "missing"))?;
        let wrapped =
            sealed(&slot.key, &key_params.tag).ok_or_else(|| bad(&at("key"), "not hex"))?;
        let nonce =
            hex_decode(&key_params.nonce).ok_or_else(|| bad(&at("key_params.nonce"), "not hex"))?;
        if let Some(key) = aes_gcm_open(derived.as_slice(), &nonce, &wrapped) {
            master = Some(key);
            break;
        }
    }
    if !tried {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "a vault without a password slot (biometric only)".to_owned(),
        });
    }
    let master = master.ok_or(ImportError::WrongPassword { format: FORMAT })?;
    let mut body = base64_decode(encoded).ok_or_else(|| bad("db", "not base64"))?;
    let tag = hex_decode(&params.tag).ok_or_else(|| bad("header.params.tag", "not hex"))?;
    body.extend_from_slice(&tag);
    let nonce = hex_decode(&params.nonce).ok_or_else(|| bad("header.params.nonce", "not hex"))?;
    aes_gcm_open(&master, &nonce, &body)
        .ok_or_else(|| bad("db", "the content does not match its tag (damaged file)"))
}

/// Refuses a file whose password slots, together, ask for more
/// derivations or scrypt work than [`MAX_PASSWORD_SLOTS`] and
/// [`MAX_FILE_SCRYPT_WORK`]; a slot past its own bounds (memory, lanes)
/// counts for nothing here and is refused by name when it is tried.
fn check_work(slots: &[Slot]) -> Result<(), ImportError> {
    let password_slots: Vec<&Slot> = slots
        .iter()
        .filter(|slot| slot.kind == SLOT_PASSWORD)
        .collect();
    if password_slots.len() > MAX_PASSWORD_SLOTS {
        return Err(ImportError::malformed(
            FORMAT,
            "header.slots",
            format!(
                "{} password slots; Tessera tries at most {MAX_PASSWORD_SLOTS}",
                password_slots.len()
            ),
        ));
    }
    // A slot past its own bounds is refused, naming it, when it is reached.
    let work: u128 = password_slots
        .iter()
        .map(|slot| {
            let (n, r, p) = (
                u128::from(slot.n.unwrap_or(0)),
                u128::from(slot.r.unwrap_or(8)),
                slot.p.unwrap_or(1),
            );
            if p > MAX_SCRYPT_P || 128 * r * n > MAX_SCRYPT_BYTES {
                0
            } else {
                n * r * u128::from(p)
            }
        })
        .sum();
    if work > MAX_FILE_SCRYPT_WORK {
        return Err(ImportError::malformed(
            FORMAT,
            "header.slots",
            "its password slots together ask for more scrypt work than an import may take (N·r·p summed over them at most 16,777,216)",
        ));
    }
    Ok(())
}

/// What trying every password slot in turn costs (a wrong password tries
/// them all).
fn slots_cost(slots: &[Slot]) -> super::kdf_guard::KdfCost {
    slots
        .iter()
        .filter(|slot| slot.kind == SLOT_PASSWORD)
        .map(|slot| {
            super::kdf_guard::KdfCost::scrypt(
                slot.n.unwrap_or(0),
                slot.r.unwrap_or(8),
                slot.p.unwrap_or(1),
            )
        })
        .fold(
            super::kdf_guard::KdfCost {
                memory_bytes: 0,
                seconds: 0.0,
            },
            super::kdf_guard::KdfCost::then,
        )
}

/// `hex(ciphertext) + hex(tag)` decoded into one buffer.
fn sealed(ciphertext_hex: &str, tag_hex: &str) -> Option<Vec<u8>> {
    let mut out = hex_decode(ciphertext_hex)?;
    out.extend(hex_decode(tag_hex)?);
    Some(out)
}

// ---- export ----

/// scrypt cost of an encrypted export. [`ScryptCost::AEGIS`] is what
/// Aegis itself uses; tests pass something smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScryptCost {
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
}

impl ScryptCost {
    /// N = 2^15, r = 8, p = 1, as Aegis writes.
    pub const AEGIS: Self = Self {
        log_n: 15,
        r: 8,
        p: 1,
    };
}

#[derive(Serialize)]
struct OutEntry<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uuid: String,
    name: &'a str,
    issuer: &'a str,
    note: &'a str,
    favorite: bool,
    /// Base64 of a PNG.
    icon: Option<String>,
    icon_mime: Option<&'static str>,
    info: OutInfo,
    groups: Vec<String>,
}

#[derive(Serialize)]
struct OutInfo {
    secret: String,
    algo: &'static str,
    digits: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
}

impl Drop for OutInfo {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

/// The content (`db`) of an Aegis vault, version 3, as JSON: tags become
/// groups.
fn content<'a>(
    items: impl IntoIterator<Item = (&'a Account, &'a Details)>,
) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    let mut group_ids: Vec<Group> = Vec::new();
    let mut entries = Vec::new();
    for (account, details) in items {
        let mut groups = Vec::with_capacity(details.tags.len());
        for tag in &details.tags {
            let id = if let Some(group) = group_ids.iter().find(|g| &g.name == tag) {
                group.uuid.clone()
            } else {
                let uuid = uuid::Uuid::new_v4().hyphenated().to_string();
                group_ids.push(Group {
                    uuid: uuid.clone(),
                    name: tag.clone(),
                });
                uuid
            };
            groups.push(id);
        }
        entries.push(OutEntry {
            kind: account.kind_name(),
            uuid: uuid::Uuid::new_v4().hyphenated().to_string(),
            name: &account.name,
            issuer: &account.issuer,
            note: &details.note,
            favorite: details.favorite,
            icon: details
                .icon
                .as_ref()
                .and_then(AccountIcon::png)
                .map(|png| base64::engine::general_purpose::STANDARD.encode(png)),
            icon_mime: details
                .icon
                .as_ref()
                .and_then(AccountIcon::png)
                .map(|_| "image/png"),
            info: OutInfo {
                secret: base32_encode(account.secret.expose()),
                algo: account.algorithm.uri_name(),
                digits: account.digits,
                period: account.period(),
                counter: account.counter(),
            },
            groups,
        });
    }
    let db = serde_json::json!({ "version": 3, "entries": entries, "groups": group_ids });
    let mut out = Zeroizing::new(Vec::new());
    serde_json::to_writer(&mut *out, &db).map_err(|e| ExportError::Crypto {
        what: format!("cannot encode the content: {}", e.classify() as u8),
    })?;
    // `db` holds base32 secrets in its string values: wipe them.
    wipe_json(db);
    Ok(out)
}

fn wipe_json(value: Value) {
    match value {
        Value::String(mut s) => zeroize::Zeroize::zeroize(&mut s),
        Value::Array(items) => items.into_iter().for_each(wipe_json),
        Value::Object(map) => map.into_iter().for_each(|(_, v)| wipe_json(v)),
        _ => {}
    }
}

/// A plain Aegis vault (every secret in clear text).
pub fn export_plain<'a>(
    items: impl IntoIterator<Item = (&'a Account, &'a Details)>,
) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    let db = content(items)?;
    let mut out = Zeroizing::new(Vec::with_capacity(db.len() + 80));
    out.extend_from_slice(br#"{"version":1,"header":{"slots":null,"params":null},"db":"#);
    out.extend_from_slice(&db);
    out.push(b'}');
    Ok(out)
}

/// An encrypted Aegis vault with one password slot: a random master key
/// wrapped under scrypt(`password`, random salt, `cost`), the content
/// sealed with AES-256-GCM under the master key.
pub fn export_encrypted<'a>(
    items: impl IntoIterator<Item = (&'a Account, &'a Details)>,
    password: &SecretString,
    cost: ScryptCost,
) -> Result<Vec<u8>, ExportError> {
    let crypto = |what: &str| ExportError::Crypto {
        what: what.to_owned(),
    };
    let db = content(items)?;
    let master = Zeroizing::new(random_bytes::<32>()?);
    let salt = random_bytes::<32>()?;
    let slot_nonce = random_bytes::<12>()?;
    let db_nonce = random_bytes::<12>()?;
    let params =
        scrypt::Params::new(cost.log_n, cost.r, cost.p).map_err(|_| crypto("bad scrypt cost"))?;
    let mut derived = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(
        password.expose().as_bytes(),
        &salt,
        &params,
        derived.as_mut_slice(),
    )
    .map_err(|_| crypto("scrypt failed"))?;
    let wrapped = aes_gcm_seal(derived.as_slice(), &slot_nonce, master.as_slice())?;
    let sealed_db = aes_gcm_seal(master.as_slice(), &db_nonce, &db)?;
    let split = |sealed: &[u8]| {
        let at = sealed.len() - 16;
        (sealed[..at].to_vec(), sealed[at..].to_vec())
    };
    let (key, key_tag) = split(&wrapped);
    let (body, tag) = split(&sealed_db);
    let file = serde_json::json!({
        "version": 1,
        "header": {
            "slots": [{
                "type": SLOT_PASSWORD,
                "uuid": uuid::Uuid::new_v4().hyphenated().to_string(),
                "key": hex_encode(&key),
                "key_params": KeyParams { nonce: hex_encode(&slot_nonce), tag: hex_encode(&key_tag) },
                "n": 1u64 << cost.log_n,
                "r": cost.r,
                "p": cost.p,
                "salt": hex_encode(&salt),
                "repaired": true,
                "is_backup": false,
            }],
            "params": KeyParams { nonce: hex_encode(&db_nonce), tag: hex_encode(&tag) },
        },
        "db": base64::engine::general_purpose::STANDARD.encode(&body),
    });
    serde_json::to_vec_pretty(&file).map_err(|_| crypto("cannot encode the file"))
}
