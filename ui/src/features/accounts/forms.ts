/** Small parsers for what people type into the account forms. */

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
