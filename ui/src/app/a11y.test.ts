/**
 * Names, roles and structure of every main screen, as axe-core sees them:
 * each screen is rendered against the fake backend in the state a person
 * would meet it (with accounts, errors, previews and dialogs open) and must
 * have no violations. Colour contrast is measured from the palette in
 * contrast.test.ts instead.
 */
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { describe, expect, it } from "vitest";
import type { ProfileView, ScanView } from "../ipc/bindings";
import TransferTestHarness from "../features/transfer/TransferTestHarness.svelte";
import { account, fakeBackend, serverView, type FakeBackend } from "../test/backend";
import App from "./App.svelte";

/**
 * Rules that measure what jsdom does not have, so they would pass or fail on
 * nothing: colours (no stylesheet is applied; contrast.test.ts measures the
 * palette), layout (every box is 0×0: target-size), scrolling
 * (scrollable-region-focusable) and glyphs (label-content-name-mismatch draws
 * text on a canvas to spot icon fonts, and jsdom has no canvas).
 */
const NEEDS_A_BROWSER = [
  "color-contrast",
  "link-in-text-block",
  "target-size",
  "scrollable-region-focusable",
  "label-content-name-mismatch",
];

/**
 * Runs axe on `root` and fails with one line per offending element: rule,
 * target, help. What axe could not decide ("needs review") fails too: with
 * the rules above off, that is a real question about the markup.
 */
async function expectNoViolations(root: Element): Promise<void> {
  const results = await axe.run(root, {
    rules: Object.fromEntries(NEEDS_A_BROWSER.map((id) => [id, { enabled: false }])),
    resultTypes: ["violations", "incomplete"],
  });
  const found = [
    ...results.violations.map((result) => ({ result, kind: "" })),
    ...results.incomplete.map((result) => ({ result, kind: " (needs review)" })),
  ].flatMap(({ result, kind }) => result.nodes.map((node) => `${result.id}${kind} at ${node.target.join(" ")}: ${result.help}`));
  expect(found, `axe found:\n${found.join("\n")}`).toEqual([]);
}

const ACCOUNTS = [
  account("gh", "GitHub", "alice", { tags: ["dev", "work"], favorite: true }),
  account("bank", "Bank", "bob", { backupCodesLeft: 2, backupCodesTotal: 3 }),
  account("hotp", "Issuu", "carol", { kind: "hotp", counter: 4, period: null }),
  account("mail", "", "dave@example.com"),
];

const PROFILES: ProfileView[] = [
  { name: "syncano", description: "Syncano socket", builtin: true, credential: "password", canRegister: true, canCheckStatus: true },
];

/** The app, unlocked, with a few accounts of every kind. */
async function renderApp(initial: Partial<FakeBackend> = {}): Promise<{ container: HTMLElement; backend: FakeBackend }> {
  const backend = fakeBackend({
    accounts: ACCOUNTS.map((a) => ({ ...a })),
    backupCodes: {
      bank: [
        { id: "c1", code: "1111-2222", usedAt: null },
        { id: "c2", code: "3333-4444", usedAt: null },
        { id: "c3", code: "5555-6666", usedAt: 1_700_000_000_000 },
      ],
    },
    servers: [serverView({ account: account("wiki", "wiki", "alice"), twoFactor: "on" }), serverView({ name: "forum", url: "https://forum.example.com/api/" })],
    profiles: PROFILES,
    ...initial,
  });
  const { container } = render(App);
  await screen.findByTestId("app-shell");
  return { container, backend };
}

async function open(screenId: string): Promise<void> {
  await userEvent.click(screen.getByTestId(`nav-${screenId}`));
  await screen.findByTestId(`screen-${screenId}`);
}

