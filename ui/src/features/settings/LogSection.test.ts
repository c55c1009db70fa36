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

describe("Settings › Logs", () => {
  it("records what Tessera does by default and saves another level", async () => {
    const backend = fakeBackend();
    const user = await openSettings();
    const select = screen.getByTestId<HTMLSelectElement>("log-level");
    await waitFor(() => {
      expect(select.value).toBe("info");
    });
    expect(select).toBeEnabled();
    await user.selectOptions(select, "debug");
    await waitFor(() => {
      expect(backend.settings.logLevel).toBe("debug");
    });
  });

  it("leaves the level to TESSERA_LOG when it is set", async () => {
    fakeBackend({ answers: { app_info: () => ({ name: "Tessera", version: "0.1.0", vaultPath: "/tmp/v", vaultExists: true, trayAvailable: false, logLevelFixed: true }) } });
    await openSettings();
    await waitFor(() => {
      expect(screen.getByTestId("log-level")).toBeDisabled();
    });
    expect(screen.getByTestId("log-note")).toHaveTextContent("TESSERA_LOG");
  });
});
