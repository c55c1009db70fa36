/**
 * The vault as the UI sees it: missing (first run), locked or unlocked,
 * and the last problem in words a person can act on; its password, keyring
 * unlock, backups, and the activity that keeps it from auto-locking. Every
 * change goes through Rust; a password is passed once and not kept.
 */
import { createContext } from "svelte";
import { commands, events, type VaultStatus } from "../../ipc/bindings";
import { asFailure, call, type IpcFailure, listenWhileMounted, unwrap } from "../../ipc/client";

/** Input is reported to Rust at most this often (it resets auto-lock). */
const ACTIVITY_EVERY_MS = 15_000;

export type SessionPhase = "loading" | "missing" | "locked" | "unlocked" | "unavailable";

/** What to tell the user about a failure, with words of its own for the codes the unlock screens branch on. */
export function explainFailure(error: unknown): string {
  const failure = asFailure(error);
  switch (failure.code) {
    case "wrong_password":
      return "Wrong password. Check Caps Lock and try again.";
    case "keyring_unavailable":
      return "The system keyring can't be used right now. Unlock with your password instead.";
    case "corrupt":
      return `This vault file is damaged or was changed outside Tessera, so it stays locked. Restore a backup. (${failure.message})`;
    case "newer_format":
      return "This vault was written by a newer version of Tessera. Update Tessera to open it.";
    case "unreachable":
      return "Tessera's core did not answer. This happens when the interface is opened outside the Tessera app.";
    default:
      return failure.message;
  }
}

export class VaultSession {
  phase: SessionPhase = $state("loading");
  keyringEnabled = $state(false);
  vaultPath = $state("");
  busy = $state(false);
  failure: IpcFailure | undefined = $state.raw();
  #activityReported = 0;

  get problem(): string | undefined {
    return this.failure ? explainFailure(this.failure) : undefined;
  }

  #apply(status: VaultStatus): void {
    this.phase = status.state;
    this.keyringEnabled = status.keyringEnabled;
    this.vaultPath = status.vaultPath;
  }

  async #run(action: () => Promise<VaultStatus>): Promise<boolean> {
    this.busy = true;
    this.failure = undefined;
    try {
      this.#apply(await action());
      return true;
    } catch (error) {
      this.failure = asFailure(error);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Reads the status; tries keyring unlock once if it is enabled. */
  async load(tryKeyring = true): Promise<void> {
    const ok = await this.#run(() => unwrap(commands.vaultStatus()));
    if (!ok) {
      this.phase = "unavailable";
      try {
        this.vaultPath = (await call(commands.appInfo())).vaultPath;
      } catch {
        // The failure above already says what is wrong.
      }
      return;
    }
    if (tryKeyring && this.phase === "locked" && this.keyringEnabled) {
      await this.unlockWithKeyring();
    }
  }

  create(password: string): Promise<boolean> {
    return this.#run(() => unwrap(commands.createVault(password)));
  }

  unlock(password: string): Promise<boolean> {
    return this.#run(() => unwrap(commands.unlockWithPassword(password)));
  }

  unlockWithKeyring(): Promise<boolean> {
    return this.#run(() => unwrap(commands.unlockWithKeyring()));
  }

  lock(): Promise<boolean> {
    return this.#run(() => unwrap(commands.lockVault()));
  }

  /**
   * Whether `error` is the vault being locked: then Rust locked it behind
   * the window's back, and the unlock screen shows instead.
   */
  lockedBy(error: unknown): boolean {
    if (asFailure(error).code !== "locked") return false;
    this.lockedElsewhere();
    return true;
  }

  /** Rust locked the vault (auto-lock, tray): forget what was shown. */
  lockedElsewhere(): void {
    if (this.phase === "unlocked") {
      this.phase = "locked";
    }
  }

  /** Shows the unlock screen whenever Rust locks the vault, until the returned function is called. */
  followLocks(): () => void {
    return listenWhileMounted(events.vaultLocked, () => {
      this.lockedElsewhere();
    });
  }

  /** The user did something: tells Rust, at most every 15 s, so the vault does not auto-lock. */
  noteActivity(): void {
    const now = Date.now();
    if (this.phase !== "unlocked" || now - this.#activityReported <= ACTIVITY_EVERY_MS) return;
    this.#activityReported = now;
    unwrap(commands.noteActivity()).catch(() => undefined);
  }

  /** Turns unlocking with the system keyring on or off; throws why it could not. */
  async setKeyringUnlock(enabled: boolean): Promise<void> {
    this.keyringEnabled = (await unwrap(commands.setKeyringUnlock(enabled))).keyringEnabled;
  }

  /**
   * Changes the vault password; throws why it could not. Returns whether
   * keyring unlock had to be turned off (the keyring did not answer).
   */
  async changePassword(current: string, replacement: string): Promise<boolean> {
    const keyringWasOn = this.keyringEnabled;
    this.keyringEnabled = (await unwrap(commands.changePassword(current, replacement))).keyringEnabled;
    return keyringWasOn && !this.keyringEnabled;
  }

  /** Writes an encrypted copy of the vault where the user chooses: its path, or null when the dialog was cancelled. */
  backup(): Promise<string | null> {
    return unwrap(commands.backupNow());
  }
}

export const [getVaultSession, setVaultSession] = createContext<VaultSession>();
