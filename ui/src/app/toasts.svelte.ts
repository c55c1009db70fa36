/**
 * Short messages at the bottom of the window ("Copied", "Deleted · Undo"),
 * announced politely to screen readers. One at a time; a new one replaces
 * the old.
 */
import { createContext } from "svelte";

export interface Toast {
  id: number;
  message: string;
  action?: { label: string; run: () => void };
}

export class Toasts {
  current: Toast | undefined = $state.raw();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #next = 1;

  show(message: string, options: { action?: Toast["action"]; durationMs?: number } = {}): number {
    clearTimeout(this.#timer);
    const id = this.#next++;
    this.current = { id, message, action: options.action };
    this.#timer = setTimeout(() => {
      this.dismiss(id);
    }, options.durationMs ?? 4000);
    return id;
  }

  dismiss(id?: number): void {
    if (id === undefined || this.current?.id === id) {
      clearTimeout(this.#timer);
      this.current = undefined;
    }
  }
}

export const [getToasts, setToasts] = createContext<Toasts>();
