// @vitest-environment happy-dom
// The chatbots' list rendered: a chatbot being deleted is listed as such until its erasure ends, with nothing to
// open; an active one is a link to its settings. (In the browser tests the erasure may end before the list loads.)
import { h } from "preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Api, Chatbot, Page } from "../src/api/client";
import { Chatbots } from "../src/pages/Chatbots";
import { mount, unmountAll } from "./mount";

const chatbot = (id: string, name: string, status: Chatbot["status"]) =>
  ({ id, name, status, visibility: "private", model_name: "gpt-4o-mini" }) as Chatbot;

function show(listed: Chatbot[]): HTMLElement {
  const api = {
    chatbots: async (): Promise<Page<Chatbot>> => ({ items: listed, next_cursor: null }),
    answerOptions: async () => ({ mode: "model" }),
  } as unknown as Api;
  return mount(api, h(Chatbots, {}));
}

describe("the chatbots' list", () => {
  afterEach(unmountAll);

  it("lists a chatbot being deleted as such, with no link, and an active one as a link to its settings", async () => {
    const root = show([chatbot("c1", "Llama care", "active"), chatbot("c2", "Old bot", "deleting")]);

    const [active, deleting] = await vi.waitFor(() => {
      const rows = [...root.querySelectorAll<HTMLTableRowElement>("tbody tr")];
      expect(rows).toHaveLength(2);
      return rows;
    });

    expect(active.querySelector("a")?.getAttribute("href")).toBe("#/chatbots/c1/settings");
    expect(active.querySelector('[data-label="Status"]')?.textContent).toBe("Active");
    expect(deleting.querySelector('[data-label="Name"]')?.textContent).toBe("Old bot");
    expect(deleting.querySelector("a")).toBeNull();
    expect(deleting.querySelector('[data-label="Status"]')?.textContent).toBe("Being deleted");
  });
});
