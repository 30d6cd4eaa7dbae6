// @vitest-environment happy-dom
// The panel as the visitor sees it: greeted on a site the chatbot allows, told plainly (and not greeted) on one it
// does not; an answer made of quotes (no model configured) says so; a web page's citation is named by its title.
import { describe, expect, it } from "vitest";
import { type ChatState, initialState } from "../src/conversation";
import { parseOptions } from "../src/options";
import { ChatPanel, documentName, type PanelActions } from "../src/panel";
import { LANGUAGES } from "../src/strings";

const KEY = `pk_${"a".repeat(32)}`;
const ACTIONS: PanelActions = { opened() {}, closed() {}, asked() {}, rated() {}, requestedPerson() {}, leftContact() {} };
const CHATBOT = { id: "c1", name: "Llama care", welcome_message: "Hi! Ask me about llamas." };

function panelShowing(state: ChatState): ShadowRoot {
  const root = document.createElement("div").attachShadow({ mode: "open" });
  const { options } = parseOptions({ key: KEY }, ["en"]);
  const panel = new ChatPanel(root, options!, LANGUAGES.en!, ACTIONS);
  panel.render(state);
  return root;
}

const visible = (element: Element | null): boolean => element !== null && !(element as HTMLElement).hidden;

describe("the panel", () => {
  it("greets a visitor of a site the chatbot allows, with somewhere to type", () => {
    const root = panelShowing({ ...initialState, link: "open", chatbot: CHATBOT as ChatState["chatbot"] });

    expect(root.querySelector(".welcome")!.textContent).toBe("Hi! Ask me about llamas.");
    expect(visible(root.querySelector(".welcome"))).toBe(true);
    expect(visible(root.querySelector(".composer"))).toBe(true);
  });

  it("does not greet a visitor of a site the chatbot does not allow: it says the chat is not available there", () => {
    const root = panelShowing({ ...initialState, link: "refused" });

    const status = root.querySelector("[role=status]")!;
    expect(status.textContent).toBe("This chat is not available on this website.");
    expect(status.classList.contains("closed")).toBe(true);
    expect(visible(root.querySelector(".welcome"))).toBe(false);
    expect(visible(root.querySelector(".composer"))).toBe(false);
  });

  it("labels an answer made of quotes from the documents, and only such an answer", () => {
    const cited = { document_id: "d1", filename: "guide.md", chunk_id: "d1#0", score: 0.8, snippet: "Llamas hum." };
    const answer = (mode: string, answerable: boolean, id: number, citations = [cited]) => ({
      id,
      role: "assistant" as const,
      text: "Llamas hum when they are calm. [1]",
      citations,
      status: "done" as const,
      mode,
      answerable,
    });
    const root = panelShowing({
      ...initialState,
      link: "open",
      entries: [
        answer("extractive", true, 1),
        answer("llm", true, 2),
        answer("extractive", false, 3, []),
        answer("extractive", true, 4, []),
      ],
    });

    const labels = [...root.querySelectorAll(".message.assistant")].map((bubble) => bubble.querySelector(".label"));
    expect(labels.map((label) => label?.textContent ?? null)).toEqual(["Quoted from the documents", null, null, null]);
  });
});

describe("a cited document's name", () => {
  it("is its name (a web page's title), or for a page named by its address the end of its path", () => {
    const url = "https://shop.example.com/help/returns";
    expect(documentName("Returns and refunds", url)).toBe("Returns and refunds");
    expect(documentName(url, url)).toBe("returns");
    expect(documentName("https://shop.example.com/", "https://shop.example.com/")).toBe("shop.example.com");
    expect(documentName("guide.pdf", null)).toBe("guide.pdf");
  });
});
