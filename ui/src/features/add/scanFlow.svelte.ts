/**
 * Adding accounts from QR codes: a picture dropped or picked, the screen,
 * the clipboard or pasted `otpauth://` text. Rust decodes and keeps what it
 * found (secrets included) until the user confirms; this side only ever
 * sees display fields and ids, and the progress of multi-part Google
 * exports ("2 of 4 scanned"), which Rust keeps across scans until the vault
 * locks.
 */
import { counted } from "../../app/counted";
import { commands, events, type AccountSummary, type MigrationProgress, type ScanNote, type ScanView } from "../../ipc/bindings";
import { listenWhileMounted, unwrap } from "../../ipc/client";
import { explainFailure } from "../vault/session.svelte";

const EMPTY: ScanView = { found: [], exports: [], last: null };

/** Whether pasted text holds an account URI (anywhere, any case). */
export function holdsOtpUri(text: string): boolean {
  return /otpauth(-migration)?:\/\//i.test(text);
}

/** "1", "1 and 3", "1, 2 and 4". */
function listParts(parts: readonly number[]): string {
  const names = parts.map(String);
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1] ?? ""}`;
}

/** "Google Authenticator export: 2 of 4 scanned. Still missing: part 1 and 3." */
export function describeProgress(progress: MigrationProgress): string {
  const missing = progress.missing.length === 1 ? "part" : "parts";
  return (
    `Google Authenticator export: ${String(progress.scanned)} of ${String(progress.total)} scanned. ` +
    `Still missing: ${missing} ${listParts(progress.missing)}.`
  );
}

function accounts(n: number): string {
  return counted(n, "account");
}

/** What the last scan did, in a sentence. */
export function describeNote(note: ScanNote): string {
  const said: string[] = [];
  if (note.accounts > 0) said.push(`Found ${accounts(note.accounts)}.`);
  if (note.parts > 0) said.push(note.parts === 1 ? "Scanned one more part of an export." : `Scanned ${String(note.parts)} more parts of an export.`);
  if (note.repeated > 0 && said.length === 0) said.push("Already scanned: nothing new in this code.");
  return said.join(" ");
}

/** A failure as a sentence for people (Rust's messages start in lower case). */
export function describeFailure(error: unknown): string {
  const text = explainFailure(error).trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?)]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * Has Rust stage the link the desktop asked Tessera to open (a click on an
 * `otpauth://` link, `tessera otpauth://…`): true when its accounts now
 * wait for confirmation on the Add screen, false when no link waits.
 * Throws the failure of a link that holds no valid account.
 */
export async function stageOpenedLink(): Promise<boolean> {
  return (await unwrap(commands.takeOpenedLink())) !== null;
}

/** Calls `opened` whenever the desktop passes Tessera a link, until the returned function is called. */
export function followOpenedLinks(opened: () => void): () => void {
  return listenWhileMounted(events.linkOpened, opened);
}

export class ScanFlow {
  view: ScanView = $state(EMPTY);
  busy = $state(false);
  /** The last failure, for people. */
  problem = $state("");
  /** What the last scan did, for people. */
  status = $state("");
  /** The found accounts chosen to add, by id. */
  chosen: string[] = $state([]);

  get found() {
    return this.view.found;
  }

  get exports() {
    return this.view.exports;
  }

  /** Something to confirm or a scan in progress. */
  get active(): boolean {
    return this.view.found.length > 0 || this.view.exports.length > 0;
  }

  /** Picks up what an earlier visit scanned (Rust keeps it until lock). */
  async load(): Promise<void> {
    try {
      this.#apply(await unwrap(commands.pendingScan()), false);
    } catch (error) {
      this.problem = describeFailure(error);
    }
  }

  /** A picture file dropped on the screen: its bytes go to Rust. */
  scanFile(file: Blob): Promise<void> {
    return this.#scan(async () => {
      const bytes = Array.from(new Uint8Array(await file.arrayBuffer()));
      return unwrap(commands.scanImage(bytes));
    });
  }

  /** Several dropped files, one after another, stopping at the first failure. */
  async scanFiles(files: readonly Blob[]): Promise<void> {
    for (const file of files) {
      await this.scanFile(file);
      if (this.problem) return;
    }
  }

  /** The native file dialog (Rust opens it); nothing happens if cancelled. */
  openImage(): Promise<void> {
    return this.#scan(() => unwrap(commands.scanImageFile()));
  }

  scanScreen(): Promise<void> {
    return this.#scan(() => unwrap(commands.scanScreen()));
  }

  /** The clipboard, read by Rust: a copied picture or copied URIs. */
  pasteClipboard(): Promise<void> {
    return this.#scan(() => unwrap(commands.scanClipboard()));
  }

  /** Pasted text holding `otpauth://` or `otpauth-migration://` URIs. */
  pasteText(text: string): Promise<void> {
    return this.#scan(() => unwrap(commands.scanText(text)));
  }

  toggle(id: string, on: boolean): void {
    this.chosen = on ? [...this.chosen.filter((c) => c !== id), id] : this.chosen.filter((c) => c !== id);
  }

  /** Adds the chosen accounts; returns them (empty on failure). */
  async add(tags: string[]): Promise<AccountSummary[]> {
    const ids = this.found.map((found) => found.id).filter((id) => this.chosen.includes(id));
    if (ids.length === 0) {
      this.problem = "Choose at least one account to add.";
      return [];
    }
    this.busy = true;
    this.problem = "";
    try {
      const added = await unwrap(commands.addScanned(ids, tags));
      this.view = { ...this.view, found: [], last: null };
      this.chosen = [];
      this.status = "";
      return added;
    } catch (error) {
      this.problem = describeFailure(error);
      return [];
    } finally {
      this.busy = false;
    }
  }

  /** Forgets everything found and every export part scanned. */
  async discard(): Promise<void> {
    this.problem = "";
    try {
      this.#apply(await unwrap(commands.discardScan()), false);
      this.status = "";
    } catch (error) {
      this.problem = describeFailure(error);
    }
  }

  async #scan(run: () => Promise<ScanView | null>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.problem = "";
    this.status = "";
    try {
      const view = await run();
      if (view !== null) this.#apply(view, true);
    } catch (error) {
      this.problem = describeFailure(error);
    } finally {
      this.busy = false;
    }
  }

  #apply(view: ScanView, scanned: boolean): void {
    const known = this.view.found.map((found) => found.id);
    // Newly found accounts start chosen, unless the vault already has them.
    const fresh = view.found.filter((found) => !known.includes(found.id) && !found.inVault).map((found) => found.id);
    const still = view.found.map((found) => found.id);
    this.chosen = [...this.chosen.filter((id) => still.includes(id)), ...fresh];
    this.view = view;
    if (scanned && view.last !== null) this.status = describeNote(view.last);
  }
}
