import { describe, expect, it } from "vitest";
import { account, codeFor, fakeBackend } from "../../test/backend";
import {
  AccountList,
  filterAccounts,
  groupDigits,
  issuerHue,
  indexAccount,
  ordered,
  remainingMs,
  tagCounts,
  withTags,
} from "./accountList.svelte";

const github = account("a", "GitHub", "alice", { tags: ["dev"] });
const bank = account("b", "Bank", "bob", { favorite: true });
const mail = account("c", "", "carol@mail.example", { tags: ["Personal"] });

describe("ordered", () => {
  it("puts favourites first and keeps the vault order otherwise", () => {
    expect(ordered([github, bank, mail]).map((a) => a.id)).toEqual(["b", "a", "c"]);
  });
});

describe("sort orders", () => {
  const used = [
    account("x", "zeta", "", { lastUsedAt: 5 }),
    account("y", "Alpha", "", { lastUsedAt: 9 }),
    account("z", "beta", "", { favorite: true }),
  ];

  it("sorts A–Z ignoring case, or by last use, favourites still first", () => {
    expect(ordered(used, "name").map((a) => a.id)).toEqual(["z", "y", "x"]);
    expect(ordered(used, "recent").map((a) => a.id)).toEqual(["z", "y", "x"]);
    expect(ordered(used, "manual").map((a) => a.id)).toEqual(["z", "x", "y"]);
  });
});

describe("filterAccounts", () => {
  const items = [github, bank, mail].map(indexAccount);

  it("matches issuer, name and tags in any case", () => {
    expect(filterAccounts(items, "GITHUB").map((a) => a.id)).toEqual(["a"]);
    expect(filterAccounts(items, "bob").map((a) => a.id)).toEqual(["b"]);
    expect(filterAccounts(items, "personal").map((a) => a.id)).toEqual(["c"]);
    expect(filterAccounts(items, "  ")).toHaveLength(3);
    expect(filterAccounts(items, "zzz")).toHaveLength(0);
  });

  it("filters 10,000 accounts within a frame", () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      indexAccount(account(`id-${String(i)}`, `Issuer ${String(i)}`, `user${String(i)}@example.com`, { tags: ["t"] })),
    );
    const start = performance.now();
    const found = filterAccounts(many, "user9999");
    const elapsed = performance.now() - start;
    expect(found).toHaveLength(1);
    expect(elapsed).toBeLessThan(16);
  });
});

describe("tags", () => {
  const tagged = [
    account("p", "A", "", { tags: ["work", "dev"] }),
    account("q", "B", "", { tags: ["work"] }),
    account("r", "C", "", { tags: ["Dev"] }),
    account("s", "D", ""),
  ];

  it("counts every tag in use, A–Z", () => {
    expect(tagCounts(tagged)).toEqual([
      { tag: "dev", count: 1 },
      { tag: "Dev", count: 1 },
      { tag: "work", count: 2 },
    ]);
  });

  it("keeps the accounts carrying every chosen tag", () => {
    expect(withTags(tagged, new Set(["work"])).map((a) => a.id)).toEqual(["p", "q"]);
    expect(withTags(tagged, new Set(["work", "dev"])).map((a) => a.id)).toEqual(["p"]);
    expect(withTags(tagged, new Set()).map((a) => a.id)).toEqual(["p", "q", "r", "s"]);
  });
});

describe("issuerHue", () => {
  it("gives an issuer the same hue whatever its case or spacing", () => {
    expect(issuerHue("GitHub")).toBe(issuerHue(" github "));
  });

  it("is a hue, and differs between issuers", () => {
    const hues = ["GitHub", "Proton", "Dropbox", "Mastodon", "PayPal"].map(issuerHue);
    for (const hue of hues) {
      expect(hue).toBeGreaterThanOrEqual(0);
      expect(hue).toBeLessThan(360);
    }
    expect(new Set(hues).size).toBeGreaterThan(3);
  });
});

describe("groupDigits", () => {
  it("groups codes for reading", () => {
    expect(groupDigits("123456")).toBe("123 456");
    expect(groupDigits("12345678")).toBe("1234 5678");
    expect(groupDigits("1234567")).toBe("123 456 7");
    expect(groupDigits("2BC4F")).toBe("2BC4F");
  });
});

describe("remainingMs", () => {
  it("counts down from when the code arrived", () => {
    const code = { id: "a", current: "1", next: "2", validForMs: 10_000, periodMs: 30_000, receivedAt: 1000 };
    expect(remainingMs(code, 4000)).toBe(7000);
    expect(remainingMs(code, 99_000)).toBe(0);
    expect(remainingMs({ ...code, validForMs: null }, 4000)).toBeUndefined();
  });
});

describe("AccountList", () => {
  it("loads from Rust, searches, and fetches codes for the given rows only", async () => {
    const backend = fakeBackend({ accounts: [github, bank, mail] });
    const list = new AccountList();
    await list.load();
    expect(list.visible.map((a) => a.id)).toEqual(["b", "a", "c"]);
    list.query = "dev";
    expect(list.visible.map((a) => a.id)).toEqual(["a"]);
    await list.refreshCodes(["a"]);
    expect(list.codes.get("a")?.current).toBe(codeFor("a"));
    expect(list.codes.has("b")).toBe(false);
    expect(backend.calls.filter((c) => c.cmd === "codes").map((c) => c.args.ids)).toEqual([["a"]]);
  });

  it("hides an account while its deletion can be undone", async () => {
    fakeBackend({ accounts: [github, bank] });
    const list = new AccountList();
    await list.load();
    list.hide("a", true);
    expect(list.visible.map((a) => a.id)).toEqual(["b"]);
    list.hide("a", false);
    expect(list.visible).toHaveLength(2);
  });

  it("filters by tag chips and allows reordering only in plain vault order", async () => {
    fakeBackend({ accounts: [github, bank, mail] });
    const list = new AccountList();
    await list.load();
    expect(list.tags.map((t) => t.tag)).toEqual(["dev", "Personal"]);
    expect(list.canReorder).toBe(true);
    list.toggleTag("Personal");
    expect(list.visible.map((a) => a.id)).toEqual(["c"]);
    expect(list.canReorder).toBe(false);
    list.toggleTag("Personal");
    list.sortOrder = "name";
    expect(list.canReorder).toBe(false);
  });

  it("moves an account in the vault order through Rust", async () => {
    const backend = fakeBackend({ accounts: [github, bank, mail] });
    const list = new AccountList();
    await list.load();
    await list.move("c", "a");
    expect(backend.calls.filter((c) => c.cmd === "move_account").map((c) => c.args)).toEqual([
      { id: "c", before: "a" },
    ]);
    expect(list.all.map((a) => a.id)).toEqual(["b", "c", "a"]);
    await list.move("c", null);
    expect(list.all.map((a) => a.id)).toEqual(["b", "a", "c"]);
  });
});
