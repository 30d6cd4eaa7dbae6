// The console's pure parts: routes, the settings diff, the embed snippet, the API's error sentences.
import { describe, expect, it } from "vitest";
import { errorOf } from "../src/api/errors";
import { s3Message } from "../src/api/upload";
import { passwordProblem } from "../src/pages/Auth";
import { contentTypeOf } from "../src/pages/Documents";
import { snippet } from "../src/pages/Embed";
import { applyFrame, type Turn } from "../src/pages/Playground";
import { changes } from "../src/pages/Settings";
import { amount, resetDay } from "../src/pages/Usage";
import { parseRoute } from "../src/router";

describe("routes", () => {
  it("reads chatbot tabs from the hash and sends anything else to not-found", () => {
    expect(parseRoute("")).toEqual({ page: "chatbots" });
    expect(parseRoute("#/chatbots/abc")).toEqual({ page: "chatbot", id: "abc", tab: "settings" });
    expect(parseRoute("#/chatbots/abc/playground")).toEqual({ page: "chatbot", id: "abc", tab: "playground" });
    expect(parseRoute("#/chatbots/abc/secrets")).toEqual({ page: "missing" });
    expect(parseRoute("#/signup")).toEqual({ page: "signup" });
    expect(parseRoute("#/keys")).toEqual({ page: "keys" });
    expect(parseRoute("#/chatbots/abc/analytics")).toEqual({ page: "chatbot", id: "abc", tab: "analytics" });
    expect(parseRoute("#/usage")).toEqual({ page: "usage" });
  });
});

describe("usage", () => {
  it("shows stored bytes in MB or GB and other counters as numbers", () => {
    expect(amount("stored_bytes", 100_000_000)).toBe("100 MB");
    expect(amount("stored_bytes", 2_500_000_000)).toBe("2.5 GB");
    expect(amount("questions", 10_000)).toBe("10,000");
  });

  it("names the day the monthly counts reset in UTC", () => {
    expect(resetDay("2026-12-01T00:00:00Z")).toBe("1 Dec 2026");
  });
});

describe("settings", () => {
  const before = {
    name: "Support",
    description: "",
    system_prompt: "",
    welcome_message: "",
    model_name: "gpt-4o-mini",
    temperature: "0.2",
    max_tokens: "512",
    top_k: "5",
    visibility: "private",
    allowed_origins: "",
    chunk_size: "400",
    chunk_overlap: "60",
    redact_pii: true,
    min_relevance: "",
    handoff_timeout_seconds: "120",
  };

  it("sends only what changed, in the API's types", () => {
    const after = {
      ...before,
      temperature: "0.7",
      visibility: "public",
      allowed_origins: "https://shop.example\nhttps://www.shop.example",
      redact_pii: false,
    };
    expect(changes(before, after)).toEqual({
      temperature: 0.7,
      visibility: "public",
      allowed_origins: ["https://shop.example", "https://www.shop.example"],
      redact_pii: false,
    });
    expect(changes(before, before)).toEqual({});
  });
});

describe("embed snippet", () => {
  it("holds the key and the chosen look, escaped, and leaves defaults out", () => {
    const look = { title: 'Ask "us"', color: "#ff0000", position: "bottom-left" as const, welcome: "", lang: "de" };
    expect(snippet("https://c.example/widget.js", "pk_abc", look)).toBe(
      '<script src="https://c.example/widget.js" data-key="pk_abc" data-title="Ask &quot;us&quot;" ' +
        'data-color="#ff0000" data-position="bottom-left" data-lang="de" async></script>',
    );
  });
});

describe("errors", () => {
  it("shows Parley's message, API Gateway's message, or the status", async () => {
    const parley = Response.json({ error: { code: "not_found", message: "Chatbot not found" } }, { status: 404 });
    expect((await errorOf(parley)).message).toBe("Chatbot not found");
    const gateway = Response.json({ message: "Unauthorized" }, { status: 401 });
    expect((await errorOf(gateway)).message).toBe("Unauthorized");
    const page = new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" });
    expect((await errorOf(page)).message).toBe("The server answered 502 Bad Gateway");
    expect(s3Message("<Error><Code>EntityTooLarge</Code><Message>Too big</Message></Error>", 400)).toBe(
      "The storage refused the file: Too big",
    );
  });

  it("checks the password rule before sending", () => {
    expect(passwordProblem("short-1")).toMatch(/12 characters/);
    expect(passwordProblem("no-digits-at-all")).toMatch(/digit/);
    expect(passwordProblem("correct-horse-1")).toBeNull();
  });
});

describe("uploads and answers", () => {
  it("names a Markdown file's type when the browser does not", () => {
    expect(contentTypeOf(new File(["# x"], "guide.md"))).toBe("text/markdown");
  });

  it("builds the answer from its frames", () => {
    let turn: Turn = { role: "assistant", content: "", citations: [], answerable: true, streaming: true };
    turn = applyFrame(turn, { type: "token", text: "Llamas " });
    turn = applyFrame(turn, { type: "token", text: "hum." });
    turn = applyFrame(turn, {
      type: "done",
      answerable: false,
      mode: "extractive",
      degraded: false,
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    expect(turn).toMatchObject({ content: "Llamas hum.", streaming: false, answerable: false });
  });

  it("keeps the answer's id from its start frame, so that it can be rated", () => {
    const turn: Turn = { role: "assistant", content: "", citations: [], answerable: true, streaming: true };

    const started = applyFrame(turn, { type: "start", conversation_id: "c1", message_id: "m1" });

    expect(started).toMatchObject({ messageId: "m1", streaming: true });
  });
});
