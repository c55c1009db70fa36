/**
 * Tells Rust, once per page load and kind, that the first screen the user
 * can act on has been painted: the first live codes, or a vault gate
 * (unlock, first run, cannot open). Rust then registers the global shortcut
 * (kept out of start-up) and, under `make bench-startup`, notes the time of
 * the first live code.
 */
import { commands, type FirstScreen } from "../ipc/bindings";
import { call } from "../ipc/client";

const reported = new Set<FirstScreen>();

export function reportFirstScreen(screen: FirstScreen): void {
  if (reported.has(screen)) return;
  reported.add(screen);
  // Two frames: the screen is in the DOM after the first, painted by the second.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      call(commands.reportFirstScreen(screen)).catch(() => undefined);
    }),
  );
}
