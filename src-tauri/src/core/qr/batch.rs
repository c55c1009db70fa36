//! Assembling a multi-part Google Authenticator export: each part of one
//! "Transfer accounts" export says its `batch_index`, the `batch_size` and a
//! `batch_id`. Real exports often carry `batch_id` 0, so an export is known
//! by its id, its size *and* what its parts hold: a part whose place in a
//! known export is taken by a part with other accounts starts another
//! export. [`BatchAssembly`] takes parts in any order, hands over each new
//! part's accounts at once (they are complete accounts; the user need not
//! wait for the other parts), reports "2 of 4 scanned" and which parts are
//! missing, and recognises a part scanned again.
//!
//! Must never: keep accounts after handing them over (a part is remembered
//! by a digest of its accounts), or name an export by its internal id.

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};

use super::error::QrError;
use crate::core::otp::{Account, MigrationBatch, OtpKind};

/// Parts scanned so far, by export, in the order exports were first seen.
#[derive(Debug, Default)]
pub struct BatchAssembly {
    exports: Vec<Export>,
}

#[derive(Debug)]
struct Export {
    batch_id: i32,
    size: i32,
    /// The parts scanned, by index: a digest of each part's accounts.
    parts: BTreeMap<i32, [u8; 32]>,
}

/// Where one export stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportProgress {
    /// Which export this is, counting from 1 in the order they were first
    /// scanned (to tell several apart).
    pub number: usize,
    pub scanned: usize,
    pub total: usize,
    /// The parts not scanned yet, numbered from 1.
    pub missing: Vec<usize>,
}

impl ExportProgress {
    /// Whether every part has been scanned.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// What adding a part did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchProgress {
    /// A part not scanned before: its accounts, and where its export stands.
    Part {
        accounts: Vec<Account>,
        export: ExportProgress,
    },
    /// A part scanned before (ignored): where its export stands.
    Repeat { export: ExportProgress },
}

impl BatchProgress {
    /// Where the part's export stands.
    pub fn export(&self) -> &ExportProgress {
        match self {
            Self::Part { export, .. } | Self::Repeat { export } => export,
        }
    }
}

impl fmt::Display for BatchProgress {
    /// `"2 of 4 scanned"`, `"2 of 4 scanned (already had this one)"`,
    /// `"all 4 scanned"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let export = self.export();
        if export.is_complete() {
            write!(f, "all {} scanned", export.total)?;
        } else {
            write!(f, "{} of {} scanned", export.scanned, export.total)?;
        }
        if matches!(self, Self::Repeat { .. }) {
            f.write_str(" (already had this one)")?;
        }
        Ok(())
    }
}

impl BatchAssembly {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one part. A part of a one-part export (`batch_size` 0 or 1)
    /// completes its export at once.
    ///
    /// # Errors
    /// `InconsistentBatch` when the part's index is outside its size.
    pub fn add(&mut self, batch: MigrationBatch) -> Result<BatchProgress, QrError> {
        let MigrationBatch {
            accounts,
            batch_size,
            batch_index,
            batch_id,
            ..
        } = batch;
        let size = batch_size.max(1);
        if !(0..size).contains(&batch_index) {
            return Err(QrError::InconsistentBatch {
                index: batch_index,
                size,
            });
        }
        let digest = digest(&accounts);
        let same_kind = |export: &Export| export.batch_id == batch_id && export.size == size;
        if let Some(at) = self
            .exports
            .iter()
            .position(|e| same_kind(e) && e.parts.get(&batch_index) == Some(&digest))
        {
            return Ok(BatchProgress::Repeat {
                export: self.progress(at),
            });
        }
        let free = self
            .exports
            .iter()
            .position(|e| same_kind(e) && !e.parts.contains_key(&batch_index));
        let at = free.unwrap_or_else(|| {
            self.exports.push(Export {
                batch_id,
                size,
                parts: BTreeMap::new(),
            });
            self.exports.len() - 1
        });
        self.exports[at].parts.insert(batch_index, digest);
        Ok(BatchProgress::Part {
            accounts,
            export: self.progress(at),
        })
    }

