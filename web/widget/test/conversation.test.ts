import type { Citation, ServerFrame } from "@parley/contract";
import { describe, expect, it } from "vitest";
import { type ChatEvent, type ChatState, initialState, offersPerson, reduce } from "../src/conversation";

const CITATION: Citation = {
  document_id: "doc1",
  filename: "llamas.pdf",
  chunk_id: "doc1#0",
  score: 0.8,
  snippet: "Llamas eat grass.",
  page: 2,
};

function run(events: ChatEvent[], from: ChatState = initialState): ChatState {
  return events.reduce(reduce, from);
}

const frame = (value: ServerFrame): ChatEvent => ({ type: "frame", frame: value });
const open: ChatEvent = { type: "link", link: "open" };

describe("a streamed answer", () => {
  it("grows token by token, then carries its citations and ends done", () => {
    const state = run([
      open,
      { type: "asked", question: "What do llamas eat?" },
      { type: "sent" },
      frame({ type: "start", conversation_id: "c1", message_id: "m1" }),
      frame({ type: "token", text: "Llamas eat " }),
      frame({ type: "token", text: "grass." }),
      frame({ type: "citations", citations: [CITATION] }),
      frame({
        type: "done",
        usage: {},
        mode: "extractive",
        degraded: false,
        answerable: true,
      }),
    ]);

    expect(state.conversationId).toBe("c1");
    expect(state.busy).toBe(false);
    expect(state.entries.map(({ role, text, status }) => [role, text, status])).toEqual([
      ["visitor", "What do llamas eat?", "sent"],
      ["assistant", "Llamas eat grass.", "done"],
    ]);
    expect(state.entries[1].citations).toEqual([CITATION]);
    // and how it was made: quotes from the documents (no model configured), which the panel says
    expect(state.entries[1]).toMatchObject({ mode: "extractive", answerable: true });
  });

  it("is streaming until done, and the composer waits for it", () => {
    const state = run([
      open,
      { type: "asked", question: "Hi" },
      { type: "sent" },
      frame({ type: "start", conversation_id: "c1", message_id: "m1" }),
      frame({ type: "token", text: "Hel" }),
      { type: "asked", question: "Another one" },
    ]);

    expect(state.busy).toBe(true);
    expect(state.entries.at(-1)).toMatchObject({ role: "assistant", text: "Hel", status: "streaming" });
    expect(state.entries.filter((entry) => entry.role === "visitor")).toHaveLength(1);
  });
});

describe("errors", () => {
  it("show a rate limit with its wait, and free the composer", () => {
    const state = run([
      open,
      { type: "asked", question: "Again?" },
      { type: "sent" },
      frame({ type: "error", code: "rate_limited", message: "Too many requests", retry_after: 42 }),
    ]);

    expect(state.busy).toBe(false);
    expect(state.notice).toEqual({ kind: "error", code: "rate_limited", message: "Too many requests", retryAfter: 42 });
  });

  it("mark an answer cut short as interrupted, keeping its words", () => {
    const state = run([
      open,
      { type: "asked", question: "Tell me" },
      { type: "sent" },
      frame({ type: "start", conversation_id: "c1", message_id: "m1" }),
      frame({ type: "token", text: "Half an" }),
      frame({ type: "error", code: "stream_interrupted", message: "The answer was cut short", retry_after: null }),
    ]);

    expect(state.entries.at(-1)).toMatchObject({ text: "Half an", status: "interrupted" });
    expect(state.notice).toMatchObject({ kind: "error", message: "The answer was cut short" });
  });

  it("turn the chat off when the site is no longer allowed", () => {
    const state = run([
      open,
      { type: "asked", question: "Hi" },
      { type: "sent" },
      frame({ type: "error", code: "origin_not_allowed", message: "This website may not use this chatbot" }),
      { type: "asked", question: "Hello?" },
    ]);

    expect(state.link).toBe("refused");
    expect(state.busy).toBe(false);
    expect(state.entries).toHaveLength(1);
  });
});

