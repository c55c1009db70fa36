import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { account, fakeBackend } from "../test/backend";
import App from "./App.svelte";

describe("the first painted screen", () => {
  it("is reported once as the gate, then once as live codes", async () => {
    const user = userEvent.setup();
    const backend = fakeBackend({ state: "locked", password: "right", accounts: [account("a", "GitHub", "alice")] });
    const reports = () => backend.calls.filter((c) => c.cmd === "report_first_screen").map((c) => c.args.screen);
    render(App);
    // Generous waits: a loaded 2-core machine runs the whole suite at once.
    await waitFor(
      () => {
        expect(reports()).toEqual(["gate"]);
      },
      { timeout: 5000 },
    );
    await user.type(await screen.findByLabelText("Password"), "right{Enter}");
    await screen.findAllByTestId("account-code", {}, { timeout: 5000 });
    await waitFor(
      () => {
        expect(reports()).toEqual(["gate", "liveCodes"]);
      },
      { timeout: 5000 },
    );
    await user.click(screen.getByRole("button", { name: /lock/i }));
    await user.type(await screen.findByLabelText("Password"), "right{Enter}");
    await screen.findAllByTestId("account-code");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reports()).toEqual(["gate", "liveCodes"]);
  });
});
