/**
 * Following a phone's Aegis automatic backups (Settings › Sync): the
 * folder Aegis backs up to and its password go to Rust, which stages the
 * newest backup as the import preview and stages newer ones as they come
 * (`aegis-backup-found`). The user adds the new accounts or leaves them;
 * nothing is ever removed because the phone lacks it. Rust forgets the
 * password when the vault locks. Never throws: failures land in `problem`.
 */
import { createContext } from "svelte";
import { commands, events, type AegisBackupView } from "../../ipc/bindings";
import { asFailure, listenWhileMounted, unwrap } from "../../ipc/client";

export class PhoneBackups {
  /** The folder followed; null when none. */
  folder: string | null = $state(null);
  /** The newest backup with something new, staged as the import preview. */
  staged: AegisBackupView | null = $state.raw(null);
  problem = $state("");
  busy = $state(false);

  async load(): Promise<void> {
    try {
      this.folder = await unwrap(commands.aegisFollowed());
    } catch (error) {
      this.problem = asFailure(error).message;
    }
  }

  async follow(folder: string, password: string): Promise<boolean> {
    return this.#run(async () => {
      this.staged = await unwrap(commands.followAegis(folder, password));
      this.folder = this.staged.folder;
    });
  }

  async stop(): Promise<boolean> {
    return this.#run(async () => {
      await unwrap(commands.stopFollowingAegis());
      this.folder = null;
      await this.dismiss();
    });
  }

  /** Adds the staged backup's new accounts; how many, or undefined on failure. */
  async add(): Promise<number | undefined> {
    const staged = this.staged;
    if (staged === null) return undefined;
    let imported: number | undefined;
    await this.#run(async () => {
      imported = (await unwrap(commands.commitImport(staged.preview.id))).imported;
      this.staged = null;
    });
    return imported;
  }

  /** Leaves the staged backup's accounts out (a newer backup is offered when it comes). */
  async dismiss(): Promise<void> {
    this.staged = null;
    try {
      await unwrap(commands.discardImport());
    } catch {
      // Rust drops the preview on lock and on the next import anyway.
    }
  }

  /** Takes the backups Rust stages while the app runs; `onFound` hears of each. Returns the unlisten. */
  listen(onFound: (backup: AegisBackupView) => void): () => void {
    return listenWhileMounted(events.aegisBackupFound, (found) => {
      if (found.backup !== null) {
        this.staged = found.backup;
        this.problem = "";
        onFound(found.backup);
      } else if (found.problem !== null) {
        this.problem = found.problem;
      }
    });
  }

  async #run(action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.problem = "";
    try {
      await action();
      return true;
    } catch (error) {
      this.problem = asFailure(error).message;
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const [getPhoneBackups, setPhoneBackups] = createContext<PhoneBackups>();
