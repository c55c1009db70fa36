/**
 * Contrast of the palette in theme.css, light and dark, measured the WCAG 2.x
 * way (relative luminance) for every pairing the components draw: text at
 * least 4.5:1, non-text UI (focus ring, text field edges, the countdown ring)
 * at least 3:1. Translucent colours are composited onto what lies beneath.
 * A new colour token used in a style must be added here, or declared
 * decorative with a reason.
 */
import { describe, expect, it } from "vitest";
import { parseCss, type CssRule } from "../test/css";
import { componentSheets, themeSheet } from "../test/sources";

/** What is drawn decides the minimum: text (any size: no pairing relies on the large-text 3:1), or UI that is not text. */
const MINIMUM = { text: 4.5, ui: 3 } as const;

interface Pairing {
  /** Names the pairing in failure messages. */
  name: string;
  /** A token without its `--color-` prefix, or a CSS colour expression. */
  fg: string;
  bg: string;
  /** What a translucent `bg` is composited onto. */
  under?: string;
  need: keyof typeof MINIMUM;
}

const PAIRINGS: Pairing[] = [
  // Body and titlebar text, the gate's brand, the titlebar's Lock button (quiet).
  { name: "body text on the window", fg: "text", bg: "chrome", need: "text" },
  // Navigation rail destinations; "Opening the vault…" on the gate; account rows' avatar initial and tag labels (chrome pills).
  { name: "muted text on the window", fg: "text-muted", bg: "chrome", need: "text" },
  // Screen content (main), field values (.input), default buttons (.button), tag chips, preview table cells.
  { name: "body text on a surface", fg: "text", bg: "surface", need: "text" },
  // Cards (.card), the quick palette, the enrol stepper, preview table headers, quiet buttons in cards.
  { name: "body text on a card", fg: "text", bg: "surface-raised", need: "text" },
  // Hovered rail destination, button, quiet button, tag chip, account row.
  { name: "body text on hover", fg: "text", bg: "hover", need: "text" },
  // Current rail destination, pressed tag chip, the palette's active match, the empty state's badge.
  { name: "selected text", fg: "selected-text", bg: "selected", need: "text" },
  // Screen leads, hints outside cards, the account count, empty states, account names and "next" codes,
  // HOTP's "no code yet", preview numbers / details / duplicate status, the export result's note.
  { name: "muted text on a surface", fg: "text-muted", bg: "surface", need: "text" },
  // .hint in cards, <dt> in About and server cards, palette names, scan card kinds, waiting enrol steps,
  // used backup codes, disabled quiet buttons in cards.
  { name: "muted text on a card", fg: "text-muted", bg: "surface-raised", need: "text" },
  // Name and next code of a hovered account row.
  { name: "muted text on a hovered row", fg: "text-muted", bg: "hover", need: "text" },
  // Name and next code of the active account row; counts on a pressed tag chip; names in the palette's active match.
  { name: "muted text on selected", fg: "text-muted", bg: "selected", need: "text" },
  // Disabled buttons (.button:disabled): greyed labels that can carry news ("Unlocking…", "Nothing new to import").
  { name: "disabled button label", fg: "text-muted", bg: "hover", need: "text" },
  // Account codes (22 px semibold, large text, held to 4.5 all the same: people read and type them),
  // the skip link, the favourite star, the import preview's "new" count.
  { name: "accent text on a surface", fg: "accent-text", bg: "surface", need: "text" },
  { name: "code on a hovered row", fg: "accent-text", bg: "hover", need: "text" },
  { name: "code on the active row", fg: "accent-text", bg: "selected", need: "text" },
  // "Drop to import" over the Import / Export screen (TransferScreen .drop-hint): 80 % surface over the cards.
  {
    name: "drop hint",
    fg: "accent-text",
    bg: "color-mix(in srgb, var(--color-surface) 80%, transparent)",
    under: "surface-raised",
    need: "text",
  },
  // Primary buttons, resting and hovered.
  { name: "primary button label", fg: "on-accent", bg: "accent", need: "text" },
  { name: "hovered primary button label", fg: "on-accent", bg: "accent-hover", need: "text" },
  // Danger buttons (on their surface background), invalid import rows, the "invalid" count.
  { name: "danger text on a surface", fg: "danger-text", bg: "surface", need: "text" },
  // A failed enrol step, the "2FA pending" badge on a server card.
  { name: "danger text on a card", fg: "danger-text", bg: "surface-raised", need: "text" },
  // .alert, the plain-text export warning, About's problem box, a hovered danger button.
  { name: "error message", fg: "danger-text", bg: "danger-soft", need: "text" },
  // "New" in the import preview table.
  { name: "success text on a surface", fg: "success-text", bg: "surface", need: "text" },
  // "2FA on" badges, server notes, done enrol steps.
  { name: "success text on a card", fg: "success-text", bg: "surface-raised", need: "text" },
  // Toasts are inverted: surface-coloured text on a text-coloured box.
  { name: "toast", fg: "surface", bg: "text", need: "text" },

  // The focus ring (:focus-visible) against what it is drawn on: the rail and titlebar,
  // screen content, cards, the current rail destination (its ring has no offset),
  // the plain-text warning's checkbox.
  { name: "focus ring on the window", fg: "focus", bg: "chrome", need: "ui" },
  { name: "focus ring on a surface", fg: "focus", bg: "surface", need: "ui" },
  { name: "focus ring on a card", fg: "focus", bg: "surface-raised", need: "ui" },
  { name: "focus ring on selected", fg: "focus", bg: "selected", need: "ui" },
  { name: "focus ring on an error box", fg: "focus", bg: "danger-soft", need: "ui" },
  // The toast's action button: ToastRegion rings it in the toast's text colour.
  { name: "focus ring in a toast", fg: "surface", bg: "text", need: "ui" },
  // A text field or select (.input) is found by its edge: against its own fill, and the card or screen around it.
  { name: "text field edge against its fill", fg: "border-input", bg: "surface", need: "ui" },
  { name: "text field edge on a card", fg: "border-input", bg: "surface-raised", need: "ui" },
  // The countdown ring (CountdownRing): what is left against the track, and against the row behind it
  // (resting, hovered, active), in the accent and in the last seconds' danger colour.
  { name: "countdown against its track", fg: "accent", bg: "border", need: "ui" },
  { name: "countdown on a row", fg: "accent", bg: "surface", need: "ui" },
  { name: "countdown on a hovered row", fg: "accent", bg: "hover", need: "ui" },
  { name: "countdown on the active row", fg: "accent", bg: "selected", need: "ui" },
  { name: "ending countdown against its track", fg: "danger", bg: "border", need: "ui" },
  { name: "ending countdown on a row", fg: "danger", bg: "surface", need: "ui" },
  { name: "ending countdown on a hovered row", fg: "danger", bg: "hover", need: "ui" },
  { name: "ending countdown on the active row", fg: "danger", bg: "selected", need: "ui" },
];

