import { afterEach, describe, expect, it, vi } from "vitest";
import { account, fakeBackend } from "../../test/backend";
import { AccountList } from "./accountList.svelte";
import { BackupCodes, UNDO_MS } from "./backupCodes.svelte";

/** GitHub with one unused and one used code, listed. */
async function loaded(): Promise<{ codes: BackupCodes; list: AccountList; backend: ReturnType<typeof fakeBackend> }> {
  const backend = fakeBackend({
    accounts: [account("a", "GitHub", "alice", { backupCodesLeft: 1, backupCodesTotal: 2 })],
    backupCodes: {
      a: [
        { id: "c1", code: "1111-2222", usedAt: null },
        { id: "c2", code: "3333-4444", usedAt: 1_700_000_000_000 },
      ],
    },
  });
  const list = new AccountList();
  await list.load();
  const codes = new BackupCodes("a", list);
  await codes.load();
  return { codes, list, backend };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("BackupCodes", () => {
  it("adds a pasted list and writes the count left back to the accounts list", async () => {
    const { codes, list, backend } = await loaded();
    expect(await codes.add("1. 5555-6666\n2. 7777-8888")).toBe(true);
    expect(backend.calls.find((c) => c.cmd === "add_backup_codes")?.args).toEqual({ id: "a", codes: ["5555-6666", "7777-8888"] });
    expect(codes.left).toBe(3);
    expect(list.get("a")).toMatchObject({ backupCodesLeft: 3, backupCodesTotal: 4 });
  });

  it("asks for a code when nothing was pasted, without calling Rust", async () => {
    const { codes, backend } = await loaded();
    expect(await codes.add("  \n ")).toBe(false);
    expect(codes.problem).toBe("Paste or type at least one backup code.");
    expect(backend.calls.some((c) => c.cmd === "add_backup_codes")).toBe(false);
  });

  it("marks a code used", async () => {
    const { codes, list } = await loaded();
    await codes.markUsed("c1");
    expect(codes.left).toBe(0);
    expect(list.get("a")?.backupCodesLeft).toBe(0);
  });

  it("hides a removed code at once and removes it from the vault only when the undo time is up", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { codes, backend } = await loaded();
    codes.removeLater("c1");
    expect(codes.shown.map((c) => c.id)).toEqual(["c2"]);
    expect(backend.calls.some((c) => c.cmd === "remove_backup_code")).toBe(false);
    await vi.advanceTimersByTimeAsync(UNDO_MS);
    expect(backend.calls.filter((c) => c.cmd === "remove_backup_code").map((c) => c.args)).toEqual([{ id: "a", codeId: "c1" }]);
    expect(codes.codes.map((c) => c.id)).toEqual(["c2"]);
  });

  it("keeps a code whose removal was undone, and removes the pending ones when the page closes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { codes, backend } = await loaded();
    codes.removeLater("c1");
    codes.undoRemoval("c1");
    expect(codes.shown.map((c) => c.id)).toEqual(["c1", "c2"]);
    codes.removeLater("c2");
    codes.finishRemovals();
    await vi.advanceTimersByTimeAsync(UNDO_MS);
    expect(backend.calls.filter((c) => c.cmd === "remove_backup_code").map((c) => c.args)).toEqual([{ id: "a", codeId: "c2" }]);
  });
});
