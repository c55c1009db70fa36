/**
 * Settings' clock check: this computer's clock against a server's `Date`
 * header, for one of the configured servers or any URL (a host no server
 * has needs the vault password, which Rust checks, before Tessera contacts
 * it). The offset found is offered as the clock offset setting.
 */
import { commands, type ClockCheck, type ServerView } from "../../ipc/bindings";
import { unwrap } from "../../ipc/client";
import { describeFailure } from "../servers/servers.svelte";

function sameHost(a: string, b: string): boolean {
  try {
    return new URL(a).host === new URL(b.trim()).host;
  } catch {
    return false;
  }
}

export class ServerClockCheck {
  /** The configured servers, offered to pick a URL from. */
  servers: ServerView[] = $state.raw([]);
  busy = $state(false);
  problem = $state("");
  result: ClockCheck | undefined = $state.raw();

  async loadServers(): Promise<void> {
    try {
      this.servers = await unwrap(commands.listServers());
    } catch {
      this.servers = [];
    }
  }

  /** Whether `url` is on the host of a configured server (then it needs no vault password). */
  knows(url: string): boolean {
    return this.servers.some((server) => sameHost(server.url, url));
  }

  async run(url: string, vaultPassword: string | null): Promise<void> {
    this.busy = true;
    this.problem = "";
    this.result = undefined;
    try {
      this.result = await unwrap(commands.serverClockCheck(url, vaultPassword));
    } catch (error) {
      this.problem = describeFailure(error);
    } finally {
      this.busy = false;
    }
  }
}
