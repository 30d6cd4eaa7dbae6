// The Sources page's rules: a source's state from its counts, polling only while something syncs, the forms' checks
// (the contract's limits), and the calls the page makes.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Api, type Source } from "../src/api/client";
import { ApiError } from "../src/api/errors";
import type { Session } from "../src/api/session";
import {
  changedFields,
  qaProblem,
  stateOf,
  textProblem,
  urlProblem,
  websiteBody,
  websiteChanges,
  websiteProblem,
  websiteSettingsOf,
} from "../src/pages/sourceRules";
import { POLL_MS, pollUntil } from "../src/poll";
import { parseRoute } from "../src/router";

const website = (change: Partial<Source> = {}): Source => ({
  id: "s1",
  type: "website",
  status: "ready",
  title: "https://docs.example/help/",
  url: "https://docs.example/help/",
  mode: "sitemap",
  max_pages: 50,
  include: [],
  exclude: [],
  counts: { found: 0, indexed: 0, failed: 0, skipped: 0 },
  created_at: "2026-11-30T10:00:00Z",
  updated_at: "2026-11-30T10:00:00Z",
  ...change,
});

describe("a source's state", () => {
  it("says a syncing website is looking for pages until it has found some, then how many are done", () => {
    expect(stateOf(website({ status: "syncing" }))).toEqual({
      badge: "syncing",
      label: "Syncing",
      detail: "Looking for pages…",
    });

    expect(stateOf(website({ status: "syncing", counts: { found: 2, indexed: 0, failed: 0, skipped: 0 } })).detail).toBe(
      "0 of 2 pages done.",
    );
    const state = stateOf(website({ status: "syncing", counts: { found: 12, indexed: 5, failed: 1, skipped: 2 } }));

    expect(state.badge).toBe("syncing");
    expect(state.detail).toBe("8 of 12 pages done: 5 pages indexed, 1 failed, 2 skipped.");
  });

  it("tells a synced website with failed pages from one without", () => {
    const clean = stateOf(website({ counts: { found: 3, indexed: 2, failed: 0, skipped: 1 } }));
    const partial = stateOf(website({ counts: { found: 3, indexed: 1, failed: 2, skipped: 0 } }));

    expect(clean).toEqual({ badge: "ready", label: "Ready", detail: "2 pages indexed, 1 skipped." });
    expect(partial).toEqual({ badge: "partial", label: "Some pages failed", detail: "1 page indexed, 2 failed." });
  });

  it("gives a failed source's reason, and a snippet's or pair's state without page counts", () => {
    expect(stateOf(website({ status: "failed", error: "The sitemap could not be read (404)." }))).toMatchObject({
      badge: "failed",
      detail: "The sitemap could not be read (404).",
    });
    expect(stateOf(website({ type: "text", status: "syncing" }))).toMatchObject({ badge: "syncing", label: "Indexing" });
    expect(stateOf(website({ type: "qa", counts: { found: 1, indexed: 1, failed: 0, skipped: 0 } }))).toMatchObject({
      badge: "ready",
      label: "Ready",
    });
  });
});

describe("polling", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A source whose reads answer `statuses` in turn (the last one again after). */
  function reads(...statuses: Source["status"][]) {
    const read = vi.fn(async () => website({ status: statuses[Math.min(read.mock.calls.length - 1, statuses.length - 1)] }));
    return read;
  }

  it("reads every two seconds while the source syncs and stops once it is ready", async () => {
    const read = reads("syncing", "syncing", "ready");
    const shown: string[] = [];

    pollUntil(read, (source) => source.status !== "syncing", (source) => shown.push(source.status), () => {});
    await vi.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(read).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1 + 2 * POLL_MS);
    expect(shown).toEqual(["syncing", "syncing", "ready"]);
    await vi.advanceTimersByTimeAsync(10 * POLL_MS);

    expect(read).toHaveBeenCalledTimes(3);
  });

  it("stops when the sync failed, and when the page stops it", async () => {
    const failing = reads("syncing", "failed");
    pollUntil(failing, (source) => source.status !== "syncing", () => {}, () => {});
    await vi.advanceTimersByTimeAsync(10 * POLL_MS);
    expect(failing).toHaveBeenCalledTimes(2);

    const endless = reads("syncing");
    const stop = pollUntil(endless, (source) => source.status !== "syncing", () => {}, () => {});
    await vi.advanceTimersByTimeAsync(2 * POLL_MS);
    stop();
    await vi.advanceTimersByTimeAsync(10 * POLL_MS);
    expect(endless).toHaveBeenCalledTimes(2);
  });

  it("reports a failed read and reads again", async () => {
    let calls = 0;
    const read = async () => {
      calls += 1;
      if (calls === 1) throw new TypeError("Failed to fetch");
      return website();
    };
    const errors: unknown[] = [];
    const shown: Source[] = [];

    pollUntil(read, () => true, (source) => shown.push(source), (error) => errors.push(error));
    await vi.advanceTimersByTimeAsync(5 * POLL_MS);

    expect(errors).toHaveLength(1);
    expect(shown).toHaveLength(1);
    expect(calls).toBe(2);
  });
});

