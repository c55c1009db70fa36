//! [`Profile`]: the declarative description of one family of 2FA servers
//! (data, read from TOML), its validation, the built-in profiles and user
//! profiles from a folder.
//!
//! Owns: the profile file format (`docs/server-client.md`), the meaning of
//! its templates (`{username}`, `{password}`, `{token}`, `{code}`,
//! `{name}`, `{user_id}`; `{var?}` drops the field when `var` is unset) and
//! of its field paths (`a.b.0.c`).
//!
//! Must never: run code from a profile (it is data), or put a template's
//! rendered value (a password, a token, a code) into an error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value as Json;

use super::error::ServerError;

/// The TOML of the built-in profiles, by name.
const BUILTIN: [(&str, &str); 4] = [
    ("syncano", include_str!("profiles/syncano.toml")),
    ("daptin", include_str!("profiles/daptin.toml")),
    (
        "laravel-google2fa",
        include_str!("profiles/laravel-google2fa.toml"),
    ),
    ("nest-jwt", include_str!("profiles/nest-jwt.toml")),
];

/// Names a template may use.
const VARIABLES: [&str; 6] = ["username", "password", "token", "code", "name", "user_id"];

/// How requests prove the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthStyle {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// Cookies kept per server and updated from every `Set-Cookie`.
    Cookie,
    /// The token travels in the request body (`{token}` in templates).
    Body,
}

/// One operation of the common model (`docs/server-profiles.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpName {
    Register,
    Login,
    LoginWithCode,
    Setup,
    Verify,
    Enable,
    Disable,
    Status,
    /// Renews an expired session (a refresh cookie or token buys a new
    /// access token); run once when a call is refused as unauthorized.
    Refresh,
}

impl OpName {
    /// The name used in profile files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::LoginWithCode => "login_with_code",
            Self::Setup => "setup",
            Self::Verify => "verify",
            Self::Enable => "enable",
            Self::Disable => "disable",
            Self::Status => "status",
            Self::Refresh => "refresh",
        }
    }
}

impl fmt::Display for OpName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an error rule maps a response to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    BadCredentials,
    CodeRequired,
    InvalidCode,
    Replay,
    AlreadyEnabled,
    NotEnabled,
    NotSetUp,
    RateLimited,
    Locked,
    Validation,
    Unauthorized,
}

/// A rule mapping a non-2xx answer to an [`ErrorKind`]: it applies when the
/// status matches (if given) and the server's message contains `contains`
/// (if given, ignoring case). The first matching rule wins.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRule {
    pub status: Option<u16>,
    pub contains: Option<String>,
    pub kind: ErrorKind,
}

/// One HTTP call of a profile.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// Appended to the base URL; may hold templates and a query string.
    pub path: String,
    /// A JSON body template (a TOML table); strings are templates.
    pub body: Option<toml::Value>,
    /// Where an explicit base32 secret may be (setup).
    #[serde(default)]
    pub secret_fields: Vec<String>,
    /// Where an `otpauth://` URI may be (setup).
    #[serde(default)]
    pub otpauth_fields: Vec<String>,
    /// Where a QR image (data URL or SVG markup) may be (setup). A field
    /// here holding an otpauth URI is taken as one.
    #[serde(default)]
    pub qr_fields: Vec<String>,
    /// Where a boolean "2FA is on" is (status); read whatever the status.
    pub enabled_field: Option<String>,
    /// Where a session token may be; overrides the profile's list.
    pub token_fields: Option<Vec<String>>,
    /// Where backup codes (a list of strings) may be.
    #[serde(default)]
    pub backup_code_fields: Vec<String>,
}

/// TOTP parameters of a server that hands out a bare secret.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpDefaults {
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    #[serde(default = "default_digits")]
    pub digits: u8,
    #[serde(default = "default_period")]
    pub period: u32,
}

impl Default for TotpDefaults {
    fn default() -> Self {
        Self {
            algorithm: default_algorithm(),
            digits: default_digits(),
            period: default_period(),
        }
    }
}

