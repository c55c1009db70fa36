/**
 * An account shown as a QR code for a phone: asked for, confirmed with the
 * vault password, which Rust checks before it draws the code. The image
 * holds the secret, so it lives only until hidden or the page closes.
 */
import { commands } from "../../ipc/bindings";
import { unwrap } from "../../ipc/client";
import { explainFailure } from "../vault/session.svelte";

export class AccountQr {
  /** The QR code as an image URL, while shown. */
  source: string | null = $state(null);
  /** The warning and the password field are up. */
  confirming = $state(false);
  problem = $state("");
  readonly #account: string;

  constructor(account: string) {
    this.#account = account;
  }

  ask(): void {
    this.problem = "";
    this.confirming = true;
  }

  cancel(): void {
    this.confirming = false;
  }

  async show(password: string): Promise<void> {
    this.problem = "";
    try {
      const svg = await unwrap(commands.showAccountQr(this.#account, password));
      this.confirming = false;
      this.source = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    } catch (error) {
      this.problem = explainFailure(error);
    }
  }

  hide(): void {
    this.source = null;
  }
}
