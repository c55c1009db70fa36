//! Adding accounts from QR codes: a picture (picked, dropped or pasted),
//! the screen, the clipboard, pasted `otpauth://` text, a link the desktop
//! opened; and showing one account as a QR code for a phone.
//!
//! What a scan finds waits in the session ([`ScanStaging`]) until the user
//! confirms it: what is returned are display fields and ids, never a
//! secret. The parts of a multi-part Google Authenticator export are
//! collected across scans ("2 of 4 scanned"); each part's accounts wait at
//! once.
//!
//! Must never: return a found account's secret, or keep what was found
//! once the vault locks (`Session::lock` clears it).
//! [`AppState::account_qr`] is the one explicit reveal: its SVG holds the
//! secret, and it needs the vault password.

use serde::Serialize;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::intake::{self, Found, ScanStaging};
use crate::core::otp::Account;
use crate::core::qr::{self, QrContent, QrError};
use crate::core::secret::SecretString;
use crate::core::user_file;
use crate::core::vault::{Details, Entry};

use super::views::{AccountSummary, AlgorithmName, KindName};
use super::{AppState, Result, SessionError};

/// What one scan brought in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ScanNote {
    /// Accounts now ready to add (single codes, and every account of an
    /// export part).
    pub accounts: u32,
    /// New parts of exports that are still incomplete.
    pub parts: u32,
    /// Codes already scanned before (accounts or export parts), ignored.
    pub repeated: u32,
}

/// One account a scan found, as the confirmation list shows it: no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FoundAccount {
    /// Which found account this is (for `add_scanned`); not a vault id.
    pub id: String,
    pub issuer: String,
    pub name: String,
    pub kind: KindName,
    pub algorithm: AlgorithmName,
    pub digits: u8,
    /// Seconds per code (TOTP, Steam).
    pub period: Option<u32>,
    /// The HOTP counter.
    pub counter: Option<u64>,
    /// Whether the vault already has an account with the same key material.
    pub in_vault: bool,
    /// The vault account it matches, as `Issuer: name`, when `in_vault`.
    pub matches: Option<String>,
}

/// A multi-part Google Authenticator export with parts still missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct MigrationProgress {
    /// Which export this is, from 1 in the order first scanned (to tell
    /// several apart; never the export's internal id).
    pub number: u32,
    pub scanned: u32,
    pub total: u32,
    /// The parts not scanned yet, numbered from 1.
    pub missing: Vec<u32>,
}

/// Everything scanned and not yet added, after a scan or on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ScanView {
    /// Accounts ready to add, in the order they were found.
    pub found: Vec<FoundAccount>,
    /// Exports still incomplete, in the order first scanned.
    pub exports: Vec<MigrationProgress>,
    /// What the scan that produced this view brought in (`None` when the
    /// view was only asked for).
    pub last: Option<ScanNote>,
}

const SCAN_NEEDS_UNLOCK: &str = "unlock the vault to add accounts";

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<intake::ScanNote> for ScanNote {
    fn from(note: intake::ScanNote) -> Self {
        Self {
            accounts: count(note.accounts),
            parts: count(note.parts),
            repeated: count(note.repeated),
        }
    }
}

impl ScanView {
    /// What `staging` holds; `entries` are the vault's accounts, to mark
    /// those it already has.
    fn of(staging: &ScanStaging, entries: &[Entry], last: Option<intake::ScanNote>) -> Self {
        Self {
            found: staging
                .found()
                .iter()
                .map(|found| FoundAccount::of(found, entries))
                .collect(),
            exports: staging
                .incomplete_exports()
                .into_iter()
                .map(|progress| MigrationProgress {
                    number: count(progress.number),
                    scanned: count(progress.scanned),
                    total: count(progress.total),
                    missing: progress.missing.into_iter().map(count).collect(),
                })
                .collect(),
            last: last.map(ScanNote::from),
        }
    }
}

impl FoundAccount {
    fn of(found: &Found, entries: &[Entry]) -> Self {
        let account = &found.account;
        let matching = intake::matching_entry(account, entries);
        Self {
            id: found.id.hyphenated().to_string(),
            issuer: account.issuer.clone(),
            name: account.name.clone(),
            kind: KindName::of(account),
            algorithm: account.algorithm.into(),
            digits: account.digits,
            period: account.period(),
            counter: account.counter(),
            in_vault: matching.is_some(),
            matches: matching.map(|entry| label(&entry.account)),
        }
    }
}

