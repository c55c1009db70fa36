/**
 * The one fake of Tessera's Rust side for vitest: a vault with a few
 * accounts, codes that never change, scans, backup codes, servers, imports
 * (an encrypted file that opens with "test", previews whose ids are
 * counted) and exports, and a record of every command called. A test sets
 * the state it needs, and answers of its own for the commands its scenario
 * turns on (`answers`). Built on `mockIPC`, so the generated bindings run
 * unchanged.
 */
import { mockIPC } from "@tauri-apps/api/mocks";
import type {
  AegisBackupView,
  AccountEdit,
  AccountSummary,
  BackupCodeView,
  CodeView,
  CrashReportView,
  ExportRequest,
  HistoryView,
  ImportPreviewView,
  ImportSource,
  IpcError,
  PasswordStrengthView,
  ProfileView,
  ScanView,
  ServerView,
  SettingsView,
  SyncOutcome,
  SyncView,
  TransferFormats,
  VaultState,
  VaultStatus,
} from "../ipc/bindings";

export interface FakeBackend {
  state: VaultState;
  password: string;
  accounts: AccountSummary[];
  settings: SettingsView;
  calls: { cmd: string; args: Record<string, unknown> }[];
  failNext?: { cmd: string; error: IpcError };
  /** What the scan commands find, waiting for confirmation (pending_scan). */
  scan: ScanView;
  /** The views the next scan_* commands answer, in order; none left: "no QR code found". */
  scanQueue: ScanView[];
  /** The crash report of an earlier run that pending_crash_report offers. */
  crashReport?: CrashReportView | null;
  /** The staged view of a link the desktop opened, until take_opened_link takes it (unlocked only). */
  openedLink?: ScanView | IpcError;
  /** Backup codes in clear per account id; list_backup_codes masks them, reveal_backup_codes (with the password) does not. */
  backupCodes: Record<string, FakeBackupCode[]>;
  servers: ServerView[];
  profiles: ProfileView[];
  /** What app_info says of the tray (default: none, as under Xvfb). */
  trayAvailable?: boolean;
  /** Whether keyring unlock is on (vault_status). */
  keyringEnabled?: boolean;
  /** Whether a password change loses keyring unlock (the keyring did not answer). */
  keyringLostOnPasswordChange?: boolean;
  /** The formats transfer_formats offers. */
  formats: TransferFormats;
  /** The file pick_import_file answers; null: the dialog was cancelled. */
  picked: { path: string; name: string } | null;
  /** The import file name the fake treats as encrypted (its password is {@link FILE_PASSWORD}). */
  encrypted: string;
  /** How many previews were made; the newest one's id is `preview-<previews>`. */
  previews: number;
  /** Every export asked for, in order. */
  exported: ExportRequest[];
  /** How many times the page asked to stop an import. */
  cancelledImports: number;
  /** Where sync stands (sync_status); the sync commands change it as Rust would. */
  sync: SyncView;
  /** Earlier values per account id (account_history). */
  history: Record<string, HistoryView[]>;
  /** The key file Rust holds for imports (choose_import_key_file answers "keyfile.keyx"); "keyed.kdbx" opens with it alone. */
  keyFile: string | null;
  /** The Aegis backup folder followed (aegis_followed); follow_aegis takes the password {@link FILE_PASSWORD}. */
  phoneFolder: string | null;
  /** This test's own answers, by command, taking the place of the fake's (a server's reply, a slow answer, a failure). */
  answers: Partial<Record<string, (args: Record<string, unknown>) => unknown>>;
}

/** The password of the encrypted import file. */
const FILE_PASSWORD = "test";

export const FORMATS: TransferFormats = {
  import: [
    { id: "otpauth", title: "otpauth URI list" },
    { id: "aegis", title: "Aegis vault" },
  ],
  export: [
    { id: "tessera", title: "Tessera backup (encrypted)", plaintext: false, needsPassword: false, description: "A copy of the vault." },
    { id: "aegis-encrypted", title: "Aegis vault (encrypted)", plaintext: false, needsPassword: true, description: "Aegis, encrypted." },
    { id: "otpauth", title: "otpauth URI list (plain text)", plaintext: true, needsPassword: false, description: "Links." },
  ],
};

