import { emit } from "@tauri-apps/api/event";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { account, codeFor, fakeBackend } from "../test/backend";
import App from "./App.svelte";

describe("the vault gate", () => {
  it("offers to create a vault on first run and opens the app after", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ state: "missing" });
    render(App);
    await screen.findByTestId("first-run");
    await user.type(screen.getByLabelText("Password"), "correct horse battery staple");
    await waitFor(() => {
      expect(screen.getByTestId("password-strength")).toHaveTextContent(/Good|Strong/);
    });
    await user.type(screen.getByLabelText("Repeat the password"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Create vault" }));
    await screen.findByTestId("app-shell");
    expect(backend.calls.find((c) => c.cmd === "create_vault")?.args).toEqual({ password: "correct horse battery staple" });
  });

  it("asks before it uses a guessable password", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ state: "missing" });
    render(App);
    await user.type(await screen.findByLabelText("Password"), "password123");
    await waitFor(() => {
      expect(screen.getByTestId("password-strength")).toHaveAttribute("data-verdict", "weak");
    });
    expect(screen.getByTestId("password-strength")).toHaveTextContent("very common password");
    await user.type(screen.getByLabelText("Repeat the password"), "password123");
    const create = screen.getByRole("button", { name: "Create vault" });
    expect(create).toBeDisabled();
    await user.click(screen.getByTestId("accept-weak-password"));
    expect(create).toBeEnabled();
    await user.click(create);
    await screen.findByTestId("app-shell");
    expect(backend.calls.find((c) => c.cmd === "create_vault")?.args).toEqual({ password: "password123" });
  });

  it("says the passwords differ as the repeat goes wrong, and shows them on request", async () => {
    const user = userEvent.setup();
    fakeBackend({ state: "missing" });
    render(App);
    const password = await screen.findByLabelText("Password");
    await user.type(password, "a long enough pass phrase");
    const repeat = screen.getByLabelText("Repeat the password");
    await user.type(repeat, "a long");
    expect(screen.queryByTestId("password-mismatch")).toBeNull();
    await user.type(repeat, "x");
    expect(screen.getByTestId("password-mismatch")).toHaveTextContent("differ");
    expect(repeat).toHaveAttribute("aria-invalid", "true");
    expect(password).toHaveAttribute("type", "password");
    await user.click(screen.getByRole("button", { name: "Show password" }));
    expect(password).toHaveAttribute("type", "text");
    expect(repeat).toHaveAttribute("type", "text");
    await user.click(screen.getByRole("button", { name: "Hide password" }));
    expect(password).toHaveAttribute("type", "password");
  });

  it("refuses two different passwords", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ state: "missing" });
    render(App);
    await user.type(await screen.findByLabelText("Password"), "one long password for the vault");
    await user.type(screen.getByLabelText("Repeat the password"), "another one");
    expect(screen.getByRole("button", { name: "Create vault" })).toBeDisabled();
    expect(screen.getByRole("alert")).toHaveTextContent("differ");
    expect(backend.calls.some((c) => c.cmd === "create_vault")).toBe(false);
  });

  it("says the password was wrong, then unlocks with the right one", async () => {
    const user = userEvent.setup();
    fakeBackend({ state: "locked", password: "right" });
    render(App);
    const field = await screen.findByLabelText("Password");
    await user.type(field, "wrong{Enter}");
    const alert = await screen.findByTestId("vault-error");
    expect(alert).toHaveAttribute("data-code", "wrong_password");
    expect(alert).toHaveTextContent("Wrong password");
    expect(field).toHaveFocus();
    await user.type(field, "right{Enter}");
    await screen.findByTestId("app-shell");
  });

  it("explains a vault that cannot be opened", async () => {
    const backend = fakeBackend();
    backend.failNext = { cmd: "vault_status", error: { code: "newer_format", message: "format 9" } };
    render(App);
    const alert = await screen.findByTestId("vault-error");
    expect(alert).toHaveTextContent("newer version of Tessera");
  });
});

