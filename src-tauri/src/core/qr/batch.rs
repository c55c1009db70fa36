//! Assembling a multi-part Google Authenticator export: the parts of one
//! "Transfer accounts" export share a `batch_id`; each says its
//! `batch_index` and the `batch_size`. [`BatchAssembly`] collects parts in
//! any order, reports "2 of 4 scanned", ignores repeats, and hands over the
//! accounts, in part order, once every part is in.
//!
//! Must never: hand over the accounts of an incomplete export (the user
//! would think the transfer done), or keep accounts after handing them over.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use super::error::QrError;
use crate::core::otp::{Account, MigrationBatch};

/// Parts scanned so far, by export.
#[derive(Debug, Default)]
pub struct BatchAssembly {
    pending: HashMap<i32, Pending>,
    /// Exports already handed over (to recognise a part scanned again).
    completed: HashSet<i32>,
}

#[derive(Debug)]
struct Pending {
    size: i32,
    parts: BTreeMap<i32, Vec<Account>>,
}

/// What adding a part did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchProgress {
    /// The export is complete: every account, in part order.
    Complete {
        batch_id: i32,
        accounts: Vec<Account>,
    },
    /// A new part; more are missing.
    Partial {
        batch_id: i32,
        scanned: usize,
        total: usize,
    },
    /// A part seen before (ignored): where that export stands.
    Repeat {
        batch_id: i32,
        scanned: usize,
        total: usize,
    },
}

impl fmt::Display for BatchProgress {
    /// `"2 of 4 scanned"`, `"2 of 4 scanned (already had this one)"`,
    /// `"all 4 scanned"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Complete { accounts, .. } => {
                write!(f, "complete: {} accounts", accounts.len())
            }
            Self::Partial { scanned, total, .. } => write!(f, "{scanned} of {total} scanned"),
            Self::Repeat { scanned, total, .. } => {
                write!(f, "{scanned} of {total} scanned (already had this one)")
            }
        }
    }
}

impl BatchAssembly {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one part. A part of a one-part export (`batch_size` 0 or 1) is
    /// complete at once.
    ///
    /// # Errors
    /// `InconsistentBatch` when the part's index is outside its size, or its
    /// size differs from earlier parts of the same export.
    pub fn add(&mut self, batch: MigrationBatch) -> Result<BatchProgress, QrError> {
        let MigrationBatch {
            accounts,
            batch_size,
            batch_index,
            batch_id,
            ..
        } = batch;
        let size = batch_size.max(1);
        let inconsistent = QrError::InconsistentBatch {
            batch_id,
            index: batch_index,
            size,
        };
        if !(0..size).contains(&batch_index) {
            return Err(inconsistent);
        }
        let total = usize::try_from(size).unwrap_or(usize::MAX);
        if self.completed.contains(&batch_id) {
            return Ok(BatchProgress::Repeat {
                batch_id,
                scanned: total,
                total,
            });
        }
        let pending = self.pending.entry(batch_id).or_insert_with(|| Pending {
            size,
            parts: BTreeMap::new(),
        });
        if pending.size != size {
            return Err(QrError::InconsistentBatch {
                batch_id,
                index: batch_index,
                size: pending.size,
            });
        }
        if pending.parts.contains_key(&batch_index) {
            return Ok(BatchProgress::Repeat {
                batch_id,
                scanned: pending.parts.len(),
                total,
            });
        }
        pending.parts.insert(batch_index, accounts);
        let scanned = pending.parts.len();
        if scanned < total {
            return Ok(BatchProgress::Partial {
                batch_id,
                scanned,
                total,
            });
        }
        let accounts = self
            .pending
            .remove(&batch_id)
            .map(|done| done.parts.into_values().flatten().collect())
            .unwrap_or_default();
        self.completed.insert(batch_id);
        Ok(BatchProgress::Complete { batch_id, accounts })
    }

    /// Exports still incomplete, as `(batch_id, scanned, total)`, by id.
    pub fn incomplete(&self) -> Vec<(i32, usize, usize)> {
        let mut list: Vec<_> = self
            .pending
            .iter()
            .map(|(&id, pending)| {
                (
                    id,
                    pending.parts.len(),
                    usize::try_from(pending.size).unwrap_or(usize::MAX),
                )
            })
            .collect();
        list.sort_unstable();
        list
    }