fn default_algorithm() -> String {
    "SHA1".to_owned()
}
const fn default_digits() -> u8 {
    6
}
const fn default_period() -> u32 {
    30
}
fn default_messages() -> Vec<String> {
    vec!["message".to_owned()]
}
fn default_enrol() -> Vec<OpName> {
    vec![OpName::Setup, OpName::Verify]
}

/// Where the user id used in paths (`{user_id}`) comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserIdSource {
    /// The `sub` claim of the session JWT.
    JwtSub,
}

/// A server family: its operations, auth style, field paths and error
/// mapping. Build one with [`Profile::from_toml`] or [`Profile::builtin`];
/// both validate it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_excessive_bools)] // independent yes/no keys of a data file
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub auth: AuthStyle,
    /// The session cookie's name (cookie auth); `jwt` by default.
    pub cookie_name: Option<String>,
    /// Headers sent on every request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The operations run by enrolment, in order; must include `setup`.
    #[serde(default = "default_enrol")]
    pub enrol: Vec<OpName>,
    /// Whether a backup code may be sent in place of a code.
    #[serde(default)]
    pub backup_codes: bool,
    /// Whether the server accepts a second code from the same time step.
    #[serde(default)]
    pub accepts_reused_step: bool,
    /// Whether `disable` needs a session that passed the second factor
    /// (Nest's JWT flag): it logs in with a code first.
    #[serde(default)]
    pub login_before_disable: bool,
    /// Where the session token is in register/login answers.
    #[serde(default)]
    pub token_fields: Vec<String>,
    /// Also look for Daptin's action list (`client.store.set` of `token`).
    #[serde(default)]
    pub action_list: bool,
    pub user_id: Option<UserIdSource>,
    /// Where the server's message is in an answer.
    #[serde(default = "default_messages")]
    pub message_fields: Vec<String>,
    #[serde(default)]
    pub totp: TotpDefaults,
    pub ops: BTreeMap<OpName, Operation>,
    #[serde(default)]
    pub errors: Vec<ErrorRule>,
}

impl Profile {
    /// Parses and validates a profile file's text.
    ///
    /// `Profile { profile, reason }` naming the first problem (TOML syntax
    /// with its line, unknown keys, unknown template variables, ...).
    pub fn from_toml(text: &str) -> Result<Self, ServerError> {
        let profile: Self = toml::from_str(text).map_err(|e| ServerError::Profile {
            profile: guess_name(text),
            reason: e.message().to_owned() + &line_of(text, e.span()),
        })?;
        profile.validate()?;
        Ok(profile)
    }

