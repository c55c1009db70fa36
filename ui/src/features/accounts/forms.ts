/** Small parsers for what people type into the account forms, and their choices. */
import type { AlgorithmName } from "../../ipc/bindings";

/** The hash functions a code may use, as the forms and scan results name them. */
export const ALGORITHM_CHOICES: readonly { value: AlgorithmName; label: string }[] = [
  { value: "sha1", label: "SHA-1" },
  { value: "sha256", label: "SHA-256" },
  { value: "sha512", label: "SHA-512" },
];

/** The code lengths TOTP and HOTP accounts may have (Steam's is fixed at 5). */
export const DIGIT_CHOICES: readonly number[] = [6, 7, 8, 9, 10];

/** "work, 2fa ,, Work" → ["work", "2fa"]: trimmed, no empties, no repeats (any case). */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const raw of text.split(",")) {
    const tag = raw.trim();
    if (tag !== "" && !seen.has(tag.toLowerCase())) {
      seen.add(tag.toLowerCase());
      tags.push(tag);
    }
  }
  return tags;
}

/** A pasted list of backup codes: one per line (or separated by commas); list numbering such as "1. " is dropped. */
export function splitBackupCodes(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((part) => part.replace(/^\s*\d{1,2}[.)]\s+/, "").trim())
    .filter((part) => part !== "");
}

export interface FormProblem {
  field: string;
  message: string;
}

/** Checks the manual add form before it goes to Rust (which checks again and names the problem). */
export function checkSecret(secret: string): string | undefined {
  const cleaned = secret.replace(/[\s-]/g, "").replace(/=+$/, "");
  if (cleaned === "") {
    return "Enter the setup key the service shows.";
  }
  const bad = /[^A-Za-z2-7]/.exec(cleaned);
  if (bad) {
    return `The setup key can only contain the letters A–Z and the digits 2–7; “${bad[0]}” is not one of them.`;
  }
  return undefined;
}
