/**
 * An account's earlier values: what sync merges replaced when two devices
 * edited the same field (the later edit won; the other is kept here).
 * Empty for an account whose fields no merge replaced.
 */
import { commands, type HistoryView } from "../../ipc/bindings";
import { asFailure, unwrap } from "../../ipc/client";

export class AccountHistory {
  entries: HistoryView[] = $state.raw([]);
  problem = $state("");
  readonly #account: string;

  constructor(account: string) {
    this.#account = account;
  }

  async load(): Promise<void> {
    try {
      this.entries = await unwrap(commands.accountHistory(this.#account));
      this.problem = "";
    } catch (error) {
      this.problem = asFailure(error).message;
    }
  }
}

/** The field as the detail screen names it. */
export function fieldLabel(field: string): string {
  const labels: Record<string, string> = {
    issuer: "Issuer",
    name: "Account name",
    tags: "Tags",
    note: "Note",
    favorite: "Favourite",
    otp: "Secret and code settings",
    icon: "Icon",
    position: "Position",
    extra_params: "Other settings",
  };
  return labels[field] ?? field;
}
