//! Starting and stopping one app session under `WebDriver`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{display::VirtualDisplay, free_port, tessera_bin};

/// How long the app may take to show something; generous for a loaded
/// 2-core CI machine, but bounded so a broken build fails instead of hanging.
pub const APP_TIMEOUT: Duration = Duration::from_mins(1);

/// Sessions run one after another: each starts a `WebKit` process tree.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The app under test, with the vault path it was started on.
pub struct AppSession {
    pub client: Client,
    pub vault_path: PathBuf,
    driver: Child,
    _display: VirtualDisplay,
    _dir: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl AppSession {
    /// Opens the app on a fresh, not yet created vault in a temp directory.
    pub async fn start() -> Self {
        let turn = ONE_AT_A_TIME.lock().await;
        let dir = tempfile::tempdir().unwrap();
        let vault_path = dir.path().join("e2e.tessera");
        let display = VirtualDisplay::start();
        let port = free_port();
        let native_port = free_port();
        let driver = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", &display.name)
            .env_remove("WAYLAND_DISPLAY")
            .env("TESSERA_VAULT", &vault_path)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver is installed (`make setup` runs `cargo install tauri-driver`)");
        wait_for_port(port);
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": { "application": tessera_bin() },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = tokio::time::timeout(
            APP_TIMEOUT,
            ClientBuilder::rustls()
                .expect("rustls client")
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .expect("WebDriver session within the timeout")
        .expect("WebDriver session");
        Self {
            client,
            vault_path,
            driver,
            _display: display,
            _dir: dir,
            _turn: turn,
        }
    }

    /// Waits for the element with `data-testid` = `id` and returns it.
    pub async fn by_test_id(&self, id: &str) -> Element {
        self.client
            .wait()
            .at_most(APP_TIMEOUT)
            .for_element(Locator::Css(&format!("[data-testid='{id}']")))
            .await
            .unwrap_or_else(|error| panic!("no element with data-testid={id}: {error}"))
    }

    /// Waits until the element's text is non-empty and returns it.
    pub async fn text_of(&self, id: &str) -> String {
        let deadline = Instant::now() + APP_TIMEOUT;
        loop {
            let text = self.by_test_id(id).await.text().await.unwrap();
            if !text.trim().is_empty() || Instant::now() > deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ends the `WebDriver` session (closing the app) and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for AppSession {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn tauri_driver() -> PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map(|home| home.join("bin").join("tauri-driver"));
    match cargo_bin {
        Some(path) if path.is_file() => path,
        _ => PathBuf::from("tauri-driver"),
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "tauri-driver did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
