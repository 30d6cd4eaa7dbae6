// @vitest-environment happy-dom
// The playground's answers: a web page's citation links to the page, in a new tab (a file's and a Q&A pair's do
// not), and a Q&A pair's answer is marked as such.
import type { Citation } from "@parley/contract";
import { h, render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import { externalHref } from "../src/links";
import { applyFrame, CitationView, type Turn, TurnView } from "../src/pages/Playground";

const cited = (change: Partial<Citation> = {}): Citation => ({
  document_id: "d1",
  filename: "guide.pdf",
  chunk_id: "d1#0",
  score: 0.8,
  snippet: "Llamas hum when they are calm.",
  ...change,
});

function shown(citation: Citation): HTMLElement {
  const list = document.createElement("ol");
  document.body.append(list);
  render(h(CitationView, { number: 1, citation }), list);
  return list;
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("citations", () => {
  it("link a web page's citation to the page, opened in a new tab without access to the console", () => {
    const url = "https://shop.example.com/help/returns";

    const item = shown(cited({ filename: url, url, source_id: "s1" }));

    const links = item.querySelectorAll("a");
    expect(links).toHaveLength(1);
    expect(links[0]!.getAttribute("href")).toBe(url);
    expect(links[0]!.getAttribute("target")).toBe("_blank");
    expect(links[0]!.getAttribute("rel")).toBe("noopener");
    expect(links[0]!.textContent).toBe("Open page");
  });

  it("show a file's citation, and a Q&A pair's, with no link", () => {
    const file = shown(cited({ page: 3 }));
    const pair = shown(cited({ filename: "How long does shipping take?", snippet: "3 to 5 days.", source_id: "s2" }));

    expect(file.querySelectorAll("a")).toHaveLength(0);
    expect(file.querySelector("button")!.textContent).toBe("[1] guide.pdf, page 3");
    expect(pair.querySelectorAll("a")).toHaveLength(0);
    expect(pair.querySelector("button")!.textContent).toBe("[1] How long does shipping take?");
  });

  it("never link an address that is not a web page's", () => {
    expect(shown(cited({ url: "javascript:alert(1)" })).querySelectorAll("a")).toHaveLength(0);
    expect(externalHref("data:text/html,hi")).toBeNull();
    expect(externalHref("not a url")).toBeNull();
  });
});

describe("a Q&A pair's answer", () => {
  it("is marked as the pair's once its done frame says so", () => {
    let turn: Turn = { role: "assistant", content: "", citations: [], answerable: true, streaming: true };
    turn = applyFrame(turn, { type: "token", text: "3 to 5 days." });
    turn = applyFrame(turn, {
      type: "done",
      answerable: true,
      mode: "qa",
      degraded: false,
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });

    const list = document.createElement("ol");
    document.body.append(list);
    render(h(TurnView, { turn, chatbotId: "c1" }), list);

    expect(turn.mode).toBe("qa");
    expect(list.querySelector(".badge")?.textContent).toBe("A Q&A pair's answer");
  });
});
