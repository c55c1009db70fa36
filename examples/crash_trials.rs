//! Crash safety of the vault: `cargo run --example crash_trials -- [N]`
//! (default 100; `make crash-trials N=100`).
//!
//! Each trial creates a vault with one HOTP account, starts this program
//! again as a child that inserts (one or three accounts per transaction),
//! updates and removes accounts, adds backup codes, takes HOTP counters and
//! changes the password in a loop, and SIGKILLs it at a random moment. The child keeps a journal: `intent` (fsync'd) before each
//! operation, `done` (fsync'd) after it returned. After the kill the vault
//! must open, pass `PRAGMA integrity_check`, unlock, and hold exactly the
//! state of the `done` operations, with the one operation in flight either
//! wholly applied or not at all.
//!
//! A second process writes beside it all the while (accounts of its own,
//! with a journal of its own, from a long-lived handle), and is killed (`SIGKILL`) a
//! moment after the first: every account it committed must be there too.
//!
//! Prints `crash-trials: N trials, F failures, ...` and exits non-zero on
//! any failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera::core::clock::FixedClock;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::vault::{Details, KdfParams, Vault, VaultError};

/// The issuer of the HOTP account every trial starts with.
const HOTP_ISSUER: &str = "Crash HOTP";
/// The issuer prefix of the accounts the process beside the child writes.
const BESIDE_PREFIX: &str = "Beside ";
/// The child runs at most this long if nobody kills it.
const CHILD_LIMIT: Duration = Duration::from_mins(1);
/// The kill comes this long (uniformly at random) after the child is ready.
const MAX_DELAY_MS: u64 = 400;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("beside") {
        beside(Path::new(&args[2]), Path::new(&args[3]));
        return ExitCode::SUCCESS;
    }
    if args.get(1).map(String::as_str) == Some("child") {
        child(
            Path::new(&args[2]),
            Path::new(&args[3]),
            args[4].parse().unwrap(),
        );
        return ExitCode::SUCCESS;
    }
    let trials: usize = match args.get(1).map(|n| n.parse()) {
        None => 100,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: crash_trials [N]   (N > 0 trials, default 100)");
            return ExitCode::from(2);
        }
    };
    parent(trials)
}

// ---------------------------------------------------------------------------
// The model: what the vault should hold

/// One account of the model: its version and backup codes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Model {
    version: u64,
    codes: Vec<String>,
}

/// What the vault should hold: the accounts by model key, the HOTP
/// account's stored counter, and which password opens it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct State {
    accounts: BTreeMap<u64, Model>,
    hotp: u64,
    password: u64,
}

/// The password of generation `n` (0 at creation).
fn password(n: u64) -> SecretString {
    SecretString::new(format!("crash trial password {n}"))
}

/// One journaled operation, on model keys.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Insert(Vec<u64>),
    Update(u64, u64),
    Remove(u64),
    Codes(u64, Vec<String>),
    /// The HOTP counter stored after taking one.
    Hotp(u64),
    /// The new password's generation.
    Passwd(u64),
}

impl Op {
    fn to_line(&self) -> String {
        let join = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        match self {
            Op::Insert(keys) => format!("insert {}", join(keys)),
            Op::Update(key, version) => format!("update {key} {version}"),
            Op::Remove(key) => format!("remove {key}"),
            Op::Codes(key, codes) => format!("codes {key} {}", codes.join(",")),
            Op::Hotp(counter) => format!("hotp {counter}"),
            Op::Passwd(generation) => format!("passwd {generation}"),
        }
    }

    fn parse(words: &[&str]) -> Option<Self> {
        let keys = |s: &str| {
            s.split(',')
                .map(str::parse)
                .collect::<Result<Vec<u64>, _>>()
        };
        Some(match words {
            ["insert", keys_text] => Op::Insert(keys(keys_text).ok()?),
            ["update", key, version] => Op::Update(key.parse().ok()?, version.parse().ok()?),
            ["remove", key] => Op::Remove(key.parse().ok()?),
            ["codes", key, codes] => Op::Codes(
                key.parse().ok()?,
                codes.split(',').map(str::to_owned).collect(),
            ),
            ["hotp", counter] => Op::Hotp(counter.parse().ok()?),
            ["passwd", generation] => Op::Passwd(generation.parse().ok()?),
            _ => return None,
        })
    }

