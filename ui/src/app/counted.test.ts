import { describe, expect, it } from "vitest";
import { counted } from "./counted";

describe("counted", () => {
  it("uses the singular for exactly one", () => {
    expect(counted(1, "account")).toBe("1 account");
  });

  it("uses the plural for none and for many", () => {
    expect(counted(0, "account")).toBe("0 accounts");
    expect(counted(12, "account")).toBe("12 accounts");
  });

  it("takes an irregular plural", () => {
    expect(counted(2, "entry", "entries")).toBe("2 entries");
    expect(counted(1, "entry", "entries")).toBe("1 entry");
  });
});
