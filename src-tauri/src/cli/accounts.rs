//! `add`, `list`, `code`, `remove`, and finding the one account a query
//! names.

use serde::Serialize;
use uuid::Uuid;

use crate::core::clock::{Clock, Timestamp};
use crate::core::intake;
use crate::core::otp::{self, Algorithm, OtpKind};
use crate::core::secret::SecretString;
use crate::core::vault::{Details, Entry, Vault, VaultError};

use super::copy;
use super::error::CliError;
use super::output;

/// The one entry whose id, issuer or name contains `query` (ignoring
/// case; tags do not count). An exact id wins over substring matches.
pub fn resolve(vault: &Vault, query: &str) -> Result<Uuid, CliError> {
    if let Ok(id) = Uuid::parse_str(query.trim())
        && vault.get(id).is_ok()
    {
        return Ok(id);
    }
    let needle = query.to_lowercase();
    let entries = vault.entries()?;
    let matches: Vec<&Entry> = entries
        .iter()
        .filter(|entry| names(entry, &needle))
        .collect();
    match matches.as_slice() {
        [] => Err(CliError::NoMatch {
            query: query.to_owned(),
            suggestions: closest(entries, &needle),
        }),
        [one] => Ok(one.id),
        many => Err(CliError::Ambiguous {
            query: query.to_owned(),
            matches: many.iter().map(|entry| describe(entry)).collect(),
        }),
    }
}

/// Whether the id, issuer or account name contains `needle` (lowercase).
fn names(entry: &Entry, needle: &str) -> bool {
    entry.id.hyphenated().to_string().contains(needle)
        || entry.account.issuer.to_lowercase().contains(needle)
        || entry.account.name.to_lowercase().contains(needle)
}

/// The labels of at most three entries whose issuer or name is a few typing
/// mistakes from `needle` (lowercase), closest first: what `code githbu`
/// offers instead of a bare "no account matches".
fn closest(entries: &[Entry], needle: &str) -> Vec<String> {
    let allowed = (needle.chars().count() / 3).clamp(1, 3);
    let mut near: Vec<(usize, &Entry)> = entries
        .iter()
        .filter_map(|entry| {
            let distance = [&entry.account.issuer, &entry.account.name]
                .into_iter()
                .filter(|text| !text.is_empty())
                .map(|text| typing_distance(needle, &text.to_lowercase()))
                .min()?;
            (distance <= allowed).then_some((distance, entry))
        })
        .collect();
    near.sort_by_key(|(distance, _)| *distance);
    near.into_iter()
        .take(3)
        .map(|(_, entry)| entry.account.label())
        .collect()
}

/// The fewest insertions, deletions, substitutions and swaps of two
/// neighbouring characters that turn `typed` into `text` or into the start
/// of a word of it ("githbu" is 1 from "github", "proton" 0 from "proton
/// mail"), so a query may stop early.
pub(crate) fn typing_distance(typed: &str, text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .chain(std::iter::once(text))
        .map(|candidate| prefix_distance(typed, candidate))
        .min()
        .unwrap_or(usize::MAX)
}

/// Optimal string alignment distance from `typed` to the closest prefix of
/// `text`.
fn prefix_distance(typed: &str, text: &str) -> usize {
    let a: Vec<char> = typed.chars().collect();
    let b: Vec<char> = text.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for (j, &letter) in b.iter().enumerate().map(|(k, c)| (k + 1, c)) {
            let substitution = rows[i - 1][j - 1] + usize::from(a[i - 1] != letter);
            let mut best = substitution.min(rows[i - 1][j] + 1).min(rows[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == letter {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()].iter().copied().min().unwrap_or(a.len())
}

/// `id (issuer:name)`, for messages; no secret.
fn describe(entry: &Entry) -> String {
    format!("{} ({})", entry.id, entry.account.label())
}

/// `tessera add URI|-`: every URI parsed before the vault is opened (a bad
/// one asks for no password and adds nothing), then all added in one
/// transaction; prints the new ids, one per line.
pub fn add(
    uris: &[SecretString],
    tags: &[String],
    keep_copies: bool,
    open_vault: impl FnOnce() -> Result<Vault, CliError>,
) -> Result<(), CliError> {
    let mut accounts = Vec::with_capacity(uris.len());
    for (index, uri) in uris.iter().enumerate() {
        let account = otp::parse_uri(uri.expose()).map_err(|source| {
            if uris.len() == 1 {
                CliError::Uri(source)
            } else {
                CliError::UriLine {
                    line: index + 1,
                    source,
                }
            }
        })?;
        accounts.push(account);
    }
    insert_tagged(&mut open_vault()?, accounts, tags, keep_copies)
}

/// Adds `accounts`, each with `tags`, in one transaction, and prints the
/// new ids, one per line; accounts the vault already holds, or the batch
/// repeats, are named on stderr and left out unless `keep_copies`.
pub(super) fn insert_tagged(
    vault: &mut Vault,
    accounts: Vec<otp::Account>,
    tags: &[String],
    keep_copies: bool,
) -> Result<(), CliError> {
    let details = Details {
        tags: tags.to_vec(),
        ..Details::default()
    };
    let (ids, left_out) = intake::add_new(vault, accounts, &details, keep_copies)?;
    for skipped in &left_out {
        let label = skipped.account.label();
        output::note(&match &skipped.in_vault_as {
            Some(existing) => format!(
                "{label} is already in the vault as {existing}: not added again (--keep-copy adds it)"
            ),
            None => format!("{label} is given twice: added once"),
        });
    }
    for id in ids {
        output::line(&id.hyphenated().to_string())?;
    }
    Ok(())
}

/// One account as `list --json` shows it.
#[derive(Serialize)]
struct Listed<'a> {
    id: String,
    issuer: &'a str,
    account: &'a str,
    kind: &'static str,
    algorithm: Algorithm,
    digits: u8,
    period: Option<u32>,
    counter: Option<u64>,
    tags: &'a [String],
    favorite: bool,
}

impl<'a> From<&'a Entry> for Listed<'a> {
    fn from(entry: &'a Entry) -> Self {
        let account = &entry.account;
        Self {
            id: entry.id.hyphenated().to_string(),
            issuer: &account.issuer,
            account: &account.name,
            kind: account.kind.name(),
            algorithm: account.algorithm,
            digits: account.digits,
            period: account.period(),
            counter: account.counter(),
            tags: &entry.details.tags,
            favorite: entry.details.favorite,
        }
    }
}

pub fn list(vault: &Vault, json: bool) -> Result<(), CliError> {
    let entries = vault.entries()?;
    if json {
        let listed: Vec<Listed<'_>> = entries.iter().map(Listed::from).collect();
        return output::json(&listed);
    }
    for entry in entries {
        let listed = Listed::from(entry);
        let tags = if listed.tags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", listed.tags.join(", "))
        };
        output::line(&format!(
            "{}  {}  {} {} {} digits {}{}",
            listed.id,
            entry.account.label(),
            listed.kind,
            listed.algorithm,
            listed.digits,
            parameters(&entry.account.kind),
            tags
        ))?;
    }
    Ok(())
}

