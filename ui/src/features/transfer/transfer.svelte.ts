/**
 * The Import / Export screen's state. An import goes: a file (picked in the
 * native dialog, or dropped) → Rust reads it (asking for a password when it
 * is encrypted) → a preview of labels and statuses → commit by the
 * preview's id. The file's accounts and secrets stay in Rust; this holds
 * display fields only, and a password only for the duration of one call.
 * An export goes: a format → a password for encrypted formats, or the
 * plaintext acknowledgement → Rust writes the file where the user chooses.
 */
import { counted } from "../../app/counted";
import {
  commands,
  type ExportFormatOption,
  type ExportResult,
  type ImportPreviewView,
  type ImportResult,
  type ImportSource,
  type TransferFormats,
} from "../../ipc/bindings";
import { asFailure, call, type IpcFailure, unwrap } from "../../ipc/client";

/** The file formats offered, loaded from Rust once. */
export class FormatCatalog {
  formats: TransferFormats = $state.raw({ import: [], export: [] });
  failure: IpcFailure | undefined = $state.raw();

  async load(): Promise<void> {
    try {
      this.formats = await call(commands.transferFormats());
      this.failure = undefined;
    } catch (error) {
      this.failure = asFailure(error);
    }
  }
}

/** What the import shows at each step ("costly": opening the file takes much memory or time; the user is asked first). */
export type ImportStep = "choose" | "reading" | "password" | "costly" | "preview" | "committing";

/** The bytes of a dropped file, as Rust takes them. */
export async function sourceFromFile(file: File): Promise<ImportSource> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { kind: "bytes", name: file.name, bytes: Array.from(bytes) };
}

export class ImportFlow {
  step: ImportStep = $state("choose");
  /** The file being imported, for display. */
  fileName = $state("");
  /** A format id, or "" to let Rust recognise the file. */
  format = $state("");
  preview: ImportPreviewView | undefined = $state.raw();
  /** Why the last step failed, in words for people. */
  problem = $state("");
  /** The password was wrong (the password field stays, with this said). */
  wrongPassword = $state(false);
  /** At the "costly" step: what opening the file takes, in Rust's words. */
  cost = $state("");
  /** The key file Rust holds for this file (a KeePass database's), by name. */
  keyFile: string | null = $state(null);
  #source: ImportSource | undefined;
  /** The password typed for a file whose cost is being confirmed (until the answer). */
  #pendingPassword: string | null = null;

  /** Asks for a file in the native dialog, then reads it. */
  async pick(): Promise<void> {
    this.problem = "";
    let picked;
    try {
      picked = await unwrap(commands.pickImportFile());
    } catch (error) {
      this.problem = asFailure(error).message;
      return;
    }
    if (picked === null) return;
    await this.open({ kind: "path", path: picked.path }, picked.name);
  }

  /** Reads a file dropped on the window. */
  async drop(file: File): Promise<void> {
    this.problem = "";
    let source;
    try {
      source = await sourceFromFile(file);
    } catch (error) {
      this.problem = `Cannot read ${file.name}: ${String(error)}`;
      return;
    }
    await this.open(source, file.name);
  }

  /** Starts over with `source` (named `fileName`) and reads it. */
  async open(source: ImportSource, fileName: string): Promise<void> {
    if (this.keyFile !== null) await this.clearKeyFile();
    this.#source = source;
    this.fileName = fileName;
    this.preview = undefined;
    this.wrongPassword = false;
    await this.read(null);
  }

  /** Reads the file again as another format ("" = recognise it). */
  async setFormat(format: string): Promise<void> {
    this.format = format;
    if (this.#source !== undefined && this.step !== "password") {
      await this.read(null);
    }
  }

  /** Reads the file with the password the user typed (none, when a key file opens it alone). */
  async unlock(password: string): Promise<void> {
    if (password === "" && this.keyFile === null) {
      this.problem = "Type the file's password.";
      return;
    }
    await this.read(password === "" ? null : password);
  }

  /** Has Rust read a key file (chosen in the native dialog) to open this file with. */
  async chooseKeyFile(): Promise<void> {
    this.problem = "";
    try {
      const name = await unwrap(commands.chooseImportKeyFile());
      if (name !== null) this.keyFile = name;
    } catch (error) {
      this.problem = asFailure(error).message;
    }
  }

  /** Opens files without the key file from now on. */
  async clearKeyFile(): Promise<void> {
    this.keyFile = null;
    try {
      await unwrap(commands.clearImportKeyFile());
    } catch {
      // A lock forgets it too.
    }
  }

  /** Opens the file whose cost the user accepted. */
  async openCostly(): Promise<void> {
    const password = this.#pendingPassword;
    this.#pendingPassword = null;
    this.cost = "";
    await this.read(password, true);
  }

  /** Stops reading the file (its key derivation): Rust keeps nothing. */
  async stop(): Promise<void> {
    this.reset();
    try {
      await unwrap(commands.cancelImport());
    } catch {
      // Nothing is kept either way: a lock or the next import stops it too.
    }
  }

