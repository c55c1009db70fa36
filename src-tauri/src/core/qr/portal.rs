//! Screenshots through the XDG desktop portal
//! (`org.freedesktop.portal.Screenshot` on the session D-Bus), for Wayland
//! sessions where X11 capture is impossible or sees nothing. Speaks D-Bus
//! with `zbus` (already used by the app's single-instance plugin), its
//! futures driven by a short-lived current-thread tokio runtime on a thread
//! of its own, so it may be called from async code too.
//!
//! Owns: asking the portal for one screenshot (without a dialog when the
//! portal allows it, else with the portal's own interactive dialog),
//! reading the picture file it hands back, and deleting that file.
//!
//! Must never: wait without a bound (every D-Bus call and the wait for the
//! portal's answer have a timeout), keep or copy the captured pixels (the
//! portal's file is deleted once read: a screen shows secrets), or talk to
//! any D-Bus service but the portal.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use image::GrayImage;
use zbus::export::futures_core::Stream;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};
use zbus::{Connection, MatchRule, Message, MessageStream};

use super::decode::load_luma;
use super::error::QrError;

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const SCREENSHOT: &str = "org.freedesktop.portal.Screenshot";
const REQUEST: &str = "org.freedesktop.portal.Request";

/// Connecting to the bus, and each method call (the portal may need to be
/// started by the bus first).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The portal's answer to a non-interactive request (it may still ask the
/// user, once, whether Tessera may take screenshots).
const QUIET_ANSWER_TIMEOUT: Duration = Duration::from_mins(1);
/// The portal's answer when it shows its screenshot dialog.
const INTERACTIVE_ANSWER_TIMEOUT: Duration = Duration::from_mins(3);

/// The screen, as the desktop portal on the session bus captures it.
///
/// # Errors
/// `ScreenCapture` naming the portal problem: no session bus, no portal,
/// no Screenshot interface, refused or cancelled, no answer in time, or an
/// unreadable picture.
pub fn capture_portal() -> Result<Vec<GrayImage>, QrError> {
    capture_portal_on(None)
}

/// [`capture_portal`] through the D-Bus at `address` (e.g.
/// `"unix:path=/run/user/1000/bus"`), or the session bus when `None`.
///
/// # Errors
/// `ScreenCapture`, as for [`capture_portal`].
pub fn capture_portal_on(address: Option<&str>) -> Result<Vec<GrayImage>, QrError> {
    let path = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .map_err(|e| failed(&format!("cannot start the D-Bus client: {e}")))?;
                runtime.block_on(screenshot(address))
            })
            .join()
            .unwrap_or_else(|_| Err(failed("the D-Bus client stopped unexpectedly")))
    })?;
    let bytes = std::fs::read(&path);
    // The file shows whatever was on the screen: it goes as soon as read.
    let _ = std::fs::remove_file(&path);
    let bytes = bytes.map_err(|e| failed(&format!("cannot read its screenshot file: {e}")))?;
    let shot =
        load_luma(&bytes).map_err(|e| failed(&format!("cannot read its screenshot: {e}")))?;
    Ok(vec![shot])
}

/// The file of a screenshot taken by the portal: quietly if it can, else
/// through its dialog.
async fn screenshot(address: Option<&str>) -> Result<PathBuf, QrError> {
    let builder = match address {
        Some(address) => zbus::connection::Builder::address(address),
        None => zbus::connection::Builder::session(),
    }
    .map_err(|e| failed(&format!("no D-Bus session bus: {e}")))?;
    let connection = bounded(CALL_TIMEOUT, builder.method_timeout(CALL_TIMEOUT).build())
        .await
        .map_err(|()| failed("the D-Bus session bus did not answer in time"))?
        .map_err(|e| failed(&format!("cannot connect to the D-Bus session bus: {e}")))?;
    match request(&connection, false, QUIET_ANSWER_TIMEOUT).await? {
        Answer::File(path) => Ok(path),
        Answer::Cancelled => Err(failed("the screenshot was cancelled")),
        Answer::Refused => match request(&connection, true, INTERACTIVE_ANSWER_TIMEOUT).await? {
            Answer::File(path) => Ok(path),
            Answer::Cancelled => Err(failed("the screenshot was cancelled")),
            Answer::Refused => Err(failed("it refused to take a screenshot")),
        },
    }
}

/// How the portal answered one request.
enum Answer {
    File(PathBuf),
    /// The user cancelled (response 1).
    Cancelled,
    /// Any other failure the portal reports (response 2).
    Refused,
}

