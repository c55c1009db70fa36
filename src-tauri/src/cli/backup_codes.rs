//! `backup-codes add|list|use`: an account's recovery codes. Listing prints
//! the codes themselves: the user asked for them.

use serde::Serialize;

use crate::core::clock::Timestamp;
use crate::core::secret::SecretString;
use crate::core::vault::Vault;

use super::accounts::resolve;
use super::error::CliError;
use super::output;

pub fn add(vault: &mut Vault, query: &str, codes: Vec<SecretString>) -> Result<(), CliError> {
    let id = resolve(vault, query)?;
    let added = vault.add_backup_codes(id, codes)?;
    output::line(&format!("added {} backup codes to {id}", added.len()))
}

#[derive(Serialize)]
struct ListedCode<'a> {
    code: &'a str,
    /// Unix seconds when it was used; `null` while unused.
    used_at: Option<u64>,
}

pub fn list(vault: &Vault, query: &str, json: bool) -> Result<(), CliError> {
    let id = resolve(vault, query)?;
    let mut codes: Vec<ListedCode<'_>> = vault
        .backup_codes(id)?
        .iter()
        .map(|code| ListedCode {
            code: code.code.expose(),
            used_at: code.used_at.map(Timestamp::unix_seconds),
        })
        .collect();
    codes.sort_by_key(|code| code.used_at.is_some());
    if json {
        return output::json(&codes);
    }
    let unused = codes.iter().filter(|code| code.used_at.is_none()).count();
    for code in &codes {
        match code.used_at {
            None => output::line(code.code)?,
            Some(at) => output::line(&format!("{}  used at {at}", code.code))?,
        }
    }
    output::line(&format!("{unused} of {} unused", codes.len()))
}

/// Marks each given code used. Every code is checked before any is marked,
/// so a typo marks nothing.
pub fn mark_used(vault: &mut Vault, query: &str, codes: &[SecretString]) -> Result<(), CliError> {
    let id = resolve(vault, query)?;
    let stored = vault.backup_codes(id)?;
    let mut to_mark = Vec::with_capacity(codes.len());
    for (position, given) in codes.iter().enumerate() {
        let given = given.expose().trim();
        let found = stored
            .iter()
            .find(|code| {
                code.used_at.is_none() && code.code.expose() == given && !to_mark.contains(&code.id)
            })
            .ok_or_else(|| CliError::UnknownBackupCode {
                account: id.to_string(),
                position: position + 1,
            })?;
        to_mark.push(found.id);
    }
    for code_id in &to_mark {
        vault.mark_backup_code_used(id, *code_id)?;
    }
    let left = vault
        .backup_codes(id)?
        .iter()
        .filter(|code| code.used_at.is_none())
        .count();
    output::line(&format!("marked {} used; {left} left", to_mark.len()))
}
