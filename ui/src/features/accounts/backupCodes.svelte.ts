/**
 * One account's backup codes as its page shows them: masked until Rust has
 * checked the vault password, the count left written back to the accounts
 * list, and removals that wait out an undo time before they reach Rust.
 */
import { SvelteMap, SvelteSet } from "svelte/reactivity";
import { commands, type BackupCodeView } from "../../ipc/bindings";
import { unwrap } from "../../ipc/client";
import { explainFailure } from "../vault/session.svelte";
import type { AccountList } from "./accountList.svelte";
import { splitBackupCodes } from "./forms";

/** How long a backup code's removal can be undone. */
export const UNDO_MS = 6000;

export class BackupCodes {
  codes: BackupCodeView[] = $state([]);
  /** Why the last load or change failed, for people. */
  problem = $state("");
  /** Codes removed on screen that are still in the vault. */
  readonly #removing = new SvelteSet<string>();
  /** The removals that can still be undone, and when each is sent. */
  readonly #undoTimers = new SvelteMap<string, ReturnType<typeof setTimeout>>();
  readonly #account: string;
  readonly #list: AccountList;

  readonly shown: BackupCodeView[] = $derived(this.codes.filter((code) => !this.#removing.has(code.id)));
  readonly left: number = $derived(this.shown.filter((code) => code.usedAt === null).length);
  /** Whether the codes are shown in clear (after the vault password). */
  readonly revealed: boolean = $derived(this.codes.some((code) => code.code !== null));

  constructor(account: string, list: AccountList) {
    this.#account = account;
    this.#list = list;
  }

  async load(): Promise<void> {
    try {
      this.codes = await unwrap(commands.listBackupCodes(this.#account));
    } catch (error) {
      this.problem = explainFailure(error);
    }
  }

  /** Shows the codes in clear once Rust has checked the vault password. */
  reveal(password: string): Promise<void> {
    return this.#change(() => unwrap(commands.revealBackupCodes(this.#account, password)));
  }

  hide(): Promise<void> {
    return this.#change(() => unwrap(commands.listBackupCodes(this.#account)));
  }

  /** Adds a pasted list of codes; returns whether they were added. */
  async add(text: string): Promise<boolean> {
    const codes = splitBackupCodes(text);
    if (codes.length === 0) {
      this.problem = "Paste or type at least one backup code.";
      return false;
    }
    await this.#change(() => unwrap(commands.addBackupCodes(this.#account, codes)));
    return this.problem === "";
  }

  markUsed(code: string): Promise<void> {
    return this.#change(() => unwrap(commands.markBackupCodeUsed(this.#account, code)));
  }

  /** Hides a code now; removes it from the vault when the undo time is up. */
  removeLater(code: string): void {
    this.#removing.add(code);
    this.#undoTimers.set(
      code,
      setTimeout(() => {
        void this.#remove(code);
      }, UNDO_MS),
    );
  }

  undoRemoval(code: string): void {
    clearTimeout(this.#undoTimers.get(code));
    this.#undoTimers.delete(code);
    this.#removing.delete(code);
  }

  /** Ends every undo time now (the page is closing): what was removed is removed. */
  finishRemovals(): void {
    for (const [code, timer] of this.#undoTimers) {
      clearTimeout(timer);
      void this.#remove(code);
    }
  }

  async #remove(code: string): Promise<void> {
    this.#undoTimers.delete(code);
    await this.#change(() => unwrap(commands.removeBackupCode(this.#account, code)));
    this.#removing.delete(code);
  }

  async #change(action: () => Promise<BackupCodeView[]>): Promise<void> {
    this.problem = "";
    try {
      this.codes = await action();
      const account = this.#list.get(this.#account);
      if (account !== undefined) {
        const backupCodesLeft = this.codes.filter((code) => code.usedAt === null).length;
        this.#list.upsert({ ...account, backupCodesLeft, backupCodesTotal: this.codes.length });
      }
    } catch (error) {
      this.problem = explainFailure(error);
    }
  }
}