fn parameters(kind: &OtpKind) -> String {
    match kind {
        OtpKind::Totp { period } | OtpKind::Steam { period } => format!("{period}s"),
        OtpKind::Hotp { counter } => format!("counter {counter}"),
    }
}

/// One code as `code --json` shows it.
#[derive(Serialize)]
struct Shown<'a> {
    id: String,
    issuer: &'a str,
    account: &'a str,
    code: &'a str,
    next: &'a str,
    /// Milliseconds the code stays valid (TOTP, Steam).
    valid_for_ms: Option<u64>,
    /// The counter the code was computed at (HOTP).
    counter: Option<u64>,
    /// The time the code was computed for (Unix seconds), clock offset included.
    at: u64,
}

/// How `tessera code` shows the code.
#[derive(Debug, Default)]
pub struct CodeRequest {
    /// Compute the code at this time (Unix seconds) instead of now.
    pub at: Option<u64>,
    /// Wait for the next code when fewer than this many seconds are left.
    pub wait_below_s: Option<u32>,
    /// Put the code on the clipboard for this long (0: until something
    /// else is copied) instead of printing it.
    pub copy_for_s: Option<u32>,
    pub json: bool,
}

pub fn code(
    vault: &mut Vault,
    query: &str,
    clock: &dyn Clock,
    request: &CodeRequest,
) -> Result<(), CliError> {
    let id = resolve(vault, query)?;
    let mut now = request
        .at
        .map_or_else(|| clock.now(), Timestamp::from_unix_seconds);
    let (account, mut code) = vault.use_code(id, now).map_err(|error| match error {
        VaultError::InvalidAccount(source) => CliError::Code(source),
        other => other.into(),
    })?;
    if let (Some(wait_below_s), Some(left_ms)) = (request.wait_below_s, code.valid_for_ms)
        && left_ms < u64::from(wait_below_s) * 1000
    {
        std::thread::sleep(std::time::Duration::from_millis(left_ms + 20));
        now = clock.now();
        code = otp::generate(&account, now).map_err(CliError::Code)?;
    }
    if let Some(seconds) = request.copy_for_s {
        copy::hold(&code.current, seconds)?;
        output::note(&if seconds == 0 {
            "code copied to the clipboard".to_owned()
        } else {
            format!("code copied to the clipboard; cleared in {seconds} s")
        });
    }
    if request.json {
        return output::json(&Shown {
            id: id.hyphenated().to_string(),
            issuer: &account.issuer,
            account: &account.name,
            code: &code.current,
            next: &code.next,
            valid_for_ms: code.valid_for_ms,
            counter: account.counter(),
            at: now.unix_seconds(),
        });
    }
    if request.copy_for_s.is_some() {
        return Ok(());
    }
    output::line(&code.current)
}

pub fn remove(vault: &mut Vault, query: &str) -> Result<(), CliError> {
    let id = resolve(vault, query)?;
    vault.remove(id)?;
    output::line(&format!("removed {id}"))
}

#[cfg(test)]
mod tests {
    use super::{prefix_distance, typing_distance};

    #[test]
    fn a_swap_a_slip_and_a_missing_letter_are_one_mistake_each() {
        assert_eq!(typing_distance("githbu", "github"), 1);
        assert_eq!(typing_distance("gitjub", "github"), 1);
        assert_eq!(typing_distance("gthub", "github"), 1);
        assert_eq!(typing_distance("github", "github"), 0);
    }

    #[test]
    fn a_query_may_stop_early_or_name_one_word() {
        assert_eq!(prefix_distance("proto", "proton mail"), 0);
        assert_eq!(typing_distance("mial", "proton mail"), 1);
        assert_eq!(typing_distance("alice", "alice@example.com"), 0);
    }

    #[test]
    fn unrelated_words_are_far_apart() {
        assert!(typing_distance("github", "dropbox") >= 4);
    }
}
