// A console page mounted for a test, in the console's context with the test's API, and unmounted after the test:
// unmounting ends its effects and timers (removing its elements alone would leave them running).
import { type ComponentChild, h, render } from "preact";
import type { Api } from "../src/api/client";
import { type Console, ConsoleContext } from "../src/context";

const mounted: HTMLElement[] = [];

export function mount(api: Api, page: ComponentChild): HTMLElement {
  const root = document.createElement("div");
  document.body.append(root);
  render(h(ConsoleContext.Provider, { value: { api } as Console }, page), root);
  mounted.push(root);
  return root;
}

export function unmountAll(): void {
  for (const root of mounted.splice(0)) render(null, root);
  document.body.innerHTML = "";
}
