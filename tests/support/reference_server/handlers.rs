//! The endpoints of each flavor, as `docs/server-profiles.md` lists them.

use hyper::HeaderMap;
use serde_json::{Value, json};

use super::Reply;
use super::state::{Check, Flavor, State, base32, new_backup_codes, new_secret, otpauth};

pub(crate) fn route(
    state: &mut State,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let Some((prefix, rest)) = path.trim_start_matches('/').split_once('/') else {
        return not_found();
    };
    let flavor = match prefix {
        "syncano" => Flavor::Syncano,
        "daptin" => Flavor::Daptin,
        "laravel" => Flavor::Laravel,
        "nest" => Flavor::Nest,
        _ => return not_found(),
    };
    let json: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => {
                return Reply::json(
                    400,
                    &json!({"message": "Validation error(s)", "details": {"body": "not JSON"}}),
                );
            }
        }
    };
    let request = Incoming {
        method,
        rest,
        query,
        headers,
        json: &json,
    };
    match flavor {
        Flavor::Syncano => syncano(state, &request),
        Flavor::Daptin => daptin(state, &request),
        Flavor::Laravel => laravel(state, &request),
        Flavor::Nest => nest(state, &request),
    }
}

struct Incoming<'a> {
    method: &'a str,
    rest: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    json: &'a Value,
}

impl Incoming<'_> {
    fn field(&self, path: &[&str]) -> Option<&str> {
        path.iter().try_fold(self.json, |v, k| v.get(*k))?.as_str()
    }

    fn bearer(&self) -> Option<&str> {
        self.headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")
    }

    fn cookie(&self, name: &str) -> Option<String> {
        let header = self.headers.get("cookie")?.to_str().ok()?;
        header.split(';').find_map(|pair| {
            let (n, v) = pair.split_once('=')?;
            (n.trim() == name).then(|| v.trim().to_owned())
        })
    }
}

fn not_found() -> Reply {
    Reply::json(404, &json!({"message": "Not Found"}))
}

fn message(status: u16, text: &str) -> Reply {
    Reply::json(status, &json!({ "message": text }))
}

fn locked(seconds: u64, now_ms: u64) -> Reply {
    Reply::json(
        423,
        &json!({
            "message": "Account locked: too many invalid two-factor tokens",
            "retry_after": seconds,
            "locked_until": now_ms / 1000 + seconds,
        }),
    )
    .with_header("retry-after", seconds.to_string())
}

// ---------------------------------------------------------------- Syncano

fn syncano(state: &mut State, r: &Incoming<'_>) -> Reply {
    if r.method != "POST" {
        return message(405, "Method Not Allowed");
    }
    let username = r.field(&["username"]).unwrap_or("").to_owned();
    let flavor = Flavor::Syncano;
    match r.rest {
        "rest-auth/register/" => {
            let password = r.field(&["password"]).unwrap_or("");
            if username.is_empty() || password.is_empty() {
                return Reply::json(
                    400,
                    &json!({"message": "Validation error(s)", "details": {"username": "required", "password": "required"}}),
                );
            }
            if state.user(flavor, &username).is_some() {
                return message(400, "User already exists.");
            }
            let token = state.add_user(flavor, &username, password);
            Reply::json(
                200,
                &json!({"username": username, "token": token, "user_key": token}),
            )
        }
        "two-factor-auth/login/" => {
            let password = r.field(&["password"]).unwrap_or("");
            let matches = state
                .user(flavor, &username)
                .is_some_and(|u| u.password == password);
            if !matches {
                return message(401, "Given credentials does not match any user account");
            }
            if let Some(wait) = state.locked_for(flavor, &username) {
                return locked(wait, state.now_ms());
            }
            let enabled = state.user(flavor, &username).is_some_and(|u| u.enabled);
            if enabled {
                let Some(code) = r.field(&["two_factor_token"]) else {
                    return message(401, "Please enter two-factor token");
                };
                match state.check_code(flavor, &username, code, false, true) {
                    Check::Ok | Check::BackupCode => {}
                    Check::Replay => return message(401, "Invalid two-factor token: already used"),
                    Check::Wrong => {
                        if let Some(wait) = state.wrong_login_code(flavor, &username) {
                            return locked(wait, state.now_ms());
                        }
                        return message(401, "Invalid two-factor token");
                    }
                }
            }
            if let Some(user) = state.user_mut(flavor, &username) {
                user.wrong_in_a_row = 0;
            }
            let token = state.new_session(flavor, &username, true);
            Reply::json(200, &json!({"token": token, "username": username}))
        }
        rest => {
            let token = r.field(&["token"]).unwrap_or("");
            let Some(session) = state.session(flavor, token) else {
                return message(401, "Session not found: log in again");
            };
            if session.username != username {
                return message(401, "Session not found: log in again");
            }
            syncano_2fa(state, r, rest, &username)
        }
    }
}