/** Colour tokens the styles use that carry nothing a person must tell apart, and why. */
const DECORATIVE: Record<string, string> = {
  "--color-border-strong":
    "edges of controls that their label already identifies (buttons, chips, badges) and of dashed frames; text fields use --color-border-input",
};

type Rgba = readonly [number, number, number, number];
type Palette = ReadonlyMap<string, string>;

function tokens(rule: CssRule): Map<string, string> {
  return new Map(rule.declarations.filter((d) => d.property.startsWith("--color-")).map((d) => [d.property, d.value]));
}

function paletteRule(rules: CssRule[], selector: string, conditions: string[]): CssRule {
  const rule = rules.find((r) => r.selector === selector && r.conditions.join(" ") === conditions.join(" "));
  if (rule === undefined) throw new Error(`theme.css has no ${[...conditions, selector].join(" ")} block`);
  return rule;
}

const rules = parseCss(themeSheet().css);
const light = tokens(paletteRule(rules, ":root", []));
const darkBySystem = tokens(paletteRule(rules, ':root:not([data-theme="light"])', ["@media (prefers-color-scheme: dark)"]));
const darkBySetting = tokens(paletteRule(rules, ':root[data-theme="dark"]', []));
const THEMES: [string, Palette][] = [
  ["light", light],
  ["dark", new Map([...light, ...darkBySetting])],
];

