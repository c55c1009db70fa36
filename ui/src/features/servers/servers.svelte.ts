/**
 * The Servers screen's state: the servers and profiles Rust reports, the
 * actions run against a server (status, log in, disable, remove), the wait
 * a server asked for after a 429 or a lockout (a live countdown), and the
 * enrolment stepper.
 *
 * Credentials typed into the add form go to Rust once and are never held
 * here afterwards; nothing Rust sends back carries one.
 */
import {
  commands,
  type AccountSummary,
  type EnrolReport,
  type EnrolStep,
  type NewServer,
  type ProfileView,
  type ServerView,
} from "../../ipc/bindings";
import { asFailure, type IpcFailure, unwrap } from "../../ipc/client";
import { SvelteMap } from "svelte/reactivity";

/** A question for the confirmation dialog, and what a yes runs. */
export interface Question {
  title: string;
  body: string;
  confirmLabel: string;
  run: () => void;
}

/** "3.2 s behind", "0.5 s ahead of": this computer against a server (`offsetMs` = server − local). */
export function describeOffset(offsetMs: number): string {
  const seconds = (Math.abs(offsetMs) / 1000).toFixed(1);
  if (offsetMs === 0) return "in step with";
  return offsetMs > 0 ? `${seconds} s behind` : `${seconds} s ahead of`;
}

export const ENROL_STEPS: readonly { id: EnrolStep; label: string }[] = [
  { id: "sign_in", label: "Sign in" },
  { id: "request_secret", label: "Request secret" },
  { id: "store_pending", label: "Store account (pending)" },
  { id: "verify", label: "Verify code" },
  { id: "done", label: "Done" },
];

export type StepState = "waiting" | "active" | "done" | "failed";

/** How often a running enrolment's progress is asked for. */
export const PROGRESS_POLL_MS = 300;

export interface StepView {
  id: EnrolStep;
  label: string;
  state: StepState;
  message: string;
}

/** What to tell the user about a failed server call. */
export function describeFailure(error: unknown): string {
  const failure = asFailure(error);
  switch (failure.code) {
    case "locked":
      return "Unlock Tessera to use servers.";
    case "unreachable":
      return "Tessera's core did not answer.";
    default:
      return failure.message;
  }
}

/** `m:ss` for a countdown. */
export function formatWait(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return `${String(minutes)}:${String(rest).padStart(2, "0")}`;
}

function accountLabel(account: AccountSummary | null): string {
  if (account === null) return "the account";
  return account.name ? `${account.issuer} (${account.name})` : account.issuer;
}

/** The steps of one enrolment, run one after another against Rust. */
export class EnrolStepper {
  readonly name: string;
  steps: StepView[] = $state(freshSteps());
  running = $state(false);
  finished = $state(false);
  failure: IpcFailure | undefined = $state.raw();
  account: AccountSummary | undefined = $state.raw();
  readonly #onServer: (server: ServerView) => void;
  #enrolling = false;

  constructor(name: string, onServer: (server: ServerView) => void) {
    this.name = name;
    this.#onServer = onServer;
  }

  /** Runs every step; returns whether two-factor sign-in is now on. */
  async run(): Promise<boolean> {
    this.steps = freshSteps();
    this.failure = undefined;
    this.account = undefined;
    this.finished = false;
    this.running = true;
    try {
      this.#set("sign_in", "active", "Signing in…");
      try {
        const server = await unwrap(commands.serverSignIn(this.name));
        this.#onServer(server);
        this.#set("sign_in", "done", server.username ? `Signed in as ${server.username}.` : "Signed in.");
      } catch (error) {
        this.#fail("sign_in", asFailure(error));
        return false;
      }
      this.#set("request_secret", "active", "Asking the server for a secret, storing it, verifying a fresh code…");
      let report: EnrolReport;
      this.#enrolling = true;
      const poll = setInterval(() => {
        void this.#followProgress();
      }, PROGRESS_POLL_MS);
      try {
        report = await unwrap(commands.serverEnrol(this.name));
      } catch (error) {
        this.#fail("request_secret", asFailure(error));
        return false;
      } finally {
        this.#enrolling = false;
        clearInterval(poll);
      }
      this.#onServer(report.server);
      return this.#apply(report);
    } finally {
      this.running = false;
      this.finished = true;
    }
  }