fn syncano_2fa(state: &mut State, r: &Incoming<'_>, rest: &str, username: &str) -> Reply {
    let flavor = Flavor::Syncano;
    let enabled = state.user(flavor, username).is_some_and(|u| u.enabled);
    match rest {
        "two-factor-auth/setup-two-factor/" => {
            if enabled {
                return message(400, "Two-factor authentication already enabled.");
            }
            let secret = new_secret();
            let reply = json!({
                "message": "Verify OTP",
                "tempSecret": base32(&secret),
                "otpURL": otpauth(&secret, None),
            });
            if let Some(user) = state.user_mut(flavor, username) {
                user.pending = Some(secret);
            }
            Reply::json(200, &reply)
        }
        "two-factor-auth/verify-token/" => {
            if enabled {
                return message(400, "Two-factor authentication already enabled.");
            }
            if state
                .user(flavor, username)
                .is_none_or(|u| u.pending.is_none())
            {
                return message(400, "Setup two-factor authentication before verifying");
            }
            let code = r.field(&["two_factor_token"]).unwrap_or("");
            match state.check_code(flavor, username, code, true, false) {
                Check::Ok | Check::BackupCode => {
                    let codes = new_backup_codes();
                    let list: Vec<&str> = codes.iter().map(|(c, _)| c.as_str()).collect();
                    let reply = json!({"message": "Two-factor authentication enabled", "backup_codes": list});
                    if let Some(user) = state.user_mut(flavor, username) {
                        user.secret = user.pending.take();
                        user.enabled = true;
                        user.backup_codes = codes;
                    }
                    Reply::json(200, &reply)
                }
                Check::Replay => message(400, "Invalid two-factor token: already used"),
                Check::Wrong => message(400, "Invalid two-factor token, verification failed"),
            }
        }
        "two-factor-auth/disable-two-factor/" => {
            if !enabled {
                return message(
                    400,
                    "Two-factor authentication is not enabled on user account",
                );
            }
            let code = r.field(&["two_factor_token"]).unwrap_or("");
            match state.check_code(flavor, username, code, false, true) {
                Check::Ok | Check::BackupCode => {
                    if let Some(user) = state.user_mut(flavor, username) {
                        user.enabled = false;
                        user.secret = None;
                        user.backup_codes.clear();
                    }
                    message(200, "Two-factor authentication disabled")
                }
                Check::Replay => message(400, "Invalid two-factor token: already used"),
                Check::Wrong => message(400, "Invalid two-factor token"),
            }
        }
        "two-factor-auth/check-two-factor/" => {
            if enabled {
                Reply::json(
                    200,
                    &json!({"message": "Two-factor authentication is enabled", "is_two_factor": true}),
                )
            } else {
                Reply::json(
                    400,
                    &json!({"message": "Two-factor authentication is not enabled", "is_two_factor": false}),
                )
            }
        }
        _ => not_found(),
    }
}

// ---------------------------------------------------------------- Daptin

fn notify(status: u16, kind: &str, text: &str) -> Reply {
    Reply::json(
        status,
        &json!([{"ResponseType": "client.notify", "Attributes": {"type": kind, "title": kind, "message": text}}]),
    )
}

