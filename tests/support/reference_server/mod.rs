//! The reference 2FA server: every profile of `docs/server-profiles.md`
//! (Syncano, Daptin, Laravel `Google2FA`, `NestJS` JWT), each under its own
//! path prefix, over real HTTP on a loopback port.
//!
//! Real TOTP checks with `tessera::core::otp` (±1 step, a step never
//! accepted twice), the seed-001 lockout (the 4th wrong code in a row locks
//! logins for 5 minutes: 423 + `retry_after`), the seed-003 rate limit (5
//! failed verifications in 5 minutes: 429 + `retry_after`), seed-001
//! backup codes (five, 10 characters of `[A-Za-z0-9]`), bearer, body-token
//! and cookie sessions, seed 004's access and refresh JWTs (30 minutes and
//! 7 days, signed with two different keys), Daptin's action lists, and injectable faults for
//! tests ([`Fault`]). The time comes from an injected `Clock`.
//!
//! Used by `tests/server.rs` and by `examples/demo_server.rs`. Listens on
//! loopback only; state is in memory and dies with the server.

// The demo example and the tests each use a part of this module.
#![allow(dead_code)]

mod handlers;
mod jwt;
mod state;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tessera::core::clock::Clock;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use state::Flavor;
use state::State;

/// A misbehaviour the server shows on every request until cleared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 500 with a JSON message.
    Status500,
    /// 200 `application/json` that is not JSON.
    MalformedJson,
    /// 200 `application/json` with an empty body.
    EmptyBody,
    /// 200 `text/html` (a captive portal, a login page).
    WrongContentType,
    /// Answers only after this long.
    Stall(Duration),
    /// 307 to the same path on another origin (e.g. `http://localhost:PORT`).
    RedirectTo(String),
    /// 307 to the same path on this origin (followed, then answered normally).
    RedirectSameOrigin,
    /// 200 with a body of this many bytes.
    Huge(usize),
    /// Forgets every user and session when a request's path contains this.
    ForgetUsersOn(String),
}

/// A running reference server; stops when dropped.
pub struct ReferenceServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl ReferenceServer {
    /// Starts on `127.0.0.1` and an ephemeral port.
    pub async fn start(clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), clock).await
    }

    /// Starts on `addr`, which must be a loopback address.
    pub async fn start_on(addr: SocketAddr, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::other(
                "the reference server listens on loopback only",
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new(clock)));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request| serve(Arc::clone(&state), addr, request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of `flavor`: the origin plus its path prefix.
    pub fn url(&self, flavor: Flavor) -> String {
        format!("{}/{}/", self.origin(), flavor.prefix())
    }

    /// Creates a user directly; returns its session credential (a bearer
    /// token for Laravel, the `jwt` cookie value for Nest, the session
    /// token for Syncano and Daptin).
    pub fn add_user(&self, flavor: Flavor, username: &str, password: &str) -> String {
        self.lock().add_user(flavor, username, password)
    }

    /// Sets or clears the fault.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.lock().fault = fault;
    }

    /// With `true`, setups answer with a real QR image instead of a URI:
    /// Laravel's `code` is SVG markup and Nest's `2fa/generate` an
    /// `image/png` body, both made by Tessera's QR encoder.
    pub fn set_image_answers(&self, on: bool) {
        self.lock().image_answers = on;
    }

    /// Forgets every user and session.
    pub fn forget_users(&self) {
        self.lock().forget();
    }

    /// Whether 2FA is on for the user.
    pub fn is_enabled(&self, flavor: Flavor, username: &str) -> bool {
        self.lock()
            .user(flavor, username)
            .is_some_and(|u| u.enabled)
    }

    /// How many times Nest's `auth/refresh` renewed a session.
    pub fn refreshes(&self) -> usize {
        self.lock().refreshes
    }

    /// How many requests reached a handler (after faults).
    pub fn requests(&self) -> usize {
        self.lock().requests
    }

    /// The time steps of accepted codes, per user (to check the client
    /// never reuses one).
    pub fn accepted_steps(&self, flavor: Flavor, username: &str) -> Vec<u64> {
        self.lock()
            .user(flavor, username)
            .map(|u| u.accepted_steps.clone())
            .unwrap_or_default()
    }

    /// The backup codes issued to the user, with whether each was used.
    pub fn backup_codes(&self, flavor: Flavor, username: &str) -> Vec<(String, bool)> {
        self.lock()
            .user(flavor, username)
            .map(|u| u.backup_codes.clone())
            .unwrap_or_default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a handler answers.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: value.to_string().into_bytes(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

async fn serve(
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().as_str().to_owned();
    let uri = request.uri().clone();
    let headers = request.headers().clone();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let mut path = uri.path().to_owned();
    let hopped = path.starts_with("/hop/");
    if hopped {
        path = path["/hop".len()..].to_owned();
    }
    let fault = lock(&state).fault.clone();
    let reply = match fault {
        Some(Fault::Stall(d)) => {
            tokio::time::sleep(d).await;
            None
        }
        Some(Fault::Status500) => Some(Reply::json(
            500,
            &serde_json::json!({"message": "Internal Server Error"}),
        )),
        Some(Fault::MalformedJson) => Some(Reply {
            status: 200,
            content_type: "application/json",
            body: b"{\"message\": \"ok\", ".to_vec(),
            headers: Vec::new(),
        }),
        Some(Fault::EmptyBody) => Some(Reply {
            status: 200,
            content_type: "application/json",
            body: Vec::new(),
            headers: Vec::new(),
        }),
        Some(Fault::WrongContentType) => Some(Reply {
            status: 200,
            content_type: "text/html",
            body: b"<html><body>Please sign in</body></html>".to_vec(),
            headers: Vec::new(),
        }),
        Some(Fault::Huge(n)) => Some(Reply {
            status: 200,
            content_type: "application/json",
            body: vec![b' '; n],
            headers: Vec::new(),
        }),
        Some(Fault::RedirectTo(origin)) => {
            Some(redirect(&format!("{origin}{}", path_and_query(&uri))))
        }
        Some(Fault::RedirectSameOrigin) if !hopped => Some(redirect(&format!(
            "http://{addr}/hop{}",
            path_and_query(&uri)
        ))),
        Some(Fault::ForgetUsersOn(part)) if path.contains(&part) => {
            lock(&state).forget();
            None
        }
        _ => None,
    };
    let reply = reply.unwrap_or_else(|| {
        let mut state = lock(&state);
        state.requests += 1;
        handlers::route(
            &mut state,
            &method,
            &path,
            uri.query().unwrap_or(""),
            &headers,
            &body,
        )
    });
    let mut response = Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type);
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    Ok(response
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

fn path_and_query(uri: &hyper::Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

fn redirect(location: &str) -> Reply {
    Reply {
        status: 307,
        content_type: "text/plain",
        body: Vec::new(),
        headers: vec![("location", location.to_owned())],
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
