/**
 * Brand icons for accounts, from the bundled simple-icons set (CC0; built
 * into `virtual:issuer-icons` by vite.config.ts, never fetched). An account
 * gets the icon whose title, alias or slug is its issuer, the issuer's
 * first word, or the domain of an address in the issuer or account name
 * ("alice@dropbox.com"). The table is a separate chunk, loaded once after
 * the first screen; until then, and where nothing matches, rows show the
 * coloured initial.
 */

export interface IssuerIcon {
  slug: string;
  title: string;
  /** The brand colour, `#rrggbb`. */
  colour: string;
  /** The SVG path, in a 24 × 24 box. */
  path: string;
  /** Whether the brand colour needs the dark tile to stand out (3:1). */
  darkTile: boolean;
}

/** Lower-case letters and digits: "Proton Mail" → "protonmail", "AT&T" → "atandt". */
export function iconKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/\+/g, "plus")
    .replace(/&/g, "and")
    .replace(/[^a-z0-9]/g, "");
}

/** The label before the top-level domain of an address or host: "bob@mail.dropbox.com" → "dropbox". */
function domainLabel(text: string): string | undefined {
  const host = (text.includes("@") ? text.slice(text.lastIndexOf("@") + 1) : text).trim();
  if (!/^[\w-]+(\.[\w-]+)+$/.test(host)) return undefined;
  const labels = host.split(".");
  return labels[labels.length - 2];
}

/** WCAG relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

export function contrast(a: string, b: string): number {
  const [lighter, darker] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (lighter + 0.05) / (darker + 0.05);
}

/** The two tiles an icon is drawn on (AccountRow.svelte's `.brand`). */
export const LIGHT_TILE = "#ffffff";
export const DARK_TILE = "#1c1f23";

type Row = readonly [string, readonly string[], string, string];

/** The icons by every key they answer to; the first icon to claim a key keeps it. */
export function indexIcons(rows: readonly Row[]): ReadonlyMap<string, IssuerIcon> {
  // A plain Map: built once, never changed, replaced whole in IssuerIcons.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  const index = new Map<string, IssuerIcon>();
  for (const [slug, names, hex, path] of rows) {
    const colour = `#${hex.toLowerCase()}`;
    const icon: IssuerIcon = {
      slug,
      title: names[0] ?? slug,
      colour,
      path,
      darkTile: contrast(colour, LIGHT_TILE) < 3,
    };
    for (const key of [slug, ...names.map(iconKey)]) {
      if (key !== "" && !index.has(key)) index.set(key, icon);
    }
  }
  return index;
}

/** The icon for an account, or undefined. */
export function matchIcon(index: ReadonlyMap<string, IssuerIcon>, issuer: string, name: string): IssuerIcon | undefined {
  const firstWord = issuer.trim().split(/\s+/)[0] ?? "";
  const candidates = [
    iconKey(issuer),
    firstWord.length >= 4 ? iconKey(firstWord) : "",
    iconKey(domainLabel(issuer) ?? ""),
    iconKey(domainLabel(name) ?? ""),
  ];
  for (const key of candidates) {
    const icon = key === "" ? undefined : index.get(key);
    if (icon) return icon;
  }
  return undefined;
}

class IssuerIcons {
  #index: ReadonlyMap<string, IssuerIcon> | undefined = $state.raw();
  #loading = false;

  /** Loads the table (once); rows update when it arrives. */
  load(): void {
    if (this.#loading) return;
    this.#loading = true;
    void import("virtual:issuer-icons").then((module) => {
      this.#index = indexIcons(module.default);
    });
  }

  /** The icon for an account, once the table is loaded. */
  for(issuer: string, name: string): IssuerIcon | undefined {
    return this.#index ? matchIcon(this.#index, issuer, name) : undefined;
  }
}

export const issuerIcons = new IssuerIcons();
