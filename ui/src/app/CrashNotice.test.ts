import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeBackend } from "../test/backend";
import App from "./App.svelte";

const REPORT = {
  fileName: "crash-1764820000000.txt",
  path: "/home/me/.local/state/tessera/crash-1764820000000.txt",
  text: "Tessera 0.1.0 crashed\nat: src-tauri/src/core/otp/mod.rs:42\nmessage: index out of bounds\n",
};

describe("CrashNotice", () => {
  it("offers an earlier run's report, on the unlock screen too, shows it and is not offered again once dismissed", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ state: "locked", crashReport: REPORT });
    render(App);
    const notice = await screen.findByTestId("crash-notice");
    expect(notice).toHaveTextContent("Tessera closed unexpectedly last time");
    expect(screen.getByTestId("crash-path")).toHaveTextContent(REPORT.path);
    expect(screen.queryByTestId("crash-text")).toBeNull();
    await user.click(screen.getByTestId("crash-show"));
    expect(screen.getByTestId("crash-text")).toHaveTextContent("message: index out of bounds");
    await user.click(screen.getByTestId("crash-dismiss"));
    expect(screen.queryByTestId("crash-notice")).toBeNull();
    await waitFor(() => {
      expect(backend.calls.find((call) => call.cmd === "dismiss_crash_report")?.args.fileName).toBe(REPORT.fileName);
    });
    expect(backend.crashReport).toBeNull();
  });

  it("says nothing when no run crashed", async () => {
    fakeBackend({ state: "locked" });
    render(App);
    await screen.findByTestId("vault-gate");
    await screen.findByLabelText("Password");
    expect(screen.queryByTestId("crash-notice")).toBeNull();
  });
});
