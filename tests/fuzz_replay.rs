//! The short form of the fuzz targets, inside `make test`: each target's
//! function in `fuzz/harness.rs` (the one its libFuzzer target calls) gets
//! every seed `fuzz/seed.sh` makes from the shared fixtures, then mutations
//! of them (bit flips, byte changes, insertions, deletions, copies within
//! and splices across seeds) for a few seconds, in this debug build with
//! its overflow checks. A panic fails the test; the input is kept under
//! `target/tmp/fuzz-replay/` with the mutation seed that made it. The long
//! form, coverage-guided under AddressSanitizer, is `make fuzz-smoke` and
//! `make fuzz`.
//!
//! `TESSERA_FUZZ_SECONDS` sets the time per target (default 4),
//! `TESSERA_FUZZ_SEED` the mutation seed (default: from the clock, printed).

#[path = "../fuzz/harness.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// libFuzzer's `-timeout` in `make fuzz-smoke`: one input taking longer is
/// a finding there, and here.
const SLOWEST_ALLOWED: Duration = Duration::from_mins(1);

/// The seed files of every target, made once per test process.
fn seeds_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("fuzz-replay-seeds-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let status = Command::new("bash")
            .arg(root.join("fuzz/seed.sh"))
            .env("SEEDS", &dir)
            .env("FIXTURES", root.join("../shared/fixtures"))
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run fuzz/seed.sh");
        assert!(status.success(), "fuzz/seed.sh failed: {status}");
        dir
    })
}

fn seeds_of(target: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(seeds_dir().join(target))
        .expect("seed directory")
        .map(|entry| entry.expect("seed entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| std::fs::read(path).expect("read seed"))
        .collect()
}

/// xorshift64*: the mutations are the same for the same seed.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % (bound.max(1) as u64)).unwrap_or(0)
    }

    fn byte(&mut self) -> u8 {
        const INTERESTING: [u8; 8] = [0, 1, 0x7f, 0x80, 0xff, b'"', b'{', b'%'];
        let raw = self.next().to_le_bytes();
        if raw[7] < 64 {
            INTERESTING[usize::from(raw[6]) % INTERESTING.len()]
        } else {
            raw[0]
        }
    }

    /// One to four changes to a copy of `input`, `other` for splices.
    fn mutate(&mut self, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..=self.below(4) {
            let at = self.below(out.len() + 1);
            match self.below(7) {
                0 if at < out.len() => out[at] ^= 1 << self.below(8),
                1 if at < out.len() => out[at] = self.byte(),
                2 => {
                    let count = 1 + self.below(8);
                    let bytes: Vec<u8> = (0..count).map(|_| self.byte()).collect();
                    out.splice(at..at, bytes);
                }
                3 if at < out.len() => {
                    let end = (at + 1 + self.below(64)).min(out.len());
                    out.drain(at..end);
                }
                4 if at < out.len() => {
                    let end = (at + 1 + self.below(64)).min(out.len());
                    let copy = out[at..end].to_vec();
                    let to = self.below(out.len() + 1);
                    out.splice(to..to, copy);
                }
                5 if !other.is_empty() => {
                    let from = self.below(other.len());
                    let end = (from + 1 + self.below(256)).min(other.len());
                    let tail = at + self.below(out.len() - at + 1);
                    out.splice(at..tail, other[from..end].iter().copied());
                }
                _ => out.truncate(at),
            }
        }
        out
    }
}

fn budget() -> Duration {
    let seconds = std::env::var("TESSERA_FUZZ_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(4);
    Duration::from_secs(seconds)
}

fn mutation_seed() -> u64 {
    std::env::var("TESSERA_FUZZ_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::UNIX_EPOCH
                .elapsed()
                .map_or(1, |elapsed| elapsed.subsec_nanos());
            u64::from(nanos) | 1
        })
}

/// Runs `check` on `input`; a panic or an input over `SLOWEST_ALLOWED`
/// keeps the input and fails with where it is.
fn run_one(target: &str, check: harness::Target, input: &[u8], seed: u64, slowest: &mut Duration) {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| check(input)));
    let took = started.elapsed();
    *slowest = (*slowest).max(took);
    if outcome.is_err() || took > SLOWEST_ALLOWED {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-replay");
        std::fs::create_dir_all(&dir).expect("finding directory");
        let path = dir.join(format!("{target}-seed-{seed}-{}", input.len()));
        std::fs::write(&path, input).expect("keep the finding");
        let what = if outcome.is_err() {
            "panicked".to_owned()
        } else {
            format!("took {took:?}")
        };
        panic!(
            "{target} {what} on the input kept at {} (TESSERA_FUZZ_SEED={seed}; \
             replay it with `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O {target} {}`)",
            path.display(),
            path.display()
        );
    }
}

fn replay(target: &str) {
    let check = harness::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .expect("a target of fuzz/harness.rs");
    let seeds = seeds_of(target);
    assert!(!seeds.is_empty(), "fuzz/seed.sh made no seeds for {target}");
    let seed = mutation_seed();
    let mut slowest = Duration::ZERO;
    for input in &seeds {
        run_one(target, check, input, seed, &mut slowest);
    }
    let mut mutator = Mutator(seed);
    let started = Instant::now();
    let mut mutants = 0u64;
    while started.elapsed() < budget() || mutants < 20 {
        let input = &seeds[mutator.below(seeds.len())];
        let other = &seeds[mutator.below(seeds.len())];
        let mutant = mutator.mutate(input, other);
        run_one(target, check, &mutant, seed, &mut slowest);
        mutants += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{target}: {} seeds, {mutants} mutants in {seconds:.1} s ({:.0}/s), slowest input {slowest:?}, TESSERA_FUZZ_SEED={seed}",
        seeds.len(),
        f64::from(u32::try_from(mutants).unwrap_or(u32::MAX)) / seconds
    );
}

#[test]
fn otpauth_uri() {
    replay("otpauth_uri");
}

#[test]
fn migration() {
    replay("migration");
}

#[test]
fn import_sniffed() {
    replay("import_sniffed");
}

#[test]
fn import_format() {
    replay("import_format");
}

#[test]
fn vault_decode() {
    replay("vault_decode");
}

#[test]
fn qr_scan() {
    replay("qr_scan");
}

#[test]
fn server_response() {
    replay("server_response");
}

/// The mutator changes its input, the same way for the same seed.
#[test]
fn the_mutations_are_changes_and_repeat_with_their_seed() {
    let input = b"otpauth://totp/ACME:me?secret=JBSWY3DPEHPK3PXP";
    let run = |seed| {
        let mut mutator = Mutator(seed);
        (0..200)
            .map(|_| mutator.mutate(input, b"other"))
            .collect::<Vec<_>>()
    };
    let first = run(42);
    assert_eq!(first, run(42));
    assert_ne!(first, run(43));
    let changed = first.iter().filter(|m| m.as_slice() != input).count();
    assert!(changed > 180, "only {changed} of 200 mutants differ");
}
