//! The bytes of every remote file (`docs/sync-format.md` §4.1, §5, §6,
//! §9): the group descriptor, key files, segments, heads and pairing
//! files; each a clear header bound as associated data to one envelope.
//!
//! Owns: the layouts and their checks. A layout that does not parse or
//! an envelope that does not open is `None`: the caller names the file.
//!
//! Must never: return anything from an envelope that did not open, panic
//! on any input, or read past a length it was given.

use data_encoding::HEXLOWER;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::crypto::{self, DeviceKey};
use super::error::Result;
use super::record::{Record, Wire};
use crate::core::secret::serialize_json;
use crate::core::vault::envelope::{self, AssociatedData, EnvelopeKey, OVERHEAD};

const VERSION: u8 = 1;
const GROUP: [u8; 4] = *b"TSGR";
const KEYS: [u8; 4] = *b"TSKY";
const SEGMENT: [u8; 4] = *b"TSSG";
pub const PAIR_REQUEST: [u8; 4] = *b"TSPQ";
pub const PAIR_ACCEPT: [u8; 4] = *b"TSPA";

/// Records in one segment, at most.
pub const MAX_RECORDS: usize = 4096;

/// Length of a wrap: an envelope of a 32-byte key.
const WRAP_LEN: usize = OVERHEAD + 32;

/// Reads a byte string front to back; every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn magic(&mut self, magic: [u8; 4]) -> Option<()> {
        (self.take(4)? == magic.as_slice() && self.array::<1>()? == [VERSION]).then_some(())
    }
    fn uuid(&mut self) -> Option<Uuid> {
        self.array().map(Uuid::from_bytes)
    }
    fn be16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }
    fn be32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }
    fn be64(&mut self) -> Option<u64> {
        self.array().map(u64::from_be_bytes)
    }
    fn rest(self) -> &'a [u8] {
        self.0
    }
}

fn start(magic: [u8; 4]) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.push(VERSION);
    out
}

fn file_ad(domain: &str, header: &[u8]) -> AssociatedData {
    AssociatedData::new(domain).bytes(header)
}

fn seal(key: &EnvelopeKey, plain: &[u8], ad: &AssociatedData) -> Result<Vec<u8>> {
    envelope::seal(key, plain, ad)
        .map_err(|_| super::error::SyncError::invalid("the system random number generator failed"))
}

// --- group descriptor (§4.1) -------------------------------------------

pub fn group_file(group: Uuid) -> Vec<u8> {
    let mut out = start(GROUP);
    out.extend_from_slice(group.as_bytes());
    out
}

pub fn read_group(bytes: &[u8]) -> Option<Uuid> {
    let mut r = Reader(bytes);
    r.magic(GROUP)?;
    let group = r.uuid()?;
    r.rest().is_empty().then_some(group)
}

// --- segments (§6.1) ---------------------------------------------------

/// The clear header of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentHeader {
    pub group: Uuid,
    pub device: Uuid,
    pub epoch: u32,
    pub n: u64,
    pub prev: [u8; 32],
}

impl SegmentHeader {
    fn encode(&self) -> Vec<u8> {
        let mut out = start(SEGMENT);
        out.extend_from_slice(self.group.as_bytes());
        out.extend_from_slice(self.device.as_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.n.to_be_bytes());
        out.extend_from_slice(&self.prev);
        out
    }