/** Answers a command as Rust fails one: Tauri rejects with the serialized IpcError itself. */
export function reject(code: IpcError["code"], message: string): never {
  const error: IpcError = { code, message };
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- Tauri rejects with the serialized IpcError itself
  throw error;
}

/** A backup code as the fake vault keeps it. */
export interface FakeBackupCode {
  id: string;
  code: string;
  usedAt: number | null;
}

/** The view Rust sends: masked unless `reveal`. */
function codeView(code: FakeBackupCode, reveal: boolean): BackupCodeView {
  return { id: code.id, code: reveal ? code.code : null, masked: code.code.replace(/[\p{L}\p{N}]/gu, "•"), usedAt: code.usedAt };
}

/**
 * A stand-in for Rust's zxcvbn estimate (the real one is tested in Rust):
 * 20 characters or more are strong, a common word or under 8 are weak.
 */
function fakeStrength(password: string): PasswordStrengthView {
  if (password === "") return { verdict: "empty", acceptable: false, warning: null, suggestions: [] };
  if (password.length >= 20) return { verdict: "strong", acceptable: true, warning: null, suggestions: [] };
  if (password.length < 8 || password.includes("password")) {
    return { verdict: "weak", acceptable: false, warning: "This is a very common password.", suggestions: ["Add another word or two."] };
  }
  return { verdict: "fair", acceptable: false, warning: null, suggestions: ["Add another word or two."] };
}

export function account(id: string, issuer: string, name: string, extra: Partial<AccountSummary> = {}): AccountSummary {
  return {
    id,
    issuer,
    name,
    kind: "totp",
    algorithm: "sha1",
    digits: 6,
    period: 30,
    counter: null,
    tags: [],
    favorite: false,
    note: "",
    lastUsedAt: null,
    backupCodesLeft: 0,
    backupCodesTotal: 0,
    icon: null,
    ...extra,
  };
}

/** A server record as `list_servers` answers it: "wiki", 2FA off. */
export function serverView(extra: Partial<ServerView> = {}): ServerView {
  return {
    name: "wiki",
    url: "http://127.0.0.1:8080/syncano/",
    profile: "syncano",
    username: "alice",
    account: null,
    twoFactor: "off",
    lastCodeAt: null,
    credentials: { password: true, token: false, cookies: [] },
    retryInMs: null,
    busy: false,
    enrolStep: null,
    ...extra,
  };
}

function nameOf(source: ImportSource): string {
  return source.kind === "bytes" ? source.name : (source.path.split("/").pop() ?? source.path);
}

/** Four entries: two new ones (duplicates once the vault has accounts), a repeat and an invalid one. */
function previewOf(backend: FakeBackend, fileName: string, format: string | null): ImportPreviewView {
  const known = backend.accounts.length > 0;
  const status = known ? "duplicate" : "new";
  return {
    id: `preview-${String(++backend.previews)}`,
    fileName,
    format: format ?? "aegis",
    formatTitle: format === "otpauth" ? "otpauth URI list" : "Aegis vault",
    entries: [
      { position: 1, issuer: "Deno", name: "Mason", label: "Deno:Mason", kind: "totp", status, detail: known ? "already in the vault" : null },
      { position: 2, issuer: "Issuu", name: "James", label: "Issuu:James", kind: "hotp", status, detail: known ? "already in the vault" : null },
      { position: 3, issuer: "Deno", name: "Mason", label: "Deno:Mason", kind: "totp", status: "repeated", detail: "same as entry 1" },
      { position: 4, issuer: "Broken", name: "alice", label: "Broken:alice", kind: null, status: "invalid", detail: "the secret is not valid base32" },
    ],
    counts: { new: known ? 0 : 2, duplicate: known ? 2 : 0, repeated: 1, invalid: 1 },
    losses: ["icons are not imported (2 entries had one)"],
  };
}

/** A phone's Aegis backup as Rust stages it: the fake's import preview, one renamed account, one the phone dropped. */
export function aegisBackup(backend: FakeBackend, fileName: string): AegisBackupView {
  return {
    folder: backend.phoneFolder ?? "/home/ada/Sync/aegis",
    preview: previewOf(backend, fileName, "aegis"),
    renamed: [{ here: "GitHub:ada", onPhone: "GitHub:ada@work" }],
    missing: ["Old:bank"],
  };
}

