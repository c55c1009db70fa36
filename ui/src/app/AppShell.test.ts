import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeBackend } from "../test/backend";
import App from "./App.svelte";
import { SCREEN_IDS, SCREEN_LABELS } from "./screens";

function rail(): HTMLElement {
  return screen.getByRole("navigation", { name: "Main" });
}

async function renderUnlocked(): Promise<void> {
  fakeBackend();
  render(App);
  await screen.findByTestId("app-shell");
}

describe("AppShell", () => {
  it("shows the app name, the rail and the Accounts screen by default", async () => {
    await renderUnlocked();
    expect(screen.getByRole("banner")).toHaveTextContent("Tessera");
    expect(screen.getByTestId("screen-accounts")).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1, name: "Accounts" })).toBeInTheDocument();
    expect(await screen.findByText("No accounts yet")).toBeInTheDocument();
  });

  it("names every destination and marks only the current one", async () => {
    await renderUnlocked();
    const buttons = within(rail()).getAllByRole("button");
    expect(buttons.map((button) => button.textContent.trim())).toEqual(
      SCREEN_IDS.map((id) => SCREEN_LABELS[id]),
    );
    for (const id of SCREEN_IDS) {
      const item = screen.getByTestId(`nav-${id}`);
      expect(item).toHaveAccessibleName(SCREEN_LABELS[id]);
      if (id === "accounts") {
        expect(item).toHaveAttribute("aria-current", "page");
      } else {
        expect(item).not.toHaveAttribute("aria-current");
      }
    }
  });

  it("opens each screen from the rail", async () => {
    const user = userEvent.setup();
    await renderUnlocked();
    for (const id of SCREEN_IDS) {
      await user.click(screen.getByTestId(`nav-${id}`));
      expect(screen.getByTestId(`screen-${id}`)).toBeInTheDocument();
      expect(screen.getByTestId(`nav-${id}`)).toHaveAttribute("aria-current", "page");
      expect(screen.getAllByTestId(/^screen-/)).toHaveLength(1);
      // Focus stays on the rail so the next destination is one key away.
      expect(screen.getByTestId(`nav-${id}`)).toHaveFocus();
    }
  });

  it("moves along the rail with the arrow keys and opens with Enter", async () => {
    const user = userEvent.setup();
    await renderUnlocked();
    screen.getByTestId("nav-accounts").focus();
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(screen.getByTestId("nav-transfer")).toHaveFocus();
    await user.keyboard("{ArrowUp}{ArrowUp}{ArrowUp}");
    expect(screen.getByTestId("nav-settings")).toHaveFocus();
    await user.keyboard("{Home}");
    expect(screen.getByTestId("nav-accounts")).toHaveFocus();
    await user.keyboard("{End}{Enter}");
    expect(screen.getByTestId("screen-settings")).toBeInTheDocument();
  });

  it("goes from the empty Accounts screen to Add and focuses its heading", async () => {
    const user = userEvent.setup();
    await renderUnlocked();
    await user.click(await screen.findByRole("button", { name: "Add an account" }));
    expect(screen.getByTestId("screen-add")).toBeInTheDocument();
    expect(screen.getByTestId("nav-add")).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("heading", { level: 1, name: "Add an account" })).toHaveFocus();
  });
});
