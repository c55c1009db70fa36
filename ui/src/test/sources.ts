/**
 * Tessera's own source files, for tests that check them as text: theme.css
 * read from disk (vitest blanks CSS imports, even `?raw` ones), every
 * component's source and `<style>` blocks, and the TypeScript modules.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One stylesheet: where it comes from (for messages) and its text. */
export interface Sheet {
  file: string;
  css: string;
}

/** ui/, from this file's own path (Vite rewrites `new URL(…, import.meta.url)`, so not that). */
const UI_ROOT = fileURLToPath(import.meta.url).replace(/src[\\/]test[\\/]sources\.ts$/, "");

export function themeSheet(): Sheet {
  const file = "src/app/theme.css";
  return { file, css: readFileSync(UI_ROOT + file, "utf8") };
}

const components = import.meta.glob<string>("/src/**/*.svelte", { query: "?raw", import: "default", eager: true });
const modules = import.meta.glob<string>(["/src/**/*.ts", "!/src/**/*.test.ts", "!/src/test/**"], {
  query: "?raw",
  import: "default",
  eager: true,
});

const byPath = (files: Record<string, string>): Map<string, string> =>
  new Map(Object.entries(files).map(([path, source]) => [path.replace(/^\//, ""), source]));

/** Every component's source, keyed by its path under ui/ (`src/app/NavRail.svelte`). */
export function componentSources(): Map<string, string> {
  return byPath(components);
}

/** The app's TypeScript modules (not tests or test support), keyed like componentSources. */
export function moduleSources(): Map<string, string> {
  return byPath(modules);
}

/** The `<style>` blocks of every component. */
export function componentSheets(): Sheet[] {
  return [...componentSources()].flatMap(([file, source]) =>
    [...source.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((match) => ({ file, css: match[1] ?? "" })),
  );
}
