import { describe, expect, it } from "vitest";
import { checkSecret, parseTags, splitBackupCodes } from "./forms";

describe("parseTags", () => {
  it("trims, drops empties and repeats in any case", () => {
    expect(parseTags(" work, 2fa ,, Work ")).toEqual(["work", "2fa"]);
    expect(parseTags("")).toEqual([]);
  });
});

describe("splitBackupCodes", () => {
  it("takes one code per line and drops list numbering", () => {
    expect(splitBackupCodes("1. abcd-efgh\n2. 1234 5678\n\n  xyz  ")).toEqual(["abcd-efgh", "1234 5678", "xyz"]);
  });
});

describe("checkSecret", () => {
  it("accepts base32 with spaces, hyphens and padding", () => {
    expect(checkSecret("jbsw y3dp-ehpk 3pxp==")).toBeUndefined();
  });

  it("names the character that is not base32", () => {
    expect(checkSecret("JBSW0")).toContain("“0”");
    expect(checkSecret("  ")).toContain("setup key");
  });
});