fn daptin(state: &mut State, r: &Incoming<'_>) -> Reply {
    let flavor = Flavor::Daptin;
    match (r.method, r.rest) {
        ("POST", "action/user_account/signup") => {
            let email = r.field(&["attributes", "email"]).unwrap_or("").to_owned();
            let password = r.field(&["attributes", "password"]).unwrap_or("");
            if email.is_empty()
                || password.is_empty()
                || r.field(&["attributes", "passwordConfirm"]) != Some(password)
            {
                return notify(
                    400,
                    "error",
                    "email, password and passwordConfirm are required",
                );
            }
            if state.user(flavor, &email).is_some() {
                return notify(400, "error", "an account with this email exists");
            }
            state.add_user(flavor, &email, password);
            notify(200, "success", "Signed up")
        }
        ("POST", "action/user_account/signin") => {
            let email = r.field(&["attributes", "email"]).unwrap_or("").to_owned();
            let password = r.field(&["attributes", "password"]).unwrap_or("");
            if state
                .user(flavor, &email)
                .is_none_or(|u| u.password != password)
            {
                return notify(401, "error", "Invalid username or password");
            }
            if let Some(wait) = state.locked_for(flavor, &email) {
                return locked(wait, state.now_ms());
            }
            if state.user(flavor, &email).is_some_and(|u| u.enabled) {
                let Some(code) = r.field(&["attributes", "otp"]) else {
                    return notify(401, "error", "OTP required");
                };
                match state.check_code(flavor, &email, code, false, false) {
                    Check::Ok | Check::BackupCode => {}
                    Check::Replay => return notify(401, "error", "Invalid OTP: already used"),
                    Check::Wrong => {
                        if let Some(wait) = state.wrong_login_code(flavor, &email) {
                            return locked(wait, state.now_ms());
                        }
                        return notify(401, "error", "Invalid OTP");
                    }
                }
            }
            if let Some(user) = state.user_mut(flavor, &email) {
                user.wrong_in_a_row = 0;
            }
            let token = state.new_session(flavor, &email, true);
            Reply::json(
                200,
                &json!([
                    {"ResponseType": "client.store.set", "Attributes": {"key": "token", "value": token}},
                    {"ResponseType": "client.notify", "Attributes": {"type": "success", "message": "Logged in"}},
                    {"ResponseType": "client.redirect", "Attributes": {"location": "/", "window": "self"}}
                ]),
            )
        }
        (method, rest) => {
            let Some(session) = r.bearer().and_then(|t| state.session(flavor, t)) else {
                return if rest.starts_with("api/") {
                    jsonapi_error(401, "unauthorized")
                } else {
                    notify(401, "error", "unauthorized: sign in again")
                };
            };
            daptin_2fa(state, r, method, rest, &session.username)
        }
    }
}

fn jsonapi_error(status: u16, title: &str) -> Reply {
    let mut reply = Reply::json(
        status,
        &json!({"errors": [{"status": status.to_string(), "title": title}]}),
    );
    reply.content_type = "application/vnd.api+json";
    reply
}