  /** Shows the step a running enrolment is at, as Rust reports it. */
  async #followProgress(): Promise<void> {
    let servers: ServerView[];
    try {
      servers = await unwrap(commands.listServers());
    } catch {
      return; // Progress is a courtesy; the enrolment's answer decides.
    }
    const step = servers.find((s) => s.name === this.name)?.enrolStep;
    if (!this.#enrolling || step !== "verify" || this.#state("verify") !== "waiting") return;
    this.#set("request_secret", "done", "The server sent a secret.");
    this.#set("store_pending", "done", "Stored in the vault as pending.");
    this.#set("verify", "active", "Waiting for a fresh code and the server's answer…");
  }

  #state(id: EnrolStep): StepState | undefined {
    return this.steps.find((s) => s.id === id)?.state;
  }

  #apply(report: EnrolReport): boolean {
    const label = accountLabel(report.account);
    const passed: Record<EnrolStep, string> = {
      sign_in: this.#message("sign_in"),
      request_secret: "The server sent a secret.",
      store_pending: `Stored ${label} in the vault as pending.`,
      verify: "The server accepted the code.",
      done: `Two-factor sign-in is on. ${label} now gives the codes.`,
    };
    const failedAt = report.failure === null ? undefined : (report.failedAt ?? "request_secret");
    const at = failedAt === undefined ? ENROL_STEPS.length : ENROL_STEPS.findIndex((s) => s.id === failedAt);
    ENROL_STEPS.forEach((step, index) => {
      if (index < at) this.#set(step.id, "done", passed[step.id]);
    });
    if (report.failure === null || failedAt === undefined) {
      this.account = report.account ?? undefined;
      return true;
    }
    const failure = asFailure(report.failure);
    this.#fail(failedAt, failure);
    if (report.account !== null) {
      this.#set(failedAt, "failed", `${describeFailure(failure)} ${label} is kept as pending so its secret is not lost.`);
    }
    return false;
  }

  #message(id: EnrolStep): string {
    return this.steps.find((s) => s.id === id)?.message ?? "";
  }

  #set(id: EnrolStep, state: StepState, message: string): void {
    this.steps = this.steps.map((step) => (step.id === id ? { ...step, state, message } : step));
  }

  #fail(id: EnrolStep, failure: IpcFailure): void {
    this.failure = failure;
    this.#set(id, "failed", describeFailure(failure));
  }
}

function freshSteps(): StepView[] {
  return ENROL_STEPS.map((step) => ({ ...step, state: "waiting", message: "" }));
}

/** The servers and what is being done with them. */
export class ServerBook {
  servers: ServerView[] = $state.raw([]);
  profiles: ProfileView[] = $state.raw([]);
  loaded = $state(false);
  failure: IpcFailure | undefined = $state.raw();
  /** The last problem per server. */
  readonly problems = new SvelteMap<string, string>();
  /** The last outcome per server ("Two-factor sign-in is on", ...). */
  readonly notes = new SvelteMap<string, string>();
  /** The action running per server. */
  readonly running = new SvelteMap<string, string>();
  /** Per server, when (Date.now() ms) the wait it asked for ends. */
  readonly waits = new SvelteMap<string, number>();
  stepper: EnrolStepper | undefined = $state.raw();
  now = $state(Date.now());
  #ticker: ReturnType<typeof setInterval> | undefined;

  async load(): Promise<void> {
    this.failure = undefined;
    try {
      const [servers, profiles] = await Promise.all([unwrap(commands.listServers()), unwrap(commands.listServerProfiles())]);
      this.profiles = profiles;
      this.#replaceAll(servers);
    } catch (error) {
      this.failure = asFailure(error);
    } finally {
      this.loaded = true;
    }
  }

  profile(name: string): ProfileView | undefined {
    return this.profiles.find((p) => p.name === name);
  }

  /** Seconds left of the wait `name` asked for (0: none). */
  retrySeconds(name: string): number {
    const until = this.waits.get(name);
    return until === undefined ? 0 : Math.max(0, Math.ceil((until - this.now) / 1000));
  }

  /** Whether actions on `name` must wait (running, or the server asked to). */
  blocked(name: string): boolean {
    return this.running.has(name) || this.retrySeconds(name) > 0;
  }

