//! The web view's reach into Rust: the capability files grant only
//! Tessera's own commands (derived from `src-tauri/command_names.in`) plus
//! the few core permissions the app needs, to the main window only; the
//! CSP of `tauri.conf.json` keeps remote origins and inline scripts out;
//! every command that answers a secret takes the vault password, which
//! Rust checks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Permissions outside Tessera's own commands that a capability may grant,
/// each with the reason the app needs it.
const JUSTIFIED: &[(&str, &str)] = &[(
    "core:event:default",
    "the UI listens to the events Rust emits (vault-locked, open-palette); \
     the default set is listen/unlisten/emit, no window or webview control",
)];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The command names of `src-tauri/command_names.in`: every quoted string
/// outside `//` comments.
fn command_names() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("src-tauri/command_names.in")).unwrap();
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut parts = code.split('"');
        parts.next();
        while let (Some(name), Some(_)) = (parts.next(), parts.next()) {
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "odd command name {name:?} in command_names.in"
            );
            assert!(names.insert(name.to_owned()), "{name} listed twice");
        }
    }
    assert!(names.len() >= 10, "parsed only {names:?}");
    names
}

fn capability_files() -> Vec<PathBuf> {
    let dir = root().join("src-tauri/capabilities");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        assert_eq!(
            file.extension().and_then(|e| e.to_str()),
            Some("json"),
            "{}: capabilities are JSON files (a TOML one would escape this test)",
            file.display()
        );
    }
    assert!(!files.is_empty(), "no capability file");
    files
}

/// A permission entry's identifier: a string, or an object's `identifier`
/// (scoped permissions).
fn permission_id(entry: &Value) -> String {
    match entry {
        Value::String(id) => id.clone(),
        Value::Object(map) => map
            .get("identifier")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("permission without identifier: {entry}"))
            .to_owned(),
        other => panic!("unexpected permission entry {other}"),
    }
}

/// What is wrong with one capability file (`name` for messages), given the
/// allowed command permissions; adds what it grants to `granted`.
fn capability_problems(
    name: &str,
    cap: &Value,
    allowed: &BTreeSet<String>,
    granted: &mut BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if cap["windows"] != serde_json::json!(["main"]) {
        problems.push(format!(
            "{name}: windows is {}, not [\"main\"]",
            cap["windows"]
        ));
    }
    if cap.get("webviews").is_some() {
        problems.push(format!("{name}: grants webviews"));
    }
    if cap.get("remote").is_some() {
        problems.push(format!("{name}: lets remote URLs call commands"));
    }
    let Some(permissions) = cap["permissions"].as_array() else {
        problems.push(format!("{name}: no permissions array"));
        return problems;
    };
    for entry in permissions {
        let id = permission_id(entry);
        if !entry.is_string() {
            problems.push(format!("{name}: {id} carries a scope; none is needed"));
        }
        if !allowed.contains(&id) && !JUSTIFIED.iter().any(|(p, _)| *p == id) {
            problems.push(format!(
                "{name}: {id} is neither an allow-<command> of command_names.in \
                 nor a justified core permission"
            ));
        }
        granted.insert(id);
    }
    problems
}

fn allowed_permissions() -> BTreeSet<String> {
    command_names()
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect()
}

