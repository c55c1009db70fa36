/**
 * A small parser of stylesheets into rules with the at-rules around them,
 * for tests that read Tessera's own CSS. It knows the CSS this repository
 * writes (no nesting, no braces inside strings); it is not a general parser.
 */

export interface CssDeclaration {
  property: string;
  value: string;
  important: boolean;
}

export interface CssRule {
  /** The selector list (or keyframe selector) as written, whitespace collapsed. */
  selector: string;
  /** The at-rules the rule sits in, outermost first: `@media (prefers-color-scheme: dark)`. */
  conditions: string[];
  declarations: CssDeclaration[];
}

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim();

function declarations(body: string): CssDeclaration[] {
  const found: CssDeclaration[] = [];
  let depth = 0;
  let start = 0;
  const push = (end: number): void => {
    const text = body.slice(start, end);
    const colon = text.indexOf(":");
    if (colon > 0) {
      const raw = collapse(text.slice(colon + 1));
      const important = /!\s*important$/i.test(raw);
      found.push({
        property: collapse(text.slice(0, colon)).toLowerCase(),
        value: important ? raw.replace(/\s*!\s*important$/i, "") : raw,
        important,
      });
    }
    start = end + 1;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === ";" && depth === 0) push(i);
  }
  push(body.length);
  return found;
}

/** The index of the `}` that closes the block whose `{` is at `open`. */
function closing(css: string, open: number): number {
  let depth = 0;
  for (let i = open; i < css.length; i++) {
    if (css[i] === "{") depth++;
    else if (css[i] === "}" && --depth === 0) return i;
  }
  throw new Error(`unbalanced braces after: ${css.slice(open, open + 60)}`);
}

/** The style rules of `css` (including keyframe blocks), each with the at-rules around it. */
export function parseCss(css: string, conditions: string[] = []): CssRule[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const rules: CssRule[] = [];
  let at = 0;
  for (;;) {
    const open = text.indexOf("{", at);
    if (open === -1) return rules;
    // A statement at-rule (`@import …;`) before the block is not part of its prelude.
    const prelude = collapse(text.slice(at, open).split(";").pop() ?? "");
    const close = closing(text, open);
    const body = text.slice(open + 1, close);
    if (/^@(media|supports|container|layer|keyframes)\b/.test(prelude)) {
      rules.push(...parseCss(body, [...conditions, prelude]));
    } else {
      rules.push({ selector: prelude, conditions, declarations: declarations(body) });
    }
    at = close + 1;
  }
}
