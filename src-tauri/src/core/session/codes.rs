//! Codes: a batch for the rows on screen, the next HOTP code, and the code
//! to copy. The session remembers the HOTP code last shown per account, so
//! that copying copies what is shown instead of taking another counter.

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::clock::Clock;
use crate::core::otp::{self, OtpKind};

use super::views::CodeView;
use super::{AppState, Result, SessionError};

/// A code to put on the clipboard, and for how long.
pub struct CodeToCopy {
    pub code: Zeroizing<String>,
    /// Seconds until the clipboard is cleared (0: never).
    pub clear_after_seconds: u32,
}

impl AppState {
    /// The current and next codes of the accounts `ids` (the visible rows),
    /// in one batch. Unknown ids are skipped; HOTP accounts show the code
    /// last taken, or none.
    ///
    /// # Errors
    /// `Locked`; a code that cannot be computed.
    pub fn codes(&self, ids: &[Uuid]) -> Result<Vec<CodeView>> {
        let session = self.session()?;
        let now = session.settings.code_clock().now();
        let vault = session
            .vault
            .as_ref()
            .filter(|vault| vault.is_unlocked())
            .ok_or(SessionError::Locked("unlock the vault to see its codes"))?;
        let mut views = Vec::with_capacity(ids.len());
        for &id in ids {
            let Ok(entry) = vault.get(id) else { continue };
            let text = id.hyphenated().to_string();
            if matches!(entry.account.kind, OtpKind::Hotp { .. }) {
                let mut view = CodeView::hidden(text);
                view.current = session.hotp_shown.get(&id).map(|code| code.to_string());
                views.push(view);
            } else {
                let code = otp::generate(&entry.account, now)?;
                views.push(CodeView::of(text, &entry.account, code));
            }
        }
        Ok(views)
    }

    /// Takes the next HOTP code: the counter advances in the vault, in one
    /// transaction, before the code is shown.
    ///
    /// # Errors
    /// `NotFound`, `Invalid` (not HOTP, counter exhausted), `Locked`.
    pub fn next_hotp_code(&self, id: Uuid) -> Result<CodeView> {
        let mut session = self.session()?;
        let now = session.settings.code_clock().now();
        let vault = session.unlocked("unlock the vault to see its codes")?;
        let account = vault.next_hotp(id)?;
        let code = otp::generate(&account, now)?;
        session
            .hotp_shown
            .insert(id, Zeroizing::new(code.current.clone()));
        Ok(CodeView::of(id.hyphenated().to_string(), &account, code))
    }

    /// The code to copy for `id`: an HOTP account's code shown last, else
    /// a code used as [`Vault::use_code`](crate::core::vault::Vault::use_code)
    /// uses one (the next HOTP counter, or the current code, marked used).
    ///
    /// # Errors
    /// `NotFound`, `Locked`, a code that cannot be computed.
    pub fn code_to_copy(&self, id: Uuid) -> Result<CodeToCopy> {
        let mut session = self.session()?;
        let now = session.settings.code_clock().now();
        let clear_after_seconds = session.settings.clipboard_clear_seconds;
        if let Some(shown) = session.hotp_shown.get(&id).cloned() {
            return Ok(CodeToCopy {
                code: shown,
                clear_after_seconds,
            });
        }
        let vault = session.unlocked("unlock the vault to copy its codes")?;
        let (account, code) = vault.use_code(id, now)?;
        let code = Zeroizing::new(code.current);
        if matches!(account.kind, OtpKind::Hotp { .. }) {
            session.hotp_shown.insert(id, code.clone());
        }
        Ok(CodeToCopy {
            code,
            clear_after_seconds,
        })
    }
}