#[test]
fn capabilities_grant_only_tessera_commands_to_the_main_window() {
    let allowed = allowed_permissions();
    let mut granted = BTreeSet::new();
    let mut problems = Vec::new();
    for file in capability_files() {
        let name = file.display().to_string();
        problems.extend(capability_problems(
            &name,
            &read_json(&file),
            &allowed,
            &mut granted,
        ));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let missing: Vec<&String> = allowed.difference(&granted).collect();
    assert!(
        missing.is_empty(),
        "commands registered but not granted to the window: {missing:?}"
    );
}

#[test]
fn the_capability_check_refuses_what_the_app_does_not_need() {
    let allowed = allowed_permissions();
    let real = read_json(&root().join("src-tauri/capabilities/main-window.json"));
    let refused = |change: &dyn Fn(&mut Value), expect: &str| {
        let mut cap = real.clone();
        change(&mut cap);
        let problems = capability_problems("changed", &cap, &allowed, &mut BTreeSet::new());
        assert!(
            problems.iter().any(|p| p.contains(expect)),
            "{expect}: not refused, problems {problems:?}"
        );
    };
    let add = |permission: Value| {
        move |cap: &mut Value| {
            cap["permissions"]
                .as_array_mut()
                .unwrap()
                .push(permission.clone());
        }
    };
    refused(
        &add(Value::from("core:window:allow-close")),
        "core:window:allow-close",
    );
    refused(&add(Value::from("fs:default")), "fs:default");
    refused(&add(Value::from("shell:allow-open")), "shell:allow-open");
    refused(
        &add(Value::from("allow-not-a-command")),
        "allow-not-a-command",
    );
    refused(
        &add(serde_json::json!({"identifier": "allow-codes", "allow": [{"path": "/"}]})),
        "carries a scope",
    );
    refused(
        &|cap| cap["windows"] = serde_json::json!(["main", "other"]),
        "windows is",
    );
    refused(
        &|cap| cap["windows"] = serde_json::json!(["*"]),
        "windows is",
    );
    refused(
        &|cap| cap["remote"] = serde_json::json!({"urls": ["https://example.com"]}),
        "remote URLs",
    );
}

#[test]
fn justified_permissions_are_not_plugin_permissions() {
    for (permission, reason) in JUSTIFIED {
        assert!(permission.starts_with("core:"), "{permission}");
        assert!(!reason.is_empty(), "{permission} needs a reason");
        assert!(
            !["core:window", "core:webview", "core:path", "core:resources"]
                .iter()
                .any(|p| permission.starts_with(p)),
            "{permission} would let the page drive windows or the file system"
        );
    }
}

/// The CSP directives of `security.<key>`, whether written as an object of
/// directives or as one policy string.
fn csp(conf: &Value, key: &str) -> Vec<(String, Vec<String>)> {
    let value = &conf["app"]["security"][key];
    let pairs: Vec<(String, String)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect(),
        Value::String(policy) => policy
            .split(';')
            .filter_map(|d| {
                let mut words = d.split_whitespace();
                let name = words.next()?;
                Some((name.to_owned(), words.collect::<Vec<_>>().join(" ")))
            })
            .collect(),
        other => panic!("security.{key} is {other}, not a policy"),
    };
    pairs
        .into_iter()
        .map(|(k, v)| (k, v.split_whitespace().map(str::to_owned).collect()))
        .collect()
}

fn directive<'a>(policy: &'a [(String, Vec<String>)], name: &str) -> Option<&'a [String]> {
    policy
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

/// What is wrong with the security settings of a `tauri.conf.json`.
fn csp_problems(conf: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut want = |ok: bool, problem: &str| {
        if !ok {
            problems.push(problem.to_owned());
        }
    };
    want(
        conf["app"]["withGlobalTauri"] == Value::Bool(false),
        "withGlobalTauri is not false (window.__TAURI__ for injected scripts)",
    );
    want(
        conf["app"]["security"]["freezePrototype"] == Value::Bool(true),
        "freezePrototype is not true",
    );
    want(
        conf["app"]["security"]
            .get("dangerousDisableAssetCspModification")
            .is_none(),
        "dangerousDisableAssetCspModification is set",
    );
    let policy = csp(conf, "csp");
    let is = |name: &str, sources: &[&str]| {
        directive(&policy, name)
            .is_some_and(|d| d.iter().map(String::as_str).eq(sources.iter().copied()))
    };
    want(is("default-src", &["'self'"]), "default-src is not 'self'");
    want(is("object-src", &["'none'"]), "object-src is not 'none'");
    want(is("base-uri", &["'none'"]), "base-uri is not 'none'");
    want(
        is("frame-ancestors", &["'none'"]),
        "frame-ancestors is not 'none'",
    );
    want(
        is("connect-src", &["ipc:", "http://ipc.localhost"]),
        "connect-src is not IPC only",
    );
    want(
        directive(&policy, "script-src").is_some_and(|sources| {
            sources
                .iter()
                .all(|s| s == "'self'" || s.starts_with("'sha") || s.starts_with("'nonce-"))
        }),
        "script-src allows more than the app's own scripts",
    );
    for (name, sources) in &policy {
        for source in sources {
            let remote = source.contains("://") || source.ends_with(':');
            let is_ipc = source == "http://ipc.localhost" || source == "ipc:";
            let is_local_scheme = matches!(source.as_str(), "data:" | "blob:");
            let unsafe_keyword = matches!(
                source.as_str(),
                "'unsafe-inline'"
                    | "'unsafe-eval'"
                    | "'wasm-unsafe-eval'"
                    | "*"
                    | "http:"
                    | "https:"
            );
            if unsafe_keyword || (remote && !is_ipc && !is_local_scheme) {
                problems.push(format!("{name} allows {source}"));
            }
            if is_ipc && name != "connect-src" {
                problems.push(format!(
                    "{name} allows {source} (IPC belongs in connect-src)"
                ));
            }
        }
    }
    problems
}

