//! Starting and stopping one app session under `WebDriver`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::cli::{PASSWORD, TEST_KDF};
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
    /// The private X display the app runs on (for `xclip`).
    pub display: String,
    /// The app's config directory (its settings), shared with CLI runs.
    pub config_home: PathBuf,
    driver: Child,
    x_server: VirtualDisplay,
    dir: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl AppSession {
    /// Opens the app on a fresh, not yet created vault in a temp directory.
    pub async fn start() -> Self {
        Self::launch(Setup::Nothing, DEFAULT_SCREEN).await
    }

    /// Opens the app on a vault created beforehand by `tessera init` with
    /// small Argon2id parameters and the password [`PASSWORD`] (for tests
    /// that are not about creating one), locked.
    pub async fn start_with_vault() -> Self {
        Self::launch(Setup::CliInit, DEFAULT_SCREEN).await
    }

    /// Opens the app on a vault that `prepare` writes at the given path
    /// first (with the password [`PASSWORD`]), locked.
    pub async fn start_prepared(prepare: fn(&Path)) -> Self {
        Self::launch(Setup::Prepared(prepare), DEFAULT_SCREEN).await
    }

    /// [`start_with_vault`](Self::start_with_vault), then unlocks it in the
    /// window and waits for the app shell.
    pub async fn start_unlocked() -> Self {
        let app = Self::start_with_vault().await;
        app.unlock(PASSWORD).await;
        app.by_test_id("app-shell").await;
        app
    }

    /// The app on a vault made by `tessera init`, on an X screen of
    /// `width` x `height` pixels (for windows larger than the default screen).
    pub async fn start_with_vault_on_screen(width: u32, height: u32) -> Self {
        Self::launch(Setup::CliInit, (width, height)).await
    }

    async fn launch(setup: Setup, (width, height): (u32, u32)) -> Self {
        let turn = ONE_AT_A_TIME.lock().await;
        let dir = tempfile::tempdir().unwrap();
        // The vault's folder holds nothing else (the XDG folders are beside
        // it): a file dialog shows it with no subfolder to open by mistake.
        let vault_folder = dir.path().join("vault");
        std::fs::create_dir(&vault_folder).unwrap();
        let vault_path = vault_folder.join("e2e.tessera");
        let config_home = dir.path().join("config");
        if let Setup::Prepared(prepare) = setup {
            prepare(&vault_path);
        }
        if matches!(setup, Setup::CliInit) {
            let mut args = vec!["init"];
            args.extend(TEST_KDF);
            let output = Command::new(tessera_bin())
                .args(&args)
                .env("TESSERA_VAULT", &vault_path)
                .env("TESSERA_PASSWORD", PASSWORD)
                .env("XDG_CONFIG_HOME", &config_home)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "tessera init: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let display = VirtualDisplay::start_sized(width, height);
        let (driver, client) = connect(&display, dir.path(), &vault_path, &config_home).await;
        Self {
            client,
            vault_path,
            display: display.name.clone(),
            config_home,
            driver,
            x_server: display,
            dir,
            _turn: turn,
        }
    }

    /// Closes the app and opens it again on the same vault, display and
    /// settings (locked, as after a restart).
    pub async fn restart(mut self) -> Self {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let (driver, client) = connect(
            &self.x_server,
            self.dir.path(),
            &self.vault_path,
            &self.config_home,
        )
        .await;
        self.driver = driver;
        self.client = client;
        self
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

    /// The element's `textContent` once it is non-empty. Unlike
    /// [`text_of`](Self::text_of) this does not depend on `WebDriver`'s
    /// visibility heuristics, which miss the virtualised list's rows
    /// (absolutely placed and translated).
    pub async fn content_of(&self, id: &str) -> String {
        let deadline = Instant::now() + APP_TIMEOUT;
        loop {
            let text = self
                .by_test_id(id)
                .await
                .prop("textContent")
                .await
                .unwrap()
                .unwrap_or_default();
            if !text.trim().is_empty() || Instant::now() > deadline {
                return text.trim().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element `id`.
    pub async fn click(&self, id: &str) {
        self.by_test_id(id).await.click().await.unwrap();
    }

    /// Types `password` into the field `field` and clicks `submit`; with a
    /// wrong password, checks that the element `refusal` says so.
    pub async fn confirm_with_password(
        &self,
        field: &str,
        submit: &str,
        password: &str,
        refusal: Option<&str>,
    ) {
        self.type_into(field, password).await;
        self.click(submit).await;
        if let Some(refusal) = refusal {
            let said = self.content_of(refusal).await;
            assert!(said.to_lowercase().contains("wrong password"), "{said}");
        }
    }

    /// Replaces the text of the field `id` with `text`.
    pub async fn type_into(&self, id: &str, text: &str) {
        let field = self.by_test_id(id).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Types `password` into the unlock screen and submits it.
    pub async fn unlock(&self, password: &str) {
        let field = self.by_test_id("unlock-password").await;
        field.clear().await.unwrap();
        field.send_keys(password).await.unwrap();
        self.by_test_id("unlock-submit")
            .await
            .click()
            .await
            .unwrap();
    }

    /// Waits until the element's `textContent` (trimmed) is `expected`.
    pub async fn wait_text(&self, id: &str, expected: &str) {
        let deadline = Instant::now() + APP_TIMEOUT;
        loop {
            let text = self.content_of(id).await;
            if text == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{id} never read {expected:?}; last {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `check` holds for the element's attribute `name`.
    pub async fn wait_attr(&self, id: &str, name: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + APP_TIMEOUT;
        loop {
            let value = self
                .by_test_id(id)
                .await
                .attr(name)
                .await
                .unwrap_or_default();
            if let Some(value) = value.as_deref().filter(|v| check(v)) {
                return value.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "{id}[{name}] never matched; last {value:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many elements with `data-testid` = `id` there are now.
    pub async fn count(&self, id: &str) -> usize {
        self.client
            .find_all(Locator::Css(&format!("[data-testid='{id}']")))
            .await
            .unwrap()
            .len()
    }

    /// Runs the CLI on this app's vault and returns stdout (expects success).
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new(tessera_bin())
            .args(args)
            .env("TESSERA_VAULT", &self.vault_path)
            .env("TESSERA_PASSWORD", PASSWORD)
            .env("XDG_CONFIG_HOME", &self.config_home)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "tessera {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// The text on the X clipboard of the app's display.
    pub fn clipboard(&self) -> String {
        let output = Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.display)
            .output()
            .expect("xclip is installed (`make setup` installs it)");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Puts `bytes` on the app display's clipboard as `mime` (xclip serves
    /// it from the background until another client takes the selection or
    /// the display goes).
    pub fn set_clipboard(&self, mime: &str, bytes: &[u8]) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let status = Command::new("xclip")
            .args(["-selection", "clipboard", "-t", mime, "-i"])
            .arg(file.path())
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("xclip is installed (`make setup` installs it)");
        assert!(status.success());
    }

    /// Writes a PNG of the web view as `target/e2e-screenshots/NAME`, for
    /// people to look at what the tests saw.
    pub async fn screenshot(&self, name: &str) {
        // The web view paints a moment after the DOM changes.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = self.client.screenshot().await.unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }

    /// Records every answer Rust sends the page from now on (command
    /// results, errors and event payloads) in `window.__ipcLog`, for
    /// [`assert_no_secret_in_ipc`](Self::assert_no_secret_in_ipc). Tauri's
    /// `invoke` cannot be replaced (it is a read-only property), but every
    /// answer goes through a callback registered in its `callbacks` map, so
    /// the map's `set` wraps each callback. Lasts until the page reloads;
    /// calling it twice records once.
    pub async fn record_ipc(&self) {
        self.client
            .execute(
                r"if (!window.__ipcLog) {
                    window.__ipcLog = [];
                    const callbacks = window.__TAURI_INTERNALS__.callbacks;
                    const set = callbacks.set.bind(callbacks);
                    callbacks.set = (id, callback) =>
                      set(id, (data) => {
                        window.__ipcLog.push(JSON.stringify(data) ?? String(data));
                        return callback(data);
                      });
                  }",
                vec![],
            )
            .await
            .unwrap();
    }

    /// Every IPC answer recorded since [`record_ipc`](Self::record_ipc), one
    /// JSON text each.
    pub async fn recorded_ipc(&self) -> Vec<String> {
        let log = self
            .client
            .execute("return window.__ipcLog || [];", vec![])
            .await
            .unwrap();
        serde_json::from_value(log).unwrap()
    }

    /// Fails if any recorded IPC answer contains one of `secrets` (compared
    /// case-insensitively, so hex and base32 in either case count). Returns
    /// how many answers were checked, so a test can assert the recorder saw
    /// the flow at all.
    pub async fn assert_no_secret_in_ipc(&self, secrets: &[&str]) -> usize {
        let answers = self.recorded_ipc().await;
        for answer in &answers {
            let lower = answer.to_lowercase();
            for secret in secrets {
                assert!(
                    !lower.contains(&secret.to_lowercase()),
                    "an IPC answer holds a secret ({secret}): {answer}"
                );
            }
        }
        answers.len()
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

/// Starts tauri-driver and, through it, the app on `vault_path`, in the
/// vault's folder (so a file dialog shows the vault's folder, as it does
/// for a user whose vault lives where they keep their files), with its
/// data and cache folders in `dir`.
async fn connect(
    display: &VirtualDisplay,
    dir: &Path,
    vault_path: &Path,
    config_home: &Path,
) -> (Child, Client) {
    let port = free_port();
    let native_port = free_port();
    let driver = Command::new(tauri_driver())
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .current_dir(vault_path.parent().expect("the vault is in a folder"))
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env("TESSERA_VAULT", vault_path)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", config_home)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"))
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
    (driver, client)
}

/// The X screen the app's window opens on, unless a test asks for another.
const DEFAULT_SCREEN: (u32, u32) = (1280, 800);

/// What exists before the app starts.
#[derive(Clone, Copy)]
enum Setup {
    Nothing,
    CliInit,
    Prepared(fn(&Path)),
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
