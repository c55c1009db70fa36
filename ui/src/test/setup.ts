import "@testing-library/jest-dom/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";

// jsdom has no layout: element sizes are 0 and ResizeObserver is missing.
class NoResizeObserver {
  observe(): void {
    // Nothing ever resizes in jsdom.
  }
  unobserve(): void {
    // Nothing to stop observing.
  }
  disconnect(): void {
    // Nothing to disconnect.
  }
}

if (!("ResizeObserver" in globalThis)) {
  Object.assign(globalThis, { ResizeObserver: NoResizeObserver });
}

afterEach(() => {
  clearMocks();
  delete document.documentElement.dataset.theme;
});
