import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "../../app/App.svelte";
import { fakeBackend } from "../../test/backend";

const STRONG = "a long new passphrase of five words";

async function changePassword(current: string): Promise<void> {
  const user = userEvent.setup();
  render(App);
  await user.click(await screen.findByTestId("nav-settings"));
  await screen.findByTestId("screen-settings");
  await user.type(screen.getByTestId("current-password"), current);
  await user.type(screen.getByTestId("new-password"), STRONG);
  await user.type(screen.getByTestId("repeat-password"), STRONG);
  await waitFor(() => {
    expect(screen.getByTestId("change-password")).toBeEnabled();
  });
  await user.click(screen.getByTestId("change-password"));
}

describe("Settings › Security › Change password", () => {
  it("changes the password and says that older backups keep the old one", async () => {
    const backend = fakeBackend({ keyringEnabled: true });
    await changePassword("right");
    expect(await screen.findByText(/Backups made before now open only with the old password/)).toBeInTheDocument();
    expect(backend.password).toBe(STRONG);
    expect(screen.getByTestId("keyring-toggle")).toBeChecked();
    expect(screen.getByTestId("current-password")).toHaveValue("");
  });

  it("says so when keyring unlock was turned off because the keyring did not answer", async () => {
    fakeBackend({ keyringEnabled: true, keyringLostOnPasswordChange: true });
    await changePassword("right");
    expect(await screen.findByText(/Keyring unlock was turned off because the keyring did not answer/)).toBeInTheDocument();
    expect(screen.getByTestId("keyring-toggle")).not.toBeChecked();
  });

  it("keeps the fields and says why when the current password is wrong", async () => {
    const backend = fakeBackend();
    await changePassword("wrong");
    expect(await screen.findByRole("alert")).toHaveTextContent(/wrong password/i);
    expect(backend.password).toBe("right");
    expect(screen.getByTestId("new-password")).toHaveValue(STRONG);
  });
});