#[test]
fn csp_forbids_remote_origins_and_inline_scripts() {
    let problems = csp_problems(&read_json(&root().join("tauri.conf.json")));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_csp_check_refuses_remote_origins_inline_scripts_and_global_tauri() {
    let real = read_json(&root().join("tauri.conf.json"));
    let refused = |change: &dyn Fn(&mut Value), expect: &str| {
        let mut conf = real.clone();
        change(&mut conf);
        let problems = csp_problems(&conf);
        assert!(
            problems.iter().any(|p| p.contains(expect)),
            "{expect}: not refused, problems {problems:?}"
        );
    };
    let set = |name: &'static str, value: &'static str| {
        move |conf: &mut Value| conf["app"]["security"]["csp"][name] = Value::from(value)
    };
    refused(
        &set("script-src", "'self' 'unsafe-inline'"),
        "script-src allows 'unsafe-inline'",
    );
    refused(
        &set("script-src", "'self' 'unsafe-eval'"),
        "script-src allows 'unsafe-eval'",
    );
    refused(
        &set("script-src", "'self' https://cdn.example.com"),
        "https://cdn.example.com",
    );
    refused(&set("img-src", "'self' https:"), "img-src allows https:");
    refused(
        &set(
            "connect-src",
            "ipc: http://ipc.localhost https://api.example.com",
        ),
        "connect-src",
    );
    refused(&set("default-src", "*"), "default-src");
    refused(&set("object-src", "'self'"), "object-src is not 'none'");
    refused(
        &set("style-src", "'self' http://ipc.localhost"),
        "IPC belongs in connect-src",
    );
    refused(
        &|conf| conf["app"]["withGlobalTauri"] = Value::Bool(true),
        "withGlobalTauri",
    );
    refused(
        &|conf| {
            conf["app"]["security"]["csp"] =
                Value::from("default-src 'self'; script-src 'self' 'unsafe-inline'");
        },
        "script-src allows 'unsafe-inline'",
    );
}

/// Commands whose answer holds a secret, each gated in Rust by the vault
/// password (issue 15, item 3): the page alone cannot ask for a secret.
const REVEALS: &[(&str, &str)] = &[
    ("showAccountQr", "the account's seed as a QR picture"),
    ("revealBackupCodes", "an account's backup codes in clear"),
];

/// The generated binding of command `name`: its signature line.
fn binding_signature(bindings: &str, name: &str) -> Option<String> {
    bindings
        .lines()
        .find(|line| line.starts_with(&format!("async {name}(")))
        .map(str::to_owned)
}

fn reveal_problems(bindings: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, what) in REVEALS {
        match binding_signature(bindings, name) {
            None => problems.push(format!("{name} ({what}) is not in the bindings")),
            Some(signature) if !signature.contains("password: string") => problems.push(format!(
                "{name} returns {what} without the vault password: {signature}"
            )),
            Some(_) => {}
        }
    }
    let view = bindings
        .split("export type BackupCodeView = ")
        .nth(1)
        .and_then(|rest| rest.split("\nexport type").next())
        .unwrap_or_default();
    if !view.contains("code: string | null") {
        problems.push(format!(
            "BackupCodeView must carry its code only when revealed: {view}"
        ));
    }
    problems
}

#[test]
fn every_command_that_answers_a_secret_needs_the_vault_password() {
    let bindings = std::fs::read_to_string(root().join("ui/src/ipc/bindings.ts")).unwrap();
    assert_eq!(reveal_problems(&bindings), Vec::<String>::new());
}

#[test]
fn the_reveal_check_refuses_an_ungated_reveal() {
    let bindings = std::fs::read_to_string(root().join("ui/src/ipc/bindings.ts")).unwrap();
    let ungated = bindings.replace(
        "async showAccountQr(id: string, password: string)",
        "async showAccountQr(id: string)",
    );
    assert!(
        reveal_problems(&ungated)
            .iter()
            .any(|p| p.starts_with("showAccountQr")),
        "the check did not notice"
    );
    let clear = bindings.replace("code: string | null", "code: string");
    assert!(!reveal_problems(&clear).is_empty());
}
