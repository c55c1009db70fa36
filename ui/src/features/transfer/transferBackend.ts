/**
 * A fake of the transfer commands for tests: an encrypted file that opens
 * with "test", a preview whose ids are counted, commits that add accounts
 * to a list, and exports that record what they were asked.
 */
import { mockIPC } from "@tauri-apps/api/mocks";
import { account } from "../../test/backend";
import type {
  AccountSummary,
  ExportRequest,
  ImportPreviewView,
  ImportSource,
  IpcError,
  TransferFormats,
} from "../../ipc/bindings";

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

export interface TransferFake {
  accounts: AccountSummary[];
  calls: { cmd: string; args: Record<string, unknown> }[];
  previews: number;
  /** The file name the fake treats as encrypted (password "test"). */
  encrypted: string;
  picked: { path: string; name: string } | null;
  exported: ExportRequest[];
}

function fail(code: IpcError["code"], message: string): never {
  const error: IpcError = { code, message };
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- Tauri rejects with the serialized IpcError itself
  throw error;
}

function nameOf(source: ImportSource): string {
  return source.kind === "bytes" ? source.name : (source.path.split("/").pop() ?? source.path);
}

export function previewOf(fake: TransferFake, fileName: string, format: string | null): ImportPreviewView {
  const known = fake.accounts.length > 0;
  const status = known ? "duplicate" : "new";
  return {
    id: `preview-${String(++fake.previews)}`,
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

export function transferBackend(initial: Partial<TransferFake> = {}): TransferFake {
  const fake: TransferFake = {
    accounts: [],
    calls: [],
    previews: 0,
    encrypted: "aegis_encrypted.json",
    picked: { path: "/home/ada/aegis.json", name: "aegis.json" },
    exported: [],
    ...initial,
  };
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    fake.calls.push({ cmd, args });
    switch (cmd) {
      case "transfer_formats":
        return FORMATS;
      case "pick_import_file":
        return fake.picked;
      case "preview_import": {
        const source = args.source as ImportSource;
        const name = nameOf(source);
        if (name === fake.encrypted) {
          if (args.password === null) fail("password_required", "Aegis vault: the file is encrypted; a password is needed");
          if (args.password !== "test") fail("wrong_password", "Aegis vault: wrong password");
        }
        if (name.endsWith(".exe")) fail("invalid", "unrecognised file");
        return previewOf(fake, name, args.format as string | null);
      }
      case "commit_import": {
        if (args.id !== `preview-${String(fake.previews)}`) fail("not_found", "this import preview is gone");
        const added = [
          account("acc-1", "Deno", "Mason"),
          account("acc-2", "Issuu", "James", { kind: "hotp" }),
        ];
        fake.accounts.push(...added);
        return { imported: 2, ids: added.map((a) => a.id) };
      }
      case "discard_import":
        return null;
      case "list_accounts":
        return fake.accounts;
      case "export_accounts": {
        const request = args.request as ExportRequest;
        fake.exported.push(request);
        if (request.vaultPassword !== "vault pw") fail("wrong_password", "wrong password");
        if (request.format === "otpauth" && !request.acknowledgePlaintext) fail("invalid", "plain text needs the acknowledgement");
        const path = request.path ?? "/home/ada/export.out";
        if (path.includes("exists")) fail("already_exists", `${path} already exists; exports never overwrite a file`);
        return {
          written: 2,
          files: [path],
          leftOut: request.format === "otpauth" ? [] : [{ label: "Issuu:James", reason: "HOTP is not supported" }],
          notWritten: ["tags of 1 account"],
          plaintext: request.format === "otpauth",
        };
      }
      default:
        return fail("internal", `the transfer fake has no ${cmd}`);
    }
  });
  return fake;
}
