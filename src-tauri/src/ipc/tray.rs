//! Desktop integration: the tray icon (show the window, lock the vault,
//! quit) and the global shortcut that opens the quick search.

use tauri::menu::{Menu, MenuEvent, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use super::events::{OpenPalette, VaultLocked};
use crate::core::session::AppState;

/// Adds the tray icon with its menu.
///
/// # Errors
/// The platform's error when there is no tray to put it in.
pub fn install<R: Runtime, M: Manager<R>>(app: &M) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Tessera", true, None::<&str>)?;
    let lock = MenuItem::with_id(app, "lock", "Lock", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Tessera", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &lock, &quit])?;
    let mut tray = TrayIconBuilder::with_id("tessera")
        .tooltip("Tessera")
        .menu(&menu)
        .on_menu_event(on_menu_event);
    if let Some(icon) = app.app_handle().default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// The D-Bus name of the `StatusNotifier` host registry: the tray that
/// shows the icon on Linux desktops (KDE, GNOME with `AppIndicator`
/// support, most others). Without an owner no tray shows the icon.
#[cfg(target_os = "linux")]
const TRAY_WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// Whether the desktop has a tray that shows the icon now. On Linux: the
/// `StatusNotifier` watcher has an owner on the session bus (under a bare X
/// server there is none). Elsewhere the system tray always exists.
#[cfg(target_os = "linux")]
pub fn host_present() -> bool {
    let asked = || -> zbus::Result<bool> {
        let bus = zbus::blocking::Connection::session()?;
        let name = zbus::names::BusName::try_from(TRAY_WATCHER)?;
        Ok(zbus::blocking::fdo::DBusProxy::new(&bus)?.name_has_owner(name)?)
    };
    asked().unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
pub fn host_present() -> bool {
    true
}

/// Whether the tray icon is installed and a tray shows it: then closing the
/// window may hide it instead of quitting.
pub fn is_shown(state: &AppState) -> bool {
    state
        .tray_available
        .load(std::sync::atomic::Ordering::SeqCst)
        && host_present()
}

/// The global shortcut that shows the window with the quick search.
pub const PALETTE_SHORTCUT: &str = "CommandOrControl+Shift+K";

/// The global-shortcut plugin, calling [`open_palette`] on a press.
pub fn shortcut_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, _shortcut, event| {
            if event.state == tauri_plugin_global_shortcut::ShortcutState::Pressed {
                open_palette(app);
            }
        })
        .build()
}

/// Registers [`PALETTE_SHORTCUT`] with the desktop.
///
/// # Errors
/// The platform's error when another program holds the shortcut.
pub fn register_shortcut<R: Runtime, M: Manager<R>>(app: &M) -> Result<(), String> {
    use tauri_plugin_global_shortcut::GlobalShortcutExt;
    app.global_shortcut()
        .register(PALETTE_SHORTCUT)
        .map_err(|e| e.to_string())
}

/// Registers [`PALETTE_SHORTCUT`], saying on standard error why when it
/// cannot be had.
///
/// Not part of start-up: registering blocks the main thread until the
/// shortcut thread answers (up to 50 ms), and on X11 grabbing the key while
/// the web view was starting delayed its first paint by about 0.5 s in 3 of
/// 18 measured starts. The app registers it once the web view has painted
/// its first screen (`report_first_screen`), or after
/// [`SHORTCUT_FALLBACK`] if the web view never says so.
pub fn register_shortcut_reporting<R: Runtime, M: Manager<R>>(app: &M) {
    if let Err(error) = register_shortcut(app) {
        // Another program (or another Tessera window) may hold it.
        eprintln!("tessera: the shortcut {PALETTE_SHORTCUT} is not available: {error}");
    }
}

/// How long after start-up the shortcut is registered at the latest.
pub const SHORTCUT_FALLBACK: std::time::Duration = std::time::Duration::from_secs(5);

/// Shows the window and asks the web view for the quick search.
pub fn open_palette<R: Runtime>(app: &AppHandle<R>) {
    show_main(app);
    // Nothing to do if the web view is gone.
    let _ = OpenPalette.emit(app);
}

/// Shows and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        // Best effort: a window that cannot be shown has nothing to report to.
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "the signature Tauri's menu handler has"
)]
fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    match event.id.as_ref() {
        "show" => show_main(app),
        "lock" => {
            if let Ok(mut session) = app.state::<AppState>().session() {
                session.lock();
            }
            let _ = VaultLocked.emit(app);
        }
        "quit" => app.exit(0),
        _ => {}
    }
}