  async read(password: string | null, allowCostly = false): Promise<void> {
    const source = this.#source;
    if (source === undefined) return;
    const asked = this.step === "password";
    this.step = "reading";
    this.problem = "";
    try {
      this.preview = await unwrap(commands.previewImport(source, this.format === "" ? null : this.format, password, allowCostly));
      if (this.#source !== source) return;
      this.wrongPassword = false;
      this.step = "preview";
    } catch (error) {
      if (this.#source !== source) return;
      const failure = asFailure(error);
      if (failure.code === "costly_key_derivation") {
        this.#pendingPassword = password;
        this.cost = failure.message;
        this.step = "costly";
      } else if (failure.code === "cancelled") {
        this.reset();
      } else if (failure.code === "password_required") {
        this.step = "password";
      } else if (failure.code === "wrong_password") {
        this.wrongPassword = true;
        this.step = "password";
        this.problem = "Wrong password for this file. Nothing was imported; try again.";
      } else {
        this.step = asked ? "password" : "choose";
        this.problem = failure.message;
      }
    }
  }

  /** Adds the preview's new accounts; the result, or `undefined` on failure. */
  async commit(): Promise<ImportResult | undefined> {
    const preview = this.preview;
    if (preview === undefined) return undefined;
    this.step = "committing";
    this.problem = "";
    try {
      const result = await unwrap(commands.commitImport(preview.id));
      this.reset();
      return result;
    } catch (error) {
      this.step = "preview";
      this.problem = asFailure(error).message;
      return undefined;
    }
  }

  /** Forgets the file (and asks Rust to drop its preview). */
  async cancel(): Promise<void> {
    this.reset();
    try {
      await unwrap(commands.discardImport());
    } catch {
      // Rust drops the preview on lock and on the next import anyway.
    }
  }

  reset(): void {
    this.#source = undefined;
    this.#pendingPassword = null;
    this.cost = "";
    this.step = "choose";
    this.fileName = "";
    this.preview = undefined;
    this.problem = "";
    this.wrongPassword = false;
  }
}

/** Checks the export form; the reason it cannot be sent, or `undefined`. */
export function exportBlocker(
  option: ExportFormatOption | undefined,
  form: { password: string; confirm: string; acknowledged: boolean; vaultPassword: string },
): string | undefined {
  if (option === undefined) return "Choose a format.";
  if (option.needsPassword) {
    if (form.password === "") return "Choose a password for the export.";
    if (form.password !== form.confirm) return "The two passwords differ.";
  }
  if (option.plaintext && !form.acknowledged) return "Tick the box to confirm you understand the file is not encrypted.";
  if (form.vaultPassword === "") return "Type your vault password to export.";
  return undefined;
}

/** What the toast says after an export. */
export function exportSummary(result: ExportResult): string {
  const accounts = counted(result.written, "account");
  const where = result.files.length === 1 ? (result.files[0] ?? "") : `${String(result.files.length)} files: ${result.files.join(", ")}`;
  const parts = [`Exported ${accounts} to ${where}.`];
  if (result.leftOut.length > 0) {
    parts.push(`Left out: ${result.leftOut.map((item) => `${item.label} (${item.reason})`).join("; ")}.`);
  }
  if (result.notWritten.length > 0) {
    parts.push(`Not written: ${result.notWritten.join(", ")}.`);
  }
  return parts.join(" ");
}

export class ExportFlow {
  format = $state("tessera");
  password = $state("");
  confirm = $state("");
  /** Asked again for every export; cleared after each attempt. */
  vaultPassword = $state("");
  acknowledged = $state(false);
  busy = $state(false);
  problem = $state("");
  result: ExportResult | undefined = $state.raw();

  /**
   * Writes the export. `path` skips the save dialog (the end-to-end tests
   * cannot drive a native dialog). `undefined` when the user cancelled the
   * dialog or it failed (then `problem` says why).
   */
  async run(option: ExportFormatOption | undefined, path: string | null = null): Promise<ExportResult | undefined> {
    const blocker = exportBlocker(option, this);
    if (blocker !== undefined || option === undefined) {
      this.problem = blocker ?? "Choose a format.";
      return undefined;
    }
    this.busy = true;
    this.problem = "";
    try {
      const result = await unwrap(
        commands.exportAccounts({
          format: option.id,
          vaultPassword: this.vaultPassword,
          password: option.needsPassword ? this.password : null,
          acknowledgePlaintext: option.plaintext && this.acknowledged,
          path,
        }),
      );
      if (result !== null) {
        this.result = result;
        this.password = this.confirm = "";
        this.acknowledged = false;
      }
      return result ?? undefined;
    } catch (error) {
      const failure = asFailure(error);
      this.problem = failure.code === "wrong_password" ? "That is not the vault's password." : failure.message;
      return undefined;
    } finally {
      this.vaultPassword = "";
      this.busy = false;
    }
  }
}
