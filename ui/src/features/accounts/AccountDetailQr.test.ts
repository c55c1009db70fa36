import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "../../app/App.svelte";
import { account, fakeBackend } from "../../test/backend";

async function openDetail(): Promise<{ user: ReturnType<typeof userEvent.setup>; backend: ReturnType<typeof fakeBackend> }> {
  const user = userEvent.setup();
  const backend = fakeBackend({ accounts: [account("a", "GitHub", "alice")] });
  render(App);
  await user.click(await screen.findByTestId("account-open"));
  await screen.findByTestId("account-detail");
  return { user, backend };
}

describe("showing an account as a QR code", () => {
  it("asks first, then shows the QR code until hidden", async () => {
    const { user, backend } = await openDetail();
    await user.click(screen.getByTestId("detail-qr-show"));
    const confirm = screen.getByTestId("detail-qr-confirm");
    expect(confirm).toHaveAttribute("role", "alertdialog");
    expect(confirm).toHaveTextContent("This shows the secret of this account as a QR code");
    expect(screen.getByTestId("detail-qr-cancel")).toHaveFocus();
    // Nothing is asked of Rust before the user confirms.
    expect(backend.calls.some((c) => c.cmd === "show_account_qr")).toBe(false);

    await user.type(screen.getByTestId("detail-qr-password"), "right");
    await user.click(screen.getByTestId("detail-qr-confirm-show"));
    const image = await screen.findByTestId("detail-qr");
    expect(backend.calls.find((c) => c.cmd === "show_account_qr")?.args).toEqual({ id: "a", password: "right" });
    const source = image.getAttribute("src") ?? "";
    expect(source.startsWith("data:image/svg+xml;charset=utf-8,")).toBe(true);
    expect(decodeURIComponent(source.slice(source.indexOf(",") + 1))).toContain("<svg");

    await user.click(screen.getByTestId("detail-qr-hide"));
    expect(screen.queryByTestId("detail-qr")).not.toBeInTheDocument();
    expect(screen.getByTestId("detail-qr-show")).toHaveFocus();
  });

  it("shows nothing when cancelled", async () => {
    const { user, backend } = await openDetail();
    await user.click(screen.getByTestId("detail-qr-show"));
    await user.click(screen.getByTestId("detail-qr-cancel"));
    expect(screen.queryByTestId("detail-qr-confirm")).not.toBeInTheDocument();
    expect(screen.queryByTestId("detail-qr")).not.toBeInTheDocument();
    expect(backend.calls.some((c) => c.cmd === "show_account_qr")).toBe(false);
  });

  it("asks Rust to check the vault password and shows nothing when it is wrong", async () => {
    const { user, backend } = await openDetail();
    await user.click(screen.getByTestId("detail-qr-show"));
    await user.type(screen.getByTestId("detail-qr-password"), "wrong");
    await user.click(screen.getByTestId("detail-qr-confirm-show"));
    expect(await screen.findByTestId("detail-qr-error")).toHaveTextContent(/wrong password/i);
    expect(screen.queryByTestId("detail-qr")).not.toBeInTheDocument();
    expect(screen.getByTestId("detail-qr-confirm")).toBeInTheDocument();
    expect(screen.getByTestId("detail-qr-password")).toHaveValue("");
    expect(backend.calls.filter((c) => c.cmd === "show_account_qr")).toHaveLength(1);
  });

  it("hides the QR code when the vault locks", async () => {
    const { user, backend } = await openDetail();
    await user.click(screen.getByTestId("detail-qr-show"));
    await user.type(screen.getByTestId("detail-qr-password"), "right");
    await user.click(screen.getByTestId("detail-qr-confirm-show"));
    await screen.findByTestId("detail-qr");
    backend.state = "locked";
    await user.click(screen.getByTestId("lock-now"));
    await screen.findByTestId("unlock-password");
    expect(screen.queryByTestId("detail-qr")).not.toBeInTheDocument();
    await user.type(screen.getByTestId("unlock-password"), "right");
    await user.click(screen.getByTestId("unlock-submit"));
    await screen.findByTestId("app-shell");
    await waitFor(() => {
      expect(screen.queryByTestId("detail-qr")).not.toBeInTheDocument();
    });
  });
});
