/**
 * The application facts shown in Settings (version, vault file, whether
 * there is a tray), read from Rust once per load, and the diagnostics
 * copied for a bug report. Holds the loading, loaded and failed states;
 * never throws.
 */
import { commands, type AppInfo } from "../../ipc/bindings";
import { asFailure, call, type IpcFailure, unwrap } from "../../ipc/client";

export type AppDetailsState =
  | { status: "loading" }
  | { status: "loaded"; info: AppInfo }
  | { status: "failed"; failure: IpcFailure };

export class AppDetails {
  state: AppDetailsState = $state.raw({ status: "loading" });
  /** The diagnostics Rust last copied to the clipboard. */
  diagnostics = $state("");
  diagnosticsProblem = $state("");
  #request = 0;

  /** Whether a tray shows Tessera's icon: unknown until Rust answers, false when it cannot. */
  get trayAvailable(): boolean | undefined {
    if (this.state.status === "loading") return undefined;
    return this.state.status === "loaded" && this.state.info.trayAvailable;
  }

  /** Whether TESSERA_LOG sets the log level, so the setting waits: false until Rust answers. */
  get logLevelFixed(): boolean {
    return this.state.status === "loaded" && this.state.info.logLevelFixed;
  }

  async load(): Promise<void> {
    const request = ++this.#request;
    this.state = { status: "loading" };
    let next: AppDetailsState;
    try {
      next = { status: "loaded", info: await call(commands.appInfo()) };
    } catch (error) {
      next = { status: "failed", failure: asFailure(error) };
    }
    // A newer load (a retry) wins over an older one that answers late.
    if (request === this.#request) {
      this.state = next;
    }
  }

  /** Has Rust copy the diagnostics (versions, platform, this web view) to the clipboard, and shows them. */
  async copyDiagnostics(): Promise<void> {
    this.diagnosticsProblem = "";
    try {
      this.diagnostics = await unwrap(commands.copyDiagnostics(navigator.userAgent));
    } catch (error) {
      this.diagnosticsProblem = asFailure(error).message;
    }
  }
}