/// One `Screenshot` request and the `Response` signal that answers it.
async fn request(
    connection: &Connection,
    interactive: bool,
    answer_timeout: Duration,
) -> Result<Answer, QrError> {
    let token = request_token();
    // The portal answers on a Request object whose path it derives from our
    // name and token; listen before asking, so the answer cannot be missed.
    let sender = connection
        .unique_name()
        .ok_or_else(|| failed("the D-Bus connection has no name"))?
        .as_str()
        .trim_start_matches(':')
        .replace('.', "_");
    let expected = format!("{PORTAL_PATH}/request/{sender}/{token}");
    let rule = MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface(REQUEST)
        .and_then(|rule| rule.member("Response"))
        .map_err(|e| failed(&e.to_string()))?
        .build();
    let mut answers = bounded(
        CALL_TIMEOUT,
        MessageStream::for_match_rule(rule, connection, Some(8)),
    )
    .await
    .map_err(|()| failed("the D-Bus session bus did not answer in time"))?
    .map_err(|e| failed(&format!("cannot listen for its answer: {e}")))?;

    let mut options: HashMap<&str, Value<'_>> = HashMap::new();
    options.insert("handle_token", Value::from(token.as_str()));
    options.insert("modal", Value::from(true));
    options.insert("interactive", Value::from(interactive));
    let reply = bounded(
        CALL_TIMEOUT,
        connection.call_method(
            Some(PORTAL),
            PORTAL_PATH,
            Some(SCREENSHOT),
            "Screenshot",
            &("", options),
        ),
    )
    .await
    .map_err(|()| failed("it did not answer in time"))?
    .map_err(|e| call_error(&e))?;
    let handle: OwnedObjectPath = reply
        .body()
        .deserialize()
        .map_err(|e| failed(&format!("unexpected reply: {e}")))?;

    let wait = async {
        loop {
            let next = std::future::poll_fn(|cx| Pin::new(&mut answers).poll_next(cx)).await?;
            let Ok(message) = next else {
                continue;
            };
            let path = message.header().path().map(|p| p.as_str().to_owned());
            // Old portals choose their own path, returned as `handle`.
            if path.as_deref() == Some(handle.as_str()) || path.as_deref() == Some(&expected) {
                return Some(message);
            }
        }
    };
    let message = bounded(answer_timeout, wait)
        .await
        .map_err(|()| {
            failed(&format!(
                "no screenshot within {} s",
                answer_timeout.as_secs()
            ))
        })?
        .ok_or_else(|| failed("the D-Bus connection closed"))?;
    answer(&message)
}

/// The `Response(u response, a{sv} results)` signal, read.
fn answer(message: &Message) -> Result<Answer, QrError> {
    let (response, results): (u32, HashMap<String, OwnedValue>) = message
        .body()
        .deserialize()
        .map_err(|e| failed(&format!("unexpected answer: {e}")))?;
    match response {
        0 => {
            let uri = results
                .get("uri")
                .and_then(|v| v.downcast_ref::<&str>().ok())
                .ok_or_else(|| failed("its answer holds no screenshot"))?;
            file_path(uri)
                .map(Answer::File)
                .ok_or_else(|| failed("its screenshot is not a local file"))
        }
        1 => Ok(Answer::Cancelled),
        _ => Ok(Answer::Refused),
    }
}

/// A method call's error in words: the D-Bus error names say whether the
/// portal or its Screenshot interface is missing, or access was denied.
fn call_error(error: &zbus::Error) -> QrError {
    let zbus::Error::MethodError(name, detail, _) = error else {
        return failed(&format!("the call failed: {error}"));
    };
    let reason = match name.as_str() {
        "org.freedesktop.DBus.Error.ServiceUnknown"
        | "org.freedesktop.DBus.Error.NameHasNoOwner" => {
            "none on the session bus (no org.freedesktop.portal.Desktop)".to_owned()
        }
        "org.freedesktop.DBus.Error.UnknownMethod"
        | "org.freedesktop.DBus.Error.UnknownInterface"
        | "org.freedesktop.DBus.Error.UnknownObject" => "it has no Screenshot interface".to_owned(),
        "org.freedesktop.DBus.Error.AccessDenied" | "org.freedesktop.portal.Error.NotAllowed" => {
            "it does not allow screenshots".to_owned()
        }
        "org.freedesktop.DBus.Error.NoReply" | "org.freedesktop.DBus.Error.Timeout" => {
            "it did not answer in time".to_owned()
        }
        other if other.starts_with("org.freedesktop.DBus.Error.Spawn") => {
            "it could not be started".to_owned()
        }
        other => match detail {
            Some(detail) => format!("it failed ({other}: {detail})"),
            None => format!("it failed ({other})"),
        },
    };
    failed(&reason)
}

/// A `ScreenCapture` error about the portal.
fn failed(what: &str) -> QrError {
    QrError::ScreenCapture {
        reason: format!("desktop portal: {what}"),
    }
}

/// Runs `future` for at most `limit`.
async fn bounded<T>(limit: Duration, future: impl Future<Output = T>) -> Result<T, ()> {
    tokio::time::timeout(limit, future).await.map_err(|_| ())
}

/// A request token unique to this connection (whose name is part of the
/// request's path): letters, digits and `_` only, as an object path
/// element must be.
fn request_token() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("tessera_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The local path of a `file://` URI, percent-decoded; `None` for any
/// other URI, or one naming another host.
fn file_path(uri: &str) -> Option<PathBuf> {
    if !crate::core::otp::percent::escapes_are_whole(uri) {
        return None;
    }
    let url = url::Url::parse(uri).ok()?;
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use super::{capture_portal_on, file_path};
    use crate::core::qr::QrError;

    #[test]
    fn file_uris_become_paths() {
        assert_eq!(
            file_path("file:///tmp/Screenshot%20from%202026.png"),
            Some(PathBuf::from("/tmp/Screenshot from 2026.png"))
        );
        assert_eq!(
            file_path("file://localhost/a/b.png"),
            Some(PathBuf::from("/a/b.png"))
        );
        assert_eq!(file_path("https://example.com/a.png"), None);
        assert_eq!(file_path("file:///bad%zz"), None);
    }

    /// A bus that is not there is a specific error at once.
    #[test]
    fn an_unreachable_bus_is_a_specific_error() {
        let started = Instant::now();
        let result = capture_portal_on(Some("unix:path=/nonexistent/tessera-test-bus"));
        let Err(QrError::ScreenCapture { reason }) = result else {
            panic!("expected ScreenCapture, got {result:?}")
        };
        assert!(reason.starts_with("desktop portal:"), "{reason}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
