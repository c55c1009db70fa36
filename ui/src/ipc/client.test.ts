import { clearMocks } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import { fakeBackend, reject } from "../test/backend";
import { commands, type AppInfo, type IpcError, type Result } from "./bindings";
import { asFailure, call, IpcFailure, unwrap } from "./client";

const info: AppInfo = {
  name: "Tessera",
  version: "1.2.3",
  vaultPath: "/home/ada/.local/share/tessera/vault.db",
  vaultExists: false,
  trayAvailable: false,
  logLevelFixed: false,
};

async function failureOf(promise: Promise<unknown>): Promise<IpcFailure> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(IpcFailure);
  return error as IpcFailure;
}

describe("call", () => {
  it("returns what Rust answered", async () => {
    fakeBackend({ answers: { app_info: () => info } });
    await expect(call(commands.appInfo())).resolves.toEqual(info);
  });

  it("keeps the code of an IpcError that Rust rejected with", async () => {
    fakeBackend({ answers: { app_info: () => reject("internal", "settings file unreadable") } });
    const failure = await failureOf(call(commands.appInfo()));
    expect(failure.code).toBe("internal");
    // Rust's lower-case message, as the sentence the window shows.
    expect(failure.message).toBe("Settings file unreadable");
  });

  it("reports `unreachable` when there is no Tauri runtime", async () => {
    clearMocks();
    const failure = await failureOf(call(commands.appInfo()));
    expect(failure.code).toBe("unreachable");
  });

  it("reports `unreachable` for a plain-text rejection such as an unknown command", async () => {
    fakeBackend({ answers: { app_info: () => Promise.reject(new Error("command app_info not found")) } });
    const failure = await failureOf(call(commands.appInfo()));
    expect(failure.code).toBe("unreachable");
    expect(failure.message).toBe("Command app_info not found");
  });
});

describe("unwrap", () => {
  it("returns the data of an ok result", async () => {
    const ok: Result<AppInfo, IpcError> = { status: "ok", data: info };
    await expect(unwrap(Promise.resolve(ok))).resolves.toEqual(info);
  });

  it("throws an IpcFailure carrying the code of an error result", async () => {
    const err: Result<AppInfo, IpcError> = {
      status: "error",
      error: { code: "internal", message: "boom" },
    };
    const failure = await failureOf(unwrap(Promise.resolve(err)));
    expect(failure.code).toBe("internal");
    expect(failure.message).toBe("Boom");
    expect(failure.name).toBe("IpcFailure");
  });
});

describe("asFailure", () => {
  it("keeps an IpcFailure, takes the code of an IpcError and calls anything else unreachable", () => {
    const failure = new IpcFailure("locked", "the vault is locked");
    expect(asFailure(failure)).toBe(failure);
    expect(asFailure({ code: "not_found", message: "no such account" })).toMatchObject({ code: "not_found", message: "No such account" });
    expect(asFailure(new TypeError("x is undefined"))).toMatchObject({ code: "unreachable", message: "X is undefined" });
  });
});
