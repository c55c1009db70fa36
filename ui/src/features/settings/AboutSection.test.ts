import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { AppInfo } from "../../ipc/bindings";
import { fakeBackend } from "../../test/backend";
import AboutSection from "./AboutSection.svelte";

const info: AppInfo = {
  name: "Tessera",
  version: "0.4.2",
  vaultPath: "/home/ada/.local/share/tessera/vault.db",
  vaultExists: false,
  trayAvailable: false,
  logLevelFixed: false,
};

describe("AboutSection", () => {
  it("shows the version and vault file reported over IPC", async () => {
    fakeBackend({ answers: { app_info: () => info } });
    render(AboutSection);
    expect(await screen.findByTestId("about-version")).toHaveTextContent("0.4.2");
    expect(screen.getByTestId("about-vault-path")).toHaveTextContent(info.vaultPath);
    const exists = screen.getByTestId("about-vault-exists");
    expect(exists).toHaveTextContent("Not created yet");
    expect(exists).toHaveAttribute("data-exists", "false");
  });

  it("says when the vault file exists", async () => {
    fakeBackend({ answers: { app_info: () => ({ ...info, vaultExists: true }) } });
    render(AboutSection);
    const exists = await screen.findByTestId("about-vault-exists");
    expect(exists).toHaveTextContent("Encrypted with XChaCha20-Poly1305");
    expect(exists).toHaveAttribute("data-exists", "true");
  });

  it("explains a failure outside Tessera and recovers on retry", async () => {
    const user = userEvent.setup();
    render(AboutSection);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Couldn't read application details");
    expect(alert).toHaveAttribute("data-code", "unreachable");
    expect(screen.queryByTestId("about-version")).not.toBeInTheDocument();

    fakeBackend({ answers: { app_info: () => info } });
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("about-version")).toHaveTextContent("0.4.2");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("copies the diagnostics Rust writes and shows them", async () => {
    const { calls } = fakeBackend({ answers: { app_info: () => info } });
    const user = userEvent.setup();
    render(AboutSection);
    await user.click(await screen.findByTestId("copy-diagnostics"));
    expect(await screen.findByTestId("about-diagnostics")).toHaveTextContent("platform: linux x86_64");
    expect(screen.getByRole("status")).toHaveTextContent("Copied to the clipboard");
    expect(calls.find((c) => c.cmd === "copy_diagnostics")?.args).toEqual({ userAgent: navigator.userAgent });
  });
});
