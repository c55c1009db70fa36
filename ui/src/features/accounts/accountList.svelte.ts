/**
 * The accounts as the list shows them: loaded once from Rust (labels and
 * parameters, never secrets) and again when Rust says the vault changed,
 * favourites first, filtered as the user types (issuer, name, tag), with
 * codes fetched only for the rows on screen. Adding, editing, moving,
 * copying and removing an account go through here, so the list shows what
 * the vault holds.
 */
import { createContext } from "svelte";
import { SvelteMap, SvelteSet } from "svelte/reactivity";
import {
  commands,
  events,
  type AccountEdit,
  type AccountSummary,
  type CodeView,
  type Copied,
  type NewAccount,
} from "../../ipc/bindings";
import { asFailure, type IpcFailure, listenWhileMounted, unwrap } from "../../ipc/client";

/** A code with the moment it arrived, to count its time down locally. */
export interface LiveCode extends CodeView {
  receivedAt: number;
}

export interface Indexed {
  account: AccountSummary;
  /** Issuer, name and tags, lower-cased, for search. */
  haystack: string;
}

export function indexAccount(account: AccountSummary): Indexed {
  return {
    account,
    haystack: [account.issuer, account.name, ...account.tags].join("\u0000").toLowerCase(),
  };
}

/** What messages call an account: its issuer, else its name. */
export function accountTitle(account: AccountSummary): string {
  return account.issuer || account.name || "this account";
}

/** "Copied the code for GitHub. Clipboard clears in 30 s." */
export function describeCopy(account: AccountSummary, copied: Copied): string {
  const clears = copied.clearAfterSeconds > 0 ? ` Clipboard clears in ${String(copied.clearAfterSeconds)} s.` : "";
  return `Copied the code for ${accountTitle(account)}.${clears}`;
}

/** How the list is sorted (favourites always come first). */
export type SortOrder = "manual" | "name" | "recent";

function label(account: AccountSummary): string {
  return `${account.issuer}\u0000${account.name}`;
}

/** Favourites first, then the vault's order, A–Z, or most recently used first (stable). */
export function ordered(accounts: readonly AccountSummary[], order: SortOrder = "manual"): AccountSummary[] {
  const sorted = [...accounts];
  if (order === "name") {
    const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
    sorted.sort((a, b) => collator.compare(label(a), label(b)));
  } else if (order === "recent") {
    sorted.sort((a, b) => (b.lastUsedAt ?? 0) - (a.lastUsedAt ?? 0));
  }
  return [...sorted.filter((a) => a.favorite), ...sorted.filter((a) => !a.favorite)];
}

/** The accounts whose issuer, name or a tag contains `query` (any case). */
export function filterAccounts(items: readonly Indexed[], query: string): AccountSummary[] {
  const needle = query.trim().toLowerCase();
  if (needle === "") {
    return items.map((item) => item.account);
  }
  const found: AccountSummary[] = [];
  for (const item of items) {
    if (item.haystack.includes(needle)) {
      found.push(item.account);
    }
  }
  return found;
}

/** The accounts carrying every tag in `tags` (all of them when it is empty). */
export function withTags(accounts: readonly AccountSummary[], tags: ReadonlySet<string>): AccountSummary[] {
  if (tags.size === 0) {
    return [...accounts];
  }
  return accounts.filter((account) => [...tags].every((tag) => account.tags.includes(tag)));
}

/** Every tag in use with how many accounts carry it, A–Z. */
export function tagCounts(accounts: readonly AccountSummary[]): { tag: string; count: number }[] {
  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
  const all = accounts.flatMap((account) => account.tags).sort((a, b) => collator.compare(a, b) || a.localeCompare(b));
  const counted: { tag: string; count: number }[] = [];
  for (const tag of all) {
    const last = counted.at(-1);
    if (last?.tag === tag) last.count += 1;
    else counted.push({ tag, count: 1 });
  }
  return counted;
}

/** Groups digits for reading: 123 456, 1234 5678, 12345 (Steam stays whole). */
/**
 * A hue (0–359) for an issuer, the same on every start and machine, so an
 * account keeps its colour: FNV-1a over the lower-cased name.
 */
export function issuerHue(issuer: string): number {
  let hash = 0x811c9dc5;
  for (const char of issuer.trim().toLowerCase()) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 360;
}

export function groupDigits(code: string): string {
  if (!/^\d+$/.test(code) || code.length < 6) {
    return code;
  }
  const size = code.length % 3 === 0 ? 3 : code.length === 8 ? 4 : 3;
  const groups: string[] = [];
  for (let i = 0; i < code.length; i += size) {
    groups.push(code.slice(i, i + size));
  }
  return groups.join(" ");
}

/** Milliseconds left on a code at `now` (performance clock of arrival). */
export function remainingMs(code: LiveCode, now: number): number | undefined {
  if (code.validForMs === null) {
    return undefined;
  }
  return Math.max(0, code.validForMs - (now - code.receivedAt));
}

