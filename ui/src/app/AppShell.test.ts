import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import AppShell from "./AppShell.svelte";
import { SCREEN_IDS, SCREEN_LABELS } from "./screens";

function rail(): HTMLElement {
  return screen.getByRole("navigation", { name: "Main" });
}

describe("AppShell", () => {
  it("shows the app name, the rail and the Accounts screen by default", () => {
    render(AppShell);
    expect(screen.getByTestId("app-shell")).toBeInTheDocument();
    expect(screen.getByRole("banner")).toHaveTextContent("Tessera");
    expect(screen.getByTestId("screen-accounts")).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1, name: "Accounts" })).toBeInTheDocument();
    expect(screen.getByText("No accounts yet")).toBeInTheDocument();
  });

  it("names every destination and marks only the current one", () => {
    render(AppShell);
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
    render(AppShell);
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
    render(AppShell);
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
    render(AppShell);
    await user.click(screen.getByRole("button", { name: "Add an account" }));
    expect(screen.getByTestId("screen-add")).toBeInTheDocument();
    expect(screen.getByTestId("nav-add")).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("heading", { level: 1, name: "Add an account" })).toHaveFocus();
  });
});