    fn apply(&self, state: &mut State) {
        let accounts = &mut state.accounts;
        match self {
            Op::Insert(keys) => {
                for key in keys {
                    accounts.insert(*key, Model::default());
                }
            }
            Op::Update(key, version) => {
                accounts.get_mut(key).unwrap().version = *version;
            }
            Op::Remove(key) => {
                accounts.remove(key);
            }
            Op::Codes(key, codes) => accounts.get_mut(key).unwrap().codes.extend(codes.clone()),
            Op::Hotp(counter) => state.hotp = *counter,
            Op::Passwd(generation) => state.password = *generation,
        }
    }
}

fn issuer(key: u64) -> String {
    format!("Crash {key}")
}

fn account(key: u64, version: u64) -> Account {
    let mut secret = b"crash-seed-".to_vec();
    secret.extend_from_slice(&key.to_be_bytes());
    secret.extend_from_slice(&version.to_be_bytes());
    Account {
        issuer: issuer(key),
        name: format!("user{key}@example.com"),
        secret: SecretBytes::new(secret),
        algorithm: Algorithm::Sha1,
        digits: 6,
        kind: OtpKind::Totp { period: 30 },
        extra_params: Vec::new(),
    }
}

fn details(key: u64, version: u64) -> Details {
    Details {
        tags: vec![format!("k{key}")],
        favorite: version % 2 == 1,
        note: format!("version {version}"),
        icon: None,
    }
}

fn hotp_account(counter: u64) -> Account {
    Account {
        issuer: HOTP_ISSUER.into(),
        name: "counter".into(),
        secret: SecretBytes::from(b"12345678901234567890".as_slice()),
        algorithm: Algorithm::Sha1,
        digits: 6,
        kind: OtpKind::Hotp { counter },
        extra_params: Vec::new(),
    }
}

fn kdf() -> KdfParams {
    KdfParams::new(64, 2, 1).unwrap()
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_unix_seconds(1_700_000_000))
}

/// xorshift64*: enough to choose operations and delays.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        Self(u64::from_le_bytes(bytes) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ---------------------------------------------------------------------------
// The child: writes until killed

/// The child's own view of what it wrote, to choose the next operation.
struct Writer {
    vault: Vault,
    rng: Rng,
    hotp_id: uuid::Uuid,
    ids: BTreeMap<u64, uuid::Uuid>,
    versions: BTreeMap<u64, u64>,
    next_key: u64,
    next_code: u64,
    hotp: u64,
    generation: u64,
}

impl Writer {
    fn choose(&mut self) -> Op {
        let existing: Vec<u64> = self.ids.keys().copied().collect();
        let pick =
            |rng: &mut Rng| existing[usize::try_from(rng.below(existing.len() as u64)).unwrap()];
        let roll = self.rng.below(100);
        if existing.len() < 3 || roll < 30 {
            let count = if self.rng.below(3) == 0 { 3 } else { 1 };
            let keys: Vec<u64> = (self.next_key..self.next_key + count).collect();
            self.next_key += count;
            Op::Insert(keys)
        } else if roll < 60 {
            let key = pick(&mut self.rng);
            Op::Update(key, self.versions[&key] + 1)
        } else if roll < 70 {
            Op::Remove(pick(&mut self.rng))
        } else if roll < 80 {
            Op::Hotp(self.hotp + 1)
        } else if roll < 85 {
            Op::Passwd(self.generation + 1)
        } else {
            let key = pick(&mut self.rng);
            let codes = (0..2)
                .map(|_| {
                    self.next_code += 1;
                    format!("code-{:06}", self.next_code)
                })
                .collect();
            Op::Codes(key, codes)
        }
    }

    fn perform(&mut self, op: &Op) {
        let vault = &mut self.vault;
        match op {
            Op::Insert(keys) => {
                let new = vault
                    .insert_many(keys.iter().map(|&k| (account(k, 0), details(k, 0))))
                    .unwrap();
                for (key, id) in keys.iter().zip(new) {
                    self.ids.insert(*key, id);
                    self.versions.insert(*key, 0);
                }
            }
            Op::Update(key, version) => {
                vault
                    .update(
                        self.ids[key],
                        account(*key, *version),
                        details(*key, *version),
                    )
                    .unwrap();
                self.versions.insert(*key, *version);
            }
            Op::Remove(key) => {
                vault.remove(self.ids[key]).unwrap();
                self.ids.remove(key);
                self.versions.remove(key);
            }
            Op::Codes(key, codes) => {
                let codes = codes.iter().map(|c| SecretString::from(c.as_str()));
                vault
                    .add_backup_codes(self.ids[key], codes.collect())
                    .unwrap();
            }
            Op::Hotp(counter) => {
                let taken = vault.next_hotp(self.hotp_id).unwrap();
                assert_eq!(
                    taken.kind,
                    OtpKind::Hotp {
                        counter: counter - 1
                    }
                );
                self.hotp = *counter;
            }
            Op::Passwd(new) => {
                vault
                    .change_password(
                        &password(self.generation),
                        &password(*new),
                        Some(kdf()),
                        None,
                    )
                    .unwrap();
                self.generation = *new;
            }
        }
    }
}