    /// The built-in profile `name`.
    pub fn builtin(name: &str) -> Result<Self, ServerError> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            ServerError::UnknownProfile {
                name: name.to_owned(),
            }
        })?;
        Self::from_toml(text)
    }

    /// The TOML text of the built-in profile `name` (a starting point for
    /// a user's own profile).
    pub fn builtin_toml(name: &str) -> Option<&'static str> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
    }

    /// Every built-in profile.
    pub fn builtins() -> Result<Vec<Self>, ServerError> {
        BUILTIN
            .iter()
            .map(|(_, text)| Self::from_toml(text))
            .collect()
    }

    /// Every `*.toml` profile in `dir` (sorted by file name); a missing
    /// folder has none. An invalid file is an error naming the file.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>, ServerError> {
        let read = match std::fs::read_dir(dir) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(ServerError::Profile {
                    profile: dir.display().to_string(),
                    reason: format!("cannot read the folder: {e}"),
                });
            }
        };
        let mut paths: Vec<_> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).map_err(|e| ServerError::Profile {
                    profile: path.display().to_string(),
                    reason: format!("cannot read the file: {e}"),
                })?;
                Self::from_toml(&text).map_err(|e| match e {
                    ServerError::Profile { reason, .. } => ServerError::Profile {
                        profile: path.display().to_string(),
                        reason,
                    },
                    other => other,
                })
            })
            .collect()
    }

    /// The built-in profiles followed by those of `dir`; a user profile
    /// may not reuse a name.
    pub fn all(dir: Option<&Path>) -> Result<Vec<Self>, ServerError> {
        let mut all = Self::builtins()?;
        if let Some(dir) = dir {
            for profile in Self::load_dir(dir)? {
                if all.iter().any(|p| p.name == profile.name) {
                    return Err(ServerError::Profile {
                        profile: profile.name,
                        reason: "this name is taken by another profile".to_owned(),
                    });
                }
                all.push(profile);
            }
        }
        Ok(all)
    }

    /// The operation `op`, or `Unsupported`.
    pub fn op(&self, op: OpName) -> Result<&Operation, ServerError> {
        self.ops.get(&op).ok_or_else(|| ServerError::Unsupported {
            profile: self.name.clone(),
            operation: op.as_str(),
        })
    }

    /// Whether the profile has `op`.
    pub fn has(&self, op: OpName) -> bool {
        self.ops.contains_key(&op)
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &str {
        self.cookie_name.as_deref().unwrap_or("jwt")
    }

    /// Checks everything `serde` cannot.
    pub fn validate(&self) -> Result<(), ServerError> {
        let fail = |reason: String| ServerError::Profile {
            profile: self.name.clone(),
            reason,
        };
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(fail(
                "the name must be lower-case letters, digits, “-” or “_”".into(),
            ));
        }
        if self.auth != AuthStyle::Cookie && self.cookie_name.is_some() {
            return Err(fail("“cookie_name” needs auth = \"cookie\"".into()));
        }
        for (name, value) in &self.headers {
            if name.is_empty() || value.contains(['\r', '\n']) {
                return Err(fail(format!("header “{name}” is not a valid header")));
            }
        }
        for (name, op) in &self.ops {
            let fail_op = |reason: &str| fail(format!("[ops.{name}]: {reason}"));
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&op.method.as_str()) {
                return Err(fail_op(
                    "“method” must be GET, POST, PUT, PATCH or DELETE (upper case)",
                ));
            }
            if op.path.contains("://") || op.path.starts_with("//") {
                return Err(fail_op(
                    "“path” must be relative to the base URL (no scheme, no host)",
                ));
            }
            check_template(&op.path).map_err(|r| fail_op(&r))?;
            if let Some(body) = &op.body {
                if op.method == "GET" {
                    return Err(fail_op("a GET request cannot have a body"));
                }
                if !body.is_table() {
                    return Err(fail_op("“body” must be a table"));
                }
                check_value(body).map_err(|r| fail_op(&r))?;
            }
            let needs_code = matches!(name, OpName::Verify | OpName::LoginWithCode);
            if needs_code && !op.uses("code") {
                return Err(fail_op("this operation must send “{code}”"));
            }
            if *name == OpName::Refresh && op.uses("code") {
                return Err(fail_op("refresh cannot send “{code}”"));
            }
            if *name == OpName::Status && op.enabled_field.is_none() {
                return Err(fail_op("status needs “enabled_field”"));
            }
            if *name == OpName::Setup
                && op.secret_fields.is_empty()
                && op.otpauth_fields.is_empty()
                && op.qr_fields.is_empty()
            {
                // A setup whose body is an image: allowed, discovery reads the body.
            }
        }
        if !self.enrol.contains(&OpName::Setup) {
            return Err(fail("“enrol” must include “setup”".into()));
        }
        for op in &self.enrol {
            if !self.has(*op) {
                return Err(fail(format!(
                    "“enrol” names “{op}”, which has no [ops.{op}]"
                )));
            }
        }
        if self.login_before_disable && !self.has(OpName::LoginWithCode) {
            return Err(fail(
                "“login_before_disable” needs [ops.login_with_code]".into(),
            ));
        }
        if self.ops.values().any(|o| o.uses("user_id")) && self.user_id.is_none() {
            return Err(fail("“{user_id}” is used but “user_id” is not set".into()));
        }
        if self.totp.digits < 6 || self.totp.digits > 10 || self.totp.period == 0 {
            return Err(fail("[totp] needs 6–10 digits and a period above 0".into()));
        }
        Ok(())
    }
}