describe("the forms' checks", () => {
  const draft = { url: "https://docs.example/", mode: "crawl" as const, maxPages: "50", include: "", exclude: "" };

  it("take http and https addresses of at most 2,048 characters only", () => {
    expect(urlProblem("https://docs.example/help/")).toBeNull();
    expect(urlProblem("http://127.0.0.1:8123/")).toBeNull();
    expect(urlProblem("")).toMatch(/Enter the website's address/);
    expect(urlProblem("ftp://docs.example/")).toMatch(/https:\/\//);
    expect(urlProblem("docs.example")).toMatch(/https:\/\//);
    expect(urlProblem(`https://docs.example/${"a".repeat(2048)}`)).toMatch(/at most 2,048 characters/);
  });

  it("want a whole number of pages from 1, and at most 20 path prefixes from / of 200 characters", () => {
    expect(websiteProblem(draft)).toBeNull();
    expect(websiteProblem({ ...draft, maxPages: "0" })).toMatch(/whole number from 1/);
    expect(websiteProblem({ ...draft, maxPages: "2.5" })).toMatch(/whole number from 1/);
    expect(websiteProblem({ ...draft, maxPages: "" })).toMatch(/whole number from 1/);
    const twenty = Array.from({ length: 20 }, (_, n) => `/p${n}/`).join("\n");
    expect(websiteProblem({ ...draft, include: twenty })).toBeNull();
    expect(websiteProblem({ ...draft, include: `${twenty}\n/one-more/` })).toMatch(/at most 20 paths/);
    expect(websiteProblem({ ...draft, exclude: `/${"x".repeat(200)}` })).toMatch(/at most 200 characters/);
    expect(websiteProblem({ ...draft, exclude: "blog/" })).toMatch(/“blog\/” is no path/);
    expect(websiteProblem({ ...draft, include: "/help me/" })).toMatch(/no spaces/);
  });

  it("send a website as the API takes it: trimmed, prefixes a line each, empty lists left out", () => {
    expect(websiteBody({ ...draft, url: " https://docs.example/ ", include: "/help/\n\n  /faq/ \n" })).toEqual({
      type: "website",
      url: "https://docs.example/",
      mode: "crawl",
      max_pages: 50,
      include: ["/help/", "/faq/"],
    });
  });

  it("send only a website's changed settings, an emptied list as empty", () => {
    const source = website({ max_pages: 20, include: ["/help/"], exclude: ["/blog/"] });
    const settings = websiteSettingsOf(source);

    expect(websiteChanges(source, settings)).toEqual({});
    expect(websiteChanges(source, { ...settings, maxPages: "30", include: "" })).toEqual({ max_pages: 30, include: [] });
  });

  it("want a snippet's title (200) and text (100,000), and a pair's question (500) and answer (5,000)", () => {
    expect(textProblem("Opening hours", "9 to 5")).toBeNull();
    expect(textProblem("  ", "9 to 5")).toMatch(/Enter the title/);
    expect(textProblem("x".repeat(201), "9 to 5")).toMatch(/title has at most 200/);
    expect(textProblem("Hours", "x".repeat(100_001))).toMatch(/text has at most 100,000/);
    expect(textProblem("x".repeat(200), "x".repeat(100_000))).toBeNull();
    expect(qaProblem("Do you ship abroad?", "Yes, to the EU.")).toBeNull();
    expect(qaProblem("x".repeat(501), "Yes")).toMatch(/question has at most 500/);
    expect(qaProblem("Ship?", "")).toMatch(/Enter the answer/);
    expect(qaProblem("Ship?", "x".repeat(5001))).toMatch(/answer has at most 5,000/);
  });

  it("send only a pair's changed fields", () => {
    const before = { question: "Do you ship abroad?", answer: "No." };

    expect(changedFields(before, { question: "Do you ship abroad?", answer: "Yes, to the EU." })).toEqual({
      answer: "Yes, to the EU.",
    });
    expect(changedFields({ title: "Hours", text: null }, { title: "Hours", text: "9 to 5" })).toEqual({ text: "9 to 5" });
  });
});

describe("the Sources API as the page calls it", () => {
  const calls: { path: string; method: string; body: unknown }[] = [];
  const session = {
    fetch: async (path: string, init: RequestInit = {}) => {
      calls.push({ path, method: init.method ?? "GET", body: init.body ? JSON.parse(String(init.body)) : null });
      if (path.endsWith("/sync")) {
        return Response.json({ error: { code: "conflict", message: "A sync is already running." } }, { status: 409 });
      }
      if (path.includes("/pages")) return Response.json({ items: [], next_cursor: null });
      return Response.json(website(), { status: init.method === "POST" ? 201 : 200 });
    },
  } as unknown as Session;
  const api = new Api(session);

  it("posts a pair to the chatbot's sources, reads pages after a cursor, and shows a refused sync's sentence", async () => {
    await api.createSource("bot/1", { type: "qa", question: "Ship?", answer: "Yes." });
    await api.sourcePages("bot/1", "s1", "next=2");
    const refused = await api.syncSource("bot/1", "s1").catch((error: unknown) => error);

    expect(calls).toEqual([
      { path: "/chatbots/bot%2F1/sources", method: "POST", body: { type: "qa", question: "Ship?", answer: "Yes." } },
      { path: "/chatbots/bot%2F1/sources/s1/pages?cursor=next%3D2", method: "GET", body: null },
      { path: "/chatbots/bot%2F1/sources/s1/sync", method: "POST", body: null },
    ]);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 409, message: "A sync is already running." });
  });

  it("live on the chatbot's sources tab", () => {
    expect(parseRoute("#/chatbots/abc/sources")).toEqual({ page: "chatbot", id: "abc", tab: "sources" });
  });
});
