/**
 * How guessable a new password is, as Rust estimates it (zxcvbn) while the
 * user types: each keystroke asks again, and only the answer to the newest
 * question counts.
 */
import { commands, type PasswordStrengthView } from "../../ipc/bindings";
import { call } from "../../ipc/client";

export class StrengthEstimate {
  /** The newest answer; undefined until the first one comes. */
  strength: PasswordStrengthView | undefined = $state();
  #asked = 0;

  estimate(password: string): void {
    const question = ++this.#asked;
    call(commands.passwordStrength(password)).then(
      (answer) => {
        if (question === this.#asked) this.strength = answer;
      },
      () => undefined,
    );
  }
}
