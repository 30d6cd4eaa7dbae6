// @vitest-environment happy-dom
// An answer's sources: a web page's citation links to the page, in a new tab; a file's does not.
import type { Citation } from "@parley/contract";
import { describe, expect, it } from "vitest";
import { drawSources, pageHref } from "../src/panel";
import { LANGUAGES } from "../src/strings";

const cited = (change: Partial<Citation> = {}): Citation => ({
  document_id: "d1",
  filename: "guide.pdf",
  chunk_id: "d1#0",
  score: 0.8,
  snippet: "Llamas hum when they are calm.",
  ...change,
});

describe("sources", () => {
  it("links a web page's citation to the page, opened in a new tab without access to the host page", () => {
    const url = "https://shop.example.com/help/returns";

    const sources = drawSources([cited({ filename: url, url, source_id: "s1" })], LANGUAGES.en!);

    const links = sources.querySelectorAll("a");
    expect(links).toHaveLength(1);
    expect(links[0]!.getAttribute("href")).toBe(url);
    expect(links[0]!.getAttribute("target")).toBe("_blank");
    expect(links[0]!.getAttribute("rel")).toBe("noopener");
    expect(links[0]!.textContent).toBe("Open page");
  });

  it("shows a file's citation, and a Q&A pair's, with no link", () => {
    const pair = cited({ filename: "How long does shipping take?", snippet: "3 to 5 days.", source_id: "s2" });

    const sources = drawSources([cited({ page: 2 }), pair], LANGUAGES.de!);

    expect(sources.querySelectorAll("a")).toHaveLength(0);
    expect([...sources.querySelectorAll("summary")].map((summary) => summary.textContent)).toEqual([
      "guide.pdf, Seite 2",
      "How long does shipping take?",
    ]);
  });

  it("never links an address that is not a web page's", () => {
    expect(pageHref("javascript:alert(1)")).toBeNull();
    expect(pageHref("data:text/html,hi")).toBeNull();
    expect(pageHref("not a url")).toBeNull();
    expect(pageHref(null)).toBeNull();
    expect(pageHref("http://example.com/a b")).toBe("http://example.com/a%20b");
  });
});
