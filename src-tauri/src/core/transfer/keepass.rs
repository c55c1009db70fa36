//! `KeePass` / `KeePassXC` databases (KDBX 3.1 and 4), opened with the `keepass`
//! crate with a password, a key file, or both. Each entry's `otp` field (an
//! `otpauth://` URI, as `KeePassXC` writes it, or the `KeeOtp` plugin's
//! `key=…&size=…&step=…`) is an account; so is `KeePassXC`'s legacy pair `TOTP Seed` (base32) and `TOTP Settings`
//! (`period;digits`, digits `S` for Steam). The title is the issuer and
//! the user name the account name when the URI names none; the entry's
//! group (not the root) and tags become tags, its notes the note. Entries
//! in the recycle bin are not imported.
//!
//! The key derivation's cost comes from the file's header; it is read
//! and bounded here before the crate derives anything.
//!
//! Must never: read or keep an entry's password; put the password, the key
//! file or a secret into an error.

use keepass::db::{EntryRef, GroupId};
use keepass::error::{DatabaseKeyError, DatabaseOpenError};
use keepass::{Database, DatabaseKey};

use super::bitwarden::read_item_totp;
use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, base32_secret, counted,
    make_account,
};
use crate::core::otp::{Algorithm, OtpKind, ParseNote};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::KeePass`].
pub struct KeePass;

const FORMAT: Format = Format::KeePass;
/// The first bytes of every KDBX file.
pub(crate) const KDBX_MAGIC: &[u8] = &[0x03, 0xd9, 0xa2, 0x9a];

impl Importer for KeePass {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        open(bytes, password, None)
    }
}

/// Reads the database in `bytes` with `password` and/or the contents of a
/// key file. `PasswordRequired` with neither (or when a key file alone
/// does not open it), `WrongPassword` when they do not open it.
pub fn open(
    bytes: &[u8],
    password: Option<&SecretString>,
    key_file: Option<&[u8]>,
) -> Result<Parsed, ImportError> {
    super::keepass_header::check_cost(bytes)?;
    if password.is_none() && key_file.is_none() {
        return Err(ImportError::PasswordRequired { format: FORMAT });
    }
    let mut key = DatabaseKey::new();
    if let Some(password) = password {
        key = key.with_password(password.expose());
    }
    if let Some(mut file) = key_file {
        key = key
            .with_keyfile(&mut file)
            .map_err(|_| ImportError::malformed(FORMAT, "the key file", "it cannot be read"))?;
    }
    let database = Database::parse(bytes, key).map_err(|error| match error {
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey) if password.is_none() => {
            ImportError::PasswordRequired { format: FORMAT }
        }
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey) => {
            ImportError::WrongPassword { format: FORMAT }
        }
        DatabaseOpenError::UnsupportedVersion => ImportError::Unsupported {
            format: FORMAT,
            what: "a KeePass 2.0 pre-release (KDBX 2) database".to_owned(),
        },
        _ => ImportError::malformed(
            FORMAT,
            "the database",
            "it cannot be read (damaged, cut short, or a key file of another kind)",
        ),
    })?;
    let recycle_bin = database.recycle_bin().map(|group| group.id());
    let root = database.root().id();
    let mut parsed = Parsed::new(FORMAT);
    let (mut recycled, mut without_totp) = (0, 0);
    for entry in database.iter_all_entries() {
        if recycle_bin.is_some_and(|bin| in_group(&database, &entry, bin)) {
            recycled += 1;
            continue;
        }
        let mut notes = Vec::new();
        let Some(read) = read_entry(&entry, root, &mut notes) else {
            without_totp += 1;
            continue;
        };
        parsed.push_entry(read, &notes);
    }
    if recycled > 0 {
        parsed.push_loss(format!(
            "{} in the recycle bin not imported",
            counted(recycled, "entry", "entries")
        ));
    }
    if without_totp > 0 {
        parsed.push_loss(format!(
            "{} without a TOTP not imported (Tessera keeps 2FA accounts, not passwords)",
            counted(without_totp, "entry", "entries")
        ));
    }
    parsed.non_empty()
}

/// Whether `entry` is in `group` or one of its subgroups.
fn in_group(database: &Database, entry: &EntryRef<'_>, group: GroupId) -> bool {
    let mut current = Some(entry.parent().id());
    // A group's parents end at the root; the bound only guards a cycle.
    for _ in 0..=database.num_groups() {
        match current {
            Some(id) if id == group => return true,
            Some(id) => current = database.group(id).and_then(|g| g.parent().map(|p| p.id())),
            None => return false,
        }
    }
    false
}

/// The entry's account, `None` when it has no TOTP.
fn read_entry(
    entry: &EntryRef<'_>,
    root: GroupId,
    notes: &mut Vec<ParseNote>,
) -> Option<Result<ImportedItem, InvalidItem>> {
    let title = entry.get_title().unwrap_or("");
    let username = entry.get_username().unwrap_or("");
    let invalid = |reason: String| InvalidItem::named(title, username, reason);
    let account = if let Some(otp) = entry.get("otp").filter(|v| !v.trim().is_empty()) {
        let otp = otp.trim();
        if otp.starts_with("key=") {
            return Some(
                kee_otp(otp, title, username, notes)
                    .map_err(invalid)
                    .map(|account| item(entry, root, account)),
            );
        }
        read_item_totp(otp, title, username, notes)
    } else {
        let seed = entry.get("TOTP Seed").filter(|v| !v.trim().is_empty())?;
        legacy(seed, entry.get("TOTP Settings"), title, username, notes)
    };
    Some(
        account
            .map_err(invalid)
            .map(|account| item(entry, root, account)),
    )
}

/// The account with the entry's group (below the root) and tags as tags
/// and its notes as the note.
fn item(entry: &EntryRef<'_>, root: GroupId, account: crate::core::otp::Account) -> ImportedItem {
    let parent = entry.parent();
    let mut tags: Vec<String> = Vec::new();
    if parent.id() != root && !parent.name.is_empty() {
        tags.push(parent.name.clone());
    }
    tags.extend(entry.tags.iter().filter(|t| !t.is_empty()).cloned());
    ImportedItem {
        account,
        details: Details {
            tags,
            note: entry.get("Notes").unwrap_or("").to_owned(),
            ..Details::default()
        },
    }
}

/// The `KeeOtp` plugin's `otp` field: `key=BASE32&size=6&step=30`, with
/// `otpHashMode` (`Sha1`, `Sha256`, `Sha512`), `type` (`Totp`, `Hotp`)
/// and `counter` where not the defaults.
fn kee_otp(
    otp: &str,
    title: &str,
    username: &str,
    notes: &mut Vec<ParseNote>,
) -> Result<crate::core::otp::Account, String> {
    let mut key = None;
    let (mut digits, mut period, mut counter) = (6u8, 30u32, 0u64);
    let (mut algorithm, mut hotp) = (Algorithm::Sha1, false);
    for pair in otp.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = |what: &str| format!("the KeeOtp field's {what} is not a whole number");
        match name {
            "key" => key = Some(value),
            "size" => digits = value.parse().map_err(|_| number("size"))?,
            "step" => period = value.parse().map_err(|_| number("step"))?,
            "counter" => counter = value.parse().map_err(|_| number("counter"))?,
            "otpHashMode" => algorithm = super::algorithm_named(value)?,
            "type" => hotp = value.eq_ignore_ascii_case("hotp"),
            _ => {}
        }
    }
    let key = key.ok_or_else(|| "the KeeOtp field has no key".to_owned())?;
    // KeeOtp percent-encodes the key's "=" padding.
    let key = zeroize::Zeroizing::new(key.replace("%3D", "=").replace("%3d", "="));
    let secret = base32_secret(&key, notes)?;
    let kind = if hotp {
        OtpKind::Hotp { counter }
    } else {
        OtpKind::Totp { period }
    };
    make_account(title, username, secret, algorithm, digits, kind)
}

/// `KeePassXC`'s fields from before `otp`: a base32 seed and
/// `period;digits` (digits `S` for Steam; 30 s and 6 digits when absent).
fn legacy(
    seed: &str,
    settings: Option<&str>,
    title: &str,
    username: &str,
    notes: &mut Vec<ParseNote>,
) -> Result<crate::core::otp::Account, String> {
    let settings = settings.unwrap_or("30;6");
    let (period, digits) = settings.split_once(';').unwrap_or((settings, "6"));
    let period: u32 = period
        .trim()
        .parse()
        .map_err(|_| "TOTP Settings does not start with a period in seconds".to_owned())?;
    let (digits, kind) = match digits.trim() {
        "S" => (5, OtpKind::Steam { period }),
        other => (
            other
                .parse()
                .map_err(|_| "TOTP Settings has no number of digits after “;”".to_owned())?,
            OtpKind::Totp { period },
        ),
    };
    let secret = base32_secret(seed, notes)?;
    make_account(title, username, secret, Algorithm::Sha1, digits, kind)
}
