import { fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Navigation } from "../../app/navigation.svelte";
import { AccountList } from "../accounts/accountList.svelte";
import TransferTestHarness from "./TransferTestHarness.svelte";
import { fakeBackend } from "../../test/backend";

function dropFile(file: File): void {
  const zone = screen.getByTestId("transfer-drop-zone");
  // jsdom has no DataTransfer; the handler reads `files` and `types` only.
  const dataTransfer = { files: [file], types: ["Files"], dropEffect: "none" };
  void fireEvent.dragOver(zone, { dataTransfer });
  void fireEvent.drop(zone, { dataTransfer });
}

describe("TransferScreen › costly files", () => {
  it("says what opening a costly file takes and opens it only once the user agrees", async () => {
    const user = userEvent.setup();
    const fake = fakeBackend();
    render(TransferTestHarness, { accounts: new AccountList(), navigation: new Navigation("transfer") });
    await screen.findByRole("option", { name: "Aegis vault" });

    dropFile(new File(["{}"], "costly.json"));
    const asked = await screen.findByTestId("import-costly");
    expect(within(asked).getByTestId("import-costly-cost")).toHaveTextContent("1024 MiB of memory and about 3 s");
    expect(screen.queryByTestId("import-preview")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("import-costly-open"));
    expect(await screen.findByTestId("import-preview")).toBeInTheDocument();
    const reads = fake.calls.filter((c) => c.cmd === "preview_import").map((c) => c.args.allowCostly);
    expect(reads).toEqual([false, true]);
  });

  it("stops a file that is still being read", async () => {
    const user = userEvent.setup();
    const fake = fakeBackend();
    render(TransferTestHarness, { accounts: new AccountList(), navigation: new Navigation("transfer") });
    await screen.findByRole("option", { name: "Aegis vault" });

    dropFile(new File(["{}"], "stalled.json"));
    await user.click(await screen.findByTestId("import-stop"));
    expect(fake.cancelledImports).toBe(1);
    expect(screen.queryByTestId("import-reading")).not.toBeInTheDocument();
    expect(screen.getByTestId("import-section")).toHaveAttribute("data-step", "choose");
  });
});

