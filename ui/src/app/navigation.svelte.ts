/**
 * Which screen the shell shows. One instance per shell, shared with the
 * screens through context so a screen can send the user elsewhere.
 */
import { createContext } from "svelte";
import { DEFAULT_SCREEN, type ScreenId } from "./screens";

export class Navigation {
  current: ScreenId = $state(DEFAULT_SCREEN);

  constructor(initial: ScreenId = DEFAULT_SCREEN) {
    this.current = initial;
  }

  /** Counts the times a screen was opened afresh ({@link reopen}). */
  visit = $state(0);

  go(screen: ScreenId): void {
    this.current = screen;
  }

  /** Shows `screen` started over, also when it is the one shown, so it
   * loads again what Rust holds for it. */
  reopen(screen: ScreenId): void {
    this.current = screen;
    this.visit += 1;
  }

  isCurrent(screen: ScreenId): boolean {
    return this.current === screen;
  }
}

export const [getNavigation, setNavigation] = createContext<Navigation>();
