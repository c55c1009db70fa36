import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "../../app/App.svelte";
import type { FoundAccount, ScanView } from "../../ipc/bindings";
import { fakeBackend } from "../../test/backend";

function found(id: string, issuer: string, name: string, extra: Partial<FoundAccount> = {}): FoundAccount {
  return { id, issuer, name, kind: "totp", algorithm: "sha1", digits: 6, period: 30, counter: null, inVault: false, matches: null, ...extra };
}

const THREE: ScanView = {
  found: [found("f1", "Test1", "test1@example1.com"), found("f2", "Test2", "test2@example2.com"), found("f3", "", "hotp", { kind: "hotp", counter: 4, period: null })],
  exports: [],
  last: { accounts: 3, parts: 0, repeated: 0 },
};

async function openAdd(): Promise<ReturnType<typeof userEvent.setup>> {
  const user = userEvent.setup();
  render(App);
  await user.click(await screen.findByTestId("nav-add"));
  await screen.findByTestId("scan-card");
  return user;
}

async function drop(file: File): Promise<void> {
  await fireEvent.drop(window, { dataTransfer: { files: [file], types: ["Files"], getData: () => "" } });
}

describe("adding accounts from QR pictures", () => {
  it("sends a dropped picture's bytes, lists what was found and adds the chosen accounts", async () => {
    const backend = fakeBackend({ scanQueue: [THREE] });
    const user = await openAdd();
    await drop(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], "export.png", { type: "image/png" }));

    expect(await screen.findByTestId("scan-status")).toHaveTextContent("Found 3 accounts.");
    const rows = screen.getAllByTestId("scan-found");
    expect(rows.map((row) => row.textContent.replace(/\s+/g, " ").trim())).toEqual([
      "Test1 test1@example1.com TOTP",
      "Test2 test2@example2.com TOTP",
      "hotp HOTP",
    ]);
    expect(backend.calls.find((c) => c.cmd === "scan_image")?.args).toEqual({ bytes: [0x89, 0x50, 0x4e, 0x47, 1, 2, 3] });

    // Every new account starts chosen; leave the second one out.
    const boxes = screen.getAllByTestId("scan-choose");
    for (const box of boxes) expect(box).toBeChecked();
    const [, second] = boxes;
    if (!second) throw new Error("no second account");
    await user.click(second);
    expect(screen.getByTestId("scan-add")).toHaveTextContent("Add 2 accounts");
    await user.type(screen.getByTestId("scan-tags"), "work");
    await user.click(screen.getByTestId("scan-add"));

    await screen.findByTestId("screen-accounts");
    expect(backend.calls.find((c) => c.cmd === "add_scanned")?.args).toEqual({ ids: ["f1", "f3"], tags: ["work"] });
    expect(backend.accounts.map((a) => a.issuer || a.name)).toEqual(["Test1", "hotp"]);
    expect(await screen.findByTestId("toast")).toHaveTextContent("Added 2 accounts.");
  });

  it("shows the parameters of accounts that would otherwise look the same", async () => {
    const twins: ScanView = {
      found: [
        found("t1", "Bank", "alice"),
        found("t2", "Bank", "alice", { algorithm: "sha256", digits: 8, period: 60 }),
        found("t3", "Mail", "alice"),
      ],
      exports: [],
      last: { accounts: 3, parts: 0, repeated: 0 },
    };
    fakeBackend({ scanQueue: [twins] });
    await openAdd();
    await drop(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "twins.png", { type: "image/png" }));
    await screen.findByTestId("scan-found-list");
    const shown = screen.getAllByTestId("scan-found-params").map((el) => el.textContent);
    expect(shown).toEqual(["SHA-1 · 6 digits · 30 s", "SHA-256 · 8 digits · 60 s"]);
  });

  it("names the problem when a picture holds no account", async () => {
    const backend = fakeBackend();
    backend.failNext = {
      cmd: "scan_image",
      error: { code: "invalid", message: "the QR code holds no 2FA account (no otpauth:// or otpauth-migration:// URI)" },
    };
    await openAdd();
    await drop(new File(["x"], "qr.png", { type: "image/png" }));
    expect(await screen.findByTestId("scan-error")).toHaveTextContent(
      "The QR code holds no 2FA account (no otpauth:// or otpauth-migration:// URI)",
    );
    expect(screen.queryByTestId("scan-found")).not.toBeInTheDocument();
  });

  it("rejects a drop that is neither a picture nor a URI", async () => {
    const backend = fakeBackend();
    await openAdd();
    await fireEvent.drop(window, { dataTransfer: { files: [], types: ["text/plain"], getData: () => "hello" } });
    expect(await screen.findByTestId("scan-error")).toHaveTextContent("Drop a picture of a QR code");
    expect(backend.calls.some((c) => c.cmd.startsWith("scan_"))).toBe(false);
  });

  it("shows a multi-part export's progress, keeps it across visits and offers each part's accounts at once", async () => {
    const partial: ScanView = {
      found: [],
      exports: [{ number: 1, scanned: 2, total: 4, missing: [1, 3] }],
      last: { accounts: 0, parts: 1, repeated: 0 },
    };
    const backend = fakeBackend({ scanQueue: [partial] });
    const user = await openAdd();
    await user.click(screen.getByTestId("scan-screen"));
    const progress = await screen.findByTestId("scan-progress");
    expect(progress).toHaveTextContent("Google Authenticator export: 2 of 4 scanned. Still missing: parts 1 and 3.");
    expect(screen.queryByTestId("scan-add")).not.toBeInTheDocument();

    // Rust keeps the parts: back on the Add screen later, the progress is there again.
    await user.click(screen.getByTestId("nav-accounts"));
    await user.click(screen.getByTestId("nav-add"));
    expect(await screen.findByTestId("scan-progress")).toHaveTextContent("2 of 4 scanned");
    expect(backend.calls.filter((c) => c.cmd === "pending_scan")).toHaveLength(2);

    // A single account scanned meanwhile can be added while the export is incomplete.
    backend.scanQueue.push({ ...partial, found: [found("s1", "Solo", "me")], last: { accounts: 1, parts: 0, repeated: 0 } });
    await user.click(screen.getByTestId("scan-paste"));
    await screen.findByTestId("scan-found");
    expect(screen.getByTestId("scan-card")).toHaveTextContent("scan the missing parts for the rest");
    await user.click(screen.getByTestId("scan-add"));
    await waitFor(() => {
      expect(screen.queryByTestId("scan-found")).not.toBeInTheDocument();
    });
    // Still on the Add screen: the export is not done.
    expect(screen.getByTestId("scan-progress")).toBeInTheDocument();

    backend.scanQueue.push({ found: [found("p1", "A", "a"), found("p2", "B", "b")], exports: [], last: { accounts: 2, parts: 0, repeated: 0 } });
    await user.click(screen.getByTestId("scan-open"));
    expect(await screen.findByTestId("scan-status")).toHaveTextContent("Found 2 accounts.");
    expect(screen.queryByTestId("scan-progress")).not.toBeInTheDocument();
    expect(screen.getAllByTestId("scan-found")).toHaveLength(2);
  });

  it("leaves accounts the vault already has unchosen", async () => {
    fakeBackend({
      scanQueue: [{ found: [found("d", "Dup", "x", { inVault: true }), found("n", "New", "y")], exports: [], last: { accounts: 2, parts: 0, repeated: 0 } }],
    });
    const user = await openAdd();
    await user.click(screen.getByTestId("scan-paste"));
    const [dup, fresh] = await screen.findAllByTestId("scan-found");
    if (!dup || !fresh) throw new Error("two accounts expected");
    expect(within(dup).getByTestId("scan-in-vault")).toHaveTextContent("already in the vault");
    expect(within(dup).getByTestId("scan-choose")).not.toBeChecked();
    expect(within(fresh).getByTestId("scan-choose")).toBeChecked();
    expect(screen.getByTestId("scan-add")).toHaveTextContent("Add 1 account");
  });

  it("sends pasted otpauth text as text and reads pictures from the clipboard in Rust", async () => {
    const backend = fakeBackend({ scanQueue: [THREE, THREE] });
    await openAdd();
    const uri = "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A";
    await fireEvent.paste(window, { clipboardData: { getData: (type: string) => (type === "text/plain" ? uri : "") } });
    await screen.findAllByTestId("scan-found");
    expect(backend.calls.find((c) => c.cmd === "scan_text")?.args).toEqual({ text: uri });

    await fireEvent.paste(window, { clipboardData: { getData: () => "" } });
    await waitFor(() => {
      expect(backend.calls.some((c) => c.cmd === "scan_clipboard")).toBe(true);
    });
  });

  it("leaves a paste into a text field alone", async () => {
    const backend = fakeBackend();
    await openAdd();
    await fireEvent.paste(screen.getByTestId("add-uri"), { clipboardData: { getData: () => "otpauth://totp/x?secret=A" } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(backend.calls.some((c) => c.cmd.startsWith("scan_"))).toBe(false);
  });

  it("discards what was found", async () => {
    const backend = fakeBackend({ scanQueue: [THREE] });
    const user = await openAdd();
    await user.click(screen.getByTestId("scan-screen"));
    await screen.findAllByTestId("scan-found");
    await user.click(screen.getByTestId("scan-discard"));
    await waitFor(() => {
      expect(screen.queryByTestId("scan-found")).not.toBeInTheDocument();
    });
    expect(backend.calls.some((c) => c.cmd === "discard_scan")).toBe(true);
  });
});

