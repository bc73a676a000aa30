import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// What jsdom lacks and Radix's popups use.
const element: Partial<Element> = Element.prototype;
element.hasPointerCapture ??= () => false;
element.releasePointerCapture ??= () => undefined;
element.scrollIntoView ??= () => undefined;
const global: Partial<typeof globalThis> = globalThis;
global.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

afterEach(() => {
  cleanup();
  localStorage.clear();
});
