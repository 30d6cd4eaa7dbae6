// @vitest-environment happy-dom
// The Sources tab rendered: it reads a syncing source again every two seconds until it is ready, and reads nothing
// again when nothing syncs; a page's address is a link only when it is a web page's, opened in a new tab.
import { h, render } from "preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Api, Chatbot, Page, Source, SourcePage } from "../src/api/client";
import { Sources } from "../src/pages/Sources";
import { PageLink } from "../src/pages/SourceView";
import { POLL_MS } from "../src/poll";
import { mount, unmountAll } from "./mount";

// Long enough for the list's first load and the effects that follow a render (Preact runs them after a paint).
const SETTLE_MS = 500;
const chatbot = { id: "c1", name: "Llama care" } as Chatbot;
const website = (status: Source["status"], indexed = 0): Source => ({
  id: "s1",
  type: "website",
  status,
  title: "https://farm.example/",
  url: "https://farm.example/",
  mode: "crawl",
  max_pages: 50,
  counts: { found: 3, indexed, failed: 0, skipped: 0 },
  created_at: "2026-11-30T10:00:00Z",
  updated_at: `2026-11-30T10:00:0${indexed}Z`,
});

/** An API whose source reads answer `reads` in turn (the last one again after), and counts them. */
function fakeApi(listed: Source[], reads: Source[]) {
  const calls = { source: 0, pages: 0 };
  const api = {
    sources: async (): Promise<Page<Source>> => ({ items: listed, next_cursor: null }),
    source: async (): Promise<Source> => reads[Math.min(calls.source++, reads.length - 1)],
    sourcePages: async (): Promise<Page<SourcePage>> => {
      calls.pages++;
      return { items: [], next_cursor: null };
    },
  };
  return { api: api as unknown as Api, calls };
}

function show(api: Api): HTMLElement {
  return mount(api, h(Sources, { chatbot }));
}

describe("the Sources tab", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    unmountAll();
    vi.useRealTimers();
  });

  it("reads a syncing website again every two seconds, shows its progress, and stops once it is ready", async () => {
    const { api, calls } = fakeApi([website("syncing")], [website("syncing", 1), website("ready", 3)]);

    const root = show(api);
    await vi.advanceTimersByTimeAsync(SETTLE_MS + POLL_MS);
    expect(calls.source).toBe(1);
    expect(root.querySelector("tbody tr")?.textContent).toContain("Syncing");
    await vi.advanceTimersByTimeAsync(POLL_MS);
    await vi.advanceTimersByTimeAsync(20 * POLL_MS);

    expect(calls.source).toBe(2);
    const row = root.querySelector("tbody tr");
    expect(row?.getAttribute("data-status")).toBe("ready");
    expect(row?.textContent).toContain("Ready");
  });

  it("reads nothing again when no source syncs", async () => {
    const { api, calls } = fakeApi([website("ready", 3)], [website("ready", 3)]);

    const root = show(api);
    await vi.advanceTimersByTimeAsync(20 * POLL_MS);

    expect(root.querySelector("tbody tr")?.textContent).toContain("Ready");
    expect(calls.source).toBe(0);
  });
});

describe("a page's address", () => {
  afterEach(() => {
    document.body.innerHTML = "";
  });

  function shown(url: string): HTMLElement {
    const cell = document.createElement("td");
    document.body.append(cell);
    render(h(PageLink, { url }), cell);
    return cell;
  }

  it("links to the page in a new tab that cannot reach the console", () => {
    const link = shown("https://farm.example/wool").querySelector("a");

    expect(link?.getAttribute("href")).toBe("https://farm.example/wool");
    expect(link?.getAttribute("target")).toBe("_blank");
    expect(link?.getAttribute("rel")).toBe("noopener noreferrer");
  });

  it("stays text when it is no web page's", () => {
    const cell = shown("javascript:alert(1)");

    expect(cell.querySelector("a")).toBeNull();
    expect(cell.textContent).toBe("javascript:alert(1)");
  });
});