  /** Adds a server; the form's secret is handed to Rust and not kept. */
  async add(form: NewServer): Promise<IpcFailure | undefined> {
    try {
      const server = await unwrap(commands.addServer(form));
      this.#upsert(server);
      this.notes.set(server.name, "Added.");
      return undefined;
    } catch (error) {
      return asFailure(error);
    }
  }

  async remove(name: string): Promise<boolean> {
    return this.#act(name, "Removing", async () => {
      await unwrap(commands.removeServer(name));
      this.servers = this.servers.filter((s) => s.name !== name);
      return "";
    });
  }

  async status(name: string): Promise<boolean> {
    return this.#act(name, "Asking", async () => {
      const status = await unwrap(commands.serverStatus(name));
      this.#upsert(status.server);
      return status.enabled ? "The server says two-factor sign-in is on." : "The server says two-factor sign-in is off.";
    });
  }

  async login(name: string, backupCode: boolean): Promise<boolean> {
    return this.#act(name, "Signing in", async () => {
      this.#upsert(await unwrap(commands.serverLogin(name, backupCode)));
      return backupCode ? "Signed in with a backup code (now marked used)." : "Signed in with a fresh code.";
    });
  }

  async disable(name: string): Promise<boolean> {
    return this.#act(name, "Disabling", async () => {
      const done = await unwrap(commands.serverDisable(name));
      this.#upsert(done.server);
      return done.archivedAccount === null
        ? "Two-factor sign-in is off."
        : "Two-factor sign-in is off. The account is archived; its secret is kept.";
    });
  }

  /** Starts the enrolment stepper for `name`. */
  async enrol(name: string): Promise<boolean> {
    if (this.blocked(name)) return false;
    const stepper = new EnrolStepper(name, (server) => {
      this.#upsert(server);
    });
    this.stepper = stepper;
    this.running.set(name, "Enrolling");
    this.problems.delete(name);
    this.notes.delete(name);
    try {
      const ok = await stepper.run();
      if (ok) this.notes.set(name, "Two-factor sign-in is on.");
      else if (stepper.failure) await this.#afterFailure(name, stepper.failure);
      return ok;
    } finally {
      this.running.delete(name);
    }
  }

  closeStepper(): void {
    if (!this.stepper?.running) this.stepper = undefined;
  }

  /** Stops the countdown timer (the screen is closing). */
  dispose(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  async #act(name: string, label: string, action: () => Promise<string>): Promise<boolean> {
    if (this.blocked(name)) return false;
    this.running.set(name, label);
    this.problems.delete(name);
    this.notes.delete(name);
    try {
      const note = await action();
      if (note) this.notes.set(name, note);
      return true;
    } catch (error) {
      const failure = asFailure(error);
      this.problems.set(name, describeFailure(failure));
      await this.#afterFailure(name, failure);
      return false;
    } finally {
      this.running.delete(name);
    }
  }

  /** After a failure: picks up what changed (a session, a wait). */
  async #afterFailure(name: string, failure: IpcFailure): Promise<void> {
    if (failure.code === "locked" || failure.code === "unreachable") return;
    try {
      this.#replaceAll(await unwrap(commands.listServers()));
    } catch {
      // The failure already shown says enough.
    }
  }

  #replaceAll(servers: ServerView[]): void {
    this.servers = servers;
    for (const server of servers) this.#noteWait(server);
  }

  #upsert(server: ServerView): void {
    const at = this.servers.findIndex((s) => s.name === server.name);
    this.servers = at === -1 ? [...this.servers, server] : this.servers.map((s, i) => (i === at ? server : s));
    this.#noteWait(server);
  }

  #noteWait(server: ServerView): void {
    if (server.retryInMs === null || server.retryInMs <= 0) {
      this.waits.delete(server.name);
      return;
    }
    this.now = Date.now();
    this.waits.set(server.name, this.now + server.retryInMs);
    this.#tick();
  }

  #tick(): void {
    if (this.#ticker !== undefined) return;
    this.#ticker = setInterval(() => {
      this.now = Date.now();
      if ([...this.waits.values()].every((until) => until <= this.now)) {
        this.dispose();
      }
    }, 250);
  }
}