/** Sync not set up. */
export function notSyncing(): SyncView {
  return {
    setUp: false,
    joining: false,
    remote: null,
    lastSyncAt: null,
    lastError: null,
    pendingChanges: 0,
    conflictsResolved: 0,
    devices: [],
    problems: [],
    suggestedName: "ada-laptop",
  };
}

/** Syncing through a folder, this device alone in the group. */
export function syncing(name: string, joining: boolean): SyncView {
  return {
    ...notSyncing(),
    setUp: true,
    joining,
    remote: "folder /home/ada/Sync/tessera",
    lastSyncAt: joining ? null : 1_700_000_000_000,
    devices: [{ id: "device-1", name, thisDevice: true, lastSeenAt: null }],
  };
}

function outcome(backend: FakeBackend, counts: Partial<SyncOutcome>): SyncOutcome {
  return { sent: 0, merged: 0, conflicts: 0, written: 0, joined: [], ...counts, status: backend.sync };
}

/** A code derived from the id so each account shows a different one. */
export function codeFor(id: string): string {
  let n = 0;
  for (const c of id) n = (n * 31 + c.charCodeAt(0)) % 1_000_000;
  return String(n).padStart(6, "0");
}

export function fakeBackend(initial: Partial<FakeBackend> = {}): FakeBackend {
  const backend: FakeBackend = {
    state: "unlocked",
    password: "right",
    accounts: [],
    settings: { clockOffsetMs: 0, clipboardClearSeconds: 30, autoLockMinutes: 5, theme: "system", closeToTray: true, logLevel: "info" },
    calls: [],
    scan: { found: [], exports: [], last: null },
    scanQueue: [],
    backupCodes: {},
    servers: [],
    profiles: [],
    formats: FORMATS,
    picked: { path: "/home/ada/aegis.json", name: "aegis.json" },
    encrypted: "aegis_encrypted.json",
    previews: 0,
    exported: [],
    cancelledImports: 0,
    sync: notSyncing(),
    history: {},
    phoneFolder: null,
    keyFile: null,
    answers: {},
    ...initial,
  };
  const status = (): VaultStatus => ({ state: backend.state, keyringEnabled: backend.keyringEnabled ?? false, vaultPath: "/tmp/test.tessera" });
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      backend.calls.push({ cmd, args });
      if (backend.failNext?.cmd === cmd) {
        const { error } = backend.failNext;
        backend.failNext = undefined;
        reject(error.code, error.message);
      }
      const answer = backend.answers[cmd];
      if (answer !== undefined) return answer(args);
      switch (cmd) {
        case "app_info":
          return { name: "Tessera", version: "0.1.0", vaultPath: "/tmp/test.tessera", vaultExists: backend.state !== "missing", trayAvailable: backend.trayAvailable ?? false, logLevelFixed: false };
        case "copy_diagnostics":
          return `Tessera 0.1.0\nplatform: linux x86_64 (unix)\nweb view: ${String(args.userAgent)}\n`;
        case "vault_status":
          return status();
        case "password_strength":
          return fakeStrength(String(args.password));
        case "create_vault":
          backend.state = "unlocked";
          return status();
        case "unlock_with_password":
          if (args.password !== backend.password) reject("wrong_password", "wrong password");
          backend.state = "unlocked";
          return status();
        case "change_password":
          if (args.current !== backend.password) reject("wrong_password", "wrong password");
          backend.password = String(args.replacement);
          if (backend.keyringLostOnPasswordChange === true) backend.keyringEnabled = false;
          return status();
        case "lock_vault":
          backend.state = "locked";
          return status();
        case "note_activity":
          return null;
        case "get_settings":
          return backend.settings;
        case "save_settings":
          backend.settings = args.settings as SettingsView;
          return backend.settings;
        case "list_accounts":
          if (backend.state !== "unlocked") reject("locked", "the vault is locked");
          return backend.accounts;
        case "codes":
          return (args.ids as string[]).map(
            (id): CodeView => ({ id, current: codeFor(id), next: "000000", validForMs: 20_000, periodMs: 30_000 }),
          );
        case "copy_code":
          return { code: codeFor(args.id as string), clearAfterSeconds: backend.settings.clipboardClearSeconds };
        case "add_account_from_uri": {
          const uri = args.uri as string;
          if (!uri.includes("secret=")) reject("invalid_uri", "the URI has no secret parameter");
          const added = account(`id-${String(backend.accounts.length + 1)}`, "Example", "new");
          backend.accounts.push(added);
          return added;
        }
        case "transfer_formats":
          return backend.formats;
        case "pick_import_file":
          return backend.picked;
        case "choose_import_key_file":
          backend.keyFile = "keyfile.keyx";
          return backend.keyFile;
        case "clear_import_key_file":
          backend.keyFile = null;
          return null;
        case "preview_import": {
          const name = nameOf(args.source as ImportSource);
          if (name === "keyed.kdbx" && backend.keyFile === null) reject("password_required", "KeePass database: the file is encrypted; a password is needed");
          if (name === backend.encrypted) {
            if (args.password === null) reject("password_required", "Aegis vault: the file is encrypted; a password is needed");
            if (args.password !== FILE_PASSWORD) reject("wrong_password", "Aegis vault: wrong password");
          }
          if (name.endsWith(".exe")) reject("invalid", "unrecognised file");
          if (name.startsWith("costly") && args.allowCostly !== true) {
            reject("costly_key_derivation", "Aegis vault: opening this file takes 1024 MiB of memory and about 3 s to derive its key; confirm to go on");
          }
          if (name.startsWith("stalled")) return new Promise<never>(() => undefined);
          return previewOf(backend, name, args.format as string | null);
        }
        case "cancel_import":
          backend.cancelledImports += 1;
          return null;
        case "commit_import": {
          if (args.id !== `preview-${String(backend.previews)}`) reject("not_found", "this import preview is gone");
          const added = [account("acc-1", "Deno", "Mason"), account("acc-2", "Issuu", "James", { kind: "hotp" })];
          backend.accounts.push(...added);
          return { imported: 2, ids: added.map((a) => a.id) };
        }
        case "discard_import":
          return null;
        case "export_accounts": {
          const request = args.request as ExportRequest;
          backend.exported.push(request);
          if (request.vaultPassword !== backend.password) reject("wrong_password", "wrong password");
          if (request.format === "otpauth" && !request.acknowledgePlaintext) reject("invalid", "plain text needs the acknowledgement");
          const path = request.path ?? "/home/ada/export.out";
          if (path.includes("exists")) reject("already_exists", `${path} already exists; exports never overwrite a file`);
          return {
            written: 2,
            files: [path],
            leftOut: request.format === "otpauth" ? [] : [{ label: "Issuu:James", reason: "HOTP is not supported" }],
            notWritten: ["tags of 1 account"],
            plaintext: request.format === "otpauth",
          };
        }
        case "update_account": {
          const edit = args.edit as AccountEdit;
          const updated = backend.accounts.find((a) => a.id === args.id);
          if (!updated) return reject("not_found", "no such account");
          Object.assign(updated, {
            issuer: edit.issuer,
            name: edit.name,
            algorithm: edit.algorithm,
            digits: edit.digits,
            period: updated.kind === "hotp" ? null : edit.period,
            tags: edit.tags,
            note: edit.note,
            favorite: edit.favorite,
          });
          return updated;
        }
        case "remove_account":
          backend.accounts = backend.accounts.filter((a) => a.id !== args.id);
          return null;
        case "move_account": {
          const moving = backend.accounts.find((a) => a.id === args.id);
          if (moving === undefined) return reject("not_found", `no account ${String(args.id)}`);
          const rest = backend.accounts.filter((a) => a.id !== args.id);
          const at = rest.findIndex((a) => a.id === args.before);
          rest.splice(at === -1 ? rest.length : at, 0, moving);
          backend.accounts = rest;
          return backend.accounts;
        }
        case "report_first_screen":
          return null;
        case "scan_image":
        case "scan_image_file":
        case "scan_screen":
        case "scan_clipboard":
        case "scan_text": {
          const next = backend.scanQueue.shift();
          if (next === undefined) return reject("invalid", "no QR code found in the image");
          backend.scan = next;
          return next;
        }
        case "pending_scan":
          return { ...backend.scan, last: null };
        case "pending_crash_report":
          return backend.crashReport ?? null;
        case "dismiss_crash_report":
          if (backend.crashReport?.fileName !== args.fileName) return reject("invalid", "the crash report cannot be dismissed: not a crash report");
          backend.crashReport = null;
          return null;
        case "take_opened_link": {
          const link = backend.openedLink;
          if (link === undefined || backend.state !== "unlocked") return null;
          backend.openedLink = undefined;
          if ("code" in link) return reject(link.code, link.message);
          backend.scan = link;
          return link;
        }
        case "discard_scan":
          backend.scan = { found: [], exports: [], last: null };
          return backend.scan;
        case "add_scanned": {
          const ids = args.ids as string[];
          const added = backend.scan.found
            .filter((found) => ids.includes(found.id))
            .map((found) =>
              account(`added-${found.id}`, found.issuer, found.name, { kind: found.kind, tags: args.tags as string[] }),
            );
          backend.accounts.push(...added);
          backend.scan = { ...backend.scan, found: [], last: null };
          return added;
        }
        case "list_backup_codes":
          return (backend.backupCodes[args.id as string] ?? []).map((c) => codeView(c, false));
        case "add_backup_codes": {
          const codes = (backend.backupCodes[args.id as string] ??= []);
          for (const code of args.codes as string[]) codes.push({ id: `c${String(codes.length + 1)}`, code, usedAt: null });
          return codes.map((c) => codeView(c, false));
        }
        case "mark_backup_code_used": {
          const codes = backend.backupCodes[args.id as string] ?? [];
          const used = codes.find((c) => c.id === args.codeId);
          if (used === undefined) return reject("not_found", "no such backup code");
          used.usedAt = 1_700_000_000_000;
          return codes.map((c) => codeView(c, false));
        }
        case "remove_backup_code": {
          const codes = (backend.backupCodes[args.id as string] ?? []).filter((c) => c.id !== args.codeId);
          backend.backupCodes[args.id as string] = codes;
          return codes.map((c) => codeView(c, false));
        }
        case "reveal_backup_codes":
          if (args.password !== backend.password) reject("wrong_password", "wrong password");
          return (backend.backupCodes[args.id as string] ?? []).map((c) => codeView(c, true));
        case "list_servers":
          return backend.servers;
        case "list_server_profiles":
          return backend.profiles;
        case "sync_status":
          return backend.sync;
        case "sync_setup":
          backend.sync = syncing(String(args.name) || backend.sync.suggestedName, false);
          return outcome(backend, { sent: backend.accounts.length });
        case "sync_join":
          if (!String(args.code).startsWith("TSYNC1-")) reject("invalid", "the pairing code is not valid (it does not start with TSYNC1-)");
          backend.sync = syncing(String(args.name) || backend.sync.suggestedName, true);
          return outcome(backend, {});
        case "sync_now":
          return outcome(backend, {});
        case "sync_pair":
          return { code: "TSYNC1-AAAAA-BBBBB", qrSvg: '<svg xmlns="http://www.w3.org/2000/svg"/>', remote: backend.sync.remote ?? "", validMinutes: 10 };
        case "sync_remove_device":
          backend.sync = { ...backend.sync, devices: backend.sync.devices.filter((d) => d.id !== args.id) };
          return backend.sync;
        case "sync_leave":
          backend.sync = notSyncing();
          return backend.sync;
        case "choose_sync_folder":
          return "/home/ada/Sync/tessera";
        case "follow_aegis": {
          if (args.password !== FILE_PASSWORD) reject("wrong_password", "Aegis vault: wrong password");
          backend.phoneFolder = String(args.folder);
          return aegisBackup(backend, "aegis-backup-20240301-120000.json");
        }
        case "aegis_followed":
          return backend.phoneFolder;
        case "stop_following_aegis":
          backend.phoneFolder = null;
          return null;
        case "account_history":
          return backend.history[args.id as string] ?? [];
        case "show_account_qr":
          if (args.password !== backend.password) reject("wrong_password", "wrong password");
          return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"><path d="M0 0h7v7H0z"/></svg>';
        default:
          return reject("internal", `the fake backend has no ${cmd}`);
      }
    },
    { shouldMockEvents: true },
  );
  return backend;
}