fn child(vault_path: &Path, journal_path: &Path, seed: u64) {
    let mut vault = Vault::open(vault_path, clock()).unwrap();
    vault.unlock_with_password(&password(0)).unwrap();
    let hotp_id = vault.search("crash hotp").unwrap()[0].id;
    let mut writer = Writer {
        vault,
        rng: Rng(seed | 1),
        hotp_id,
        ids: BTreeMap::new(),
        versions: BTreeMap::new(),
        next_key: 0,
        next_code: 0,
        hotp: 0,
        generation: 0,
    };
    let mut journal = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(journal_path)
        .unwrap();
    let mut log = |line: &str| {
        journal.write_all(format!("{line}\n").as_bytes()).unwrap();
        journal.sync_data().unwrap();
    };
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready").unwrap();
    stdout.flush().unwrap();
    let started = Instant::now();
    let mut seq = 0u64;
    while started.elapsed() < CHILD_LIMIT {
        let op = writer.choose();
        log(&format!("intent {seq} {}", op.to_line()));
        writer.perform(&op);
        log(&format!("done {seq}"));
        seq += 1;
    }
}

/// The second writer: inserts `Beside N` accounts, N = 0, 1, ..., one per
/// transaction, journalling `done N` (fsync'd) after each commit.
fn beside(vault_path: &Path, journal_path: &Path) {
    let mut vault = Vault::open(vault_path, clock()).unwrap();
    vault.unlock_with_password(&password(0)).unwrap();
    let mut journal = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(journal_path)
        .unwrap();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready").unwrap();
    stdout.flush().unwrap();
    let started = Instant::now();
    let mut n = 0u64;
    let mut generation = 0u64;
    while started.elapsed() < CHILD_LIMIT {
        let mut account = hotp_account(0);
        account.issuer = format!("{BESIDE_PREFIX}{n}");
        account.kind = OtpKind::Totp { period: 30 };
        match vault.insert(account, Details::default()) {
            Ok(_) => {}
            // The child changed the password, which replaced the key this
            // handle held: nothing was written; unlock with the new one.
            Err(VaultError::KeyChanged) => {
                generation = unlock_newer(&mut vault, generation);
                continue;
            }
            Err(error) => panic!("{error}"),
        }
        journal.write_all(format!("done {n}\n").as_bytes()).unwrap();
        journal.sync_data().unwrap();
        n += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Unlocks `vault` with the first password of a generation after
/// `generation` that opens it; returns that generation.
fn unlock_newer(vault: &mut Vault, generation: u64) -> u64 {
    vault.lock();
    (generation + 1..generation + 10_000)
        .find(|n| vault.unlock_with_password(&password(*n)).is_ok())
        .expect("a newer password opens the vault")
}

/// Starts this program as `role` on the vault with a journal, and waits
/// until it says it is ready.
fn start(
    exe: &Path,
    role: &[&str],
    vault: &Path,
    journal: &Path,
) -> Result<std::process::Child, String> {
    let mut child = Command::new(exe)
        .arg(role[0])
        .arg(vault)
        .arg(journal)
        .args(&role[1..])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .map_err(|e| e.to_string())?;
    if ready.trim() != "ready" {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("the {} did not get ready", role[0]));
    }
    Ok(child)
}

// ---------------------------------------------------------------------------
// The parent: runs the trials and checks the vault after each kill

/// What one trial found.
struct Outcome {
    committed: usize,
    /// Accounts the second writer committed (all found).
    beside: u64,
    in_flight: InFlight,
}

enum InFlight {
    None,
    Applied,
    NotApplied,
}

fn parent(trials: usize) -> ExitCode {
    let started = Instant::now();
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng::seeded();
    let mut failures = Vec::new();
    let (mut committed, mut applied, mut not_applied, mut none) = (0, 0, 0, 0);
    let mut beside = 0;
    for trial in 1..=trials {
        let delay = Duration::from_millis(rng.below(MAX_DELAY_MS + 1));
        match run_trial(&exe, rng.next(), delay) {
            Ok(outcome) => {
                committed += outcome.committed;
                beside += outcome.beside;
                match outcome.in_flight {
                    InFlight::None => none += 1,
                    InFlight::Applied => applied += 1,
                    InFlight::NotApplied => not_applied += 1,
                }
            }
            Err(reason) => {
                eprintln!("crash-trials: trial {trial} failed: {reason}");
                failures.push(trial);
            }
        }
    }
    println!(
        "crash-trials: {trials} trials, {} failures, {committed} committed operations and {beside} of a second writer checked, \
         in flight at the kill: {applied} applied / {not_applied} not applied / {none} none, {:.1} s",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_trial(exe: &Path, seed: u64, delay: Duration) -> Result<Outcome, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let vault_path = dir.path().join("vault.tessera");
    let journal_path = dir.path().join("journal");
    let mut vault = Vault::create(&vault_path, &password(0), kdf(), clock())
        .map_err(|e| format!("create: {e}"))?;
    vault
        .insert(hotp_account(0), Details::default())
        .map_err(|e| format!("insert: {e}"))?;
    drop(vault);

    let beside_journal = dir.path().join("beside-journal");
    let mut second = start(exe, &["beside"], &vault_path, &beside_journal)?;
    let seed_text = seed.to_string();
    let mut child = match start(exe, &["child", &seed_text], &vault_path, &journal_path) {
        Ok(child) => child,
        Err(error) => {
            let _ = second.kill();
            let _ = second.wait();
            return Err(error);
        }
    };
    std::thread::sleep(delay);
    let still_running = child.try_wait().map_err(|e| e.to_string())?.is_none();
    child.kill().map_err(|e| format!("kill: {e}"))?; // SIGKILL
    let status = child.wait().map_err(|e| e.to_string())?;
    // The second writer goes on a moment after the kill, then is killed too.
    std::thread::sleep(Duration::from_millis(30));
    let second_running = second.try_wait().map_err(|e| e.to_string())?.is_none();
    let _ = second.kill();
    let _ = second.wait();
    if !second_running {
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut stderr);
        return Err(format!("the second writer failed: {stderr}"));
    }
    if !still_running {
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
        return Err(format!(
            "the child ended before the kill ({status}): {stderr}"
        ));
    }

    let journal = std::fs::read_to_string(&journal_path).unwrap_or_default();
    let committed = journal.lines().filter(|l| l.starts_with("done ")).count();
    let (before, in_flight) = replay(&journal)?;
    let mut passwords = vec![before.password];
    if let Some(Op::Passwd(new)) = &in_flight {
        passwords.push(*new);
    }
    let (found, beside_found) = read_vault(&vault_path, &passwords)?;
    let beside_done = std::fs::read_to_string(&beside_journal)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("done ")?.parse::<u64>().ok())
        .count() as u64;
    // Every committed one is there; at most the one in flight besides.
    let expected: std::collections::BTreeSet<u64> = (0..beside_done).collect();
    let extra: Vec<u64> = beside_found.difference(&expected).copied().collect();
    if !expected.is_subset(&beside_found)
        || extra.len() > 1
        || extra.iter().any(|&n| n != beside_done)
    {
        return Err(format!(
            "the second writer committed {beside_done} accounts, the vault holds {} of them (extra: {extra:?}, seed {seed})",
            beside_found.intersection(&expected).count()
        ));
    }
    if found == before {
        let in_flight = match in_flight {
            Some(_) => InFlight::NotApplied,
            None => InFlight::None,
        };
        return Ok(Outcome {
            committed,
            beside: beside_done,
            in_flight,
        });
    }
    if let Some(op) = &in_flight {
        let mut after = before.clone();
        op.apply(&mut after);
        if found == after {
            return Ok(Outcome {
                committed,
                beside: beside_done,
                in_flight: InFlight::Applied,
            });
        }
    }
    Err(format!(
        "the vault holds {} (delay {} ms, seed {seed})",
        describe_difference(&before, in_flight.as_ref(), &found),
        delay.as_millis()
    ))
}

