import { describe, expect, it } from "vitest";
import { Navigation } from "./navigation.svelte";
import { SCREEN_IDS, SCREEN_LABELS } from "./screens";

describe("Navigation", () => {
  it("starts on Accounts", () => {
    const navigation = new Navigation();
    expect(navigation.current).toBe("accounts");
    expect(navigation.isCurrent("accounts")).toBe(true);
  });

  it("goes to the screen asked for", () => {
    const navigation = new Navigation();
    navigation.go("servers");
    expect(navigation.current).toBe("servers");
    expect(navigation.isCurrent("accounts")).toBe(false);
    expect(navigation.isCurrent("servers")).toBe(true);
  });

  it("can start elsewhere", () => {
    expect(new Navigation("settings").current).toBe("settings");
  });
});

describe("screens", () => {
  it("are the five rail destinations in order, each with a label", () => {
    expect(SCREEN_IDS).toEqual(["accounts", "add", "transfer", "servers", "settings"]);
    for (const screen of SCREEN_IDS) {
      expect(SCREEN_LABELS[screen]).not.toBe("");
    }
  });
});
