import { describe, expect, it } from "vitest";
import { IpcFailure } from "../../ipc/client";
import { describeFailure, describeNote, describeProgress, holdsOtpUri } from "./scanFlow.svelte";

describe("scan texts", () => {
  it("recognises account URIs in pasted text", () => {
    expect(holdsOtpUri("otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP")).toBe(true);
    expect(holdsOtpUri("  OTPAUTH-MIGRATION://offline?data=abc")).toBe(true);
    expect(holdsOtpUri("see\notpauth://hotp/x?secret=A")).toBe(true);
    expect(holdsOtpUri("https://example.com")).toBe(false);
    expect(holdsOtpUri("otpauth:/missing-slash")).toBe(false);
  });

  it("says which parts of an export are missing", () => {
    expect(describeProgress({ number: 1, scanned: 2, total: 4, missing: [1, 3] })).toBe(
      "Google Authenticator export: 2 of 4 scanned. Still missing: parts 1 and 3.",
    );
    expect(describeProgress({ number: 1, scanned: 3, total: 4, missing: [2] })).toBe(
      "Google Authenticator export: 3 of 4 scanned. Still missing: part 2.",
    );
    expect(describeProgress({ number: 1, scanned: 1, total: 4, missing: [1, 2, 4] })).toContain("parts 1, 2 and 4.");
  });

  it("describes what a scan brought in", () => {
    expect(describeNote({ accounts: 3, parts: 0, repeated: 0 })).toBe("Found 3 accounts.");
    expect(describeNote({ accounts: 1, parts: 0, repeated: 2 })).toBe("Found 1 account.");
    expect(describeNote({ accounts: 0, parts: 1, repeated: 0 })).toBe("Scanned one more part of an export.");
    expect(describeNote({ accounts: 0, parts: 0, repeated: 1 })).toBe("Already scanned: nothing new in this code.");
  });

  it("turns Rust's messages into sentences", () => {
    expect(describeFailure(new IpcFailure("invalid", "no QR code found in the image"))).toBe("No QR code found in the image.");
    expect(
      describeFailure(new IpcFailure("invalid", "the QR code holds no 2FA account (no otpauth:// or otpauth-migration:// URI)")),
    ).toBe("The QR code holds no 2FA account (no otpauth:// or otpauth-migration:// URI)");
  });
});
