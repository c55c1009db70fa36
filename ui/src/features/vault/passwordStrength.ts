/**
 * A quick estimate of how hard a new vault password is to guess, for the
 * feedback under the password field. Deliberately simple: length and the
 * variety of characters, with penalties for repeats and common words.
 */
export interface Strength {
  /** 0 (empty) to 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  /** What would make it better, or why it is fine. */
  advice: string;
}

const COMMON = ["password", "123456", "qwerty", "letmein", "tessera", "admin", "welcome", "abc123"];

/** Rough bits of entropy: length times log2 of the alphabet used. */
export function entropyBits(password: string): number {
  if (password.length === 0) {
    return 0;
  }
  let alphabet = 0;
  if (/[a-z]/.test(password)) alphabet += 26;
  if (/[A-Z]/.test(password)) alphabet += 26;
  if (/[0-9]/.test(password)) alphabet += 10;
  if (/[^a-zA-Z0-9]/.test(password)) alphabet += 33;
  const unique = new Set(password).size;
  // Repeated characters add little: count each distinct one fully, repeats at a quarter.
  const effectiveLength = unique + (password.length - unique) / 4;
  let bits = effectiveLength * Math.log2(Math.max(alphabet, 2));
  const lower = password.toLowerCase();
  if (COMMON.some((word) => lower.includes(word))) {
    bits -= 20;
  }
  return Math.max(bits, 0);
}

export function passwordStrength(password: string): Strength {
  const bits = entropyBits(password);
  if (password.length === 0) {
    return { score: 0, label: "", advice: "Choose a password only you know." };
  }
  if (bits < 28) {
    return { score: 1, label: "Weak", advice: "Easy to guess. Use a longer password or a few unrelated words." };
  }
  if (bits < 45) {
    return { score: 2, label: "Fair", advice: "Add more words or characters to make it harder to guess." };
  }
  if (bits < 65) {
    return { score: 3, label: "Good", advice: "A good password. Longer is still better." };
  }
  return { score: 4, label: "Strong", advice: "A strong password." };
}
