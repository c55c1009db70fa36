//! Adding, listing, editing, ordering and removing accounts, and their
//! backup codes. What is returned carries labels and parameters, never a
//! secret; backup codes come masked unless the vault password revealed
//! them.

use uuid::Uuid;

use crate::core::otp::{self, Account};
use crate::core::secret::SecretString;
use crate::core::vault::{Details, Vault};

use super::views::{AccountEdit, AccountSummary, BackupCodeView, NewAccount};
use super::{AppState, Result, SessionError};

impl AppState {
    /// Every account in display order, after picking up what other
    /// processes committed.
    ///
    /// # Errors
    /// `Locked`; re-reading the file.
    pub fn list_accounts(&self) -> Result<Vec<AccountSummary>> {
        self.with_vault(|vault, _| {
            vault.refresh()?;
            summaries(vault)
        })
    }

    /// Adds the account an `otpauth://` URI describes.
    ///
    /// # Errors
    /// The URI's (`InvalidUri` in the window); `Locked`.
    pub fn add_account_from_uri(
        &self,
        uri: &SecretString,
        tags: Vec<String>,
    ) -> Result<AccountSummary> {
        let account = otp::parse_uri(uri.expose())?;
        self.insert(account, tags)
    }

    /// Adds an account typed into the form (its secret in base32).
    ///
    /// # Errors
    /// The secret's or the parameters'; `Locked`.
    pub fn add_account(&self, form: &NewAccount, secret: &SecretString) -> Result<AccountSummary> {
        let account = Account::new(
            form.issuer.trim(),
            form.name.trim(),
            otp::decode_base32_secret(secret.expose())?,
            form.algorithm.into(),
            form.digits,
            form.kind(),
        )?;
        self.insert(account, form.tags.clone())
    }

    fn insert(&self, account: Account, tags: Vec<String>) -> Result<AccountSummary> {
        self.with_vault(|vault, _| {
            let details = Details {
                tags,
                ..Details::default()
            };
            let id = vault.insert(account, details)?;
            Ok(AccountSummary::from(vault.get(id)?))
        })
    }

    /// Changes what a person may change of an account: names, algorithm,
    /// digits, period, tags, note and favourite mark.
    ///
    /// # Errors
    /// `NotFound`, the parameters' (`InvalidAccount`), `Locked`.
    pub fn update_account(&self, id: Uuid, edit: AccountEdit) -> Result<AccountSummary> {
        self.with_vault(|vault, _| {
            vault.edit(id, edit.into())?;
            Ok(AccountSummary::from(vault.get(id)?))
        })
    }

    /// Deletes an account and its backup codes.
    ///
    /// # Errors
    /// `NotFound`, `Locked`.
    pub fn remove_account(&self, id: Uuid) -> Result<()> {
        self.with_vault(|vault, _| Ok(vault.remove(id)?))
    }

    /// Moves an account in the vault order: just before `before`, or to the
    /// end when `before` is `None`. Returns every account in the new order.
    ///
    /// # Errors
    /// `NotFound` when either id names no account; `Locked`.
    pub fn move_account(&self, id: Uuid, before: Option<Uuid>) -> Result<Vec<AccountSummary>> {
        self.with_vault(|vault, _| {
            let current: Vec<Uuid> = vault.entries()?.iter().map(|entry| entry.id).collect();
            let order = moved(&current, id, before)
                .ok_or_else(|| SessionError::NotFound(format!("no account {id}")))?;
            vault.reorder(&order)?;
            summaries(vault)
        })
    }

    /// The backup codes of an account, masked.
    ///
    /// # Errors
    /// `NotFound`, `Locked`.
    pub fn backup_codes(&self, id: Uuid) -> Result<Vec<BackupCodeView>> {
        self.with_vault(|vault, _| backup_code_views(vault, id))
    }

    /// The backup codes of an account in clear, after the vault password
    /// was checked (the derivation runs without holding the session).
    ///
    /// # Errors
    /// `WrongPassword`, `NotFound`, `Locked`.
    pub fn reveal_backup_codes(
        &self,
        id: Uuid,
        password: &SecretString,
    ) -> Result<Vec<BackupCodeView>> {
        let key = self.derive_password(password)?;
        self.with_vault(|vault, _| {
            Ok(vault
                .reveal_backup_codes(id, &key)?
                .iter()
                .map(BackupCodeView::revealed)
                .collect())
        })
    }

    /// Adds backup codes (blank ones are skipped); returns all of them.
    ///
    /// # Errors
    /// `NotFound`, `Locked`.
    pub fn add_backup_codes(
        &self,
        id: Uuid,
        codes: Vec<SecretString>,
    ) -> Result<Vec<BackupCodeView>> {
        let codes: Vec<SecretString> = codes
            .into_iter()
            .filter(|c| !c.expose().trim().is_empty())
            .collect();
        self.with_vault(|vault, _| {
            vault.add_backup_codes(id, codes)?;
            backup_code_views(vault, id)
        })
    }

    /// Marks one backup code used; returns all of them.
    ///
    /// # Errors
    /// `NotFound`, `Locked`.
    pub fn mark_backup_code_used(&self, id: Uuid, code_id: Uuid) -> Result<Vec<BackupCodeView>> {
        self.with_vault(|vault, _| {
            vault.mark_backup_code_used(id, code_id)?;
            backup_code_views(vault, id)
        })
    }

    /// Deletes one backup code; returns the rest.
    ///
    /// # Errors
    /// `NotFound`, `Locked`.
    pub fn remove_backup_code(&self, id: Uuid, code_id: Uuid) -> Result<Vec<BackupCodeView>> {
        self.with_vault(|vault, _| {
            vault.remove_backup_code(id, code_id)?;
            backup_code_views(vault, id)
        })
    }
}

fn summaries(vault: &Vault) -> Result<Vec<AccountSummary>> {
    Ok(vault.entries()?.iter().map(AccountSummary::from).collect())
}

fn backup_code_views(vault: &Vault, id: Uuid) -> Result<Vec<BackupCodeView>> {
    Ok(vault
        .backup_codes(id)?
        .iter()
        .map(BackupCodeView::from)
        .collect())
}

/// `order` with `id` taken out and put back just before `before` (at the
/// end when `before` is `None` or `id` itself). `None` if either id is not
/// in `order`.
fn moved(order: &[Uuid], id: Uuid, before: Option<Uuid>) -> Option<Vec<Uuid>> {
    let from = order.iter().position(|other| *other == id)?;
    let mut order = order.to_vec();
    order.remove(from);
    let to = match before {
        Some(before) if before != id => order.iter().position(|other| *other == before)?,
        _ => order.len(),
    };
    order.insert(to, id);
    Some(order)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::moved;

    #[test]
    fn an_account_moves_before_another_or_to_the_end() {
        let [a, b, c, d] = [1u128, 2, 3, 4].map(Uuid::from_u128);
        let order = [a, b, c, d];
        assert_eq!(moved(&order, d, Some(b)), Some(vec![a, d, b, c]));
        assert_eq!(moved(&order, a, Some(d)), Some(vec![b, c, a, d]));
        assert_eq!(moved(&order, b, None), Some(vec![a, c, d, b]));
        assert_eq!(moved(&order, c, Some(c)), Some(vec![a, b, d, c]));
        assert_eq!(moved(&order, a, Some(Uuid::from_u128(9))), None);
        assert_eq!(moved(&order, Uuid::from_u128(9), Some(a)), None);
    }
}
