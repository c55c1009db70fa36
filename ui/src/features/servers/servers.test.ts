import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AccountSummary, EnrolReport, ProfileView, ServerView } from "../../ipc/bindings";
import { account, fakeBackend, reject, serverView, type FakeBackend } from "../../test/backend";
import ServersScreen from "./ServersScreen.svelte";
import { EnrolStepper, ServerBook, formatWait } from "./servers.svelte";

const PASSWORD = "hunter2-server-password";

const profiles: ProfileView[] = [
  { name: "syncano", description: "Syncano socket", builtin: true, credential: "password", canRegister: true, canCheckStatus: true },
  { name: "nest-jwt", description: "Nest cookie", builtin: true, credential: "cookie", canRegister: false, canCheckStatus: false },
];

const linked: AccountSummary = account("acc-1", "wiki", "alice");

/** The fake with the server's answers of this test; the calls it records. */
function backend(answers: FakeBackend["answers"]): FakeBackend["calls"] {
  return fakeBackend({ answers }).calls;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("EnrolStepper", () => {
  it("walks every step in order and ends with the confirmed account", async () => {
    const calls = backend({
      server_sign_in: () => serverView(),
      server_enrol: (): EnrolReport => ({
        server: serverView({ account: linked, twoFactor: "on" }),
        account: linked,
        failedAt: null,
        failure: null,
      }),
    });
    const seen: ServerView[] = [];
    const stepper = new EnrolStepper("wiki", (s) => seen.push(s));
    const running = stepper.run();
    expect(stepper.steps[0]).toMatchObject({ id: "sign_in", state: "active" });
    expect(await running).toBe(true);
    expect(calls.map((c) => c.cmd)).toEqual(["server_sign_in", "server_enrol"]);
    expect(stepper.steps.map((s) => s.state)).toEqual(["done", "done", "done", "done", "done"]);
    expect(stepper.steps[0]?.message).toBe("Signed in as alice.");
    expect(stepper.steps[2]?.message).toContain("wiki (alice)");
    expect(stepper.account?.id).toBe("acc-1");
    expect(seen.at(-1)?.twoFactor).toBe("on");
    expect(stepper.running).toBe(false);
  });

  it("follows a running enrolment to the verify step before the answer comes", async () => {
    let answer: ((report: EnrolReport) => void) | undefined;
    backend({
      server_sign_in: () => serverView(),
      server_enrol: () =>
        new Promise<EnrolReport>((resolve) => {
          answer = resolve;
        }),
      list_servers: () => [serverView({ busy: true, enrolStep: "verify" })],
    });
    const stepper = new EnrolStepper("wiki", () => undefined);
    const running = stepper.run();
    await vi.waitFor(() => {
      expect(stepper.steps.map((s) => s.state)).toEqual(["done", "done", "done", "active", "waiting"]);
    });
    expect(stepper.steps[3]?.message).toContain("fresh code");
    answer?.({ server: serverView({ account: linked, twoFactor: "on" }), account: linked, failedAt: null, failure: null });
    expect(await running).toBe(true);
    expect(stepper.steps.map((s) => s.state)).toEqual(["done", "done", "done", "done", "done"]);
  });

  it("stops at the step the server refused, shows its message, and keeps later steps waiting", async () => {
    backend({
      server_sign_in: () => serverView(),
      server_enrol: (): EnrolReport => ({
        server: serverView({ account: { ...linked, tags: ["pending"] }, twoFactor: "pending" }),
        account: { ...linked, tags: ["pending"] },
        failedAt: "verify",
        failure: { code: "server", message: "the server refused the code: Invalid token" },
      }),
    });
    const stepper = new EnrolStepper("wiki", () => undefined);
    expect(await stepper.run()).toBe(false);
    expect(stepper.steps.map((s) => s.state)).toEqual(["done", "done", "done", "failed", "waiting"]);
    const verify = stepper.steps[3]?.message ?? "";
    expect(verify).toContain("Invalid token");
    expect(verify).toContain("kept as pending");
    expect(stepper.failure?.code).toBe("server");
  });

  it("fails the sign-in step when the password is refused", async () => {
    const calls = backend({
      server_sign_in: () => reject("server", "the server refused the username or password: Invalid credentials"),
    });
    const stepper = new EnrolStepper("wiki", () => undefined);
    expect(await stepper.run()).toBe(false);
    expect(stepper.steps[0]).toMatchObject({ state: "failed", message: expect.stringContaining("Invalid credentials") as string });
    expect(stepper.steps.slice(1).every((s) => s.state === "waiting")).toBe(true);
    expect(calls.map((c) => c.cmd)).toEqual(["server_sign_in"]);
  });
});

describe("ServerBook waits", () => {
  it("counts a 429 down and blocks the server until the wait is over", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const calls = backend({
      server_login: () => reject("rate_limited", "too many attempts: try again in 5 s (Too Many Attempts.)"),
      list_servers: () => [serverView({ account: linked, twoFactor: "on", retryInMs: 5000 })],
    });
    const book = new ServerBook();
    expect(await book.login("wiki", false)).toBe(false);
    expect(book.problems.get("wiki")).toContain("Too many attempts");
    expect(book.retrySeconds("wiki")).toBe(5);
    expect(book.blocked("wiki")).toBe(true);
    // A retry while blocked does not reach Rust.
    expect(await book.login("wiki", false)).toBe(false);
    expect(calls.filter((c) => c.cmd === "server_login")).toHaveLength(1);
    vi.advanceTimersByTime(2100);
    expect(book.retrySeconds("wiki")).toBe(3);
    vi.advanceTimersByTime(3000);
    expect(book.retrySeconds("wiki")).toBe(0);
    expect(book.blocked("wiki")).toBe(false);
    book.dispose();
  });

  it("formats waits as minutes and seconds", () => {
    expect(formatWait(300)).toBe("5:00");
    expect(formatWait(61.2)).toBe("1:02");
    expect(formatWait(0)).toBe("0:00");
    expect(formatWait(-3)).toBe("0:00");
  });
});

