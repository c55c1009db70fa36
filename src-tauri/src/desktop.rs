//! The desktop app: Tauri's builder with Tessera's commands, state, plugins,
//! tray and idle timer.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tauri::{Builder, Manager, Runtime};
use tauri_specta::Event;

use crate::core::link::AccountLink;
use crate::core::session::{AppState, Refreshed};
use crate::ipc;

/// How often the idle timer looks at the last activity.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// How often the unlocked vault looks for commits of other processes (one
/// `PRAGMA data_version` query when nothing changed).
const REFRESH_CHECK: Duration = Duration::from_millis(1500);

/// How often the window asks whether a sync is due
/// (`AppState::background_sync` decides).
const SYNC_CHECK: Duration = Duration::from_secs(2);

/// Registers Tessera's commands, state and plugins on a Tauri builder.
///
/// Generic over the runtime so tests can pass `tauri::test::mock_builder()`.
pub fn build_app<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    let commands = ipc::commands::specta_builder::<R>();
    // On Unix, `run_gui` keeps to one window per vault itself
    // (`single_instance`); elsewhere the plugin does, registered first so a
    // second start on the same vault only raises this window.
    #[cfg(not(unix))]
    let builder = builder.plugin(
        tauri_plugin_single_instance::Builder::new()
            .dbus_id(crate::core::session::instance_id(&state.vault_path))
            .callback(|app, args, _cwd| {
                let link = args
                    .iter()
                    .skip(1)
                    .find_map(|arg| crate::core::link::AccountLink::parse(arg).ok());
                match link {
                    Some(link) => open_link(app, link),
                    None => ipc::tray::show_main(app),
                }
            })
            .build(),
    );
    builder
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(ipc::tray::shortcut_plugin())
        .manage(state)
        .invoke_handler(commands.invoke_handler())
        .on_window_event(hide_to_tray_on_close)
        .setup(move |app| {
            commands.mount_events(app);
            tune_webview(app);
            let handle = app.handle().clone();
            std::thread::spawn(move || handle.state::<AppState>().unlock_at_start());
            start_idle_timer(app.handle().clone());
            start_refresh_watch(app.handle().clone());
            start_background_sync(app.handle().clone());
            match ipc::tray::install(app) {
                Ok(()) => app
                    .state::<AppState>()
                    .tray_available
                    .store(true, Ordering::SeqCst),
                // The app works without a tray (desktops without one exist).
                Err(error) => eprintln!("tessera: no tray icon: {error}"),
            }
            register_shortcut_later(app.handle().clone());
            Ok(())
        })
}

/// Closing the main window hides it when the user wants that and a tray
/// shows Tessera's icon to bring it back; otherwise the window closes and
/// the app quits.
fn hide_to_tray_on_close<R: Runtime>(window: &tauri::Window<R>, event: &tauri::WindowEvent) {
    let tauri::WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let state = window.state::<AppState>();
    let wanted = state
        .session()
        .is_ok_and(|session| session.settings.close_to_tray);
    if wanted && ipc::tray::is_shown(&state) {
        api.prevent_close();
        // Best effort: a window that cannot hide stays in view.
        let _ = window.hide();
    }
}

/// Registers the global shortcut [`ipc::tray::SHORTCUT_FALLBACK`] after
/// start-up unless the web view's first screen already did.
fn register_shortcut_later<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || {
        std::thread::sleep(ipc::tray::SHORTCUT_FALLBACK);
        let state = app.state::<AppState>();
        if !state.shortcut_registered.swap(true, Ordering::SeqCst) {
            ipc::tray::register_shortcut_reporting(&app);
        }
    });
}

/// Locks the vault after the auto-lock time without input, and tells the
/// web view (`vault-locked`).
fn start_idle_timer<R: Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(IDLE_CHECK).await;
            if app.state::<AppState>().lock_if_idle(Instant::now()) {
                // Nothing to do if the window is gone.
                let _ = ipc::events::VaultLocked.emit(&app);
            }
        }
    });
}

/// Re-reads the unlocked vault when another process (the CLI beside the
/// window) committed to it, and tells the web view (`entries-changed`, or
/// `vault-locked` when the other process changed the password).
fn start_refresh_watch<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(REFRESH_CHECK);
            // Nothing to do if the window is gone.
            let _ = match app.state::<AppState>().refresh_vault() {
                Refreshed::Changed => ipc::events::EntriesChanged.emit(&app),
                Refreshed::Locked => ipc::events::VaultLocked.emit(&app),
                Refreshed::Unchanged => Ok(()),
            };
        }
    });
}

/// Syncs the unlocked vault after each change and every few minutes when
/// it syncs, and tells the web view (`sync-finished`, and
/// `entries-changed` when the merge wrote to the vault); stages each newer
/// backup of a followed Aegis folder (`aegis-backup-found`).
fn start_background_sync<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(SYNC_CHECK);
            if let Some(found) = app.state::<AppState>().check_aegis_backups() {
                let event = match found {
                    Ok(backup) => ipc::events::AegisBackupFound {
                        backup: Some(backup),
                        problem: None,
                    },
                    Err(error) => ipc::events::AegisBackupFound {
                        backup: None,
                        problem: Some(ipc::error::IpcError::from(error).message),
                    },
                };
                // Nothing to do if the window is gone.
                let _ = event.emit(&app);
            }
            let Some(result) = app.state::<AppState>().background_sync(Instant::now()) else {
                continue;
            };
            // Nothing to do if the window is gone.
            if result.as_ref().is_ok_and(|outcome| outcome.written > 0) {
                let _ = ipc::events::EntriesChanged.emit(&app);
            }
            let _ = ipc::events::SyncFinished.emit(&app);
        }
    });
}