describe("the accounts screen", () => {
  const accounts = [
    account("a", "GitHub", "alice", { tags: ["dev"] }),
    account("b", "Bank", "bob", { favorite: true }),
    account("c", "Mail", "carol"),
  ];

  it("lists favourites first with grouped codes", async () => {
    fakeBackend({ accounts });
    render(App);
    await waitFor(() => {
      expect(screen.getAllByTestId("account-row")).toHaveLength(3);
    });
    const issuers = screen.getAllByTestId("account-issuer").map((el) => el.textContent.trim());
    expect(issuers[0]).toContain("Bank");
    await waitFor(() => {
      expect(screen.getAllByTestId("account-code")).toHaveLength(3);
    });
    const code = codeFor("b");
    expect(screen.getAllByTestId("account-code")[0]).toHaveTextContent(`${code.slice(0, 3)} ${code.slice(3)}`);
  });

  it("filters as you type and copies the first match with Enter", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ accounts });
    render(App);
    const search = await screen.findByTestId("account-search");
    await user.type(search, "dev");
    await waitFor(() => {
      expect(screen.getAllByTestId("account-row")).toHaveLength(1);
    });
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("toast")).toHaveTextContent("Copied the code for GitHub");
    expect(backend.calls.find((c) => c.cmd === "copy_code")?.args).toEqual({ id: "a" });
  });

  it("moves through the list with the arrow keys and copies with Enter", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ accounts });
    render(App);
    await user.click(await screen.findByTestId("account-search"));
    await user.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    await screen.findByTestId("toast");
    expect(backend.calls.find((c) => c.cmd === "copy_code")?.args).toEqual({ id: "a" });
  });

  it("shows the live code on the account's page and copies it from there", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ accounts });
    await openAccountPage(user, 2);
    const live = await screen.findByTestId("detail-code");
    const code = codeFor("c");
    await waitFor(() => {
      expect(live).toHaveTextContent(`${code.slice(0, 3)} ${code.slice(3)}`);
    });
    await user.click(screen.getByTestId("detail-copy"));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Copied the code for Mail");
    expect(backend.calls.find((c) => c.cmd === "copy_code")?.args).toEqual({ id: "c" });
  });

  it("edits the code parameters on the account's page", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ accounts });
    await openAccountPage(user, 2);
    await user.selectOptions(await screen.findByTestId("edit-algorithm"), "sha256");
    await user.selectOptions(screen.getByTestId("edit-digits"), "8");
    const period = screen.getByTestId("edit-period");
    await user.clear(period);
    await user.type(period, "60");
    await user.click(screen.getByTestId("edit-save"));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Saved.");
    expect(backend.calls.find((c) => c.cmd === "update_account")?.args).toEqual({
      id: "c",
      edit: { issuer: "Mail", name: "carol", algorithm: "sha256", digits: 8, period: 60, tags: [], note: "", favorite: false },
    });
  });

  it("deletes with undo", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ accounts });
    render(App);
    await waitFor(() => {
      expect(screen.getAllByTestId("account-open")).toHaveLength(3);
    });
    const [, bank] = screen.getAllByTestId("account-open");
    if (!bank) throw new Error("no second row");
    await user.click(bank);
    await user.click(await screen.findByTestId("account-delete"));
    await waitFor(() => {
      expect(screen.getAllByTestId("account-row")).toHaveLength(2);
    });
    await user.click(screen.getByTestId("toast-action"));
    await waitFor(() => {
      expect(screen.getAllByTestId("account-row")).toHaveLength(3);
    });
    expect(backend.calls.some((c) => c.cmd === "remove_account")).toBe(false);
  });
});

/** Renders the app on `accounts` and opens the page of the row at `index`. */
async function openAccountPage(user: ReturnType<typeof userEvent.setup>, index: number): Promise<void> {
  render(App);
  await waitFor(() => {
    expect(screen.getAllByTestId("account-open")).toHaveLength(3);
  });
  const row = screen.getAllByTestId("account-open")[index];
  if (!row) throw new Error(`no row ${String(index)}`);
  await user.click(row);
}

