/**
 * Settings › Sync: where sync stands, and the user's actions on it (start
 * a group, join one with a pairing code, sync now, add a device, remove
 * one, leave). While a pairing code is shown, the page syncs every few
 * seconds so the other device is let in as soon as it asks. Never throws:
 * a failure is kept in `problem` (and the status's last error).
 */
import {
  commands,
  events,
  type PairingView,
  type SyncOutcome,
  type SyncRemoteInput,
  type SyncView,
} from "../../ipc/bindings";
import { asFailure, listenWhileMounted, unwrap } from "../../ipc/client";

/** How often a shown pairing code looks for the device that uses it. */
export const PAIRING_POLL_MS = 3000;

export type SyncState =
  | { status: "loading" }
  | { status: "loaded"; view: SyncView }
  | { status: "failed"; message: string };

export type SyncBusy = "" | "setup" | "join" | "sync" | "pair" | "remove" | "leave";

export class SyncSettings {
  state: SyncState = $state.raw({ status: "loading" });
  busy: SyncBusy = $state("");
  problem = $state("");
  /** The last sync's result, said to the user. */
  lastOutcome: SyncOutcome | null = $state.raw(null);
  /** The pairing code shown for another device. */
  pairing: PairingView | null = $state.raw(null);
  /** Names of the devices that joined while the code was shown. */
  joined: string[] = $state.raw([]);
  #poll: ReturnType<typeof setInterval> | undefined;

  get view(): SyncView | null {
    return this.state.status === "loaded" ? this.state.view : null;
  }

  async load(): Promise<void> {
    try {
      this.state = { status: "loaded", view: await unwrap(commands.syncStatus()) };
    } catch (error) {
      this.state = { status: "failed", message: asFailure(error).message };
    }
  }

  /** Reloads the status when the window synced by itself; returns the unlisten. */
  follow(): () => void {
    return listenWhileMounted(events.syncFinished, () => void this.load());
  }

  async chooseFolder(): Promise<string | null> {
    this.problem = "";
    try {
      return await unwrap(commands.chooseSyncFolder());
    } catch (error) {
      this.problem = asFailure(error).message;
      return null;
    }
  }

  setup(remote: SyncRemoteInput, name: string): Promise<boolean> {
    return this.#run("setup", async () => {
      this.#took(await unwrap(commands.syncSetup(remote, name)));
    });
  }

  join(code: string, remote: SyncRemoteInput, name: string): Promise<boolean> {
    return this.#run("join", async () => {
      this.#took(await unwrap(commands.syncJoin(code, remote, name)));
    });
  }

  syncNow(): Promise<boolean> {
    return this.#run("sync", async () => {
      this.#took(await unwrap(commands.syncNow()));
    });
  }

  /** Shows a new pairing code and syncs every few seconds until a device used it or it is hidden. */
  pair(): Promise<boolean> {
    return this.#run("pair", async () => {
      this.joined = [];
      this.pairing = await unwrap(commands.syncPair());
      this.#stopPolling();
      this.#poll = setInterval(() => void this.#pollPairing(), PAIRING_POLL_MS);
    });
  }

  /** Hides the pairing code and stops looking for its device. */
  hidePairing(): void {
    this.#stopPolling();
    this.pairing = null;
  }

  removeDevice(id: string): Promise<boolean> {
    return this.#run("remove", async () => {
      this.state = { status: "loaded", view: await unwrap(commands.syncRemoveDevice(id)) };
    });
  }

  leave(force: boolean): Promise<boolean> {
    return this.#run("leave", async () => {
      this.hidePairing();
      this.lastOutcome = null;
      this.state = { status: "loaded", view: await unwrap(commands.syncLeave(force)) };
    });
  }

  /** Stops the pairing poll (the page closed). */
  dispose(): void {
    this.#stopPolling();
  }

  async #pollPairing(): Promise<void> {
    if (this.busy !== "") return;
    try {
      const outcome = await unwrap(commands.syncNow());
      this.#took(outcome);
      if (outcome.joined.length > 0) {
        this.joined = [...this.joined, ...outcome.joined];
        this.hidePairing();
      }
    } catch {
      // The status keeps the error; the next poll tries again.
      await this.load();
    }
  }

  #stopPolling(): void {
    if (this.#poll !== undefined) clearInterval(this.#poll);
    this.#poll = undefined;
  }

  #took(outcome: SyncOutcome): void {
    this.lastOutcome = outcome;
    this.state = { status: "loaded", view: outcome.status };
  }

  async #run(busy: Exclude<SyncBusy, "">, action: () => Promise<void>): Promise<boolean> {
    this.busy = busy;
    this.problem = "";
    try {
      await action();
      return true;
    } catch (error) {
      this.problem = asFailure(error).message;
      await this.load();
      return false;
    } finally {
      this.busy = "";
    }
  }
}

/** "3 minutes ago", for the last sync and a device's last change. */
export function ago(unixMs: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - unixMs) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? "a minute ago" : `${String(minutes)} minutes ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return hours === 1 ? "an hour ago" : `${String(hours)} hours ago`;
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(unixMs);
}