fn daptin_2fa(state: &mut State, r: &Incoming<'_>, method: &str, rest: &str, email: &str) -> Reply {
    let flavor = Flavor::Daptin;
    let enabled = state.user(flavor, email).is_some_and(|u| u.enabled);
    match (method, rest) {
        ("POST", "action/user_account/generate_otp") => {
            if enabled {
                return notify(400, "error", "OTP is already enabled");
            }
            let secret = new_secret();
            let reply = json!({"secret": base32(&secret)});
            if let Some(user) = state.user_mut(flavor, email) {
                user.pending = Some(secret);
            }
            Reply::json(200, &reply)
        }
        ("POST", "action/user_account/verify_otp") => {
            if state
                .user(flavor, email)
                .is_none_or(|u| u.pending.is_none())
            {
                return notify(400, "error", "generate an OTP secret first");
            }
            let code = r.field(&["attributes", "otp"]).unwrap_or("");
            match state.check_code(flavor, email, code, true, false) {
                Check::Ok | Check::BackupCode => {
                    if let Some(user) = state.user_mut(flavor, email) {
                        user.secret = user.pending.take();
                        user.enabled = true;
                    }
                    notify(200, "success", "OTP verified")
                }
                Check::Replay => notify(400, "error", "Invalid OTP: already used"),
                Check::Wrong => notify(400, "error", "Invalid OTP"),
            }
        }
        ("POST", "action/user_account/disable_otp") => {
            if !enabled {
                return notify(400, "error", "OTP is not enabled");
            }
            let code = r.field(&["attributes", "otp"]).unwrap_or("");
            match state.check_code(flavor, email, code, false, false) {
                Check::Ok | Check::BackupCode => {
                    if let Some(user) = state.user_mut(flavor, email) {
                        user.enabled = false;
                        user.secret = None;
                    }
                    notify(200, "success", "OTP disabled")
                }
                Check::Replay => notify(400, "error", "Invalid OTP: already used"),
                Check::Wrong => notify(400, "error", "Invalid OTP"),
            }
        }
        ("GET", rest) if rest.starts_with("api/user_account/") => {
            let id = &rest["api/user_account/".len()..];
            let Some(user) = state.user(flavor, email).filter(|u| u.id == id) else {
                return jsonapi_error(403, "forbidden");
            };
            if !r.query.contains("fields=otp_enabled") {
                return jsonapi_error(400, "fields=otp_enabled expected");
            }
            let mut reply = Reply::json(
                200,
                &json!({"data": {"type": "user_account", "id": user.id, "attributes": {"otp_enabled": user.enabled}}}),
            );
            reply.content_type = "application/vnd.api+json";
            reply
        }
        _ => notify(404, "error", "no such action"),
    }
}

// ---------------------------------------------------------------- Laravel

fn laravel(state: &mut State, r: &Incoming<'_>) -> Reply {
    let flavor = Flavor::Laravel;
    if !r
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
    {
        return Reply {
            status: 302,
            content_type: "text/html",
            body: b"<html>Redirecting to /login</html>".to_vec(),
            headers: vec![("location", "/login".to_owned())],
        };
    }
    let Some(session) = r.bearer().and_then(|t| state.session(flavor, t)) else {
        return message(401, "Unauthenticated.");
    };
    let username = session.username;
    let enabled = state.user(flavor, &username).is_some_and(|u| u.enabled);
    match (r.method, r.rest) {
        ("PATCH", "api/2fa/enable") => {
            if enabled {
                return message(
                    400,
                    "Two factor authentication already enabled for current user",
                );
            }
            if let Some(user) = state.user_mut(flavor, &username) {
                user.secret = Some(new_secret());
                user.enabled = true;
                user.last_step = None;
            }
            message(200, "Two factor authentication enabled for current user")
        }
        ("GET", "api/2fa/code") => {
            let Some(secret) = state
                .user(flavor, &username)
                .and_then(|u| u.secret.clone())
                .filter(|_| enabled)
            else {
                return message(
                    400,
                    "Two factor authentication is not enabled for current user",
                );
            };
            let uri = otpauth(&secret, Some("Laravel"));
            if state.image_answers {
                // google2fa's inline QR: SVG markup in `code`.
                let svg = tessera::core::qr::encode_svg(&uri).expect("the otpauth URI fits a QR");
                return Reply::json(200, &json!({ "code": svg }));
            }
            Reply::json(200, &json!({ "code": uri }))
        }
        ("POST", "api/2fa/verify") => {
            if !enabled {
                return message(
                    400,
                    "Two factor authentication is not enabled for current user",
                );
            }
            if let Some(wait) = state.rate_limited_for(flavor, &username) {
                return Reply::json(
                    429,
                    &json!({"message": "Too Many Attempts.", "retry_after": wait}),
                )
                .with_header("retry-after", wait.to_string());
            }
            let code = r.field(&["code"]).unwrap_or("");
            match state.check_code(flavor, &username, code, false, false) {
                Check::Ok | Check::BackupCode => {
                    message(200, "Two factor authentication successful")
                }
                Check::Replay | Check::Wrong => {
                    state.failed_verification(flavor, &username);
                    message(400, "Two factor authentication failed")
                }
            }
        }
        ("PATCH", "api/2fa/disable") => {
            if !enabled {
                return message(
                    400,
                    "Two factor authentication is not enabled for current user",
                );
            }
            if let Some(user) = state.user_mut(flavor, &username) {
                user.enabled = false;
                user.secret = None;
            }
            message(200, "Two factor authentication disabled for current user")
        }
        _ => not_found(),
    }
}