describe("a link opened from the desktop", () => {
  const LINKED: ScanView = { found: [found("l1", "Example", "alice@example.com")], exports: [], last: { accounts: 1, parts: 0, repeated: 0 } };

  it("given at start, waits for the unlock and then shows its account on Add, added only when confirmed", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ state: "locked", openedLink: LINKED });
    render(App);
    await user.type(await screen.findByLabelText("Password"), backend.password);
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    const card = await screen.findByTestId("scan-card");
    expect(screen.getByTestId("screen-add")).toBeInTheDocument();
    expect(within(card).getByTestId("scan-found-issuer")).toHaveTextContent("Example");
    expect(backend.calls.some((call) => call.cmd === "add_scanned")).toBe(false);
    await user.click(within(card).getByTestId("scan-add"));
    await waitFor(() => {
      expect(backend.calls.find((call) => call.cmd === "add_scanned")?.args.ids).toEqual(["l1"]);
    });
  });

  it("passed on later, brings the Add screen back with its account even when Add is open", async () => {
    const { emit } = await import("@tauri-apps/api/event");
    const backend = fakeBackend();
    render(App);
    await screen.findByTestId("screen-accounts");
    backend.openedLink = LINKED;
    await emit("link-opened");
    expect(await screen.findByTestId("scan-found-issuer")).toHaveTextContent("Example");

    backend.openedLink = { ...LINKED, found: [found("l2", "Second", "bob")] };
    await emit("link-opened");
    await waitFor(() => {
      expect(screen.getByTestId("scan-found-issuer")).toHaveTextContent("Second");
    });
  });

  it("that holds no valid account says why and changes nothing", async () => {
    const { emit } = await import("@tauri-apps/api/event");
    const backend = fakeBackend();
    render(App);
    await screen.findByTestId("screen-accounts");
    backend.openedLink = { code: "invalid_uri", message: "invalid otpauth URI: the secret parameter is missing" };
    await emit("link-opened");
    expect(await screen.findByText(/The link was not opened: Invalid otpauth URI: the secret parameter is missing/)).toBeInTheDocument();
    expect(screen.getByTestId("screen-accounts")).toBeInTheDocument();
  });
});
