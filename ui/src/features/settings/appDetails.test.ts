import { describe, expect, it } from "vitest";
import type { AppInfo } from "../../ipc/bindings";
import { fakeBackend, reject } from "../../test/backend";
import { AppDetails } from "./appDetails.svelte";

const info: AppInfo = {
  name: "Tessera",
  version: "0.1.0",
  vaultPath: "/home/ada/.local/share/tessera/vault.db",
  vaultExists: true,
  trayAvailable: false,
  logLevelFixed: false,
};

describe("AppDetails", () => {
  it("is loading until Rust answers, then holds the answer", async () => {
    fakeBackend({ answers: { app_info: () => info } });
    const details = new AppDetails();
    expect(details.state.status).toBe("loading");
    const loading = details.load();
    expect(details.state.status).toBe("loading");
    await loading;
    expect(details.state).toEqual({ status: "loaded", info });
  });

  it("holds the failure when the call fails", async () => {
    fakeBackend({ answers: { app_info: () => reject("internal", "no data directory") } });
    const details = new AppDetails();
    await details.load();
    expect(details.state.status).toBe("failed");
    if (details.state.status === "failed") {
      expect(details.state.failure.code).toBe("internal");
      expect(details.state.failure.message).toBe("No data directory");
    }
  });

  it("keeps the newest answer when an older load finishes last", async () => {
    const answers: ((value: AppInfo) => void)[] = [];
    fakeBackend({ answers: { app_info: () => new Promise<AppInfo>((resolve) => answers.push(resolve)) } });
    const details = new AppDetails();
    const first = details.load();
    const second = details.load();
    answers[1]?.({ ...info, version: "2.0.0" });
    await second;
    answers[0]?.({ ...info, version: "1.0.0" });
    await first;
    expect(details.state).toEqual({ status: "loaded", info: { ...info, version: "2.0.0" } });
  });

  it("says whether there is a tray: unknown while loading, false when Rust did not answer", async () => {
    fakeBackend({ trayAvailable: true });
    const details = new AppDetails();
    const loading = details.load();
    expect(details.trayAvailable).toBeUndefined();
    await loading;
    expect(details.trayAvailable).toBe(true);
    fakeBackend({ answers: { app_info: () => reject("internal", "no data directory") } });
    await details.load();
    expect(details.trayAvailable).toBe(false);
  });
});