// ---------------------------------------------------------------- Nest

fn nest(state: &mut State, r: &Incoming<'_>) -> Reply {
    let flavor = Flavor::Nest;
    if (r.method, r.rest) == ("POST", "auth/refresh") {
        return match r.cookie("refresh").and_then(|t| state.refresh(&t)) {
            Some(token) => Reply::json(200, &json!({"message": "Token refreshed"}))
                .with_header("set-cookie", access_cookie(&token)),
            None => message(401, "Invalid or expired refresh token"),
        };
    }
    let Some(session) = r.cookie("jwt").and_then(|t| state.session(flavor, &t)) else {
        return message(401, "Unauthorized");
    };
    let username = session.username.clone();
    let enabled = state.user(flavor, &username).is_some_and(|u| u.enabled);
    let code = r.field(&["code"]).unwrap_or("").to_owned();
    match (r.method, r.rest) {
        ("POST", "2fa/generate") => {
            if enabled {
                return message(400, "2FA is already enabled");
            }
            let secret = new_secret();
            let uri = otpauth(&secret, Some("Transcendence"));
            if let Some(user) = state.user_mut(flavor, &username) {
                user.pending = Some(secret);
            }
            if state.image_answers {
                return Reply {
                    status: 200,
                    content_type: "image/png",
                    body: tessera::core::qr::encode_png(&uri).expect("the otpauth URI fits a QR"),
                    headers: Vec::new(),
                };
            }
            Reply::json(200, &json!({ "otpauthUrl": uri }))
        }
        ("POST", "2fa/turn-on") => match state.check_code(flavor, &username, &code, true, false) {
            Check::Ok | Check::BackupCode => {
                if let Some(user) = state.user_mut(flavor, &username) {
                    user.secret = user.pending.take();
                    user.enabled = true;
                }
                Reply {
                    status: 200,
                    content_type: "application/json",
                    body: Vec::new(),
                    headers: Vec::new(),
                }
            }
            Check::Replay => message(401, "Wrong authentication code: already used"),
            Check::Wrong => message(401, "Wrong authentication code"),
        },
        ("POST", "2fa/authenticate") => {
            match state.check_code(flavor, &username, &code, false, false) {
                Check::Ok | Check::BackupCode => {
                    let token = state.new_session(flavor, &username, true);
                    let refresh = state.new_refresh_token(&username, true);
                    Reply::json(200, &json!({"message": "2FA passed"}))
                        .with_header("set-cookie", access_cookie(&token))
                        .with_header(
                            "set-cookie",
                            format!("refresh={refresh}; Path=/; HttpOnly; SameSite=Lax"),
                        )
                }
                Check::Replay => message(401, "Wrong authentication code: already used"),
                Check::Wrong => message(401, "Wrong authentication code"),
            }
        }
        ("POST", "2fa/turn-off") => {
            if !session.second_factor {
                return message(401, "Unauthorized: pass two-factor authentication first");
            }
            if !enabled {
                return message(400, "2FA is not enabled");
            }
            match state.check_code(flavor, &username, &code, false, false) {
                Check::Ok | Check::BackupCode => {
                    if let Some(user) = state.user_mut(flavor, &username) {
                        user.enabled = false;
                        user.secret = None;
                    }
                    Reply {
                        status: 200,
                        content_type: "application/json",
                        body: Vec::new(),
                        headers: Vec::new(),
                    }
                }
                Check::Replay => message(401, "Wrong authentication code: already used"),
                Check::Wrong => message(401, "Wrong authentication code"),
            }
        }
        _ => not_found(),
    }
}

fn access_cookie(token: &str) -> String {
    format!("jwt={token}; Path=/; HttpOnly; SameSite=Lax")
}