describe("TransferScreen", () => {
  it("imports a dropped encrypted file: password, preview table, commit, toast, accounts list", async () => {
    const user = userEvent.setup();
    const fake = fakeBackend();
    const accounts = new AccountList();
    const navigation = new Navigation("transfer");
    render(TransferTestHarness, { accounts, navigation });
    await screen.findByRole("option", { name: "Aegis vault" });

    dropFile(new File(["{}"], "aegis_encrypted.json"));
    const field = await screen.findByTestId("import-password");
    expect(screen.getByTestId("import-password-form")).toHaveTextContent("aegis_encrypted.json is encrypted");
    await user.type(field, "nope");
    await user.click(screen.getByTestId("import-password-submit"));
    expect(await screen.findByTestId("import-problem")).toHaveTextContent(/wrong password/i);
    expect(screen.getByTestId("import-password")).toHaveValue("");

    await user.type(screen.getByTestId("import-password"), "test");
    await user.click(screen.getByTestId("import-password-submit"));
    const preview = await screen.findByTestId("import-preview");
    const rows = within(preview).getAllByTestId("import-row");
    expect(rows.map((row) => row.dataset.status)).toEqual(["new", "new", "repeated", "invalid"]);
    expect(within(preview).getAllByTestId("import-row-issuer")[0]).toHaveTextContent("Deno");
    expect(rows[0]).toHaveTextContent("TOTP");
    expect(rows[1]).toHaveTextContent("HOTP");
    expect(rows[2]).toHaveTextContent("same as entry 1");
    expect(rows[3]).toHaveTextContent("the secret is not valid base32");
    // An invalid entry the file names keeps its issuer and name in their columns.
    const invalid = rows[3] ?? preview;
    expect(within(invalid).getByTestId("import-row-issuer")).toHaveTextContent("Broken");
    expect(within(invalid).getByTestId("import-row-name")).toHaveTextContent("alice");
    expect(screen.getByTestId("import-count-new")).toHaveAttribute("data-count", "2");
    expect(screen.getByTestId("import-losses")).toHaveTextContent("icons are not imported");
    expect(within(preview).queryByTestId("import-row-label")).not.toBeInTheDocument();
    expect(screen.queryByTestId("import-problem")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("import-commit"));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Imported 2 accounts from aegis_encrypted.json.");
    expect(accounts.all.map((a) => a.issuer)).toEqual(["Deno", "Issuu"]);
    expect(screen.queryByTestId("import-preview")).not.toBeInTheDocument();
    expect(fake.calls.map((c) => c.cmd)).toContain("list_accounts");
    await user.click(screen.getByTestId("toast-action"));
    expect(navigation.current).toBe("accounts");
  });

  it("labels the commit button with the number of new accounts and disables it when there are none", async () => {
    const user = userEvent.setup();
    fakeBackend({ accounts: [] });
    render(TransferTestHarness);
    await user.click(await screen.findByTestId("import-pick"));
    expect(await screen.findByTestId("import-commit")).toHaveTextContent("Import 2 new accounts");
    await user.click(screen.getByTestId("import-commit"));
    await screen.findByTestId("toast");
    await user.click(screen.getByTestId("import-pick"));
    const button = await screen.findByTestId("import-commit");
    expect(button).toHaveTextContent("Nothing new to import");
    expect(button).toBeDisabled();
    expect(screen.getAllByTestId("import-row").filter((r) => r.dataset.status === "duplicate")).toHaveLength(2);
  });

  it("offers a format override that re-reads the file", async () => {
    const user = userEvent.setup();
    const fake = fakeBackend();
    render(TransferTestHarness);
    await user.click(await screen.findByTestId("import-pick"));
    await screen.findByTestId("import-preview");
    await user.selectOptions(screen.getByTestId("import-format"), "otpauth");
    await screen.findByText(/otpauth URI list ·/);
    expect(fake.calls.filter((c) => c.cmd === "preview_import").at(-1)?.args.format).toBe("otpauth");
  });

  it("shows the plaintext warning and exports only once it is acknowledged", async () => {
    const user = userEvent.setup();
    const fake = fakeBackend({ password: "vault pw" });
    render(TransferTestHarness);
    const format = await screen.findByTestId("export-format");
    await screen.findByRole("option", { name: "otpauth URI list (plain text)" });
    expect(screen.queryByTestId("export-plaintext-warning")).not.toBeInTheDocument();
    await user.selectOptions(format, "otpauth");
    expect(screen.getByTestId("export-plaintext-warning")).toHaveTextContent("not encrypted");
    const submit = screen.getByTestId("export-submit");
    expect(submit).toBeDisabled();
    await user.click(screen.getByTestId("export-plaintext-ack"));
    expect(submit).toBeDisabled();
    expect(screen.getByTestId("export-blocker")).toHaveTextContent("Type your vault password to export.");
    await user.type(screen.getByLabelText("Vault password"), "vault pw");
    expect(submit).toBeEnabled();
    await user.click(submit);
    expect(await screen.findByTestId("toast")).toHaveTextContent("Exported 2 accounts to /home/ada/export.out.");
    expect(screen.getByTestId("export-result")).toHaveTextContent("/home/ada/export.out");
    expect(fake.exported).toEqual([{ format: "otpauth", vaultPassword: "vault pw", password: null, acknowledgePlaintext: true, path: null }]);
    expect(screen.getByLabelText("Vault password")).toHaveValue("");
  });

  it("asks for a repeated password for an encrypted export and reports what was left out", async () => {
    const user = userEvent.setup();
    const fake = fakeBackend({ password: "vault pw" });
    render(TransferTestHarness);
    await screen.findByRole("option", { name: "Aegis vault (encrypted)" });
    await user.selectOptions(screen.getByTestId("export-format"), "aegis-encrypted");
    expect(screen.queryByTestId("export-plaintext-warning")).not.toBeInTheDocument();
    const submit = screen.getByTestId("export-submit");
    await user.type(screen.getByTestId("export-password"), "one");
    await user.type(screen.getByTestId("export-confirm"), "two");
    expect(submit).toBeDisabled();
    expect(submit).toHaveAttribute("title", "The two passwords differ.");
    expect(screen.getByTestId("export-blocker")).toHaveTextContent("The two passwords differ.");
    expect(submit).toHaveAccessibleDescription("The two passwords differ.");
    await user.clear(screen.getByTestId("export-confirm"));
    await user.type(screen.getByTestId("export-confirm"), "one");
    await user.type(screen.getByLabelText("Vault password"), "vault pw");
    submit.dataset.path = "/tmp/chosen.json";
    await user.click(submit);
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveTextContent("Left out: Issuu:James (HOTP is not supported).");
    expect(toast).toHaveTextContent("Not written: tags of 1 account.");
    expect(fake.exported[0]).toEqual({ format: "aegis-encrypted", vaultPassword: "vault pw", password: "one", acknowledgePlaintext: false, path: "/tmp/chosen.json" });
    expect(screen.getByTestId("export-password")).toHaveValue("");
  });
});

describe("TransferScreen › KeePass key file", () => {
  it("opens a database with the key file the user chose, with no password, and forgets it for the next file", async () => {
    const user = userEvent.setup();
    const fake = fakeBackend();
    render(TransferTestHarness, { accounts: new AccountList(), navigation: new Navigation("transfer") });
    await screen.findByRole("option", { name: "Aegis vault" });

    dropFile(new File(["kdbx"], "keyed.kdbx"));
    await screen.findByTestId("import-password-form");
    await user.click(screen.getByTestId("import-password-submit"));
    expect(await screen.findByTestId("import-problem")).toHaveTextContent("Type the file's password.");
    await user.click(screen.getByTestId("import-key-file-choose"));
    expect(await screen.findByTestId("import-key-file-name")).toHaveTextContent("keyfile.keyx");
    await user.click(screen.getByTestId("import-password-submit"));
    expect(await screen.findByTestId("import-preview")).toBeInTheDocument();
    const read = fake.calls.filter((c) => c.cmd === "preview_import").at(-1);
    expect(read?.args.password).toBeNull();

    await user.click(screen.getByTestId("import-cancel"));
    dropFile(new File(["{}"], "other.json"));
    expect(await screen.findByTestId("import-preview")).toBeInTheDocument();
    expect(fake.keyFile).toBeNull();
    expect(fake.calls.some((c) => c.cmd === "clear_import_key_file")).toBe(true);
  });
});
