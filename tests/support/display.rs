//! A private X server (Xvfb) for tests that open windows, so they need no
//! desktop and never touch the developer's own display.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running Xvfb, killed on drop.
pub struct VirtualDisplay {
    child: Child,
    /// The value for `DISPLAY`, e.g. `:99`.
    pub name: String,
}

impl VirtualDisplay {
    /// Starts Xvfb with a screen of `width` x `height` pixels on the first
    /// free display number (`-displayfd`).
    pub fn start_sized(width: u32, height: u32) -> Self {
        let screen = format!("{width}x{height}x24");
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &screen,
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (Debian package xvfb; `make setup` installs it)");
        let stdout = child.stdout.take().expect("Xvfb stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("Xvfb prints its display number");
        let number = line.trim();
        assert!(!number.is_empty(), "Xvfb exited before choosing a display");
        Self {
            child,
            name: format!(":{number}"),
        }
    }
}

impl Drop for VirtualDisplay {
    /// Stops Xvfb with `SIGTERM` so it removes its lock file and socket (one
    /// killed with `SIGKILL` leaves them behind for the next display to trip
    /// on); `SIGKILL` only if it has not gone within two seconds.
    fn drop(&mut self) {
        let terminated = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        if terminated {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while std::time::Instant::now() < deadline {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes `picture` the root window's background on `display` (what
/// `xsetroot` and `display -window root` do), for screen-capture tests;
/// the returned connection keeps it alive.
pub fn show_on_root(
    display: &str,
    picture: &image::GrayImage,
) -> x11rb::rust_connection::RustConnection {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{
        ChangeWindowAttributesAux, ConnectionExt as _, CreateGCAux, ImageFormat,
    };
    let (connection, screen_number) = x11rb::connect(Some(display)).unwrap();
    let screen = connection.setup().roots[screen_number].clone();
    let (w, h) = (
        u16::try_from(picture.width()).unwrap(),
        u16::try_from(picture.height()).unwrap(),
    );
    let pixmap = connection.generate_id().unwrap();
    connection
        .create_pixmap(screen.root_depth, pixmap, screen.root, w, h)
        .unwrap();
    let gc = connection.generate_id().unwrap();
    connection
        .create_gc(gc, pixmap, &CreateGCAux::new())
        .unwrap();
    let width = picture.width() as usize;
    for (index, rows) in picture.as_raw().chunks(width * 32).enumerate() {
        let data: Vec<u8> = rows.iter().flat_map(|&v| [v, v, v, 0]).collect();
        connection
            .put_image(
                ImageFormat::Z_PIXMAP,
                pixmap,
                gc,
                w,
                u16::try_from(rows.len() / width).unwrap(),
                0,
                i16::try_from(index * 32).unwrap(),
                0,
                screen.root_depth,
                &data,
            )
            .unwrap();
    }
    connection
        .change_window_attributes(
            screen.root,
            &ChangeWindowAttributesAux::new().background_pixmap(pixmap),
        )
        .unwrap();
    connection
        .clear_area(false, screen.root, 0, 0, 0, 0)
        .unwrap();
    connection.get_input_focus().unwrap().reply().unwrap();
    connection
}

/// The top-level windows of process `pid` on `display` that are mapped (on
/// screen), found by the `_NET_WM_PID` GTK sets.
pub fn mapped_windows_of(display: &str, pid: u32) -> Vec<u32> {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, MapState};
    let (connection, screen_number) = x11rb::connect(Some(display)).unwrap();
    let root = connection.setup().roots[screen_number].root;
    let net_wm_pid = connection
        .intern_atom(false, b"_NET_WM_PID")
        .unwrap()
        .reply()
        .unwrap()
        .atom;
    let children = connection
        .query_tree(root)
        .unwrap()
        .reply()
        .unwrap()
        .children;
    children
        .into_iter()
        .filter(|&window| {
            let owner = connection
                .get_property(false, window, net_wm_pid, AtomEnum::CARDINAL, 0, 1)
                .ok()
                .and_then(|cookie| cookie.reply().ok())
                .and_then(|reply| reply.value32().and_then(|mut values| values.next()));
            let mapped = connection
                .get_window_attributes(window)
                .ok()
                .and_then(|cookie| cookie.reply().ok())
                .is_some_and(|attributes| attributes.map_state == MapState::VIEWABLE);
            owner == Some(pid) && mapped
        })
        .collect()
}

/// Asks `window` to close as a window manager's close button does: a
/// `WM_DELETE_WINDOW` client message (there is no window manager here).
pub fn ask_to_close(display: &str, window: u32) {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt as _, EventMask};
    let (connection, _) = x11rb::connect(Some(display)).unwrap();
    let atom = |name: &[u8]| {
        connection
            .intern_atom(false, name)
            .unwrap()
            .reply()
            .unwrap()
            .atom
    };
    let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
    let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
    connection
        .send_event(false, window, EventMask::NO_EVENT, event)
        .unwrap();
    connection.flush().unwrap();
}
