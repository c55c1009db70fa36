//! Runs tauri-build: embeds `tauri.conf.json`, generates the per-command
//! permissions of Tessera's own commands and reads the capabilities folder.

/// Tessera's commands (`ipc::commands::COMMAND_NAMES`; a unit test checks
/// both lists agree): each gets an `allow-<command>` permission.
const COMMANDS: &[&str] = &[
    "app_info",
    "vault_status",
    "create_vault",
    "unlock_with_password",
    "unlock_with_keyring",
    "lock_vault",
    "note_activity",
    "list_accounts",
    "add_account_from_uri",
    "add_account",
    "update_account",
    "remove_account",
    "list_backup_codes",
    "add_backup_codes",
    "mark_backup_code_used",
    "remove_backup_code",
    "codes",
    "next_hotp_code",
    "copy_code",
    "get_settings",
    "save_settings",
    "change_password",
    "set_keyring_unlock",
    "backup_now",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
