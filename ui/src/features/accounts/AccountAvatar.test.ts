import { render, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { account } from "../../test/backend";
import AccountAvatar from "./AccountAvatar.svelte";
import { issuerIcons } from "./issuerIcons.svelte";

const PNG = "data:image/png;base64,iVBORw0KGgo=";

function avatar(container: HTMLElement): HTMLElement {
  const found = container.querySelector<HTMLElement>("[data-testid=account-avatar]");
  if (!found) throw new Error("no avatar");
  return found;
}

describe("AccountAvatar", () => {
  it("shows an imported picture before the issuer's brand icon", () => {
    const { container } = render(AccountAvatar, {
      account: account("a", "GitHub", "alice", { icon: { kind: "picture", dataUrl: PNG } }),
    });
    expect(avatar(container).dataset.icon).toBe("picture");
    expect(avatar(container).querySelector("img")?.getAttribute("src")).toBe(PNG);
  });

  it("shows a letter badge from an import before the brand icon, and the brand icon without one", async () => {
    issuerIcons.load();
    const brand = render(AccountAvatar, { account: account("a", "GitHub", "alice") });
    await waitFor(() => {
      expect(avatar(brand.container).dataset.icon).toBe("github");
    });
    const badge = { kind: "badge" as const, text: "DE", colour: "#fdd835" };
    const { container } = render(AccountAvatar, { account: account("b", "GitHub", "bob", { icon: badge }) });
    const tile = avatar(container);
    expect(tile.dataset.icon).toBe("badge");
    expect(tile).toHaveTextContent("DE");
    expect(tile.style.backgroundColor).toBe("rgb(253, 216, 53)");
    // Dark letters on the light yellow.
    expect(tile.style.color).toBe("rgb(28, 31, 35)");
  });

  it("falls back to the initial on the account's colour", () => {
    const { container } = render(AccountAvatar, { account: account("c", "Zyxwv Credit Union", "carol") });
    expect(avatar(container)).toHaveTextContent("Z");
    expect(avatar(container).dataset.icon).toBeUndefined();
  });
});