/// `Issuer: name`, or whichever of the two there is.
fn label(account: &Account) -> String {
    match (account.issuer.is_empty(), account.name.is_empty()) {
        (false, false) => format!("{}: {}", account.issuer, account.name),
        (true, _) => account.name.clone(),
        (false, true) => account.issuer.clone(),
    }
}

/// `Invalid` for a picture larger than [`qr::PICTURE_LIMIT`] (dropped or
/// pasted bytes get the same limit as a file).
fn check_picture_size(length: usize) -> Result<()> {
    let limit = qr::PICTURE_LIMIT.bytes;
    if length as u64 > limit {
        return Err(SessionError::invalid(format!(
            "the picture is too large ({} MB; at most {} MB)",
            length.div_ceil(1024 * 1024),
            limit / (1024 * 1024)
        )));
    }
    Ok(())
}

/// A pasted text's error, about the text rather than a QR code.
fn text_failure(error: QrError) -> SessionError {
    match error {
        QrError::NoOtpData => {
            SessionError::invalid("the text holds no otpauth:// or otpauth-migration:// URI")
        }
        QrError::InvalidOtpUri { source } => SessionError::Otp(source),
        QrError::InvalidMigration { source } => SessionError::Migration(source),
        other => SessionError::Qr(other),
    }
}

