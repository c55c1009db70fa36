import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import ts from "typescript-eslint";
import svelteConfig from "./svelte.config.js";

const STORES_ONLY = "Call Rust through the feature's store (src/features/<feature>/*.svelte.ts), not from a component.";

export default defineConfig(
  {
    // bindings.ts is generated from Rust by tauri-specta: not ours to lint.
    ignores: ["dist/", "node_modules/", "src/ipc/bindings.ts"],
  },
  js.configs.recommended,
  ts.configs.strictTypeChecked,
  ts.configs.stylisticTypeChecked,
  svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: [".svelte"],
      },
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: {
      parserOptions: {
        parser: ts.parser,
        svelteConfig,
      },
    },
  },
  {
    // Components read stores and call their methods: every IPC call and event subscription is a store's.
    files: ["**/*.svelte"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/ipc/bindings"],
              importNames: ["commands", "events"],
              message: STORES_ONLY,
            },
            {
              group: ["**/ipc/client"],
              importNames: ["call", "unwrap", "listenWhileMounted"],
              message: STORES_ONLY,
            },
            {
              group: ["@tauri-apps/api/*"],
              message: STORES_ONLY,
            },
          ],
        },
      ],
    },
  },
  {
    files: ["*.config.js", "*.config.ts"],
    languageOptions: {
      globals: { ...globals.node },
    },
  },
  {
    rules: {
      "no-console": "error",
      eqeqeq: "error",
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
);
