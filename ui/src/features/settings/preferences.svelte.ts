/**
 * The user's settings, loaded from Rust once and saved back on change. The
 * theme is applied to the document here.
 */
import { createContext } from "svelte";
import { commands, type SettingsView } from "../../ipc/bindings";
import { asFailure, type IpcFailure, unwrap } from "../../ipc/client";

export const DEFAULT_SETTINGS: SettingsView = {
  clockOffsetMs: 0,
  clipboardClearSeconds: 30,
  autoLockMinutes: 5,
  theme: "system",
  closeToTray: true,
  logLevel: "info",
};

export class Preferences {
  settings: SettingsView = $state.raw(DEFAULT_SETTINGS);
  failure: IpcFailure | undefined = $state.raw();

  async load(): Promise<void> {
    try {
      this.#apply(await unwrap(commands.getSettings()));
    } catch (error) {
      this.failure = asFailure(error);
    }
  }

  /** Saves a change; returns whether Rust accepted it. */
  async save(change: Partial<SettingsView>): Promise<boolean> {
    this.failure = undefined;
    try {
      this.#apply(await unwrap(commands.saveSettings({ ...this.settings, ...change })));
      return true;
    } catch (error) {
      this.failure = asFailure(error);
      return false;
    }
  }

  #apply(settings: SettingsView): void {
    this.settings = settings;
    applyTheme(settings.theme);
  }
}

export function applyTheme(theme: SettingsView["theme"]): void {
  if (theme === "system") {
    delete document.documentElement.dataset.theme;
  } else {
    document.documentElement.dataset.theme = theme;
  }
}

export const [getPreferences, setPreferences] = createContext<Preferences>();
