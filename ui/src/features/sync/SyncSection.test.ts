import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import App from "../../app/App.svelte";
import { account, fakeBackend, syncing } from "../../test/backend";
import { ago, PAIRING_POLL_MS } from "./syncSettings.svelte";

async function openSettings(): Promise<ReturnType<typeof userEvent.setup>> {
  const user = vi.isFakeTimers() ? userEvent.setup({ advanceTimers: (ms) => vi.advanceTimersByTime(ms) }) : userEvent.setup();
  render(App);
  await user.click(await screen.findByTestId("nav-settings"));
  await screen.findByTestId("sync-section");
  return user;
}

describe("Settings › Sync", () => {
  it("starts a group through a chosen folder with this computer's name", async () => {
    const backend = fakeBackend({ accounts: [account("a1", "GitHub", "ada")] });
    const user = await openSettings();
    await user.click(await screen.findByTestId("sync-browse"));
    await waitFor(() => {
      expect(screen.getByTestId<HTMLInputElement>("sync-folder").value).toBe("/home/ada/Sync/tessera");
    });
    await user.type(screen.getByTestId("sync-device-name"), "work laptop");
    await user.click(screen.getByTestId("sync-start"));
    await screen.findByTestId("sync-status");
    const setup = backend.calls.find((c) => c.cmd === "sync_setup");
    expect(setup?.args).toEqual({ remote: { kind: "folder", path: "/home/ada/Sync/tessera" }, name: "work laptop" });
    expect(screen.getByTestId("sync-remote")).toHaveTextContent("/home/ada/Sync/tessera");
    expect(within(screen.getByTestId("sync-devices")).getByText("work laptop (this computer)")).toBeInTheDocument();
  });

  it("joins through WebDAV with a pairing code and says it waits for the other device", async () => {
    const backend = fakeBackend();
    const user = await openSettings();
    await user.click(await screen.findByTestId("sync-mode-join"));
    await user.click(screen.getByTestId("sync-kind-webdav"));
    await user.type(screen.getByTestId("sync-code"), "TSYNC1-ABCDE");
    await user.type(screen.getByTestId("sync-url"), "https://dav.example.com/tessera/");
    await user.type(screen.getByTestId("sync-username"), "ada");
    await user.type(screen.getByTestId("sync-password"), "hunter22");
    await user.click(screen.getByTestId("sync-start"));
    await screen.findByTestId("sync-joining");
    const join = backend.calls.find((c) => c.cmd === "sync_join");
    expect(join?.args).toEqual({
      code: "TSYNC1-ABCDE",
      remote: { kind: "webdav", url: "https://dav.example.com/tessera/", username: "ada", password: "hunter22" },
      name: "",
    });
    expect(screen.queryByTestId("sync-pair")).not.toBeInTheDocument();
  });

  it("joins a WebDAV group with the address left empty, for Rust to take from the code", async () => {
    const backend = fakeBackend();
    const user = await openSettings();
    await user.click(await screen.findByTestId("sync-kind-webdav"));
    expect(screen.getByTestId<HTMLInputElement>("sync-url").required).toBe(true);
    await user.click(screen.getByTestId("sync-mode-join"));
    const url = screen.getByTestId<HTMLInputElement>("sync-url");
    expect(url.required).toBe(false);
    expect(url.placeholder).toContain("pairing code");
    await user.type(screen.getByTestId("sync-code"), "TSYNC1-ABCDE");
    await user.type(screen.getByTestId("sync-username"), "ada");
    await user.type(screen.getByTestId("sync-password"), "hunter22");
    await user.click(screen.getByTestId("sync-start"));
    await screen.findByTestId("sync-joining");
    expect(backend.calls.find((c) => c.cmd === "sync_join")?.args).toMatchObject({
      remote: { kind: "webdav", url: "", username: "ada" },
    });
  });

  it("shows Rust's reason when a pairing code is refused, and keeps the form", async () => {
    fakeBackend();
    const user = await openSettings();
    await user.click(await screen.findByTestId("sync-mode-join"));
    await user.type(screen.getByTestId("sync-code"), "hello");
    await user.type(screen.getByTestId("sync-folder"), "/tmp/s");
    await user.click(screen.getByTestId("sync-start"));
    expect(await screen.findByTestId("sync-problem")).toHaveTextContent("does not start with TSYNC1-");
    expect(screen.getByTestId<HTMLInputElement>("sync-code").value).toBe("hello");
  });

  it("shows a pairing code and syncs until the other device joined", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const backend = fakeBackend({ sync: syncing("desk", false) });
      let polls = 0;
      backend.answers.sync_now = () => {
        polls += 1;
        if (polls === 2) {
          backend.sync = { ...backend.sync, devices: [...backend.sync.devices, { id: "device-2", name: "laptop", thisDevice: false, lastSeenAt: null }] };
        }
        return { sent: 0, merged: 0, conflicts: 0, written: 0, joined: polls === 2 ? ["laptop"] : [], status: backend.sync };
      };
      const user = await openSettings();
      await user.click(await screen.findByTestId("sync-pair"));
      expect(await screen.findByTestId("sync-pairing-code")).toHaveTextContent("TSYNC1-AAAAA-BBBBB");
      await vi.advanceTimersByTimeAsync(PAIRING_POLL_MS * 2 + 10);
      expect(await screen.findByTestId("sync-joined")).toHaveTextContent("laptop joined the group.");
      expect(screen.queryByTestId("sync-pairing")).not.toBeInTheDocument();
      expect(screen.getAllByTestId("sync-device")).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(PAIRING_POLL_MS * 2);
      expect(polls).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("removes another device and leaves the group on confirmation", async () => {
    const backend = fakeBackend({
      sync: { ...syncing("desk", false), devices: [...syncing("desk", false).devices, { id: "device-2", name: "old phone", thisDevice: false, lastSeenAt: null }] },
    });
    const user = await openSettings();
    await user.click(await screen.findByTestId("sync-remove-device"));
    await waitFor(() => {
      expect(screen.getAllByTestId("sync-device")).toHaveLength(1);
    });
    expect(backend.calls.find((c) => c.cmd === "sync_remove_device")?.args).toEqual({ id: "device-2" });
    await user.click(screen.getByTestId("sync-leave"));
    await user.click(screen.getByTestId("sync-leave-confirm"));
    await screen.findByTestId("sync-start");
    expect(backend.calls.find((c) => c.cmd === "sync_leave")?.args).toEqual({ force: false });
  });

  it("says what the last sync could not do", async () => {
    fakeBackend({ sync: { ...syncing("desk", false), lastError: "the sync remote was rolled back", problems: ["device 1 replayed an old segment"] } });
    await openSettings();
    expect(await screen.findByTestId("sync-last-error")).toHaveTextContent("rolled back");
    expect(screen.getByTestId("sync-refused")).toHaveTextContent("replayed");
  });
});

describe("ago", () => {
  it("says how long ago in words", () => {
    const now = 1_700_000_000_000;
    expect(ago(now - 10_000, now)).toBe("just now");
    expect(ago(now - 60_000, now)).toBe("a minute ago");
    expect(ago(now - 5 * 60_000, now)).toBe("5 minutes ago");
    expect(ago(now - 3 * 3_600_000, now)).toBe("3 hours ago");
  });
});
