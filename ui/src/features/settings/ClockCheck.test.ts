import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { ClockCheck as ClockCheckView, SettingsView } from "../../ipc/bindings";
import { fakeBackend, reject, serverView, type FakeBackend } from "../../test/backend";
import { describeOffset } from "../servers/servers.svelte";
import ClockCheck from "./ClockCheck.svelte";
import { Preferences } from "./preferences.svelte";

const wiki = serverView({ name: "wiki", url: "http://127.0.0.1:8080/syncano/" });

/** The fake with one server, "wiki", and `check` as the clock check's answer; the calls it records. */
function backend(check: (url: string) => ClockCheckView): FakeBackend["calls"] {
  return fakeBackend({ servers: [wiki], answers: { server_clock_check: (args) => check(args.url as string) } }).calls;
}

describe("ClockCheck", () => {
  it("describes which way the clock is off", () => {
    expect(describeOffset(3200)).toBe("3.2 s behind");
    expect(describeOffset(-450)).toBe("0.5 s ahead of");
    expect(describeOffset(0)).toBe("in step with");
  });

  it("checks a configured server's URL and offers the offset as the setting", async () => {
    const user = userEvent.setup();
    const calls = backend((url) => ({
      url,
      offsetMs: -4200,
      uncertaintyMs: 520,
      roundTripMs: 40,
      serverDate: 1_800_000_000_000,
      currentOffsetMs: 0,
    }));
    const preferences = new Preferences();
    await preferences.load();
    render(ClockCheck, { preferences });
    await user.selectOptions(await screen.findByTestId("clock-check-server"), "wiki");
    expect(screen.getByTestId("clock-check-url")).toHaveValue(wiki.url);
    await user.click(screen.getByTestId("clock-check-run"));
    const result = await screen.findByTestId("clock-check-result");
    expect(result).toHaveAttribute("data-offset-ms", "-4200");
    expect(result).toHaveTextContent("4.2 s ahead of the server");
    expect(calls.find((c) => c.cmd === "server_clock_check")?.args).toEqual({ url: wiki.url, vaultPassword: null });
    expect(screen.queryByTestId("clock-check-vault-password")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("clock-check-apply"));
    await waitFor(() => {
      expect(calls.some((c) => c.cmd === "save_settings")).toBe(true);
    });
    const save = calls.find((c) => c.cmd === "save_settings");
    expect((save?.args.settings as SettingsView).clockOffsetMs).toBe(-4200);
    await waitFor(() => {
      expect(screen.getByTestId("clock-check-apply")).toBeDisabled();
    });
    expect(preferences.settings.clockOffsetMs).toBe(-4200);
  });

  it("shows why a check failed", async () => {
    const user = userEvent.setup();
    backend(() => reject("invalid", "refusing plain http:// to example.com: use https://"));
    render(ClockCheck, { preferences: new Preferences() });
    await user.type(screen.getByTestId("clock-check-url"), "http://example.com/");
    await user.click(screen.getByTestId("clock-check-run"));
    expect(await screen.findByTestId("clock-check-problem")).toHaveTextContent("Refusing plain http://");
    expect(screen.queryByTestId("clock-check-result")).not.toBeInTheDocument();
  });

  it("asks for the vault password for a host no server has, and sends it to Rust", async () => {
    const user = userEvent.setup();
    const calls = backend(() => ({
      url: "https://time.example.org/",
      offsetMs: 0,
      uncertaintyMs: 500,
      roundTripMs: 10,
      serverDate: 0,
      currentOffsetMs: 0,
    }));
    render(ClockCheck, { preferences: new Preferences() });
    await user.type(screen.getByTestId("clock-check-url"), "https://time.example.org/");
    await user.type(await screen.findByTestId("clock-check-vault-password"), "vault pass");
    await user.click(screen.getByTestId("clock-check-run"));
    await screen.findByTestId("clock-check-result");
    expect(calls.find((c) => c.cmd === "server_clock_check")?.args).toEqual({
      url: "https://time.example.org/",
      vaultPassword: "vault pass",
    });
  });
});
