//! The convergence trials: three devices make random changes (add, edit,
//! delete, tag, HOTP next, backup code use), sync in random order, and
//! some syncs are cut off after a random number of remote calls. After
//! everyone has synced twice more, every vault must hold the same
//! accounts, and each change must show as the merge rules say: an account
//! exists unless its last delete came after its last change, the latest
//! note wins, each tag as its latest add or remove, the HOTP counter is
//! the highest any device reached, a code used anywhere is used.
//!
//! Capture sees a device's net change since its last sync (docs/sync-format.md
//! §7.2): a change undone, or made to an account the same device then
//! removes, before it syncs again never reaches the others. So the trials
//! neither remove a tag nor delete an account that the device changed
//! since its last sync that went through.
//!
//! The seed is printed first; `TESSERA_SYNC_SEED=N` replays one.
//! `TESSERA_SYNC_OPS` (default 40 per device) and `TESSERA_SYNC_SEEDS`
//! (default 1) make the long form, `make sync-trials`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use tessera::core::clock::{Clock, SystemClock, Timestamp};
use tessera::core::secret::SecretString;
use tessera::core::sync::backend::{Fetched, Listed, Remote, RemoteError, Version};
use tessera::core::sync::folder::Folder;
use tessera::core::sync::webdav::{Timeouts, WebDav};
use tessera::core::sync::{self, Backend};
use uuid::Uuid;

use super::{edit, folder, webdav};
use crate::support::sync::{Device, options, pair};
use crate::support::webdav::{Apache, PASSWORD as DAV_PASSWORD, USER};

/// `SplitMix64`: small, seeded, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())])
    }
}

/// The real remote with a fault in front: after `budget` calls every call
/// fails as if the connection dropped (a sync cut off in the middle).
struct CutOff<R> {
    inner: R,
    budget: AtomicUsize,
}

impl<R: Remote> CutOff<R> {
    fn spend(&self) -> Result<(), RemoteError> {
        self.budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .map(|_| ())
            .map_err(|_| RemoteError::Offline {
                what: "cut off by the test".into(),
            })
    }
}

impl<R: Remote> Remote for CutOff<R> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn list(&self, dir: &str) -> Result<Vec<Listed>, RemoteError> {
        self.spend()?;
        self.inner.list(dir)
    }
    fn get(&self, path: &str) -> Result<Option<Fetched>, RemoteError> {
        self.spend()?;
        self.inner.get(path)
    }
    fn create(&self, path: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        self.spend()?;
        self.inner.create(path, bytes)
    }
    fn replace(&self, path: &str, bytes: &[u8], expected: &Version) -> Result<(), RemoteError> {
        self.spend()?;
        self.inner.replace(path, bytes, expected)
    }
    fn delete(&self, path: &str) -> Result<(), RemoteError> {
        self.spend()?;
        self.inner.delete(path)
    }
}

/// What the changes made should end as.
#[derive(Default)]
struct Model {
    last_change: BTreeMap<Uuid, Timestamp>,
    last_delete: BTreeMap<Uuid, Timestamp>,
    note: BTreeMap<Uuid, (Timestamp, String)>,
    tags: BTreeMap<(Uuid, String), (Timestamp, bool)>,
    counter: BTreeMap<Uuid, u64>,
    used: BTreeSet<Uuid>,
    codes: BTreeMap<Uuid, Uuid>,
    /// What happened, in order, for the message of a failed check.
    log: Vec<String>,
    /// Per device, the accounts and tags it changed since its last sync
    /// that went through.
    pending: BTreeMap<String, BTreeSet<Uuid>>,
    pending_tags: BTreeMap<String, BTreeSet<(Uuid, String)>>,
}

impl Model {
    fn changed(&mut self, id: Uuid, at: Timestamp) {
        let last = self.last_change.entry(id).or_default();
        *last = (*last).max(at);
    }

    fn synced(&mut self, device: &str) {
        self.pending.remove(device);
        self.pending_tags.remove(device);
    }

    fn exists(&self, id: Uuid) -> bool {
        match (self.last_change.get(&id), self.last_delete.get(&id)) {
            (_, None) => true,
            (Some(change), Some(delete)) => change > delete,
            (None, Some(_)) => false,
        }
    }
}

fn now() -> Timestamp {
    SystemClock.now()
}

/// Adds an account (HOTP one time in three) with two backup codes.
fn add(device: &mut Device, rng: &mut Rng, model: &mut Model, serial: u64) {
    let hotp = rng.below(3) == 0;
    let account = crate::support::sync::account("Trial", &format!("acct {serial}"), serial, hotp);
    let id = device
        .vault
        .insert(account, tessera::core::vault::Details::default())
        .unwrap();
    let codes = device
        .vault
        .add_backup_codes(
            id,
            vec![
                SecretString::from(format!("c{serial}a")),
                SecretString::from(format!("c{serial}b")),
            ],
        )
        .unwrap();
    for code in codes {
        model.codes.insert(code, id);
    }
    model
        .pending
        .entry(device.name.clone())
        .or_default()
        .insert(id);
    model.changed(id, device.vault.get(id).unwrap().updated_at);
    model
        .log
        .push(format!("{} add {id} hotp {hotp}", device.name));
    model.counter.insert(id, 0);
}