    /// The header of a segment file and the length of it; `None` if the
    /// file is not a segment.
    pub fn read(bytes: &[u8]) -> Option<(Self, usize)> {
        let mut r = Reader(bytes);
        r.magic(SEGMENT)?;
        let header = Self {
            group: r.uuid()?,
            device: r.uuid()?,
            epoch: r.be32()?,
            n: r.be64()?,
            prev: r.array()?,
        };
        let len = bytes.len() - r.rest().len();
        Some((header, len))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentBody {
    records: Vec<Wire>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    left: bool,
}

/// What a segment holds: its records, and whether its device left the
/// group with it (its last segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub records: Vec<Record>,
    pub left: bool,
}

/// A segment file of `records` (1 to [`MAX_RECORDS`]; none only in the
/// last segment of a device that `left`) under `key`.
pub fn seal_segment(
    key: &EnvelopeKey,
    header: &SegmentHeader,
    records: &[Record],
    left: bool,
) -> Result<Vec<u8>> {
    let head = header.encode();
    let body = SegmentBody {
        records: records.iter().map(Record::to_wire).collect(),
        left,
    };
    let plain = serialize_json(&body);
    let mut out = head.clone();
    out.extend(seal(key, &plain, &file_ad("tessera-sync-segment", &head))?);
    Ok(out)
}

/// What a segment file under `key` holds; `None` if it does not open or
/// a record is ill-formed.
pub fn open_segment(key: &EnvelopeKey, bytes: &[u8]) -> Option<Opened> {
    let (_, len) = SegmentHeader::read(bytes)?;
    let plain = envelope::open(
        key,
        &bytes[len..],
        &file_ad("tessera-sync-segment", &bytes[..len]),
    )
    .ok()?;
    let body: SegmentBody = serde_json::from_slice(&plain).ok()?;
    if (body.records.is_empty() && !body.left) || body.records.len() > MAX_RECORDS {
        return None;
    }
    let records = body
        .records
        .into_iter()
        .map(Record::from_wire)
        .collect::<Option<Vec<_>>>()?;
    Some(Opened {
        records,
        left: body.left,
    })
}

/// The number of the segment file named `name` (`<n:016x>.seg`).
pub fn segment_number(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 16
        && digits
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then(|| u64::from_str_radix(digits, 16).ok())
    .flatten()
}

// --- key files (§5) ----------------------------------------------------

/// One member of an epoch, as its roster names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub device: Uuid,
    pub name: String,
    #[serde(with = "hex32")]
    pub public_key: [u8; 32],
}

mod hex32 {
    use data_encoding::HEXLOWER;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&HEXLOWER.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        HEXLOWER
            .decode(text.as_bytes())
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| D::Error::custom("not 32 bytes of lowercase hex"))
    }
}

/// What a key file gives a member that opens it.
pub struct Epoch {
    pub number: u32,
    pub key: EnvelopeKey,
    pub members: Vec<Member>,
}

struct KeyHeader {
    group: Uuid,
    epoch: u32,
    author: Uuid,
}