/// The state after every `done` operation, and the operation whose
/// `intent` was written but not its `done`.
fn replay(journal: &str) -> Result<(State, Option<Op>), String> {
    let mut state = State::default();
    let mut pending: Option<(u64, Op)> = None;
    for line in journal.split_inclusive('\n') {
        if !line.ends_with('\n') {
            // Cut short by the kill: the operation had not started.
            break;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["intent", seq, rest @ ..] => {
                if let Some((open, _)) = &pending {
                    return Err(format!("journal: intent {seq} while {open} is open"));
                }
                let op = Op::parse(rest).ok_or_else(|| format!("journal: bad line {line:?}"))?;
                pending = Some((seq.parse().map_err(|_| format!("journal: {line:?}"))?, op));
            }
            ["done", seq] => {
                let seq: u64 = seq.parse().map_err(|_| format!("journal: {line:?}"))?;
                match pending.take() {
                    Some((open, op)) if open == seq => op.apply(&mut state),
                    _ => return Err(format!("journal: done {seq} without its intent")),
                }
            }
            _ => return Err(format!("journal: bad line {line:?}")),
        }
    }
    Ok((state, pending.map(|(_, op)| op)))
}

/// Opens, checks and unlocks the vault and reads it back into the model,
/// checking every field of every account against the model's version.
fn read_vault(
    path: &Path,
    passwords: &[u64],
) -> Result<(State, std::collections::BTreeSet<u64>), String> {
    let check: String = rusqlite::Connection::open(path)
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
        .map_err(|e| format!("integrity_check: {e}"))?;
    if check != "ok" {
        return Err(format!("integrity_check: {check}"));
    }
    let mut vault = Vault::open(PathBuf::from(path), clock()).map_err(|e| format!("open: {e}"))?;
    let mut state = State {
        password: *passwords
            .iter()
            .find(|&&n| vault.unlock_with_password(&password(n)).is_ok())
            .ok_or_else(|| format!("no password of generations {passwords:?} unlocks it"))?,
        ..State::default()
    };
    let mut beside = std::collections::BTreeSet::new();
    for entry in vault.entries().map_err(|e| format!("entries: {e}"))? {
        if let Some(n) = entry.account.issuer.strip_prefix(BESIDE_PREFIX) {
            let n: u64 = n
                .parse()
                .map_err(|_| "a bad second-writer account".to_owned())?;
            if !beside.insert(n) {
                return Err(format!("second-writer account {n} is there twice"));
            }
            continue;
        }
        if entry.account.issuer == HOTP_ISSUER {
            let OtpKind::Hotp { counter } = entry.account.kind else {
                return Err("the HOTP account is not HOTP".into());
            };
            if entry.account != hotp_account(counter) {
                return Err("the HOTP account's fields changed".into());
            }
            state.hotp = counter;
            continue;
        }
        let key: u64 = entry
            .account
            .issuer
            .strip_prefix("Crash ")
            .and_then(|k| k.parse().ok())
            .ok_or_else(|| format!("an account nobody wrote: {}", entry.id))?;
        let version: u64 = entry
            .details
            .note
            .strip_prefix("version ")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("account {key}: bad note"))?;
        if entry.account != account(key, version) || entry.details != details(key, version) {
            return Err(format!(
                "account {key}: fields do not match version {version}"
            ));
        }
        let codes = entry
            .backup_codes
            .iter()
            .map(|c| c.code.expose().to_owned())
            .collect();
        if state
            .accounts
            .insert(key, Model { version, codes })
            .is_some()
        {
            return Err(format!("account {key} is there twice"));
        }
    }
    Ok((state, beside))
}

fn describe_difference(before: &State, in_flight: Option<&Op>, found: &State) -> String {
    let mut text = format!(
        "hotp {} (expected {}), password {} (expected {}) ",
        found.hotp, before.hotp, found.password, before.password
    );
    for (key, model) in &found.accounts {
        match before.accounts.get(key) {
            None => write!(text, "[extra {key} {model:?}] ").unwrap(),
            Some(m) if m != model => write!(text, "[{key}: {model:?}, expected {m:?}] ").unwrap(),
            Some(_) => {}
        }
    }
    for key in before
        .accounts
        .keys()
        .filter(|k| !found.accounts.contains_key(k))
    {
        write!(text, "[missing {key}] ").unwrap();
    }
    write!(text, "with {in_flight:?} in flight").unwrap();
    text
}
