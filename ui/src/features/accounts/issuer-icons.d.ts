/** Built by vite.config.ts from simple-icons: [slug, names, hex colour, SVG path (24 × 24)]. */
declare module "virtual:issuer-icons" {
  const icons: readonly (readonly [string, readonly string[], string, string])[];
  export default icons;
}