impl Operation {
    /// Whether the path or body template uses `var`.
    pub fn uses(&self, var: &str) -> bool {
        let plain = format!("{{{var}}}");
        let optional = format!("{{{var}?}}");
        let mut found = self.path.contains(&plain) || self.path.contains(&optional);
        if let Some(body) = &self.body {
            visit_strings(body, &mut |s| {
                found |= s.contains(&plain) || s.contains(&optional);
            });
        }
        found
    }
}

fn visit_strings(value: &toml::Value, f: &mut impl FnMut(&str)) {
    match value {
        toml::Value::String(s) => f(s),
        toml::Value::Array(items) => items.iter().for_each(|v| visit_strings(v, f)),
        toml::Value::Table(table) => table.values().for_each(|v| visit_strings(v, f)),
        _ => {}
    }
}

fn check_value(value: &toml::Value) -> Result<(), String> {
    let mut result = Ok(());
    visit_strings(value, &mut |s| {
        if result.is_ok() {
            result = check_template(s);
        }
    });
    result
}

/// The placeholders of a template, as `(name, optional)`.
fn placeholders(template: &str) -> Result<Vec<(&str, bool)>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed “{{” in “{template}”"))?;
        let inner = &after[..close];
        let (name, optional) = match inner.strip_suffix('?') {
            Some(name) => (name, true),
            None => (inner, false),
        };
        out.push((name, optional));
        rest = &after[close + 1..];
    }
    Ok(out)
}

fn check_template(template: &str) -> Result<(), String> {
    for (name, _) in placeholders(template)? {
        if !VARIABLES.contains(&name) {
            return Err(format!(
                "unknown variable “{{{name}}}”; known: {}",
                VARIABLES.join(", ")
            ));
        }
    }
    Ok(())
}

/// Values for templates. Holds borrowed secrets; never printed.
#[derive(Default)]
pub(crate) struct Vars<'a> {
    values: BTreeMap<&'static str, &'a str>,
}

impl<'a> Vars<'a> {
    pub(crate) fn set(&mut self, name: &'static str, value: Option<&'a str>) {
        if let Some(value) = value {
            self.values.insert(name, value);
        }
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        self.values.get(name).copied()
    }

    /// Renders a template; `None` if an optional variable is unset and the
    /// template is just that variable.
    fn render(&self, template: &str, encode: bool) -> Result<Option<String>, ServerError> {
        let list = placeholders(template).map_err(ServerError::protocol)?;
        if let [(name, true)] = list.as_slice()
            && template == format!("{{{name}?}}")
            && self.get(name).is_none()
        {
            return Ok(None);
        }
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').unwrap_or(after.len());
            let inner = &after[..close];
            let name = inner.trim_end_matches('?');
            match self.get(name) {
                Some(v) if encode => out.push_str(&percent_encode(v)),
                Some(v) => out.push_str(v),
                None if inner.ends_with('?') => {}
                None => return Err(missing(name)),
            }
            rest = after.get(close + 1..).unwrap_or("");
        }
        out.push_str(rest);
        Ok(Some(out))
    }

    /// The path with its variables percent-encoded.
    pub(crate) fn render_path(&self, template: &str) -> Result<String, ServerError> {
        Ok(self.render(template, true)?.unwrap_or_default())
    }

    /// The JSON body of a template table.
    pub(crate) fn render_body(&self, template: &toml::Value) -> Result<Json, ServerError> {
        Ok(self.render_value(template)?.unwrap_or(Json::Null))
    }

    fn render_value(&self, value: &toml::Value) -> Result<Option<Json>, ServerError> {
        Ok(Some(match value {
            toml::Value::String(s) => match self.render(s, false)? {
                Some(s) => Json::String(s),
                None => return Ok(None),
            },
            toml::Value::Integer(i) => Json::from(*i),
            toml::Value::Float(f) => Json::from(*f),
            toml::Value::Boolean(b) => Json::Bool(*b),
            toml::Value::Datetime(d) => Json::String(d.to_string()),
            toml::Value::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|v| self.render_value(v))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .flatten()
                    .collect(),
            ),
            toml::Value::Table(table) => {
                let mut map = serde_json::Map::new();
                for (k, v) in table {
                    if let Some(v) = self.render_value(v)? {
                        map.insert(k.clone(), v);
                    }
                }
                Json::Object(map)
            }
        }))
    }
}