describe("adding an account", () => {
  it("names the problem with a bad URI", async () => {
    const user = userEvent.setup();
    fakeBackend();
    render(App);
    await user.click(await screen.findByTestId("nav-add"));
    await user.type(screen.getByTestId("add-uri"), "otpauth://totp/x");
    await user.click(screen.getByTestId("add-uri-submit"));
    expect(await screen.findByTestId("add-uri-error")).toHaveTextContent("no secret");
    // The message is about what was submitted: editing the link clears it.
    await user.type(screen.getByTestId("add-uri"), "?");
    expect(screen.queryByTestId("add-uri-error")).toBeNull();
    expect(screen.getByTestId("add-uri")).toHaveAttribute("aria-invalid", "false");
  });

  it("adds by URI and returns to the list", async () => {
    const user = userEvent.setup();
    fakeBackend();
    render(App);
    await user.click(await screen.findByTestId("nav-add"));
    await user.type(screen.getByTestId("add-uri"), "otpauth://totp/x?secret=JBSWY3DP");
    await user.click(screen.getByTestId("add-uri-submit"));
    await screen.findByTestId("screen-accounts");
    await waitFor(() => {
      expect(screen.getAllByTestId("account-row")).toHaveLength(1);
    });
  });
});

describe("desktop integration", () => {
  it("opens the quick palette when the global shortcut fires; Enter copies the match", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ accounts: [account("a", "GitHub", "alice"), account("b", "GitLab", "bob")] });
    render(App);
    await user.click(await screen.findByTestId("nav-settings"));
    await emit("open-palette");
    const query = await screen.findByTestId("palette-query");
    await waitFor(() => {
      expect(query).toHaveFocus();
    });
    await user.type(query, "lab");
    await waitFor(() => {
      expect(screen.getAllByTestId("palette-match").map((m) => m.textContent)).toEqual([
        expect.stringContaining("GitLab"),
      ]);
    });
    // The match shows the code Enter copies.
    const code = codeFor("b");
    await waitFor(() => {
      expect(screen.getByTestId("palette-code")).toHaveTextContent(`${code.slice(0, 3)} ${code.slice(3)}`);
    });
    await user.keyboard("{Enter}");
    await waitFor(() => {
      expect(screen.queryByTestId("quick-palette")).toBeNull();
    });
    expect(backend.calls.filter((c) => c.cmd === "copy_code").map((c) => c.args)).toEqual([{ id: "b" }]);
  });

  it("closes the quick palette on Escape without copying", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ accounts: [account("a", "GitHub", "alice")] });
    render(App);
    await screen.findByTestId("app-shell");
    await user.keyboard("{Control>}k{/Control}");
    await screen.findByTestId("palette-query");
    await user.keyboard("{Escape}");
    await waitFor(() => {
      expect(screen.queryByTestId("quick-palette")).toBeNull();
    });
    expect(backend.calls.filter((c) => c.cmd === "copy_code")).toEqual([]);
  });

  it("keeps Tab in the quick palette and says when nothing matches", async () => {
    const user = userEvent.setup();
    fakeBackend({ accounts: [account("a", "GitHub", "alice")] });
    render(App);
    await screen.findByTestId("app-shell");
    await user.keyboard("{Control>}k{/Control}");
    const query = await screen.findByTestId("palette-query");
    await waitFor(() => {
      expect(query).toHaveFocus();
    });
    await user.tab();
    expect(query).toHaveFocus();
    await user.type(query, "zzz");
    expect(within(screen.getByTestId("quick-palette")).getByRole("status")).toHaveTextContent("No account matches “zzz”.");
    expect(screen.queryByRole("listbox", { name: "Matching accounts" })).not.toBeInTheDocument();
  });

  it("returns to the unlock screen when Rust locks the vault", async () => {
    fakeBackend();
    render(App);
    await screen.findByTestId("app-shell");
    await emit("vault-locked");
    await screen.findByTestId("unlock");
  });
});