fn key_header(h: &KeyHeader, count: u16) -> Vec<u8> {
    let mut out = start(KEYS);
    out.extend_from_slice(h.group.as_bytes());
    out.extend_from_slice(&h.epoch.to_be_bytes());
    out.extend_from_slice(h.author.as_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out
}

fn roster_ad(head_and_members: &[u8]) -> AssociatedData {
    AssociatedData::new("tessera-sync-roster").bytes(&crypto::digest(head_and_members))
}

fn proof_ad(group: Uuid, epoch: u32) -> AssociatedData {
    AssociatedData::new("tessera-sync-proof")
        .bytes(group.as_bytes())
        .be32(epoch)
}

/// The key file of `epoch` (key `key`, `members` sorted here by device
/// id), made by `author`; `previous` is the key of `epoch − 1` (none for
/// epoch 1).
pub fn make_key_file(
    group: Uuid,
    epoch: u32,
    author: Uuid,
    key: &EnvelopeKey,
    previous: Option<&EnvelopeKey>,
    members: &[Member],
) -> Result<Vec<u8>> {
    let mut members = members.to_vec();
    members.sort_by_key(|m| *m.device.as_bytes());
    members.dedup_by_key(|m| m.device);
    let count = u16::try_from(members.len())
        .map_err(|_| super::error::SyncError::invalid("too many devices in the group"))?;
    let mut out = key_header(
        &KeyHeader {
            group,
            epoch,
            author,
        },
        count,
    );
    for member in &members {
        let (ephemeral, wrap) =
            crypto::wrap_for(key, group, epoch, member.device, &member.public_key)?;
        out.extend_from_slice(member.device.as_bytes());
        out.extend_from_slice(&ephemeral);
        out.extend_from_slice(&wrap);
    }
    let roster = seal(key, &serialize_json(&members), &roster_ad(&out))?;
    out.extend_from_slice(
        &u32::try_from(roster.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(&roster);
    if let Some(previous) = previous {
        let proof = seal(previous, &crypto::digest(&out), &proof_ad(group, epoch))?;
        out.extend_from_slice(&proof);
    }
    Ok(out)
}

/// Opens key file `bytes` of `group` for device `own`: checks the proof
/// under `previous` (required for epochs after 1), takes the epoch's key
/// from `known` (a key a pairing answer gave) or else from the wrap for
/// `own`, and opens the roster with it. `Ok(None)` if the file is genuine
/// but `own` is not among its members (removed); `Err(())` if anything
/// does not open or parse.
#[allow(clippy::result_unit_err)]
pub fn open_key_file(
    bytes: &[u8],
    group: Uuid,
    own: Uuid,
    own_key: &DeviceKey,
    previous: Option<&EnvelopeKey>,
    known: Option<&EnvelopeKey>,
) -> std::result::Result<Option<Epoch>, ()> {
    let mut r = Reader(bytes);
    r.magic(KEYS).ok_or(())?;
    let header = KeyHeader {
        group: r.uuid().ok_or(())?,
        epoch: r.be32().ok_or(())?,
        author: r.uuid().ok_or(())?,
    };
    let count = r.be16().ok_or(())?;
    if header.group != group || header.epoch == 0 {
        return Err(());
    }
    let mut wraps = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let device = r.uuid().ok_or(())?;
        let ephemeral: [u8; 32] = r.array().ok_or(())?;
        let wrap = r.take(WRAP_LEN).ok_or(())?;
        wraps.push((device, ephemeral, wrap));
    }
    let members_end = bytes.len() - r.0.len();
    let roster_len = usize::try_from(r.be32().ok_or(())?).map_err(|_| ())?;
    let roster = r.take(roster_len).ok_or(())?;
    let signed_end = bytes.len() - r.0.len();
    let proof = r.rest();
    match (header.epoch, previous) {
        (1, _) if proof.is_empty() => {}
        (2.., Some(previous)) => {
            let digest =
                envelope::open(previous, proof, &proof_ad(group, header.epoch)).map_err(|_| ())?;
            if digest.as_slice() != crypto::digest(&bytes[..signed_end]) {
                return Err(());
            }
        }
        _ => return Err(()),
    }
    let key = match (wraps.iter().find(|(d, _, _)| *d == own), known) {
        (_, Some(known)) => EnvelopeKey::from_array(known.expose()),
        (Some((_, ephemeral, wrap)), None) => {
            crypto::unwrap_with(own_key, group, header.epoch, own, ephemeral, wrap).ok_or(())?
        }
        (None, None) => return Ok(None),
    };
    let plain = envelope::open(&key, roster, &roster_ad(&bytes[..members_end])).map_err(|_| ())?;
    let members: Vec<Member> = serde_json::from_slice(&plain).map_err(|_| ())?;
    let listed: Vec<Uuid> = wraps.iter().map(|(d, _, _)| *d).collect();
    if members.iter().map(|m| m.device).collect::<Vec<_>>() != listed {
        return Err(());
    }
    Ok(Some(Epoch {
        number: header.epoch,
        key,
        members,
    }))
}

// --- pairing files (§9) ------------------------------------------------

fn pair_header(magic: [u8; 4], group: Uuid, pairing: Uuid) -> Vec<u8> {
    let mut out = start(magic);
    out.extend_from_slice(group.as_bytes());
    out.extend_from_slice(pairing.as_bytes());
    out
}

/// A pairing request or answer (`magic`) carrying `plain` under `key`.
pub fn seal_pairing(
    magic: [u8; 4],
    group: Uuid,
    pairing: Uuid,
    key: &EnvelopeKey,
    plain: &[u8],
) -> Result<Vec<u8>> {
    let header = pair_header(magic, group, pairing);
    let mut out = header.clone();
    out.extend(seal(key, plain, &file_ad("tessera-sync-pair", &header))?);
    Ok(out)
}

/// The plaintext of a pairing file, if it is one of `magic` for `group`
/// and `pairing` and opens under `key`.
pub fn open_pairing(
    magic: [u8; 4],
    group: Uuid,
    pairing: Uuid,
    key: &EnvelopeKey,
    bytes: &[u8],
) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let header = pair_header(magic, group, pairing);
    let body = bytes.strip_prefix(header.as_slice())?;
    envelope::open(key, body, &file_ad("tessera-sync-pair", &header)).ok()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::sync::record::{Kind, Op, Value};

    fn records() -> Vec<Record> {
        vec![Record {
            n: 1,
            hlc: 10,
            entity: Uuid::from_bytes([5; 16]),
            kind: Kind::Account,
            op: Op::Set {
                field: "issuer".into(),
                value: Value::str("GitHub"),
            },
        }]
    }

    #[test]
    fn a_segment_opens_only_unchanged_under_its_key() {
        let key = crypto::random_key().unwrap();
        let header = SegmentHeader {
            group: Uuid::new_v4(),
            device: Uuid::new_v4(),
            epoch: 2,
            n: 7,
            prev: [9; 32],
        };
        let file = seal_segment(&key, &header, &records(), false).unwrap();
        assert_eq!(SegmentHeader::read(&file).unwrap().0, header);
        assert_eq!(open_segment(&key, &file).unwrap().records, records());
        let last = seal_segment(&key, &header, &[], true).unwrap();
        assert!(open_segment(&key, &last).unwrap().left);
        assert!(open_segment(&key, &seal_segment(&key, &header, &[], false).unwrap()).is_none());
        for i in 0..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x01;
            assert!(open_segment(&key, &bad).is_none(), "byte {i}");
        }
        assert!(open_segment(&crypto::random_key().unwrap(), &file).is_none());
        assert!(open_segment(&key, &file[..file.len() - 1]).is_none());
    }

    #[test]
    fn segment_names_read_back_to_their_numbers() {
        assert_eq!(segment_number("00000000000000ff.seg"), Some(255));
        for bad in [
            "ff.seg",
            "00000000000000FF.seg",
            "00000000000000ff.seg.tmp",
            "head",
        ] {
            assert_eq!(segment_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn key_files_chain_and_exclude_non_members() {
        let (group, a, b, c) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let keys: Vec<DeviceKey> = (0..3).map(|_| DeviceKey::random().unwrap()).collect();
        let member = |device, key: &DeviceKey| Member {
            device,
            name: "d".into(),
            public_key: key.public(),
        };
        let k1 = crypto::random_key().unwrap();
        let first = make_key_file(
            group,
            1,
            a,
            &k1,
            None,
            &[member(a, &keys[0]), member(c, &keys[2])],
        )
        .unwrap();
        let opened = open_key_file(&first, group, c, &keys[2], None, None)
            .unwrap()
            .unwrap();
        assert_eq!(opened.key.expose(), k1.expose());
        assert_eq!(opened.members.len(), 2);
        let k2 = crypto::random_key().unwrap();
        let second = make_key_file(
            group,
            2,
            a,
            &k2,
            Some(&k1),
            &[member(a, &keys[0]), member(b, &keys[1])],
        )
        .unwrap();
        let for_b = open_key_file(&second, group, b, &keys[1], Some(&k1), None)
            .unwrap()
            .unwrap();
        assert_eq!(for_b.key.expose(), k2.expose());
        assert!(
            open_key_file(&second, group, c, &keys[2], Some(&k1), None)
                .unwrap()
                .is_none(),
            "c was removed"
        );
        let given = open_key_file(&first, group, b, &keys[1], None, Some(&k1))
            .unwrap()
            .unwrap();
        assert_eq!(
            given.members.len(),
            2,
            "a key from a pairing answer opens the roster"
        );
        assert!(open_key_file(&first, group, b, &keys[1], None, Some(&k2)).is_err());
        assert!(
            open_key_file(&second, group, b, &keys[1], None, None).is_err(),
            "no proof key"
        );
        let forged = make_key_file(
            group,
            2,
            c,
            &k2,
            Some(&crypto::random_key().unwrap()),
            &[member(c, &keys[2])],
        )
        .unwrap();
        assert!(open_key_file(&forged, group, c, &keys[2], Some(&k1), None).is_err());
        for i in (0..second.len()).step_by(7) {
            let mut bad = second.clone();
            bad[i] ^= 0x01;
            assert!(
                !matches!(
                    open_key_file(&bad, group, b, &keys[1], Some(&k1), None),
                    Ok(Some(_))
                ),
                "byte {i}"
            );
        }
    }
}