/// Adds a new tag to `id`, or removes one the device did not just add.
fn tag(device: &mut Device, rng: &mut Rng, model: &mut Model, serial: u64, id: Uuid) {
    let fresh = model.pending_tags.entry(device.name.clone()).or_default();
    let current: Vec<String> = device
        .vault
        .get(id)
        .unwrap()
        .details
        .tags
        .iter()
        .filter(|t| !fresh.contains(&(id, (*t).clone())))
        .cloned()
        .collect();
    let (tag, present) = match rng.pick(&current.iter().collect::<Vec<_>>()) {
        Some(tag) if rng.below(2) == 0 => (tag.clone(), false),
        _ => (format!("t{serial}"), true),
    };
    edit(device, id, |e| {
        if present {
            e.tags.push(tag.clone());
        } else {
            e.tags.retain(|t| *t != tag);
        }
    });
    let at = device.vault.get(id).unwrap().updated_at;
    model.changed(id, at);
    model.log.push(format!(
        "{} tag {id} {tag} {present} at {}",
        device.name,
        at.unix_millis()
    ));
    model
        .pending_tags
        .entry(device.name.clone())
        .or_default()
        .insert((id, tag.clone()));
    model.tags.insert((id, tag), (at, present));
}

/// One random change on `device`.
fn change(device: &mut Device, rng: &mut Rng, model: &mut Model, serial: &mut u64) {
    *serial += 1;
    let ids: Vec<Uuid> = device
        .vault
        .entries()
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    let mut roll = rng.below(100);
    let target = rng.pick(&ids);
    let pending = model.pending.entry(device.name.clone()).or_default();
    if (55..65).contains(&roll) && target.is_some_and(|id| pending.contains(&id)) {
        roll = 20;
    }
    if let Some(id) = target
        && !(55..65).contains(&roll)
    {
        pending.insert(id);
    }
    match (roll, target) {
        (0..20, _) | (_, None) => add(device, rng, model, *serial),
        (20..40, Some(id)) => {
            let note = format!("note {serial}");
            edit(device, id, |e| e.note.clone_from(&note));
            let at = device.vault.get(id).unwrap().updated_at;
            model.changed(id, at);
            model.log.push(format!(
                "{} note {id} {note} at {}",
                device.name,
                at.unix_millis()
            ));
            model.note.insert(id, (at, note));
        }
        (40..55, Some(id)) => tag(device, rng, model, *serial, id),
        (55..65, Some(id)) => {
            device.vault.remove(id).unwrap();
            model.log.push(format!(
                "{} delete {id} at {}",
                device.name,
                now().unix_millis()
            ));
            model.last_delete.insert(id, now());
        }
        (65..85, Some(id)) => {
            let hotp: Vec<Uuid> = device
                .vault
                .entries()
                .unwrap()
                .iter()
                .filter(|e| e.account.kind.counter().is_some())
                .map(|e| e.id)
                .collect();
            if let Some(id) = rng.pick(&hotp).or(Some(id)).filter(|id| hotp.contains(id)) {
                let used = device.vault.next_hotp(id).unwrap().kind.counter().unwrap();
                model
                    .pending
                    .entry(device.name.clone())
                    .or_default()
                    .insert(id);
                model
                    .log
                    .push(format!("{} next {id} used {used}", device.name));
                let top = model.counter.entry(id).or_default();
                *top = (*top).max(used + 1);
                model.changed(id, device.vault.get(id).unwrap().updated_at);
            }
        }
        (_, Some(id)) => {
            let unused: Vec<Uuid> = device
                .vault
                .backup_codes(id)
                .unwrap()
                .iter()
                .filter(|c| c.used_at.is_none())
                .map(|c| c.id)
                .collect();
            if let Some(code) = rng.pick(&unused) {
                device.vault.mark_backup_code_used(id, code).unwrap();
                model.used.insert(code);
            }
        }
    }
    // Changes a millisecond apart, so their order is the order of time.
    std::thread::sleep(std::time::Duration::from_millis(2));
}