describe("accessibility of every screen (axe-core)", () => {
  it("first run, with the strength advice and a mismatch", async () => {
    const user = userEvent.setup();
    fakeBackend({ state: "missing" });
    const { container } = render(App);
    await screen.findByTestId("first-run");
    await user.type(screen.getByTestId("new-password"), "correct horse battery staple");
    await user.type(screen.getByTestId("repeat-password"), "something else");
    await screen.findByRole("alert");
    await expectNoViolations(container);
  });

  it("unlock, after a wrong password", async () => {
    const user = userEvent.setup();
    fakeBackend({ state: "locked" });
    const { container } = render(App);
    await user.type(await screen.findByTestId("unlock-password"), "wrong{Enter}");
    await screen.findByTestId("vault-error");
    await expectNoViolations(container);
  });

  it("the accounts list: TOTP, HOTP, favourites, tags, backup codes", async () => {
    const { container } = await renderApp();
    await waitFor(() => {
      expect(screen.getAllByTestId("account-code")).toHaveLength(ACCOUNTS.length);
    });
    expect(screen.getByTestId("tag-filter")).toBeInTheDocument();
    await expectNoViolations(container);
  });

  it("an account's details, with backup codes and the QR confirmation", async () => {
    const user = userEvent.setup();
    const { container } = await renderApp();
    await screen.findAllByTestId("account-row");
    const details = container.querySelector<HTMLElement>("[data-account-id='bank'] [data-testid='account-open']");
    if (!details) throw new Error("no details shortcut on Bank's row");
    await user.click(details);
    await screen.findByText("2 of 3 left");
    await expectNoViolations(container);
    await user.click(screen.getByTestId("detail-qr-show"));
    await screen.findByTestId("detail-qr-confirm");
    await expectNoViolations(container);
  });

  it("add, with scanned accounts waiting for confirmation", async () => {
    const found: ScanView = {
      found: [
        { id: "f1", issuer: "Test1", name: "one@example.com", kind: "totp", algorithm: "sha1", digits: 6, period: 30, counter: null, inVault: false, matches: null },
        { id: "f2", issuer: "", name: "hotp", kind: "hotp", algorithm: "sha1", digits: 6, period: null, counter: 0, inVault: true, matches: "Test: hotp" },
      ],
      exports: [{ number: 1, scanned: 1, total: 2, missing: [2] }],
      last: null,
    };
    const { container } = await renderApp({ scan: found });
    await open("add");
    await screen.findAllByTestId("scan-found");
    await expectNoViolations(container);
  });

  it("import / export in the app", async () => {
    const { container } = await renderApp();
    await open("transfer");
    await screen.findByRole("option", { name: "Aegis vault" });
    await expectNoViolations(container);
  });

  it("an import preview and the plain-text export warning", async () => {
    const user = userEvent.setup();
    fakeBackend();
    const { container } = render(TransferTestHarness);
    await user.click(await screen.findByTestId("import-pick"));
    await screen.findByTestId("import-preview");
    await screen.findByRole("option", { name: "otpauth URI list (plain text)" });
    await user.selectOptions(screen.getByTestId("export-format"), "otpauth");
    await screen.findByTestId("export-plaintext-warning");
    await expectNoViolations(container);
  });

  it("an encrypted import asking for its password", async () => {
    fakeBackend();
    const { container } = render(TransferTestHarness);
    await screen.findByRole("option", { name: "Aegis vault" });
    const zone = screen.getByTestId("transfer-drop-zone");
    const dataTransfer = { files: [new File(["{}"], "aegis_encrypted.json")], types: ["Files"], dropEffect: "none" };
    await fireEvent.drop(zone, { dataTransfer });
    await screen.findByTestId("import-password");
    await expectNoViolations(container);
  });

  it("servers, with the add form and a confirmation open", async () => {
    const user = userEvent.setup();
    const { container } = await renderApp();
    await open("servers");
    await screen.findAllByTestId("server-row");
    await expectNoViolations(container);
    await user.click(screen.getByTestId("servers-add-open"));
    await screen.findByTestId("server-form");
    const [remove] = screen.getAllByTestId("server-remove");
    if (!remove) throw new Error("no server to remove");
    await user.click(remove);
    await screen.findByTestId("confirm-dialog");
    await expectNoViolations(container);
  });

  it("servers, none connected", async () => {
    const { container } = await renderApp({ servers: [] });
    await open("servers");
    await screen.findByText("No servers connected");
    await expectNoViolations(container);
  });

  it("settings", async () => {
    const { container } = await renderApp();
    await open("settings");
    await screen.findByTestId("about-version");
    await screen.findByTestId("clock-check-server");
    await expectNoViolations(container);
  });

  it("the quick palette", async () => {
    const user = userEvent.setup();
    const { container } = await renderApp();
    await screen.findAllByTestId("account-row");
    await user.keyboard("{Control>}k{/Control}");
    await screen.findAllByTestId("palette-match");
    await expectNoViolations(container);
    await user.type(screen.getByTestId("palette-query"), "nothing matches this");
    await screen.findByText(/No account matches/);
    await expectNoViolations(container);
  });

  it("the empty accounts list", async () => {
    const { container } = await renderApp({ accounts: [] });
    await screen.findByText("No accounts yet");
    await expectNoViolations(container);
  });
});