/** Splits on commas outside parentheses. */
function args(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** Evaluates a colour: hex, rgb()/rgba(), transparent, var(--color-…), color-mix(in srgb, …). */
function colour(expression: string, palette: Palette): Rgba {
  const text = expression.trim();
  const token = /^var\((--[\w-]+)\)$/.exec(text)?.[1];
  if (token !== undefined) {
    const value = palette.get(token);
    if (value === undefined) throw new Error(`no ${token} in the palette`);
    return colour(value, palette);
  }
  if (text === "transparent") return [0, 0, 0, 0];
  const hex = /^#([\da-f]{3,8})$/i.exec(text)?.[1];
  if (hex !== undefined) {
    const full = hex.length <= 4 ? hex.replace(/./g, "$&$&") : hex;
    const [r, g, b, a = 255] = (full.match(/../g) ?? []).map((pair) => parseInt(pair, 16));
    if (r === undefined || g === undefined || b === undefined) throw new Error(`bad colour ${text}`);
    return [r, g, b, a / 255];
  }
  const rgb = /^rgba?\((.*)\)$/.exec(text)?.[1];
  if (rgb !== undefined) {
    const [r = 0, g = 0, b = 0, a = "1"] = rgb.split(/[\s,/]+/).filter(Boolean);
    const alpha = a.endsWith("%") ? parseFloat(a) / 100 : parseFloat(a);
    return [Number(r), Number(g), Number(b), alpha];
  }
  const mix = /^color-mix\(in srgb,(.*)\)$/.exec(text)?.[1];
  if (mix !== undefined) {
    const [first, second] = args(mix).map((part) => {
      const percent = /\s(\d+(?:\.\d+)?)%$/.exec(part);
      return { colour: colour(percent ? part.slice(0, percent.index) : part, palette), share: percent ? Number(percent[1]) / 100 : undefined };
    });
    if (first === undefined || second === undefined) throw new Error(`bad color-mix ${text}`);
    const p = first.share ?? (second.share === undefined ? 0.5 : 1 - second.share);
    const q = second.share ?? 1 - p;
    // CSS Color 5: interpolate premultiplied, then divide by the mixed alpha.
    const alpha = first.colour[3] * p + second.colour[3] * q;
    const channel = (i: number): number =>
      alpha === 0 ? 0 : ((first.colour[i] ?? 0) * first.colour[3] * p + (second.colour[i] ?? 0) * second.colour[3] * q) / alpha;
    return [channel(0), channel(1), channel(2), alpha];
  }
  throw new Error(`cannot evaluate the colour ${text}`);
}

/** `top` drawn over the opaque `bottom`. */
function over(top: Rgba, bottom: Rgba): Rgba {
  const channel = (i: 0 | 1 | 2): number => top[i] * top[3] + bottom[i] * (1 - top[3]);
  return [channel(0), channel(1), channel(2), 1];
}

/** WCAG 2.x relative luminance. */
function luminance([r, g, b]: Rgba): number {
  const linear = (channel: number): number => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

function ratio(a: Rgba, b: Rgba): number {
  const [lighter, darker] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (lighter + 0.05) / (darker + 0.05);
}

const expression = (value: string): string =>
  /^[\w-]+$/.test(value) && value !== "transparent" ? `var(--color-${value})` : value;

function measure(pairing: Pairing, palette: Palette): number {
  const white: Rgba = [255, 255, 255, 1];
  const under = pairing.under === undefined ? white : colour(expression(pairing.under), palette);
  const bg = over(colour(expression(pairing.bg), palette), under);
  const fg = over(colour(expression(pairing.fg), palette), bg);
  return ratio(fg, bg);
}

describe("the palette", () => {
  it("has one dark palette, whether the system or Settings asks for it", () => {
    // CSS cannot share one block between a selector inside a media query and one outside it
    // (light-dark() could, but needs Safari 17.5 / WebKitGTK 2.44), so theme.css repeats it.
    expect([...darkBySetting].sort()).toEqual([...darkBySystem].sort());
  });

  it("sets every colour in the dark theme that the light theme sets", () => {
    expect([...darkBySetting.keys()].sort()).toEqual([...light.keys()].sort());
  });

  it.each(THEMES)("meets WCAG AA contrast in the %s theme", (theme, palette) => {
    const failures = PAIRINGS.flatMap((pairing) => {
      const measured = measure(pairing, palette);
      const minimum = MINIMUM[pairing.need];
      return measured >= minimum
        ? []
        : [`${pairing.name} (${pairing.fg} on ${pairing.bg}), ${theme} theme: ${measured.toFixed(2)}:1, needs ${String(minimum)}:1`];
    });
    expect(failures).toEqual([]);
  });

  it("measures every colour token the styles use, or says why it need not", () => {
    const measured = new Set(
      PAIRINGS.flatMap((p) => [p.fg, p.bg, p.under ?? ""]).flatMap((value) =>
        [...expression(value).matchAll(/var\((--color-[\w-]+)\)/g)].map((m) => m[1]),
      ),
    );
    const palettes = new Set([":root", ':root:not([data-theme="light"])', ':root[data-theme="dark"]']);
    const used = [themeSheet(), ...componentSheets()].flatMap((sheet) =>
      parseCss(sheet.css)
        .filter((rule) => !palettes.has(rule.selector))
        .flatMap((rule) => rule.declarations.flatMap((d) => [...d.value.matchAll(/var\((--color-[\w-]+)\)/g)]))
        .map((match) => ({ token: match[1] ?? "", file: sheet.file })),
    );
    const unmeasured = used.filter(({ token }) => !measured.has(token) && !(token in DECORATIVE));
    expect(unmeasured.map(({ token, file }) => `${token} (used in ${file})`)).toEqual([]);
  });

  it("greys disabled controls rather than fading them (faded labels fall below 4.5:1)", () => {
    const faded = [themeSheet(), ...componentSheets()].flatMap((sheet) =>
      parseCss(sheet.css)
        .filter((rule) => rule.selector.includes(":disabled") && rule.declarations.some((d) => d.property === "opacity"))
        .map((rule) => `${sheet.file}: ${rule.selector}`),
    );
    expect(faded).toEqual([]);
  });
});

/** An `hsl()` colour (degrees, percent, percent) in sRGB, 0–255 per channel. */
function hsl(hue: number, saturation: number, lightness: number): Rgba {
  const s = saturation / 100;
  const l = lightness / 100;
  const k = (n: number): number => (n + hue / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => 255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1)));
  return [f(0), f(8), f(4), 1];
}