    /// Exports with parts still missing, in the order they were first
    /// scanned.
    pub fn incomplete(&self) -> Vec<ExportProgress> {
        (0..self.exports.len())
            .map(|at| self.progress(at))
            .filter(|progress| !progress.is_complete())
            .collect()
    }

    /// Checks that every export started is complete (for callers that
    /// want all or nothing).
    ///
    /// # Errors
    /// `IncompleteExport` naming the first incomplete export's missing
    /// parts (numbered from 1).
    pub fn ensure_complete(&self) -> Result<(), QrError> {
        let Some(progress) = self.incomplete().into_iter().next() else {
            return Ok(());
        };
        Err(QrError::IncompleteExport {
            scanned: progress.scanned,
            total: progress.total,
            missing: list_parts(&progress.missing),
        })
    }

    fn progress(&self, at: usize) -> ExportProgress {
        let export = &self.exports[at];
        ExportProgress {
            number: at + 1,
            scanned: export.parts.len(),
            total: usize::try_from(export.size).unwrap_or(usize::MAX),
            missing: (0..export.size)
                .filter(|index| !export.parts.contains_key(index))
                .map(|index| usize::try_from(index).map_or(0, |i| i + 1))
                .collect(),
        }
    }
}

/// `1`, `1 and 3`, `1, 2 and 4`.
pub fn list_parts(parts: &[usize]) -> String {
    let texts: Vec<String> = parts.iter().map(ToString::to_string).collect();
    match texts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// A digest of a part's accounts (their every field), to recognise the
/// part when it is scanned again without keeping its secrets.
fn digest(accounts: &[Account]) -> [u8; 32] {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    };
    for account in accounts {
        field(account.issuer.as_bytes());
        field(account.name.as_bytes());
        field(account.secret.expose());
        field(format!("{:?}", account.algorithm).as_bytes());
        field(&[account.digits]);
        let kind = match account.kind {
            OtpKind::Totp { period } => format!("totp {period}"),
            OtpKind::Hotp { counter } => format!("hotp {counter}"),
            OtpKind::Steam { period } => format!("steam {period}"),
        };
        field(kind.as_bytes());
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::{BatchAssembly, BatchProgress};
    use crate::core::otp::{Account, Algorithm, MigrationBatch, OtpKind};
    use crate::core::qr::QrError;
    use crate::core::secret::SecretBytes;

    fn part_of(id: i32, index: i32, size: i32, name: &str) -> MigrationBatch {
        let account = Account::new(
            "I",
            name,
            SecretBytes::from(vec![1; 10]),
            Algorithm::Sha1,
            6,
            OtpKind::Totp { period: 30 },
        )
        .unwrap();
        MigrationBatch {
            accounts: vec![account],
            version: 1,
            batch_size: size,
            batch_index: index,
            batch_id: id,
        }
    }

    fn part(id: i32, index: i32, size: i32) -> MigrationBatch {
        part_of(id, index, size, &format!("part{index}"))
    }

    fn names(progress: &BatchProgress) -> Vec<String> {
        match progress {
            BatchProgress::Part { accounts, .. } => {
                accounts.iter().map(|a| a.name.clone()).collect()
            }
            BatchProgress::Repeat { .. } => Vec::new(),
        }
    }

    #[test]
    fn each_new_part_hands_over_its_accounts_and_repeats_are_recognised() {
        let mut assembly = BatchAssembly::new();
        let progress = assembly.add(part(9, 2, 4)).unwrap();
        assert_eq!(progress.to_string(), "1 of 4 scanned");
        assert_eq!(names(&progress), ["part2"]);
        assert_eq!(progress.export().missing, [1, 2, 4]);
        assert_eq!(
            assembly.add(part(9, 0, 4)).unwrap().to_string(),
            "2 of 4 scanned"
        );
        let again = assembly.add(part(9, 0, 4)).unwrap();
        assert_eq!(again.to_string(), "2 of 4 scanned (already had this one)");
        assert!(names(&again).is_empty());
        assert_eq!(assembly.incomplete()[0].missing, [2, 4]);
        assert_eq!(
            assembly.ensure_complete().unwrap_err().to_string(),
            "Google Authenticator export incomplete: 2 of 4 QR codes scanned (missing parts 2 and 4)"
        );
        // A one-part export in between is an export of its own.
        let single = assembly.add(part(5, 0, 1)).unwrap();
        assert_eq!(single.export().number, 2);
        assert!(single.export().is_complete());
        assembly.add(part(9, 3, 4)).unwrap();
        let last = assembly.add(part(9, 1, 4)).unwrap();
        assert_eq!(last.to_string(), "all 4 scanned");
        assert_eq!(names(&last), ["part1"]);
        assert!(assembly.incomplete().is_empty());
        assert_eq!(assembly.ensure_complete(), Ok(()));
        assert!(matches!(
            assembly.add(part(9, 1, 4)).unwrap(),
            BatchProgress::Repeat { .. }
        ));
    }

    #[test]
    fn exports_with_the_same_batch_id_are_told_apart_by_size_and_content() {
        let mut assembly = BatchAssembly::new();
        // A one-part export with id 0, then parts of two other exports with id 0.
        assert!(
            assembly
                .add(part_of(0, 0, 1, "single"))
                .unwrap()
                .export()
                .is_complete()
        );
        let other = assembly.add(part_of(0, 0, 1, "another single")).unwrap();
        assert_eq!(names(&other), ["another single"], "not taken for a repeat");
        assert_eq!(other.export().number, 2);
        let a = assembly.add(part_of(0, 1, 4, "a2")).unwrap();
        let b = assembly.add(part_of(0, 1, 2, "b2")).unwrap();
        assert_eq!((a.export().number, a.export().total), (3, 4));
        assert_eq!((b.export().number, b.export().total), (4, 2));
        // Same place, other accounts: a third multi-part export.
        let c = assembly.add(part_of(0, 1, 4, "c2")).unwrap();
        assert_eq!(c.export().number, 5);
        assert_eq!(names(&c), ["c2"]);
        assert_eq!(assembly.incomplete().len(), 3);
    }

    #[test]
    fn single_part_exports_complete_at_once() {
        let mut assembly = BatchAssembly::new();
        for size in [0, 1] {
            let progress = assembly.add(part(size + 100, 0, size)).unwrap();
            assert!(progress.export().is_complete());
            assert_eq!(names(&progress).len(), 1);
        }
    }

    #[test]
    fn rejects_a_part_outside_its_export() {
        let mut assembly = BatchAssembly::new();
        for index in [4, -1] {
            let error = assembly.add(part(1, index, 4)).unwrap_err();
            assert_eq!(error, QrError::InconsistentBatch { index, size: 4 });
            assert!(!error.to_string().contains("export 1"), "{error}");
        }
        assert_eq!(
            assembly.add(part(2, 1, 1)).unwrap_err().to_string(),
            "this QR code says it is part 2 of a Google Authenticator export of 1 part, which cannot be; export the accounts again"
        );
    }

    #[test]
    fn one_missing_part_is_named_in_the_singular() {
        let mut assembly = BatchAssembly::new();
        assembly.add(part(3, 0, 2)).unwrap();
        assert_eq!(
            assembly.ensure_complete().unwrap_err().to_string(),
            "Google Authenticator export incomplete: 1 of 2 QR codes scanned (missing part 2)"
        );
    }

    #[test]
    fn parts_are_listed_in_words() {
        assert_eq!(super::list_parts(&[1]), "1");
        assert_eq!(super::list_parts(&[1, 3]), "1 and 3");
        assert_eq!(super::list_parts(&[1, 2, 4]), "1, 2 and 4");
    }
}
