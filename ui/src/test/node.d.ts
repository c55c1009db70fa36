/**
 * The two Node functions the stylesheet tests read files with. The app's
 * type program has no Node types (it runs in a webview); its tests run in
 * Node.
 */
declare module "node:fs" {
  export function readFileSync(path: string, encoding: "utf8"): string;
}

declare module "node:url" {
  export function fileURLToPath(url: string): string;
}
