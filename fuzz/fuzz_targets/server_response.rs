//! What the server client reads from an answer: secret discovery in a
//! `setup` answer, the session token of a register/login answer, the error
//! a refusal maps to, and `Set-Cookie` headers. The first four bytes pick
//! the built-in profile, the operation, the media type and the status;
//! the rest is the body.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera::core::server::{
    Answer, Credentials, OpName, Profile, ServerClient, ServerRecord, discover, qr_decoder,
};

const OPS: [OpName; 8] = [
    OpName::Setup,
    OpName::Register,
    OpName::Login,
    OpName::LoginWithCode,
    OpName::Verify,
    OpName::Enable,
    OpName::Disable,
    OpName::Status,
];
const TYPES: [&str; 6] = [
    "application/json",
    "application/vnd.api+json",
    "image/png",
    "image/svg+xml",
    "text/plain",
    "",
];
const STATUSES: [u16; 10] = [200, 201, 400, 401, 403, 409, 422, 423, 429, 500];

fn profiles() -> &'static [Profile] {
    static PROFILES: OnceLock<Vec<Profile>> = OnceLock::new();
    PROFILES.get_or_init(|| Profile::builtins().unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<4>() else {
        return;
    };
    let profiles = profiles();
    let Some(profile) = profiles.get(usize::from(head[0]) % profiles.len().max(1)) else {
        return;
    };
    let op = OPS[usize::from(head[1]) % OPS.len()];
    let answer = Answer {
        status: STATUSES[usize::from(head[3]) % STATUSES.len()],
        content_type: TYPES[usize::from(head[2]) % TYPES.len()].to_owned(),
        body: body.to_vec(),
        ..Answer::default()
    };
    if let Ok(operation) = profile.op(op) {
        let _ = discover(
            profile,
            operation,
            &answer,
            Some(qr_decoder()),
            "Fuzz",
            None,
        );
    }
    let Ok(mut record) = ServerRecord::new("fuzz", profile.name.clone(), "http://127.0.0.1:1")
    else {
        return;
    };
    let _ = ServerClient::take_session(profile, &mut record, op, &answer, head[1] & 0x80 != 0);
    let json = answer.json().ok().flatten();
    let _ = ServerClient::refusal(profile, &record, &answer, json.as_ref());
    let text = String::from_utf8_lossy(body);
    let mut credentials = Credentials::default();
    credentials.apply_set_cookie(&text);
    credentials.set_cookies_from(&text, "session");
});