/// Shows the window and has the web view stage `link` (`LinkOpened`).
fn open_link<R: Runtime>(app: &tauri::AppHandle<R>, link: AccountLink) {
    app.state::<AppState>().hold_link(link);
    ipc::tray::show_main(app);
    // Nothing to do if the window is gone.
    let _ = ipc::events::LinkOpened.emit(app);
}

/// Opens the desktop window on the vault at `state.vault_path`, on the
/// accounts of `link` when given. When another app has that vault open, it
/// shows its window (and takes the link) instead.
///
/// # Errors
/// Returns the Tauri error when the window or the web view cannot start.
pub fn run_gui(state: AppState, link: Option<AccountLink>) -> Result<(), tauri::Error> {
    #[cfg(unix)]
    let (listener, link) = {
        use crate::single_instance::{Claim, Request, claim};
        let request = link.map_or(Request::Show, Request::Open);
        let listener = match claim(&state.vault_path, &request) {
            Ok(Claim::AlreadyOpen) => {
                let passed = match request {
                    Request::Show => "",
                    Request::Open(_) => " and given the link",
                };
                eprintln!(
                    "tessera: Tessera is already open on {}; its window was brought forward{passed}",
                    state.vault_path.display()
                );
                return Ok(());
            }
            Ok(Claim::First(listener)) => Some(listener),
            Err(error) => {
                eprintln!(
                    "tessera: a second start on this vault would open a second window: {error}"
                );
                None
            }
        };
        let link = match request {
            Request::Open(link) => Some(link),
            Request::Show => None,
        };
        (listener, link)
    };
    if let Some(link) = link {
        state.hold_link(link);
    }
    #[cfg(target_os = "linux")]
    set_webkit_environment();
    let app = build_app(tauri::Builder::default(), state).build(tauri::generate_context!())?;
    #[cfg(unix)]
    if let Some(listener) = listener {
        let handle = app.handle().clone();
        crate::single_instance::serve(listener, move |request| match request {
            crate::single_instance::Request::Show => ipc::tray::show_main(&handle),
            crate::single_instance::Request::Open(link) => open_link(&handle, link),
        });
    }
    app.run(|_, _| {});
    Ok(())
}

/// Environment the web engine's processes read (the web process inherits the
/// app's environment), each set unless the user already set it:
/// - `JSC_useJIT=false`: the JavaScript engine interprets instead of compiling to
///   machine code. The page is a small list UI; without the JIT no process
///   of the app maps memory that is both writable and executable.
/// - `WEBKIT_DISABLE_DMABUF_RENDERER=1`: no GPU buffer sharing between the
///   web process and the window, which only serves accelerated compositing
///   (turned off in [`tune_webview`]).
///
/// Together they took 21 MiB off the app's summed PSS at start
/// (`make bench-startup`).
#[cfg(target_os = "linux")]
const WEBKIT_ENVIRONMENT: [(&str, &str); 2] = [
    ("JSC_useJIT", "false"),
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
];

#[cfg(target_os = "linux")]
#[allow(
    unsafe_code,
    reason = "setting the environment is unsafe once other threads may read it"
)]
fn set_webkit_environment() {
    for (name, value) in WEBKIT_ENVIRONMENT {
        if std::env::var_os(name).is_none() {
            // SAFETY: `run_gui` calls this before Tauri, GTK or WebKit
            // start, and nothing before it in the process starts a thread,
            // so no other thread reads or writes the environment meanwhile.
            unsafe { std::env::set_var(name, value) };
        }
    }
}

/// Turns off what the web view does not use, to keep memory down: no GPU
/// compositing (a 2D list of text needs none, and under software GL it costs
/// the most), no WebGL, media, Web Audio, page cache, offline caches or DNS
/// prefetch, and the smallest cache model (one local page, no browsing).
#[cfg(target_os = "linux")]
fn tune_webview<R: Runtime>(app: &tauri::App<R>) {
    use webkit2gtk::{
        CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
    };
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let tuned = window.with_webview(|webview| {
        let view = webview.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            settings.set_enable_webgl(false);
            settings.set_enable_media(false);
            settings.set_enable_webaudio(false);
            settings.set_enable_page_cache(false);
            settings.set_enable_html5_database(false);
            settings.set_enable_offline_web_application_cache(false);
            settings.set_enable_dns_prefetching(false);
            settings.set_enable_back_forward_navigation_gestures(false);
        }
    });
    if let Err(error) = tuned {
        eprintln!("tessera: web view settings not applied: {error}");
    }
}

#[cfg(not(target_os = "linux"))]
fn tune_webview<R: Runtime>(_app: &tauri::App<R>) {}