/// The trimmed, non-empty lines of `text`.
fn lines(text: &str) -> Zeroizing<Vec<String>> {
    Zeroizing::new(
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

impl AppState {
    /// `Locked` unless the vault is unlocked: scans wait only then.
    ///
    /// # Errors
    /// `Locked`.
    pub fn ensure_unlocked_for_scan(&self) -> Result<()> {
        self.session()?.unlocked(SCAN_NEEDS_UNLOCK).map(|_| ())
    }

    /// Scans the bytes of a picture for QR codes (decoding blocks: call it
    /// off an async runtime).
    ///
    /// # Errors
    /// `Locked` (checked before decoding); the picture's (too large, no
    /// QR code, not OTP data).
    pub fn scan_picture(&self, bytes: &[u8]) -> Result<ScanView> {
        self.ensure_unlocked_for_scan()?;
        check_picture_size(bytes.len())?;
        let contents = qr::scan(bytes)?;
        self.take_in(contents)
    }

    /// Reads and scans the picture at `path`.
    ///
    /// # Errors
    /// As [`AppState::scan_picture`], and reading the file.
    pub fn scan_picture_file(&self, path: &std::path::Path) -> Result<ScanView> {
        self.ensure_unlocked_for_scan()?;
        let bytes = user_file::read(path, qr::PICTURE_LIMIT)?;
        self.scan_picture(&bytes)
    }

    /// Captures the screen (X11, or the desktop portal on Wayland) and
    /// scans it. Blocks.
    ///
    /// # Errors
    /// `Locked`; `ScreenCapture`; `NoQrFound`.
    pub fn scan_screen(&self) -> Result<ScanView> {
        self.ensure_unlocked_for_scan()?;
        let contents = qr::screen_contents()?;
        self.take_in(contents)
    }

    /// Reads the clipboard: a copied picture is scanned for QR codes,
    /// copied text for `otpauth://` and `otpauth-migration://` URIs.
    /// Blocks.
    ///
    /// # Errors
    /// `Locked`; `ClipboardEmpty`, `ClipboardNoOtp`, `NoQrFound`.
    pub fn scan_clipboard(&self) -> Result<ScanView> {
        self.ensure_unlocked_for_scan()?;
        let contents = qr::scan_clipboard()?;
        self.take_in(contents)
    }

    /// Reads pasted text: each line that is an `otpauth://` or
    /// `otpauth-migration://` URI (other lines are skipped).
    ///
    /// # Errors
    /// `Locked`; `Invalid` when no line is a URI; the URI's.
    pub fn scan_text(&self, text: &SecretString) -> Result<ScanView> {
        self.ensure_unlocked_for_scan()?;
        let contents = qr::classify_all(&lines(text.expose())).map_err(text_failure)?;
        self.take_in(contents)
    }

    /// Stages the link the desktop asked Tessera to open (`tessera
    /// otpauth://…`, a click on such a link), when one waits and the vault
    /// is unlocked: its accounts wait for the user's confirmation like a
    /// scan's. `None` when no link waits, or the vault is locked (the link
    /// waits for the unlock). A link that holds no valid account is dropped
    /// with the reason.
    ///
    /// # Errors
    /// The link's URI.
    pub fn stage_opened_link(&self) -> Result<Option<ScanView>> {
        if self.ensure_unlocked_for_scan().is_err() {
            return Ok(None);
        }
        let Some(link) = self.take_link() else {
            return Ok(None);
        };
        let text = Zeroizing::new(vec![link.expose().to_owned()]);
        let contents = qr::classify_all(&text).map_err(text_failure)?;
        self.take_in(contents).map(Some)
    }

    /// Puts a scan's contents into the session and returns the new view.
    fn take_in(&self, contents: Vec<QrContent>) -> Result<ScanView> {
        let mut session = self.session()?;
        let super::Session {
            vault,
            pending_scan,
            ..
        } = &mut *session;
        let vault = super::unlocked(vault, SCAN_NEEDS_UNLOCK)?;
        let note = pending_scan.take_in(contents)?;
        Ok(ScanView::of(pending_scan, vault.entries()?, Some(note)))
    }

    /// What is waiting: accounts found and exports in progress.
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn pending_scan(&self) -> Result<ScanView> {
        let session = self.session()?;
        let entries = match session.vault.as_ref().filter(|vault| vault.is_unlocked()) {
            Some(vault) => vault.entries()?,
            None => &[],
        };
        Ok(ScanView::of(&session.pending_scan, entries, None))
    }

    /// Adds the found accounts `ids` with `tags` (in one transaction) and
    /// ends the confirmation: the accounts not chosen are forgotten;
    /// exports still incomplete keep their parts.
    ///
    /// # Errors
    /// `Locked`; `NotWaiting` for an id no longer waiting.
    pub fn add_scanned(&self, ids: &[Uuid], tags: &[String]) -> Result<Vec<AccountSummary>> {
        let mut session = self.session()?;
        let super::Session {
            vault,
            pending_scan,
            ..
        } = &mut *session;
        let vault = super::unlocked(vault, SCAN_NEEDS_UNLOCK)?;
        let accounts = pending_scan.selected(ids)?;
        let items = accounts.into_iter().map(|account| {
            let details = Details {
                tags: tags.to_vec(),
                ..Details::default()
            };
            (account, details)
        });
        let new_ids = vault.insert_many(items)?;
        pending_scan.finish_confirmation();
        new_ids
            .into_iter()
            .map(|id| Ok(AccountSummary::from(vault.get(id)?)))
            .collect()
    }

    /// Forgets every account found and every export part scanned.
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn discard_scan(&self) -> Result<ScanView> {
        let mut session = self.session()?;
        session.pending_scan.clear();
        Ok(ScanView::of(&session.pending_scan, &[], None))
    }

    /// The account as an SVG QR code for a phone to scan: an explicit
    /// reveal, after the vault password was checked (the derivation runs
    /// without holding the session).
    ///
    /// # Errors
    /// `WrongPassword`, `NotFound`, `Locked`.
    pub fn account_qr(&self, id: Uuid, password: &SecretString) -> Result<String> {
        let key = self.derive_password(password)?;
        let mut session = self.session()?;
        let vault = session.unlocked("unlock the vault to show an account")?;
        Ok(qr::account_svg(vault.reveal_account(id, &key)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::{ScanView, text_failure};
    use crate::core::intake::test_scans::account;
    use crate::core::qr::{QrContent, QrError};
    use crate::core::session::{AppState, KindName, SessionError, vault_clock};
    use crate::core::settings::Settings;
    use crate::core::vault::{KdfParams, Vault};

    /// Part `index` of a `size`-part export, holding one account of its own.
    fn part(index: i32, size: i32) -> QrContent {
        let seed = u8::try_from(index).unwrap() + 100;
        crate::core::intake::test_scans::part(
            index,
            size,
            vec![account(&format!("part{}", index + 1), seed)],
        )
    }

    fn unlocked_state() -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.tessera");
        let password = crate::core::secret::SecretString::from("pw");
        let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
        drop(Vault::create(&path, &password, kdf, vault_clock()).unwrap());
        let state = AppState::with_settings(path, None, Settings::default());
        state
            .with_vault(|vault, _| Ok(vault.unlock_with_password(&password)?))
            .unwrap();
        (dir, state)
    }

    #[test]
    fn an_opened_link_waits_for_the_unlock_then_stages_its_account_for_confirmation() {
        use crate::core::link::AccountLink;
        let (_dir, state) = unlocked_state();
        let text =
            "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";
        assert!(
            state.stage_opened_link().unwrap().is_none(),
            "no link waits"
        );

        state
            .with_vault(|vault, _| {
                vault.lock();
                Ok(())
            })
            .unwrap();
        state.hold_link(AccountLink::parse(text).unwrap());
        assert!(
            state.stage_opened_link().unwrap().is_none(),
            "locked: the link waits"
        );
        state
            .with_vault(|vault, _| Ok(vault.unlock_with_password(&"pw".into())?))
            .unwrap();
        let view = state
            .stage_opened_link()
            .unwrap()
            .expect("the link is staged");
        assert_eq!(view.found.len(), 1);
        assert_eq!(view.found[0].issuer, "Example");
        assert_eq!(view.found[0].name, "alice@example.com");
        assert!(!serde_json::to_string(&view).unwrap().contains("JBSWY3DP"));
        let entries = state
            .with_vault(|vault, _| Ok(vault.entries()?.len()))
            .unwrap();
        assert_eq!(entries, 0, "nothing is added before the confirmation");
        assert!(state.stage_opened_link().unwrap().is_none(), "taken once");

        state.hold_link(AccountLink::parse("otpauth://totp/x?issuer=NoSecret").unwrap());
        let error = state.stage_opened_link().unwrap_err().to_string();
        assert!(error.contains("secret"), "{error}");
        assert!(
            state.stage_opened_link().unwrap().is_none(),
            "a bad link is dropped"
        );
    }

    #[test]
    fn the_view_lists_found_accounts_and_exports_in_progress_without_a_secret() {
        let (_dir, state) = unlocked_state();
        let view = state
            .take_in(vec![QrContent::Account(account("a", 1)), part(1, 3)])
            .unwrap();
        let names: Vec<&str> = view.found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "part2"]);
        assert_eq!(view.found[0].kind, KindName::Totp);
        assert_eq!(view.found[0].period, Some(30));
        let export = &view.exports[0];
        assert_eq!((export.number, export.scanned, export.total), (1, 1, 3));
        assert_eq!(export.missing, [1, 3]);
        let last = view.last.unwrap();
        assert_eq!((last.accounts, last.parts, last.repeated), (2, 1, 0));
        let json = serde_json::to_string(&view).unwrap();
        // The secret of "a" is ten 0x01 bytes: AEAQCAIBAEAQCAIB in base32.
        assert!(!json.contains("AEAQCAIB"), "{json}");
        assert!(!json.contains("secret"), "{json}");
        assert!(!json.contains("batch"), "no internal export id: {json}");
    }

    #[test]
    fn locking_wipes_what_was_scanned_and_scans_need_an_unlocked_vault() {
        let (_dir, state) = unlocked_state();
        let view = state
            .take_in(vec![QrContent::Account(account("a", 1)), part(0, 2)])
            .unwrap();
        assert_eq!((view.found.len(), view.exports.len()), (2, 1));
        state.session().unwrap().lock();
        let session = state.session().unwrap();
        let view = ScanView::of(&session.pending_scan, &[], None);
        assert!(view.found.is_empty() && view.exports.is_empty());
        drop(session);
        let error = state
            .take_in(vec![QrContent::Account(account("b", 2))])
            .unwrap_err();
        assert!(matches!(error, SessionError::Locked(_)), "{error:?}");
    }

    #[test]
    fn found_accounts_the_vault_has_are_marked_with_the_account_they_match() {
        let (_dir, state) = unlocked_state();
        state
            .with_vault(|vault, _| {
                Ok(vault.insert(account("old", 3), crate::core::vault::Details::default())?)
            })
            .unwrap();
        let view = state
            .take_in(vec![
                QrContent::Account(account("again", 3)),
                QrContent::Account(account("new", 4)),
            ])
            .unwrap();
        let marks: Vec<(bool, Option<&str>)> = view
            .found
            .iter()
            .map(|f| (f.in_vault, f.matches.as_deref()))
            .collect();
        assert_eq!(marks, [(true, Some("Issuer: old")), (false, None)]);
    }

    #[test]
    fn pasted_text_errors_speak_of_the_text() {
        let error = text_failure(QrError::NoOtpData);
        assert!(matches!(error, SessionError::Invalid(_)), "{error:?}");
        assert_eq!(
            error.to_string(),
            "the text holds no otpauth:// or otpauth-migration:// URI"
        );
        let error = text_failure(QrError::InvalidOtpUri {
            source: crate::core::otp::OtpError::MissingSecret,
        });
        assert!(matches!(error, SessionError::Otp(_)), "{error:?}");
        assert!(!error.to_string().contains("QR"), "{error}");
    }
}
