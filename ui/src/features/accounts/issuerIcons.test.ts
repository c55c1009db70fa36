import table from "virtual:issuer-icons";
import { describe, expect, it } from "vitest";
import { contrast, DARK_TILE, iconKey, indexIcons, LIGHT_TILE, matchIcon } from "./issuerIcons.svelte";

const index = indexIcons(table);

describe("issuer icons", () => {
  it("bundles the simple-icons set", () => {
    expect(table.length).toBeGreaterThan(3000);
  });

  it("finds an icon by issuer, alias-free spelling, first word or address domain", () => {
    expect(matchIcon(index, "GitHub", "alice")?.slug).toBe("github");
    expect(matchIcon(index, "  github ", "")?.slug).toBe("github");
    expect(matchIcon(index, "Proton Mail", "alice")?.slug).toBe("protonmail");
    expect(matchIcon(index, "Mastodon Social", "alice")?.slug).toBe("mastodon");
    expect(matchIcon(index, "", "bob@dropbox.com")?.slug).toBe("dropbox");
    expect(matchIcon(index, "accounts.google.com", "carol")?.slug).toBe("google");
  });

  it("leaves accounts of unknown issuers to their initial", () => {
    expect(matchIcon(index, "Zyxwv Credit Union", "alice@example.com")).toBeUndefined();
    expect(matchIcon(index, "", "")).toBeUndefined();
  });

  it("normalises names to letters and digits", () => {
    expect(iconKey("AT&T")).toBe("atandt");
    expect(iconKey("Notepad++")).toBe("notepadplusplus");
  });

  it("draws every icon at 3:1 or more against its tile", () => {
    const faint = [...new Set(index.values())].filter(
      (icon) => contrast(icon.colour, icon.darkTile ? DARK_TILE : LIGHT_TILE) < 3,
    );
    expect(faint.map((icon) => `${icon.slug} ${icon.colour}`)).toEqual([]);
  });
});
