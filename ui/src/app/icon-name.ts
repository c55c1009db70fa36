/** The icons `Icon.svelte` can draw. */
export type IconName = "accounts" | "add" | "transfer" | "servers" | "settings" | "alert" | "info";