fn missing(name: &str) -> ServerError {
    ServerError::MissingCredential {
        what: match name {
            "username" => "username",
            "password" => "password",
            "token" => "session token (log in or register first)",
            "code" => "code",
            "user_id" => "user id (log in first)",
            _ => "value",
        },
    }
}

/// A path variable, percent-encoded but for RFC 3986 unreserved characters.
fn percent_encode(value: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string()
}

/// The value at a dotted path (`data.attributes.otp_enabled`,
/// `errors.0.title`).
pub(crate) fn lookup<'v>(value: &'v Json, path: &str) -> Option<&'v Json> {
    path.split('.').try_fold(value, |v, part| match v {
        Json::Object(map) => map.get(part),
        Json::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

fn guess_name(text: &str) -> String {
    text.lines()
        .find_map(|l| {
            let rest = l.trim().strip_prefix("name")?.trim().strip_prefix('=')?;
            Some(rest.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "(unnamed)".to_owned())
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| {
        let line = text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1;
        format!(" (line {line})")
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{OpName, Profile, Vars, lookup};
    use crate::core::server::ServerError;

    #[test]
    fn builtins_are_valid() {
        let all = Profile::builtins().unwrap();
        let names: Vec<_> = all.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["syncano", "daptin", "laravel-google2fa", "nest-jwt"]
        );
        assert!(
            Profile::builtin("nest-jwt")
                .unwrap()
                .has(OpName::LoginWithCode)
        );
        assert!(matches!(
            Profile::builtin("nope"),
            Err(ServerError::UnknownProfile { .. })
        ));
    }

    fn reason(text: &str) -> String {
        match Profile::from_toml(text) {
            Err(ServerError::Profile { reason, .. }) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invalid_profiles_say_why() {
        let base = "name = \"x\"\nauth = \"bearer\"\n";
        assert!(reason("name = \"x\"\nauth = \"magic\"\n[ops]\n").contains("magic"));
        assert!(reason(&format!("{base}colour = 1\n[ops]\n")).contains("colour"));
        assert!(reason(&format!("{base}[ops]\n")).contains("has no [ops.setup]"));
        assert!(
            reason(&format!("{base}enrol = [\"verify\"]\n[ops]\n"))
                .contains("“enrol” must include “setup”")
        );
        let op = "[ops.setup]\nmethod = \"POST\"\npath = \"a/{nope}\"\n";
        assert!(reason(&format!("{base}{op}")).contains("unknown variable “{nope}”"));
        let op = "[ops.setup]\nmethod = \"GET\"\npath = \"a\"\nbody = { a = \"b\" }\n";
        assert!(reason(&format!("{base}{op}")).contains("GET request cannot have a body"));
        let op = "[ops.setup]\nmethod = \"POST\"\npath = \"https://evil/a\"\n";
        assert!(reason(&format!("{base}{op}")).contains("relative"));
        let op = "[ops.setup]\nmethod = \"POST\"\npath = \"a\"\n[ops.verify]\nmethod = \"POST\"\npath = \"v\"\n";
        assert!(reason(&format!("{base}{op}")).contains("must send “{code}”"));
        assert!(reason("name = \"x\"\nauth = = 1\n").contains("line 2"));
    }

    #[test]
    fn templates_render_and_drop_optional_fields() {
        let profile = Profile::builtin("syncano").unwrap();
        let login = profile.op(OpName::Login).unwrap();
        let mut vars = Vars::default();
        vars.set("username", Some("a b"));
        vars.set("password", Some("pw"));
        let body = vars.render_body(login.body.as_ref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"username": "a b", "password": "pw"})
        );
        assert_eq!(vars.render_path("x/{username}/").unwrap(), "x/a%20b/");
        assert!(matches!(
            vars.render_path("{token}"),
            Err(ServerError::MissingCredential { .. })
        ));
        let v = serde_json::json!({"a": [{"b": true}]});
        assert_eq!(lookup(&v, "a.0.b"), Some(&serde_json::Value::Bool(true)));
        assert_eq!(lookup(&v, "a.1.b"), None);
    }
}
