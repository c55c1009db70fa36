//! Two real Syncthing instances (Debian `syncthing`) for the folder
//! backend tests: own config directories, loopback listen and GUI ports,
//! no discovery, relays or NAT, introduced to each other by device id and
//! sharing one folder; stopped on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;
use super::webdav::wait_for_port;

const FOLDER: &str = "tessera";

/// One Syncthing instance.
struct Instance {
    home: PathBuf,
    folder: PathBuf,
    gui: u16,
    listen: u16,
    id: String,
    api_key: String,
    child: Option<Child>,
}

/// Two instances sharing one folder; killed when dropped.
pub struct SyncthingPair {
    _dir: tempfile::TempDir,
    a: Instance,
    b: Instance,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

fn generate(dir: &Path, name: &str) -> Instance {
    let home = dir.join(format!("{name}-config"));
    let folder = dir.join(format!("{name}-folder"));
    std::fs::create_dir_all(&folder).unwrap();
    let status = Command::new("syncthing")
        .args(["generate", "--no-default-folder", "--skip-port-probing"])
        .arg(format!("--home={}", home.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("syncthing (Debian syncthing)");
    assert!(status.success());
    let out = Command::new("syncthing")
        .args(["serve", "--device-id"])
        .arg(format!("--home={}", home.display()))
        .output()
        .unwrap();
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let config = std::fs::read_to_string(home.join("config.xml")).unwrap();
    let api_key = between(&config, "<apikey>", "</apikey>").to_owned();
    Instance {
        home,
        folder,
        gui: free_port(),
        listen: free_port(),
        id,
        api_key,
        child: None,
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap() + start.len();
    let to = from + text[from..].find(end).unwrap();
    &text[from..to]
}

/// Sets `<tag>value</tag>` wherever the tag is.
fn set_tag(config: &mut String, tag: &str, value: &str) {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut at = 0;
    while let Some(found) = config[at..].find(&open) {
        let from = at + found + open.len();
        let to = from + config[from..].find(&close).unwrap();
        config.replace_range(from..to, value);
        at = from + value.len();
    }
}

fn configure(me: &Instance, other: &Instance) {
    let path = me.home.join("config.xml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config = config.replacen(
        "<address>127.0.0.1:8384</address>",
        &format!("<address>127.0.0.1:{}</address>", me.gui),
        1,
    );
    set_tag(
        &mut config,
        "listenAddress",
        &format!("tcp://127.0.0.1:{}", me.listen),
    );
    for (tag, value) in [
        ("globalAnnounceEnabled", "false"),
        ("localAnnounceEnabled", "false"),
        ("relaysEnabled", "false"),
        ("natEnabled", "false"),
        ("urAccepted", "-1"),
        ("autoUpgradeIntervalH", "0"),
        ("crashReportingEnabled", "false"),
        ("startBrowser", "false"),
    ] {
        set_tag(&mut config, tag, value);
    }
    let shared = format!(
        "<folder id=\"{FOLDER}\" label=\"{FOLDER}\" path=\"{}\" type=\"sendreceive\" rescanIntervalS=\"1\" \
         fsWatcherEnabled=\"true\" fsWatcherDelayS=\"1\"><device id=\"{}\"></device><device id=\"{}\"></device></folder>\n\
         <device id=\"{}\" name=\"peer\" compression=\"metadata\" introducer=\"false\"><address>tcp://127.0.0.1:{}</address></device>\n",
        me.folder.display(),
        me.id,
        other.id,
        other.id,
        other.listen
    );
    config = config.replacen("<gui ", &format!("{shared}<gui "), 1);
    std::fs::write(path, config).unwrap();
}

impl Instance {
    fn start(&mut self) {
        let child = Command::new("syncthing")
            .args(["serve", "--no-browser", "--no-restart"])
            .arg(format!("--home={}", self.home.display()))
            // One process, not a monitor and a child: the guard kills it.
            .env("STMONITORED", "1")
            .env("STNOUPGRADE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_for_port(self.gui);
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The files of a synced folder, but Syncthing's own (dot files).
fn visible_files(folder: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    crate::support::webdav::files_under(folder)
        .into_iter()
        .filter(|(path, _)| {
            !path
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        })
        .collect()
}

impl SyncthingPair {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut a = generate(dir.path(), "a");
        let mut b = generate(dir.path(), "b");
        configure(&a, &b);
        configure(&b, &a);
        a.start();
        b.start();
        let pair = Self {
            _dir: dir,
            a,
            b,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            http: reqwest::Client::new(),
        };
        pair.wait_connected();
        pair
    }

    /// The shared folder as each side sees it.
    pub fn folders(&self) -> (PathBuf, PathBuf) {
        (self.a.folder.clone(), self.b.folder.clone())
    }

    fn get(&self, instance: &Instance, path: &str) -> serde_json::Value {
        self.runtime.block_on(async {
            self.http
                .get(format!("http://127.0.0.1:{}{path}", instance.gui))
                .header("X-API-Key", &instance.api_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    fn post(&self, instance: &Instance, path: &str) {
        self.runtime.block_on(async {
            let _ = self
                .http
                .post(format!("http://127.0.0.1:{}{path}", instance.gui))
                .header("X-API-Key", &instance.api_key)
                .send()
                .await;
        });
    }

    fn wait_connected(&self) {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let connections = self.get(&self.a, "/rest/system/connections");
            if connections["connections"][&self.b.id]["connected"] == true {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the two Syncthing instances never connected"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Rescans both folders and waits until each side reports the folder
    /// in sync: idle, nothing needed, and the other side at 100 %.
    pub fn settle(&self) {
        let deadline = Instant::now() + Duration::from_mins(1);
        let folder = format!("?folder={FOLDER}");
        let mut calm = 0;
        loop {
            self.post(&self.a, &format!("/rest/db/scan{folder}"));
            self.post(&self.b, &format!("/rest/db/scan{folder}"));
            let ready = [(&self.a, &self.b), (&self.b, &self.a)]
                .iter()
                .all(|(me, other)| {
                    let status = self.get(me, &format!("/rest/db/status{folder}"));
                    let completion = self.get(
                        me,
                        &format!("/rest/db/completion{folder}&device={}", other.id),
                    );
                    status["state"] == "idle"
                        && status["needTotalItems"] == 0
                        && status["inSyncFiles"] == status["globalFiles"]
                        && completion["completion"].as_f64() == Some(100.0)
                });
            let same = visible_files(&self.a.folder) == visible_files(&self.b.folder);
            calm = if ready && same { calm + 1 } else { 0 };
            if calm >= 2 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Syncthing never reported the folder in sync"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}
