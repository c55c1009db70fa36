/** The destinations of the navigation rail, in display order. */
export const SCREEN_IDS = ["accounts", "add", "transfer", "servers", "settings"] as const;

export type ScreenId = (typeof SCREEN_IDS)[number];

export const DEFAULT_SCREEN: ScreenId = "accounts";

/** The name a person sees (and a screen reader announces) for each screen. */
export const SCREEN_LABELS: Readonly<Record<ScreenId, string>> = {
  accounts: "Accounts",
  add: "Add",
  transfer: "Import / Export",
  servers: "Servers",
  settings: "Settings",
};

