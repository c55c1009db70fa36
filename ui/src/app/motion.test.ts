/**
 * Reduced motion: every transition and animation in theme.css and the
 * components' styles runs only for people who have not asked for less
 * motion, theme.css stops anything else that moves for those who have, and
 * nothing moves from script, which CSS cannot stop.
 */
import { describe, expect, it } from "vitest";
import { parseCss } from "../test/css";
import { componentSheets, componentSources, moduleSources, themeSheet } from "../test/sources";

const MOVES = /^(transition|animation)(-|$)/;
const NO_PREFERENCE = /prefers-reduced-motion:\s*no-preference/;
const REDUCE = /prefers-reduced-motion:\s*reduce/;

/** A declaration that moves nothing: `none`, or zero durations only. */
function still(value: string): boolean {
  return value === "none" || /^(0m?s)(\s*,\s*0m?s)*$/.test(value);
}

describe("reduced motion", () => {
  it("runs every transition and animation only without a reduced-motion preference", () => {
    const moving = [themeSheet(), ...componentSheets()].flatMap((sheet) =>
      parseCss(sheet.css).flatMap((rule) =>
        rule.declarations
          .filter((d) => (MOVES.test(d.property) && !still(d.value)) || (d.property === "scroll-behavior" && d.value === "smooth"))
          .filter(() => !rule.conditions.some((condition) => NO_PREFERENCE.test(condition) || REDUCE.test(condition)))
          .map((d) => `${sheet.file}: ${rule.selector} { ${d.property}: ${d.value} } is not inside @media (prefers-reduced-motion: no-preference)`),
      ),
    );
    expect(moving).toEqual([]);
  });

  it("stops what is left (a library's, a late addition's) for people who asked for less motion", () => {
    const stop = parseCss(themeSheet().css).find(
      (rule) => rule.conditions.some((condition) => REDUCE.test(condition)) && rule.selector.split(",").some((s) => s.trim() === "*"),
    );
    const set = new Map(stop?.declarations.filter((d) => d.important).map((d) => [d.property, d.value]));
    expect(Object.fromEntries(set)).toMatchObject({
      "animation-duration": "0.01ms",
      "animation-iteration-count": "1",
      "transition-duration": "0.01ms",
      "scroll-behavior": "auto",
    });
  });

  it("moves nothing from script, where the CSS rule cannot reach", () => {
    // Svelte's transition:/in:/out:/animate: run on the Web Animations API, and
    // scrolling with behavior "smooth" overrides scroll-behavior: neither sees the media query.
    const directives = [...componentSources()].flatMap(([file, source]) =>
      [...source.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/g, "").matchAll(/\s(transition|in|out|animate):[\w.]+/g)].map(
        (match) => `${file}: ${match[0].trim()}`,
      ),
    );
    const smooth = [...componentSources(), ...moduleSources()]
      .filter(([, source]) => /behavior:\s*["']smooth["']/.test(source))
      .map(([file]) => `${file}: smooth scrolling`);
    const scripted = [...directives, ...smooth];
    expect(scripted).toEqual([]);
  });
});
