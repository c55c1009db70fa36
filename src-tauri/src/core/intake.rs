//! What scans bring in and the user has not confirmed yet: QR pictures,
//! screen and clipboard scans, pasted URIs. [`ScanStaging`] holds the
//! accounts found (each part of a Google export hands over its accounts at
//! once, through [`BatchAssembly`]) and classifies them with the same
//! identity rule as imports ([`Account::same_key_material`]: secret,
//! algorithm, digits, kind and period): an account found twice waits once,
//! and one the vault already holds is marked with the account it matches.
//!
//! Owns: the found accounts, the export parts scanned so far, and which
//! accounts a confirmation takes.
//!
//! Must never: write to the vault (the caller commits what the user
//! confirmed), or keep anything after [`ScanStaging::clear`] (it holds
//! secrets; the window clears it on lock).

use uuid::Uuid;

use crate::core::otp::Account;
use crate::core::qr::{BatchAssembly, BatchProgress, ExportProgress, QrContent, QrError};
use crate::core::vault::{Details, Entry, Vault, VaultError};

/// Accounts found by scans and not yet added or discarded, and the parts
/// of Google exports scanned so far.
#[derive(Debug, Default)]
pub struct ScanStaging {
    found: Vec<Found>,
    assembly: BatchAssembly,
}

/// One account a scan found.
#[derive(Debug)]
pub struct Found {
    /// Which found account this is (for a confirmation); not a vault id.
    pub id: Uuid,
    pub account: Account,
}

/// What one scan brought in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanNote {
    /// Accounts now waiting for confirmation: the last `accounts` of
    /// [`ScanStaging::found`].
    pub accounts: usize,
    /// New parts of exports of more than one part.
    pub parts: usize,
    /// Codes already scanned before (accounts or export parts), ignored.
    pub repeated: usize,
}

/// Why a confirmation cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntakeError {
    /// The id names no account waiting (added or discarded already, or
    /// wiped by a lock).
    #[error("no scanned account {id} is waiting (scan the picture again)")]
    NotWaiting { id: Uuid },
}

impl ScanStaging {
    /// Forgets every account found and every export part scanned.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Takes in the QR contents of one scan. Contents before a part that
    /// cannot be read are kept.
    ///
    /// # Errors
    /// `InconsistentBatch` for an export part whose index is outside its
    /// export.
    pub fn take_in(&mut self, contents: Vec<QrContent>) -> Result<ScanNote, QrError> {
        let mut note = ScanNote::default();
        for content in contents {
            match content {
                QrContent::Account(account) => self.push(account, &mut note),
                QrContent::Migration(batch) => match self.assembly.add(batch)? {
                    BatchProgress::Part { accounts, export } => {
                        if export.total > 1 {
                            note.parts += 1;
                        }
                        for account in accounts {
                            self.push(account, &mut note);
                        }
                    }
                    BatchProgress::Repeat { .. } => note.repeated += 1,
                },
            }
        }
        Ok(note)
    }

    fn push(&mut self, account: Account, note: &mut ScanNote) {
        if self
            .found
            .iter()
            .any(|found| found.account.same_key_material(&account))
        {
            note.repeated += 1;
        } else {
            self.found.push(Found {
                id: Uuid::new_v4(),
                account,
            });
            note.accounts += 1;
        }
    }

    /// The accounts waiting, in the order they were found.
    pub fn found(&self) -> &[Found] {
        &self.found
    }

    /// Exports with parts still missing, in the order first scanned.
    pub fn incomplete_exports(&self) -> Vec<ExportProgress> {
        self.assembly.incomplete()
    }

    /// The found accounts with these ids, in the order they were found.
    ///
    /// # Errors
    /// `NotWaiting` for an id no account waiting has.
    pub fn selected(&self, ids: &[Uuid]) -> Result<Vec<Account>, IntakeError> {
        if let Some(&id) = ids
            .iter()
            .find(|id| !self.found.iter().any(|found| found.id == **id))
        {
            return Err(IntakeError::NotWaiting { id });
        }
        Ok(self
            .found
            .iter()
            .filter(|found| ids.contains(&found.id))
            .map(|found| found.account.clone())
            .collect())
    }

    /// Ends a confirmation: every found account is forgotten; exports still
    /// incomplete keep their parts (so a part scanned again is recognised).
    pub fn finish_confirmation(&mut self) {
        self.found.clear();
    }
}

