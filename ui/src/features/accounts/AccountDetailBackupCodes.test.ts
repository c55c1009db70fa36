import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "../../app/App.svelte";
import { account, fakeBackend } from "../../test/backend";

async function openDetail(): Promise<{ user: ReturnType<typeof userEvent.setup>; backend: ReturnType<typeof fakeBackend> }> {
  const user = userEvent.setup();
  const backend = fakeBackend({
    accounts: [account("a", "GitHub", "alice", { backupCodesLeft: 1, backupCodesTotal: 2 })],
    backupCodes: {
      a: [
        { id: "c1", code: "1111-2222", usedAt: null },
        { id: "c2", code: "3333-4444", usedAt: 1_700_000_000_000 },
      ],
    },
  });
  render(App);
  await user.click(await screen.findByTestId("account-open"));
  await screen.findByTestId("account-detail");
  return { user, backend };
}

describe("an account's backup codes", () => {
  it("are listed masked, and shown only after Rust checked the vault password", async () => {
    const { user, backend } = await openDetail();
    const rows = await screen.findAllByTestId("backup-code");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("••••-••••");
    expect(document.body.textContent).not.toContain("1111-2222");

    await user.click(screen.getByTestId("backup-reveal"));
    await user.type(screen.getByTestId("backup-reveal-password"), "wrong");
    await user.click(screen.getByTestId("backup-reveal-submit"));
    expect(await screen.findByRole("alert")).toHaveTextContent(/wrong password/i);
    expect(document.body.textContent).not.toContain("1111-2222");

    await user.type(screen.getByTestId("backup-reveal-password"), "right");
    await user.click(screen.getByTestId("backup-reveal-submit"));
    expect(await screen.findByText("1111-2222")).toBeInTheDocument();
    expect(backend.calls.filter((c) => c.cmd === "reveal_backup_codes").map((c) => c.args)).toEqual([
      { id: "a", password: "wrong" },
      { id: "a", password: "right" },
    ]);

    await user.click(screen.getByTestId("backup-hide"));
    expect(await screen.findAllByText("••••-••••")).toHaveLength(2);
    expect(document.body.textContent).not.toContain("1111-2222");
    expect(screen.getByRole("button", { name: "Mark used: backup code 1" })).toBeInTheDocument();
  });
});