describe("the connection", () => {
  it("holds a question typed while reconnecting until it is sent", () => {
    const waiting = run([{ type: "link", link: "reconnecting" }, { type: "asked", question: "Still there?" }]);
    const sent = run([open, { type: "sent" }], waiting);

    expect(waiting.pending).toBe("Still there?");
    expect(waiting.notice).toEqual({ kind: "queued" });
    expect(waiting.entries[0].status).toBe("queued");
    expect(sent.pending).toBeNull();
    expect(sent.notice).toBeNull();
    expect(sent.entries[0].status).toBe("sent");
  });

  it("refuses clearly a question waiting when the site turns out not to be allowed", () => {
    const state = run([
      { type: "link", link: "connecting" },
      { type: "asked", question: "Hi?" },
      { type: "link", link: "refused" },
    ]);

    expect(state.pending).toBeNull();
    expect(state.busy).toBe(false);
    expect(state.entries[0].status).toBe("unsent");
  });

  it("marks the answer interrupted when the connection drops mid-stream, and keeps the conversation", () => {
    const state = run([
      open,
      { type: "asked", question: "Tell me" },
      { type: "sent" },
      frame({ type: "start", conversation_id: "c1", message_id: "m1" }),
      frame({ type: "token", text: "Llamas" }),
      { type: "link", link: "reconnecting" },
    ]);

    expect(state.entries.at(-1)).toMatchObject({ text: "Llamas", status: "interrupted" });
    expect(state.notice).toEqual({ kind: "interrupted" });
    expect(state.busy).toBe(false);
    expect(state.conversationId).toBe("c1");
  });

  it("ignores frames of a type it does not know", () => {
    const before = run([open]);

    expect(reduce(before, frame({ type: "typing" } as unknown as ServerFrame))).toBe(before);
  });
});

describe("ratings", () => {
  const answered = [
    open,
    { type: "asked", question: "What do llamas eat?" },
    { type: "sent" },
    frame({ type: "start", conversation_id: "c1", message_id: "m1" }),
    frame({ type: "token", text: "Grass." }),
    frame({ type: "done", usage: {}, mode: "extractive", degraded: false, answerable: true }),
  ] satisfies ChatEvent[];

  it("keep the answer's id, show the visitor's rating at once, and let a new rating replace it", () => {
    const rated = run([...answered, { type: "rated", messageId: "m1", rating: "up" }]);
    const changed = run([{ type: "rated", messageId: "m1", rating: "down" }], rated);

    expect(rated.entries.at(-1)).toMatchObject({ messageId: "m1", rating: "up" });
    expect(changed.entries.at(-1)?.rating).toBe("down");
    expect(changed.entries[0]?.rating).toBeUndefined();
  });

  it("take the server's confirmation as the rating, and ignore one for an answer not shown", () => {
    const confirmed = run([...answered, frame({ type: "feedback", message_id: "m1", rating: "down" })]);
    const unknown = run([frame({ type: "feedback", message_id: "other", rating: "up" })], confirmed);

    expect(confirmed.entries.at(-1)?.rating).toBe("down");
    expect(unknown.entries).toEqual(confirmed.entries);
  });
});

describe("handoff to a person", () => {
  const abstained = [
    open,
    { type: "asked", question: "Who won in 1998?" } as ChatEvent,
    { type: "sent" } as ChatEvent,
    frame({ type: "start", conversation_id: "c1", message_id: "m1" }),
    frame({ type: "token", text: "I couldn't find this in this chatbot's documents." }),
    frame({ type: "done", usage: {}, mode: "extractive", degraded: false, answerable: false }),
  ];

  it("is offered after an answer that found nothing, or one rated down, and not while a person is awaited", () => {
    const answered = run([
      open,
      { type: "asked", question: "What do llamas eat?" },
      { type: "sent" },
      frame({ type: "start", conversation_id: "c1", message_id: "m1" }),
      frame({ type: "done", usage: {}, mode: "llm", degraded: false, answerable: true }),
    ]);
    expect(offersPerson(answered)).toBe(false);
    expect(offersPerson(run([{ type: "rated", messageId: "m1", rating: "down" }], answered))).toBe(true);
    const state = run(abstained);
    expect(offersPerson(state)).toBe(true);

    const waiting = run([frame({ type: "handoff", conversation_id: "c1", status: "waiting_for_human" })], state);
    expect(waiting.handoff?.status).toBe("waiting_for_human");
    expect(offersPerson(waiting)).toBe(false);
  });

  it("shows a person's message as theirs, and frees the composer when a held message is acknowledged", () => {
    const state = run([
      ...abstained,
      frame({ type: "handoff", conversation_id: "c1", status: "with_human" }),
      frame({ type: "person", conversation_id: "c1", message_id: "m2", text: "Ada here." }),
      { type: "asked", question: "Thanks!" },
      { type: "sent" },
      frame({ type: "handoff", conversation_id: "c1", status: "with_human", message_id: "m3" }),
    ]);

    const person = state.entries.find((entry) => entry.role === "person");
    expect(person).toMatchObject({ text: "Ada here.", status: "done" });
    expect(state.busy).toBe(false);
  });
});