    /// The part indices (from 0) still missing from an export.
    pub fn missing(&self, batch_id: i32) -> Vec<i32> {
        self.pending
            .get(&batch_id)
            .map(|pending| {
                (0..pending.size)
                    .filter(|index| !pending.parts.contains_key(index))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Checks that every export started is complete.
    ///
    /// # Errors
    /// `IncompleteExport` naming the first incomplete export's missing
    /// parts (numbered from 1).
    pub fn ensure_complete(&self) -> Result<(), QrError> {
        let Some(&(batch_id, scanned, total)) = self.incomplete().first() else {
            return Ok(());
        };
        let missing: Vec<String> = self
            .missing(batch_id)
            .iter()
            .map(|index| (index + 1).to_string())
            .collect();
        Err(QrError::IncompleteExport {
            scanned,
            total,
            missing: missing.join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{BatchAssembly, BatchProgress};
    use crate::core::otp::{Account, Algorithm, MigrationBatch, OtpKind};
    use crate::core::qr::QrError;
    use crate::core::secret::SecretBytes;

    fn part(id: i32, index: i32, size: i32) -> MigrationBatch {
        let account = Account::new(
            "I",
            format!("part{index}"),
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

    #[test]
    fn collects_parts_in_any_order_and_ignores_repeats() {
        let mut assembly = BatchAssembly::new();
        let progress = assembly.add(part(9, 2, 4)).unwrap();
        assert_eq!(progress.to_string(), "1 of 4 scanned");
        assert_eq!(
            progress,
            BatchProgress::Partial {
                batch_id: 9,
                scanned: 1,
                total: 4
            }
        );
        assert_eq!(
            assembly.add(part(9, 0, 4)).unwrap().to_string(),
            "2 of 4 scanned"
        );
        assert_eq!(
            assembly.add(part(9, 0, 4)).unwrap(),
            BatchProgress::Repeat {
                batch_id: 9,
                scanned: 2,
                total: 4
            }
        );
        assert_eq!(assembly.incomplete(), vec![(9, 2, 4)]);
        assert_eq!(assembly.missing(9), vec![1, 3]);
        assert_eq!(
            assembly.ensure_complete().unwrap_err().to_string(),
            "Google Authenticator export incomplete: 2 of 4 QR codes scanned (missing part 2, 4)"
        );
        // Another export in between does not mix in.
        assert!(matches!(
            assembly.add(part(5, 0, 1)).unwrap(),
            BatchProgress::Complete { batch_id: 5, .. }
        ));
        assembly.add(part(9, 3, 4)).unwrap();
        let BatchProgress::Complete { batch_id, accounts } = assembly.add(part(9, 1, 4)).unwrap()
        else {
            panic!("not complete")
        };
        assert_eq!(batch_id, 9);
        let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["part0", "part1", "part2", "part3"]);
        assert!(assembly.incomplete().is_empty());
        assert_eq!(assembly.ensure_complete(), Ok(()));
        assert!(matches!(
            assembly.add(part(9, 1, 4)).unwrap(),
            BatchProgress::Repeat {
                scanned: 4,
                total: 4,
                ..
            }
        ));
    }

    #[test]
    fn single_part_exports_complete_at_once() {
        let mut assembly = BatchAssembly::new();
        for size in [0, 1] {
            let progress = assembly.add(part(size + 100, 0, size)).unwrap();
            assert!(
                matches!(progress, BatchProgress::Complete { ref accounts, .. } if accounts.len() == 1)
            );
        }
    }

    #[test]
    fn rejects_parts_that_do_not_fit() {
        let mut assembly = BatchAssembly::new();
        assert_eq!(
            assembly.add(part(1, 4, 4)),
            Err(QrError::InconsistentBatch {
                batch_id: 1,
                index: 4,
                size: 4
            })
        );
        assert_eq!(
            assembly.add(part(1, -1, 4)),
            Err(QrError::InconsistentBatch {
                batch_id: 1,
                index: -1,
                size: 4
            })
        );
        assembly.add(part(1, 0, 4)).unwrap();
        assert_eq!(
            assembly.add(part(1, 1, 3)),
            Err(QrError::InconsistentBatch {
                batch_id: 1,
                index: 1,
                size: 4
            })
        );
    }
}