fn check(devices: &mut [Device], model: &Model, seed: u64) {
    let view = devices[0].view();
    for device in devices.iter_mut() {
        assert_eq!(device.view(), view, "seed {seed}: the vaults differ");
    }
    let present: BTreeSet<Uuid> = view.iter().map(|a| a.id).collect();
    let expected: BTreeSet<Uuid> = model
        .last_change
        .keys()
        .copied()
        .filter(|id| model.exists(*id))
        .collect();
    let odd: Vec<String> = present
        .symmetric_difference(&expected)
        .map(|id| {
            let id_text = id.to_string();
            let events: Vec<&String> = model
                .log
                .iter()
                .filter(|line| line.contains(&id_text) || line.starts_with("sync"))
                .collect();
            format!(
                "{id} present {}: changed {:?} deleted {:?} events {events:#?}",
                present.contains(id),
                model.last_change.get(id),
                model.last_delete.get(id)
            )
        })
        .collect();
    assert!(odd.is_empty(), "seed {seed}: accounts present: {odd:#?}");
    for account in &view {
        let id = account.id;
        let explain = |devices: &mut [Device]| {
            let id_text = id.to_string();
            let events: Vec<&String> = model
                .log
                .iter()
                .filter(|line| line.contains(&id_text) || line.starts_with("sync"))
                .collect();
            format!(
                "events {events:#?}\nchanged {:?}, deleted {:?}, note {:?}, history {:?}",
                model.last_change.get(&id),
                model.last_delete.get(&id),
                model.note.get(&id),
                sync::history(&mut devices[0].vault, id).unwrap()
            )
        };
        if let Some((_, note)) = model.note.get(&id) {
            assert!(
                &account.note == note,
                "seed {seed}: latest note of {id}: {:?}; {}",
                account.note,
                explain(devices)
            );
        }
        let tags: Vec<String> = model
            .tags
            .iter()
            .filter(|((a, _), (_, on))| *a == id && *on)
            .map(|((_, t), _)| t.clone())
            .collect();
        let mut tags_sorted = tags;
        tags_sorted.sort();
        assert!(
            account.tags == tags_sorted,
            "seed {seed}: tags of {id}: {:?}, not {tags_sorted:?}; {}",
            account.tags,
            explain(devices)
        );
        if let Some(counter) = account.counter {
            assert_eq!(
                counter, model.counter[&id],
                "seed {seed}: HOTP counter of {id}"
            );
        }
        for (code, used) in &account.codes {
            assert_eq!(
                *used,
                model.used.contains(code),
                "seed {seed}: backup code {code}"
            );
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One trial: three devices on `backend`, random changes and syncs, some
/// cut off through `remote()`.
fn trial(seed: u64, backend: &Backend, remote: &dyn Fn(usize) -> Box<dyn Remote>) {
    eprintln!("convergence trial: seed {seed} (TESSERA_SYNC_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let mut devices = vec![Device::new("a"), Device::new("b"), Device::new("c")];
    sync::setup(&mut devices[0].vault, backend.clone(), "a", &options()).unwrap();
    for i in 1..3 {
        let (first, rest) = devices.split_at_mut(i);
        pair(&mut first[0], &mut rest[0], backend.clone(), &|| {});
    }
    let mut model = Model::default();
    let mut serial = seed % 1_000_000 * 1_000;
    let per_device = env_number("TESSERA_SYNC_OPS", 40);
    for _ in 0..per_device * 3 {
        let d = rng.below(3);
        change(&mut devices[d], &mut rng, &mut model, &mut serial);
        if rng.below(10) < 3 {
            let s = rng.below(3);
            if rng.below(4) == 0 {
                let budget = rng.below(25);
                let cut = remote(budget);
                let result = sync::sync_with(&mut devices[s].vault, cut.as_ref());
                if result.is_ok() {
                    model.synced(&devices[s].name);
                }
                model.log.push(format!(
                    "sync {} cut after {budget}: {:?}",
                    devices[s].name,
                    result.map(|r| (r.captured, r.merged))
                ));
            } else {
                let report = devices[s].sync();
                model.synced(&devices[s].name);
                model.log.push(format!(
                    "sync {} at {}: {} captured, {} merged",
                    devices[s].name,
                    now().unix_millis(),
                    report.captured,
                    report.merged
                ));
            }
        }
    }
    for _ in 0..2 {
        for device in &mut devices {
            device.sync();
        }
    }
    check(&mut devices, &model, seed);
}

fn seeds() -> Vec<u64> {
    if let Some(seed) = std::env::var("TESSERA_SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return vec![seed];
    }
    let first = now().unix_millis();
    (0..env_number("TESSERA_SYNC_SEEDS", 1))
        .map(|i| first.wrapping_add(i * 7919))
        .collect()
}

#[test]
fn three_devices_converge_through_a_folder() {
    for seed in seeds() {
        let remote = tempfile::tempdir().unwrap();
        let root = remote.path().to_owned();
        trial(seed, &folder(&root), &|budget| {
            Box::new(CutOff {
                inner: Folder::new(&root).unwrap(),
                budget: AtomicUsize::new(budget),
            })
        });
    }
}

#[test]
fn three_devices_converge_through_webdav() {
    for seed in seeds() {
        let apache = Apache::start();
        let url = apache.url();
        trial(seed, &webdav(&url), &|budget| {
            let dav = WebDav::new(
                &url,
                USER,
                SecretString::from(DAV_PASSWORD),
                Timeouts::default(),
            )
            .unwrap();
            Box::new(CutOff {
                inner: dav,
                budget: AtomicUsize::new(budget),
            })
        });
    }
}
