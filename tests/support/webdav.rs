//! A real `WebDAV` server for the sync tests: Apache httpd with `mod_dav` and
//! basic auth (Debian `apache2`), on a free loopback port, with its own
//! configuration and collection in a temporary directory; stopped on drop.
//! In front of it, optionally, a TCP relay that can refuse or cut
//! connections, so that the tests see real connection faults. (Also
//! used by `benches/sync.rs`, so it stands alone.)

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "dav password";
const MODULES: &str = "/usr/lib/apache2/modules";

/// A running Apache with one `WebDAV` collection; killed when dropped.
pub struct Apache {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

impl Apache {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let root = dir.path();
        for sub in ["www", "lock"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let status = Command::new("htpasswd")
            .args(["-cbB"])
            .arg(root.join("htpasswd"))
            .args([USER, PASSWORD])
            .stderr(Stdio::null())
            .status()
            .expect("htpasswd (Debian apache2-utils)");
        assert!(status.success());
        let root_user = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout == b"0\n");
        if root_user {
            // httpd will not serve as root: its workers run as nobody.
            for sub in ["www", "lock"] {
                std::os::unix::fs::chown(root.join(sub), Some(65534), Some(65534)).unwrap();
            }
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::set_permissions(
                root.join("htpasswd"),
                std::fs::Permissions::from_mode(0o644),
            )
            .unwrap();
        }
        let user = if root_user {
            "User nobody\nGroup nogroup\n"
        } else {
            ""
        };
        let r = root.display();
        let modules: String = [
            ("mpm_event", "mod_mpm_event"),
            ("authz_core", "mod_authz_core"),
            ("authn_core", "mod_authn_core"),
            ("authn_file", "mod_authn_file"),
            ("auth_basic", "mod_auth_basic"),
            ("authz_user", "mod_authz_user"),
            ("dav", "mod_dav"),
            ("dav_fs", "mod_dav_fs"),
        ]
        .iter()
        .fold(String::new(), |mut out, (name, file)| {
            let _ = writeln!(out, "LoadModule {name}_module {MODULES}/{file}.so");
            out
        });
        let conf = format!(
            "ServerRoot \"{r}\"\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\nPidFile \"{r}/httpd.pid\"\n\
             ErrorLog \"{r}/error.log\"\nLogLevel warn\nMutex file:{r}\n{modules}{user}\
             DAVLockDB \"{r}/lock/davlock\"\nDocumentRoot \"{r}/www\"\n\
             <Directory \"{r}/www\">\n  Dav On\n  AuthType Basic\n  AuthName tessera\n  \
             AuthUserFile \"{r}/htpasswd\"\n  Require valid-user\n</Directory>\n"
        );
        std::fs::write(root.join("httpd.conf"), conf).unwrap();
        let mut apache = Self {
            dir,
            port,
            child: None,
        };
        apache.resume();
        apache
    }

    /// The collection's URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Where the collection's files are on disk.
    pub fn files(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    /// Starts httpd (again) and waits until it accepts connections.
    pub fn resume(&mut self) {
        let _ = std::fs::remove_file(self.dir.path().join("httpd.pid"));
        let child = Command::new("apache2")
            .arg("-f")
            .arg(self.dir.path().join("httpd.conf"))
            .arg("-DFOREGROUND")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("apache2 (Debian apache2)");
        self.child = Some(child);
        wait_for_port(self.port);
    }

    /// Stops httpd (SIGKILL to the parent, whose workers follow).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            // Workers outlive the parent briefly; wait until the port is free.
            let deadline = Instant::now() + Duration::from_secs(5);
            while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP port on loopback that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What the relay does to the next connections.
#[derive(Default)]
struct Faults {
    /// Connections to close at once.
    refuse: AtomicUsize,
    /// Connections to cut after forwarding this many bytes of the request.
    cut_after: AtomicUsize,
    cut_count: AtomicUsize,
    stop: AtomicBool,
}

/// A TCP relay on its own loopback port in front of a server, which can
/// refuse connections or cut them halfway through a request.
pub struct Relay {
    pub port: u16,
    faults: Arc<Faults>,
}

impl Relay {
    pub fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let faults = Arc::new(Faults::default());
        let shared = Arc::clone(&faults);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if take_one(&shared.refuse) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let cut =
                    take_one(&shared.cut_count).then(|| shared.cut_after.load(Ordering::SeqCst));
                std::thread::spawn(move || relay(client, target, cut));
            }
        });
        Self { port, faults }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Closes the next `n` connections as soon as they are made.
    pub fn refuse_next(&self, n: usize) {
        self.faults.refuse.store(n, Ordering::SeqCst);
    }

    /// Cuts the next `n` connections after `bytes` bytes of the request.
    pub fn cut_next(&self, n: usize, bytes: usize) {
        self.faults.cut_after.store(bytes, Ordering::SeqCst);
        self.faults.cut_count.store(n, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.faults.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn take_one(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

fn relay(client: TcpStream, target: u16, cut: Option<usize>) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
        return;
    };
    let (mut client_read, mut server_write) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    let (mut server_read, mut client_write) = (server, client);
    let upstream = std::thread::spawn(move || {
        let mut sent = 0usize;
        let mut buf = [0u8; 8192];
        loop {
            let n = match client_read.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let n = cut.map_or(n, |limit| n.min(limit.saturating_sub(sent)));
            if server_write.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += n;
            if cut.is_some_and(|limit| sent >= limit) {
                let _ = server_write.shutdown(Shutdown::Both);
                let _ = client_read.shutdown(Shutdown::Both);
                break;
            }
        }
        let _ = server_write.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut server_read, &mut client_write);
    let _ = client_write.shutdown(Shutdown::Both);
    let _ = upstream.join();
}

/// Every file under `root`, with its path relative to it.
pub fn files_under(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path.strip_prefix(root).unwrap().to_owned(), bytes));
            }
        }
    }
    out.sort();
    out
}
