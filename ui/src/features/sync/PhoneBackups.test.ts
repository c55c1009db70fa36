import { emit } from "@tauri-apps/api/event";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "../../app/App.svelte";
import { aegisBackup, fakeBackend } from "../../test/backend";

async function openSettings(): Promise<ReturnType<typeof userEvent.setup>> {
  const user = userEvent.setup();
  render(App);
  await user.click(await screen.findByTestId("nav-settings"));
  await screen.findByTestId("phone-backups");
  return user;
}

describe("following a phone's Aegis backups", () => {
  it("says when the password is wrong, then offers the newest backup's new accounts and adds them", async () => {
    const backend = fakeBackend();
    const user = await openSettings();
    await user.type(screen.getByTestId("phone-folder"), "/home/ada/Sync/aegis");
    await user.type(screen.getByTestId("phone-password"), "wrong");
    await user.click(screen.getByTestId("phone-follow"));
    expect(await screen.findByTestId("phone-problem")).toHaveTextContent("wrong password");
    expect(backend.phoneFolder).toBeNull();

    await user.clear(screen.getByTestId("phone-password"));
    await user.type(screen.getByTestId("phone-password"), "test");
    await user.click(screen.getByTestId("phone-follow"));
    const staged = await screen.findByTestId("phone-staged");
    expect(staged).toHaveTextContent("aegis-backup-20240301-120000.json: 2 new accounts.");
    expect(within(screen.getByTestId("phone-new")).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Deno:Mason", "Issuu:James"]);
    expect(screen.getByTestId("phone-renamed")).toHaveTextContent("GitHub:ada is GitHub:ada@work there");
    expect(screen.getByTestId("phone-missing")).toHaveTextContent("Old:bank. It stays here.");
    expect(screen.getByTestId("phone-following")).toHaveTextContent("/home/ada/Sync/aegis");
    expect(screen.queryByTestId("phone-password")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("phone-add"));
    await waitFor(() => {
      expect(screen.queryByTestId("phone-staged")).not.toBeInTheDocument();
    });
    expect(backend.calls.find((c) => c.cmd === "commit_import")?.args).toEqual({ id: "preview-1" });
    expect(backend.accounts).toHaveLength(2);
  });

  it("tells the user of a newer backup on any screen and takes them to it", async () => {
    const backend = fakeBackend({ phoneFolder: "/home/ada/Sync/aegis" });
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId("screen-accounts");
    await emit("aegis-backup-found", { backup: aegisBackup(backend, "aegis-backup-20240302-120000.json"), problem: null });
    const toast = await screen.findByText("Your phone's Aegis backup has 2 new accounts.");
    await user.click(within(toast.closest("[role='status']") ?? document.body).getByRole("button", { name: "Review" }));
    expect(await screen.findByTestId("phone-staged")).toHaveTextContent("aegis-backup-20240302-120000.json");
    await user.click(screen.getByTestId("phone-dismiss"));
    expect(screen.queryByTestId("phone-staged")).not.toBeInTheDocument();
    expect(backend.calls.some((c) => c.cmd === "discard_import")).toBe(true);
  });

  it("says why a newer backup could not be read", async () => {
    fakeBackend({ phoneFolder: "/home/ada/Sync/aegis" });
    await openSettings();
    await emit("aegis-backup-found", { backup: null, problem: "Aegis vault: wrong password" });
    expect(await screen.findByTestId("phone-problem")).toHaveTextContent("wrong password");
  });
});