describe("ServersScreen", () => {
  it("adds a server with the password going to Rust once, never shown again", async () => {
    const user = userEvent.setup();
    let servers: ServerView[] = [];
    const calls = backend({
      list_servers: () => servers,
      list_server_profiles: () => profiles,
      add_server: (args) => {
        const form = args.server as { name: string };
        const added = serverView({ name: form.name });
        servers = [added];
        return added;
      },
    });
    render(ServersScreen);
    await user.click(await screen.findByTestId("servers-add-open"));
    await user.type(screen.getByTestId("server-name"), "wiki");
    await user.selectOptions(screen.getByTestId("server-profile"), "syncano");
    await user.type(screen.getByTestId("server-url"), "http://127.0.0.1:8080/syncano/");
    await user.type(screen.getByTestId("server-username"), "alice");
    await user.type(screen.getByTestId("server-secret"), PASSWORD);
    await user.click(screen.getByTestId("server-register"));
    await user.type(screen.getByTestId("server-vault-password"), "vault pass");
    await user.click(screen.getByTestId("server-add-submit"));
    const row = await screen.findByTestId("server-row");
    expect(row).toHaveAttribute("data-name", "wiki");
    const add = calls.find((c) => c.cmd === "add_server");
    expect(add?.args.server).toEqual({
      name: "wiki",
      profile: "syncano",
      url: "http://127.0.0.1:8080/syncano/",
      username: "alice",
      secret: PASSWORD,
      register: true,
      vaultPassword: "vault pass",
    });
    expect(screen.queryByTestId("server-form")).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(PASSWORD);
  });

  it("asks before turning 2FA off and does nothing on cancel", async () => {
    const user = userEvent.setup();
    const calls = backend({
      list_servers: () => [serverView({ account: linked, twoFactor: "on" })],
      list_server_profiles: () => profiles,
      server_disable: () => ({ server: serverView({ twoFactor: "off" }), archivedAccount: "acc-1" }),
    });
    render(ServersScreen);
    await user.click(await screen.findByTestId("server-disable"));
    const dialog = screen.getByTestId("confirm-dialog");
    expect(dialog).toHaveTextContent("Turn off 2FA on wiki?");
    await user.click(within(dialog).getByTestId("confirm-no"));
    expect(screen.queryByTestId("confirm-dialog")).not.toBeInTheDocument();
    expect(calls.some((c) => c.cmd === "server_disable")).toBe(false);

    await user.click(screen.getByTestId("server-disable"));
    await user.click(screen.getByTestId("confirm-yes"));
    await waitFor(() => {
      expect(screen.getByTestId("server-2fa")).toHaveAttribute("data-state", "off");
    });
    expect(calls.filter((c) => c.cmd === "server_disable")).toEqual([{ cmd: "server_disable", args: { name: "wiki" } }]);
    expect(screen.getByTestId("server-note")).toHaveTextContent("archived");
  });

  it("opens the confirmation on Cancel, keeps Tab inside it and gives focus back when it closes", async () => {
    const user = userEvent.setup();
    backend({ list_servers: () => [serverView({ account: linked, twoFactor: "on" })], list_server_profiles: () => profiles });
    render(ServersScreen);
    const remove = await screen.findByTestId("server-remove");
    remove.focus();
    await user.keyboard("{Enter}");
    const no = screen.getByTestId("confirm-no");
    expect(no).toHaveFocus();
    await user.tab();
    expect(screen.getByTestId("confirm-yes")).toHaveFocus();
    await user.tab();
    expect(no).toHaveFocus();
    await user.tab({ shift: true });
    expect(screen.getByTestId("confirm-yes")).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("confirm-dialog")).not.toBeInTheDocument();
    expect(remove).toHaveFocus();
  });

  it("says in words what each enrolment step's mark shows", async () => {
    const user = userEvent.setup();
    backend({
      list_servers: () => [serverView()],
      list_server_profiles: () => profiles,
      server_sign_in: () => serverView(),
      server_enrol: (): EnrolReport => ({
        server: serverView({ account: linked, twoFactor: "pending" }),
        account: linked,
        failedAt: "verify",
        failure: { code: "server", message: "the server refused the code" },
      }),
    });
    render(ServersScreen);
    await user.click(await screen.findByTestId("server-enrol"));
    await screen.findByTestId("enrol-close");
    expect(screen.getByTestId("enrol-step-sign_in")).toHaveTextContent("Sign in: done");
    expect(screen.getByTestId("enrol-step-verify")).toHaveTextContent("Verify code: failed");
    expect(screen.getByTestId("enrol-step-done")).toHaveTextContent("Done: not started");
  });

  it("shows the countdown on the card and disables the buttons until it ends", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const user = userEvent.setup();
    let retryInMs: number | null = null;
    backend({
      list_servers: () => [serverView({ account: linked, twoFactor: "on", retryInMs })],
      list_server_profiles: () => profiles,
      server_status: () => {
        retryInMs = 2000;
        return reject("rate_limited", "the account is locked: try again in 2 s (Locked)");
      },
    });
    render(ServersScreen);
    await user.click(await screen.findByTestId("server-status"));
    const retry = await screen.findByTestId("server-retry");
    expect(retry).toHaveAttribute("data-seconds", "2");
    expect(retry).toHaveTextContent("0:02");
    expect(screen.getByTestId("server-status")).toBeDisabled();
    expect(screen.getByTestId("server-login")).toBeDisabled();
    expect(screen.getByTestId("server-problem")).toHaveTextContent("locked");
    vi.advanceTimersByTime(1100);
    await waitFor(() => {
      expect(screen.getByTestId("server-retry")).toHaveAttribute("data-seconds", "1");
    });
    vi.advanceTimersByTime(1000);
    await waitFor(() => {
      expect(screen.queryByTestId("server-retry")).not.toBeInTheDocument();
    });
    expect(screen.getByTestId("server-status")).toBeEnabled();
  });
});
