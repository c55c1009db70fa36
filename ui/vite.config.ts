import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * `virtual:issuer-icons`: every simple-icons (CC0) brand icon as
 * [slug, names, hex, path], the names being its title and aliases; built
 * from the npm package at build time, bundled, never fetched.
 */
function issuerIcons(): Plugin {
  const id = "virtual:issuer-icons";
  return {
    name: "tessera-issuer-icons",
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    async load(resolved) {
      if (resolved !== `\0${id}`) return undefined;
      const require = createRequire(import.meta.url);
      const dataFile = require.resolve("simple-icons/icons.json");
      const data = JSON.parse(readFileSync(dataFile, "utf8")) as { slug: string; title: string; aliases?: { aka?: string[] } }[];
      const icons = (await import("simple-icons")) as unknown as Record<string, { slug: string; title: string; hex: string; path: string }>;
      const bySlug = new Map(Object.values(icons).map((icon) => [icon.slug, icon]));
      const table = data.flatMap((entry) => {
        const icon = bySlug.get(entry.slug);
        return icon ? [[icon.slug, [icon.title, ...(entry.aliases?.aka ?? [])], icon.hex, icon.path]] : [];
      });
      return `export default JSON.parse(${JSON.stringify(JSON.stringify(table))});`;
    },
  };
}

// Tauri loads the built files from ui/dist (tauri.conf.json `frontendDist`)
// and the dev server from http://localhost:5173 (`devUrl`).
export default defineConfig({
  base: "./",
  plugins: [svelte(), svelteTesting(), issuerIcons()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The webview supports module preload natively; the polyfill is not needed.
    modulePreload: { polyfill: false },
    // The issuer icon table (about 4.7 MB) is one chunk of its own, loaded
    // after the first live codes; the app itself stays far below this.
    chunkSizeWarningLimit: 5000,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["./src/test/setup.ts"],
    restoreMocks: true,
  },
});