describe("account avatars", () => {
  const lightness = (rule: CssRule, name: string): number => {
    const value = rule.declarations.find((d) => d.property === name)?.value;
    if (value === undefined) throw new Error(`no ${name} in ${rule.selector}`);
    return parseFloat(value);
  };
  const palettes: [string, CssRule][] = [
    ["light", paletteRule(rules, ":root", [])],
    ["dark (system)", paletteRule(rules, ':root:not([data-theme="light"])', ["@media (prefers-color-scheme: dark)"])],
    ["dark (setting)", paletteRule(rules, ':root[data-theme="dark"]', [])],
  ];

  it("checks the hsl conversion against known colours", () => {
    expect(hsl(0, 100, 50).slice(0, 3)).toEqual([255, 0, 0]);
    expect(hsl(120, 100, 25).slice(0, 3).map(Math.round)).toEqual([0, 128, 0]);
  });

  it.each(palettes)("give the initial 4.5:1 on its fill at every hue in the %s theme", (_theme, rule) => {
    const fill = lightness(rule, "--avatar-fill-lightness");
    const text = lightness(rule, "--avatar-text-lightness");
    const failing: string[] = [];
    for (let hue = 0; hue < 360; hue += 5) {
      // AccountRow.svelte: hsl(var(--hue) 60% text) on hsl(var(--hue) 45% fill).
      const measured = ratio(hsl(hue, 60, text), hsl(hue, 45, fill));
      if (measured < MINIMUM.text) failing.push(`hue ${String(hue)}: ${measured.toFixed(2)}:1`);
    }
    expect(failing).toEqual([]);
  });
});
