import { describe, expect, it, vi } from "vitest";
import type { PasswordStrengthView } from "../../ipc/bindings";
import { fakeBackend } from "../../test/backend";
import { StrengthEstimate } from "./strengthEstimate.svelte";

function view(verdict: PasswordStrengthView["verdict"]): PasswordStrengthView {
  return { verdict, acceptable: false, warning: null, suggestions: [] };
}

describe("StrengthEstimate", () => {
  it("keeps the answer to the newest question when an older one comes last", async () => {
    const answers: ((answer: PasswordStrengthView) => void)[] = [];
    fakeBackend({ answers: { password_strength: () => new Promise<PasswordStrengthView>((resolve) => answers.push(resolve)) } });
    const estimate = new StrengthEstimate();
    estimate.estimate("pass");
    estimate.estimate("passphrase");
    await vi.waitFor(() => {
      expect(answers).toHaveLength(2);
    });
    answers[1]?.(view("fair"));
    await vi.waitFor(() => {
      expect(estimate.strength?.verdict).toBe("fair");
    });
    answers[0]?.(view("weak"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(estimate.strength?.verdict).toBe("fair");
  });
});
