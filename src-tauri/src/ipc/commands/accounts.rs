//! Adding, listing, editing and removing accounts, and their backup codes.
//! The list carries labels and parameters, never a secret.

use tauri::State;
use uuid::Uuid;

use crate::core::otp::{self, Account};
use crate::core::secret::SecretString;
use crate::core::vault::{Details, Vault};
use crate::ipc::dto::{AccountEdit, AccountSummary, BackupCodeView, NewAccount};
use crate::ipc::error::{IpcError, IpcErrorCode};
use crate::ipc::state::AppState;

/// An account id from the web view.
pub fn parse_id(id: &str) -> Result<Uuid, IpcError> {
    Uuid::parse_str(id)
        .map_err(|_| IpcError::new(IpcErrorCode::NotFound, format!("no account {id}")))
}

fn summary(vault: &Vault, id: Uuid) -> Result<AccountSummary, IpcError> {
    Ok(AccountSummary::from(vault.get(id)?))
}

fn backup_codes(vault: &Vault, id: Uuid) -> Result<Vec<BackupCodeView>, IpcError> {
    Ok(vault
        .backup_codes(id)?
        .iter()
        .map(BackupCodeView::from)
        .collect())
}

/// Every account in display order (after picking up changes the CLI made).
#[tauri::command]
#[specta::specta]
pub async fn list_accounts(state: State<'_, AppState>) -> Result<Vec<AccountSummary>, IpcError> {
    state.with_vault(|vault, _| {
        vault.refresh()?;
        Ok(vault.entries()?.iter().map(AccountSummary::from).collect())
    })
}

/// Adds the account an `otpauth://` URI describes.
#[tauri::command]
#[specta::specta]
pub async fn add_account_from_uri(
    state: State<'_, AppState>,
    uri: String,
    tags: Vec<String>,
) -> Result<AccountSummary, IpcError> {
    let uri = SecretString::new(uri);
    let account = otp::parse_uri(uri.expose())?;
    state.with_vault(|vault, _| {
        let id = vault.insert(
            account,
            Details {
                tags,
                ..Details::default()
            },
        )?;
        summary(vault, id)
    })
}

/// Adds an account typed into the form.
#[tauri::command]
#[specta::specta]
pub async fn add_account(
    state: State<'_, AppState>,
    mut form: NewAccount,
) -> Result<AccountSummary, IpcError> {
    let text = SecretString::new(std::mem::take(&mut form.secret));
    let secret = otp::decode_base32_secret(text.expose())?;
    let account = Account::new(
        form.issuer.trim(),
        form.name.trim(),
        secret,
        form.algorithm.into(),
        form.digits,
        form.kind(),
    )?;
    let details = Details {
        tags: form.tags,
        ..Details::default()
    };
    state.with_vault(|vault, _| {
        let id = vault.insert(account, details)?;
        summary(vault, id)
    })
}

/// Changes what a person may change of an account: names, algorithm,
/// digits, period, tags, note and favourite mark.
#[tauri::command]
#[specta::specta]
pub async fn update_account(
    state: State<'_, AppState>,
    id: String,
    edit: AccountEdit,
) -> Result<AccountSummary, IpcError> {
    let id = parse_id(&id)?;
    state.with_vault(|vault, _| {
        vault.edit(id, edit.into())?;
        summary(vault, id)
    })
}

/// Deletes an account and its backup codes.
#[tauri::command]
#[specta::specta]
pub async fn remove_account(state: State<'_, AppState>, id: String) -> Result<(), IpcError> {
    let id = parse_id(&id)?;
    state.with_vault(|vault, _| Ok(vault.remove(id)?))
}

/// The backup codes of an account, masked (its detail screen lists them).
#[tauri::command]
#[specta::specta]
pub async fn list_backup_codes(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<BackupCodeView>, IpcError> {
    let id = parse_id(&id)?;
    state.with_vault(|vault, _| backup_codes(vault, id))
}

/// The backup codes of an account in clear, after Rust checked the vault
/// password (`wrong_password` otherwise): the page alone cannot read them.
#[tauri::command]
#[specta::specta]
pub async fn reveal_backup_codes(
    state: State<'_, AppState>,
    id: String,
    password: String,
) -> Result<Vec<BackupCodeView>, IpcError> {
    let id = parse_id(&id)?;
    let password = SecretString::new(password);
    state.with_vault(|vault, _| {
        Ok(vault
            .reveal_backup_codes(id, &password)?
            .iter()
            .map(BackupCodeView::revealed)
            .collect())
    })
}

/// Adds backup codes (blank lines are skipped); returns all of them.
#[tauri::command]
#[specta::specta]
pub async fn add_backup_codes(
    state: State<'_, AppState>,
    id: String,
    codes: Vec<String>,
) -> Result<Vec<BackupCodeView>, IpcError> {
    let id = parse_id(&id)?;
    let codes: Vec<SecretString> = codes
        .into_iter()
        .filter(|c| !c.trim().is_empty())
        .map(SecretString::new)
        .collect();
    state.with_vault(|vault, _| {
        vault.add_backup_codes(id, codes)?;
        backup_codes(vault, id)
    })
}

/// Marks one backup code used; returns all of them.
#[tauri::command]
#[specta::specta]
pub async fn mark_backup_code_used(
    state: State<'_, AppState>,
    id: String,
    code_id: String,
) -> Result<Vec<BackupCodeView>, IpcError> {
    let (id, code_id) = (parse_id(&id)?, parse_id(&code_id)?);
    state.with_vault(|vault, _| {
        vault.mark_backup_code_used(id, code_id)?;
        backup_codes(vault, id)
    })
}

/// Deletes one backup code; returns the rest.
#[tauri::command]
#[specta::specta]
pub async fn remove_backup_code(
    state: State<'_, AppState>,
    id: String,
    code_id: String,
) -> Result<Vec<BackupCodeView>, IpcError> {
    let (id, code_id) = (parse_id(&id)?, parse_id(&code_id)?);
    state.with_vault(|vault, _| {
        vault.remove_backup_code(id, code_id)?;
        backup_codes(vault, id)
    })
}

/// Moves an account in the vault order: just before `before`, or to the end
/// when `before` is `None`. Returns every account in the new order.
#[tauri::command]
#[specta::specta]
pub async fn move_account(
    state: State<'_, AppState>,
    id: String,
    before: Option<String>,
) -> Result<Vec<AccountSummary>, IpcError> {
    let id = parse_id(&id)?;
    let before = before.as_deref().map(parse_id).transpose()?;
    state.with_vault(|vault, _| {
        let current: Vec<Uuid> = vault.entries()?.iter().map(|entry| entry.id).collect();
        let order = moved(&current, id, before)
            .ok_or_else(|| IpcError::new(IpcErrorCode::NotFound, format!("no account {id}")))?;
        vault.reorder(&order)?;
        Ok(vault.entries()?.iter().map(AccountSummary::from).collect())
    })
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