/// An account [`add_new`] left out, and why.
#[derive(Debug)]
pub struct LeftOut {
    pub account: Account,
    /// The vault account it matches (`Issuer:name`); `None` when an
    /// earlier account of the same batch has the same key material.
    pub in_vault_as: Option<String>,
}

/// Adds `accounts`, each with `details`, to `vault` in one transaction,
/// leaving out every account the vault already holds or the batch
/// repeats, by the one identity rule ([`Account::same_key_material`]);
/// with `keep_copies` every account is added. Returns the new ids, in
/// order, and what was left out.
///
/// # Errors
/// The vault's (`Locked`, an invalid account, I/O).
pub fn add_new(
    vault: &mut Vault,
    accounts: Vec<Account>,
    details: &Details,
    keep_copies: bool,
) -> Result<(Vec<Uuid>, Vec<LeftOut>), VaultError> {
    let mut new: Vec<Account> = Vec::with_capacity(accounts.len());
    let mut left_out = Vec::new();
    let entries = vault.entries()?;
    for account in accounts {
        if keep_copies {
            new.push(account);
        } else if let Some(entry) = matching_entry(&account, entries) {
            left_out.push(LeftOut {
                in_vault_as: Some(entry.account.label()),
                account,
            });
        } else if new
            .iter()
            .any(|earlier| earlier.same_key_material(&account))
        {
            left_out.push(LeftOut {
                account,
                in_vault_as: None,
            });
        } else {
            new.push(account);
        }
    }
    let ids = vault.insert_many(new.into_iter().map(|account| (account, details.clone())))?;
    Ok((ids, left_out))
}

/// The vault account `account` would duplicate, by the import identity
/// rule, if any.
pub fn matching_entry<'a>(account: &Account, entries: &'a [Entry]) -> Option<&'a Entry> {
    entries
        .iter()
        .find(|entry| entry.account.same_key_material(account))
}

/// Scanned accounts and export parts for the tests of staging, here and in
/// the window's scan commands.
#[cfg(test)]
pub(crate) mod test_scans {
    use crate::core::otp::{Account, Algorithm, MigrationBatch, OtpKind};
    use crate::core::qr::QrContent;
    use crate::core::secret::SecretBytes;

    /// A TOTP account of issuer "Issuer" named `name`, its secret ten
    /// bytes of `seed`.
    pub fn account(name: &str, seed: u8) -> Account {
        Account::new(
            "Issuer",
            name,
            SecretBytes::from(vec![seed; 10]),
            Algorithm::Sha1,
            6,
            OtpKind::Totp { period: 30 },
        )
        .unwrap()
    }

    /// Part `index` (from 0) of a Google export of `size` parts (batch id 0).
    pub fn part(index: i32, size: i32, accounts: Vec<Account>) -> QrContent {
        QrContent::Migration(MigrationBatch {
            accounts,
            version: 1,
            batch_size: size,
            batch_index: index,
            batch_id: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::test_scans::{account, part};
    use super::*;

    #[test]
    fn a_lone_part_of_an_export_brings_its_accounts_at_once() {
        let mut staging = ScanStaging::default();
        let note = staging
            .take_in(vec![part(1, 3, vec![account("a", 1), account("b", 2)])])
            .unwrap();
        assert_eq!(
            note,
            ScanNote {
                accounts: 2,
                parts: 1,
                repeated: 0
            }
        );
        assert_eq!(staging.found().len(), 2);
        assert_eq!(staging.incomplete_exports()[0].missing, [1, 3]);
        // The same part again, and the same account as a plain QR code.
        let again = staging
            .take_in(vec![
                part(1, 3, vec![account("a", 1), account("b", 2)]),
                QrContent::Account(account("a, renamed", 1)),
            ])
            .unwrap();
        assert_eq!(
            again,
            ScanNote {
                accounts: 0,
                parts: 0,
                repeated: 2
            }
        );
    }

    #[test]
    fn a_confirmation_takes_the_chosen_accounts_and_refuses_unknown_ids() {
        let mut staging = ScanStaging::default();
        staging
            .take_in(vec![
                QrContent::Account(account("a", 1)),
                QrContent::Account(account("b", 2)),
            ])
            .unwrap();
        let second = staging.found()[1].id;
        let chosen = staging.selected(&[second]).unwrap();
        assert_eq!(chosen[0].name, "b");
        let unknown = Uuid::new_v4();
        assert_eq!(
            staging.selected(&[unknown]),
            Err(IntakeError::NotWaiting { id: unknown })
        );
        staging.finish_confirmation();
        assert!(staging.found().is_empty());
    }
}
