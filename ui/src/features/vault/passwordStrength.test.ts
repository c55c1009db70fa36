import { describe, expect, it } from "vitest";
import { passwordStrength } from "./passwordStrength";

describe("passwordStrength", () => {
  it("gives no verdict for an empty password", () => {
    expect(passwordStrength("").score).toBe(0);
  });

  it("calls short and common passwords weak", () => {
    expect(passwordStrength("abc").score).toBe(1);
    expect(passwordStrength("password1").score).toBeLessThanOrEqual(2);
    expect(passwordStrength("aaaaaaaaaaaa").score).toBeLessThanOrEqual(2);
  });

  it("rates a few unrelated words as good or strong", () => {
    expect(passwordStrength("correct horse battery staple").score).toBeGreaterThanOrEqual(3);
    expect(passwordStrength("Vx7!qL2#pR9@wZ4$").label).toBe("Strong");
  });
});