export class AccountList {
  #accounts: readonly AccountSummary[] = $state.raw([]);
  sortOrder: SortOrder = $state("manual");
  readonly #items: Indexed[] = $derived(ordered(this.#accounts, this.sortOrder).map(indexAccount));
  query = $state("");
  /** Tags the list is filtered to (an account must carry all of them). */
  readonly selectedTags = new SvelteSet<string>();
  loaded = $state(false);
  failure: IpcFailure | undefined = $state.raw();
  /** Ids hidden while their deletion can still be undone. */
  readonly pendingRemoval = new SvelteSet<string>();
  codes = new SvelteMap<string, LiveCode>();

  readonly all: AccountSummary[] = $derived(this.#items.map((item) => item.account));
  readonly visible: AccountSummary[] = $derived.by(() => {
    const found = withTags(filterAccounts(this.#items, this.query), this.selectedTags);
    return this.pendingRemoval.size === 0 ? found : found.filter((a) => !this.pendingRemoval.has(a.id));
  });
  readonly tags: { tag: string; count: number }[] = $derived(tagCounts(this.#accounts));
  /** Dragging rows changes the vault order, so it needs the whole list in that order. */
  readonly canReorder: boolean = $derived(
    this.sortOrder === "manual" && this.query.trim() === "" && this.selectedTags.size === 0,
  );

  toggleTag(tag: string): void {
    if (this.selectedTags.has(tag)) this.selectedTags.delete(tag);
    else this.selectedTags.add(tag);
  }

  /** Moves `id` just before `before` (or to the end) in the vault order. */
  async move(id: string, before: string | null): Promise<void> {
    if (id === before) return;
    this.set(await unwrap(commands.moveAccount(id, before)));
  }

  /** Lists the accounts again whenever Rust says the vault changed (the CLI, another flow), until the returned function is called. */
  followChanges(): () => void {
    return listenWhileMounted(events.entriesChanged, () => {
      void this.load();
    });
  }

  async load(): Promise<void> {
    try {
      this.set(await unwrap(commands.listAccounts()));
      this.failure = undefined;
    } catch (error) {
      this.failure = asFailure(error);
    } finally {
      this.loaded = true;
    }
  }

  set(accounts: readonly AccountSummary[]): void {
    this.#accounts = accounts;
  }

  get(id: string): AccountSummary | undefined {
    return this.#accounts.find((account) => account.id === id);
  }

  /** Replaces (or adds) one account after an edit. */
  upsert(account: AccountSummary): void {
    const accounts = this.#accounts.some((a) => a.id === account.id)
      ? this.#accounts.map((a) => (a.id === account.id ? account : a))
      : [...this.#accounts, account];
    this.set(accounts);
  }

  /** Adds an account from the manual form; Rust checks it and keeps the secret. */
  async add(form: NewAccount): Promise<AccountSummary> {
    const added = await unwrap(commands.addAccount(form));
    this.upsert(added);
    return added;
  }

  /** Adds the account an `otpauth://` link describes. */
  async addFromUri(uri: string): Promise<AccountSummary> {
    const added = await unwrap(commands.addAccountFromUri(uri, []));
    this.upsert(added);
    return added;
  }

  async update(id: string, edit: AccountEdit): Promise<void> {
    this.upsert(await unwrap(commands.updateAccount(id, edit)));
  }

  /** Removes an account from the vault, and then from the list. */
  async remove(id: string): Promise<void> {
    await unwrap(commands.removeAccount(id));
    this.drop(id);
  }

  drop(id: string): void {
    this.set(this.#accounts.filter((a) => a.id !== id));
    this.codes.delete(id);
  }

  hide(id: string, hidden: boolean): void {
    if (hidden) this.pendingRemoval.add(id);
    else this.pendingRemoval.delete(id);
  }

  /** Fetches the codes of `ids` (the rows on screen) in one batch. */
  async refreshCodes(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    const views = await unwrap(commands.codes([...ids]));
    const receivedAt = performance.now();
    for (const view of views) {
      this.codes.set(view.id, { ...view, receivedAt });
    }
  }

  /**
   * Copies an account's code to the clipboard (Rust clears it later) and
   * marks the account used; an HOTP account shows its next code.
   */
  async copy(account: AccountSummary): Promise<Copied> {
    const copied = await unwrap(commands.copyCode(account.id));
    this.upsert({ ...account, lastUsedAt: Date.now() });
    if (account.kind === "hotp") {
      await this.refreshCodes([account.id]);
    }
    return copied;
  }

  /** Takes the next HOTP code (the counter advances in the vault first). */
  async nextHotp(id: string): Promise<void> {
    const view = await unwrap(commands.nextHotpCode(id));
    this.codes.set(id, { ...view, receivedAt: performance.now() });
    const account = this.get(id);
    if (account !== undefined && account.counter !== null) {
      this.upsert({ ...account, counter: account.counter + 1 });
    }
  }
}

export const [getAccountList, setAccountList] = createContext<AccountList>();
