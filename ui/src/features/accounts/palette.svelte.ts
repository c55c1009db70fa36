/**
 * Whether the quick palette is open: Ctrl+K in the window, or the global
 * shortcut Rust registers (Ctrl+Shift+K from anywhere on the desktop, which
 * shows the window first). Closing gives focus back to where it was.
 */
import { events } from "../../ipc/bindings";
import { listenWhileMounted } from "../../ipc/client";

export class Palette {
  open = $state(false);
  #focusBefore: HTMLElement | undefined;

  show(): void {
    if (this.open) return;
    this.#focusBefore = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    this.open = true;
  }

  close(): void {
    this.open = false;
    this.#focusBefore?.focus();
  }

  /** Opens on the global shortcut, until the returned function is called. */
  followShortcut(): () => void {
    return listenWhileMounted(events.openPalette, () => {
      this.show();
    });
  }
}
