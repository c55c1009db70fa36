import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "../../app/App.svelte";
import { fakeBackend } from "../../test/backend";

async function openSettings(): Promise<ReturnType<typeof userEvent.setup>> {
  const user = userEvent.setup();
  render(App);
  await user.click(await screen.findByTestId("nav-settings"));
  await screen.findByTestId("screen-settings");
  return user;
}

describe("Settings › Window", () => {
  it("says closing quits when the desktop has no tray, and offers nothing to turn on", async () => {
    fakeBackend({ trayAvailable: false });
    await openSettings();
    const note = screen.getByTestId("tray-note");
    await waitFor(() => {
      expect(note).toHaveAttribute("data-tray", "false");
    });
    expect(note).toHaveTextContent("no tray icons, so closing the window quits Tessera");
    expect(screen.getByTestId("close-to-tray")).toBeDisabled();
    expect(screen.getByTestId("close-to-tray")).not.toBeChecked();
  });

  it("keeps Tessera in the tray by default where there is one, and saves the choice", async () => {
    const backend = fakeBackend({ trayAvailable: true });
    const user = await openSettings();
    const box = screen.getByTestId("close-to-tray");
    await waitFor(() => {
      expect(box).toBeEnabled();
    });
    expect(box).toBeChecked();
    await user.click(box);
    await waitFor(() => {
      expect(backend.settings.closeToTray).toBe(false);
    });
    expect(screen.getByTestId("tray-note")).toHaveTextContent("Closing the window quits Tessera.");
  });
});
