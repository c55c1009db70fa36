/**
 * The application facts shown in Settings › About, read from Rust once per
 * load. Holds the loading, loaded and failed states; never throws.
 */
import { commands, type AppInfo } from "../../ipc/bindings";
import { asFailure, call, type IpcFailure } from "../../ipc/client";

export type AppDetailsState =
  | { status: "loading" }
  | { status: "loaded"; info: AppInfo }
  | { status: "failed"; failure: IpcFailure };

export class AppDetails {
  state: AppDetailsState = $state.raw({ status: "loading" });
  #request = 0;

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
}
