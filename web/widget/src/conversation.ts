// What the visitor sees of the chat, as a pure function of what happened: questions asked, frames received and the
// connection's ups and downs. The session (session.ts) feeds it events; the panel (panel.ts) draws the result.
import type { Citation, Schema, ServerFrame } from "@parley/contract";

// idle: not connected yet (the panel was never opened, or the connection was let go while it was closed);
// refused: the page's site is not among the chatbot's allowed origins; unavailable: no such public chatbot.
export type Link = "idle" | "connecting" | "open" | "reconnecting" | "refused" | "unavailable";

export interface Entry {
  id: number;
  // person: a member of the chatbot's team, who took the conversation over (a handoff).
  role: "visitor" | "assistant" | "person";
  text: string;
  citations: Citation[];
  // visitor: queued (waiting for a connection) → sent, or unsent; assistant: streaming → done, or interrupted.
  status: "queued" | "sent" | "unsent" | "streaming" | "done" | "interrupted";
  // An answer's id (from its start frame) and the visitor's rating of it, shown at once and confirmed by the server.
  messageId?: string;
  rating?: Rating;
  // How a finished answer was made ("extractive": quotes from the documents, no model), and whether the documents
  // held one.
  mode?: string;
  answerable?: boolean;
}

export type Rating = "up" | "down";

// A sentence about the chat itself, below the messages: an error frame's, or a connection problem's.
export type Notice =
  | { kind: "error"; code: string; message: string; retryAfter: number | null }
  | { kind: "interrupted" }
  | { kind: "queued" };

export type Chatbot = Schema<"VisitorChatbot">;

// Where the visitor's request for a person stands (the server's `handoff` frames): the bot is silent while a person
// is awaited or holds the conversation.
export interface Handoff {
  status: "waiting_for_human" | "with_human" | "unanswered" | "bot" | "closed";
  waitUntil: string | null;
  contactEmail: string | null;
}

export interface ChatState {
  link: Link;
  chatbot: Chatbot | null;
  entries: Entry[];
  conversationId: string | null;
  // The question waiting for an open connection; at most one, as the visitor waits for each answer.
  pending: string | null;
  // A question is queued, sent or being answered: the composer waits.
  busy: boolean;
  notice: Notice | null;
  handoff: Handoff | null;
}

export type ChatEvent =
  | { type: "asked"; question: string }
  | { type: "sent" }
  | { type: "greeted"; chatbot: Chatbot }
  | { type: "link"; link: Link }
  | { type: "frame"; frame: ServerFrame }
  | { type: "rated"; messageId: string; rating: Rating };

export const initialState: ChatState = {
  link: "idle",
  chatbot: null,
  entries: [],
  conversationId: null,
  pending: null,
  busy: false,
  notice: null,
  handoff: null,
};

const CLOSED_FOR_GOOD: readonly Link[] = ["refused", "unavailable"];

export function reduce(state: ChatState, event: ChatEvent): ChatState {
  switch (event.type) {
    case "asked": {
      const question = event.question.trim();
      if (!question || state.busy || CLOSED_FOR_GOOD.includes(state.link)) return state;
      const entry: Entry = { id: nextId(state), role: "visitor", text: question, citations: [], status: "queued" };
      return {
        ...state,
        entries: [...state.entries, entry],
        pending: question,
        busy: true,
        notice: state.link === "open" ? null : { kind: "queued" },
      };
    }
    case "sent":
      return {
        ...state,
        pending: null,
        notice: null,
        entries: updateLast(state.entries, "visitor", (entry) => ({ ...entry, status: "sent" })),
      };
    case "greeted":
      return { ...state, chatbot: event.chatbot };
    case "link":
      return onLink(state, event.link);
    case "frame":
      return onFrame(state, event.frame);
    case "rated":
      return rate(state, event.messageId, event.rating);
  }
}

function onLink(state: ChatState, link: Link): ChatState {
  if (CLOSED_FOR_GOOD.includes(link)) {
    // Nothing typed can be sent now: a waiting question is marked unsent, and the panel says why.
    const entries = state.pending === null ? state.entries : markUnsent(state.entries);
    return { ...state, link, entries, pending: null, busy: false, notice: null };
  }
  const wasOpen = state.link === "open";
  if (wasOpen && link !== "open" && state.busy && state.pending === null) {
    // The connection dropped between a question sent and its answer's end: the server keeps what it wrote, but this
    // connection will never hear the rest. The visitor may ask again once reconnected.
    const streaming = state.entries.at(-1)?.status === "streaming";
    return {
      ...state,
      link,
      busy: false,
      entries: streaming
        ? updateLast(state.entries, "assistant", (entry) => ({ ...entry, status: "interrupted" }))
        : state.entries,
      notice: { kind: "interrupted" },
    };
  }
  return { ...state, link };
}

function onFrame(state: ChatState, frame: ServerFrame): ChatState {
  switch (frame.type) {
    case "start":
      return {
        ...state,
        conversationId: frame.conversation_id,
        entries: [
          ...state.entries,
          {
            id: nextId(state),
            role: "assistant",
            text: "",
            citations: [],
            status: "streaming",
            messageId: frame.message_id,
          },
        ],
      };
    case "token":
      return { ...state, entries: updateStreaming(state.entries, (entry) => ({ ...entry, text: entry.text + frame.text })) };
    case "citations":
      return { ...state, entries: updateStreaming(state.entries, (entry) => ({ ...entry, citations: frame.citations })) };
    case "done":
      return {
        ...state,
        busy: false,
        entries: updateStreaming(state.entries, (entry) => ({
          ...entry,
          status: "done",
          mode: frame.mode,
          answerable: frame.answerable,
        })),
      };
    case "error":
      if (frame.code === "origin_not_allowed") {
        // The chatbot's owner took this site off its allowed origins while the visitor was connected.
        return onLink(state, "refused");
      }
      return {
        ...state,
        busy: false,
        entries: updateStreaming(state.entries, (entry) => ({ ...entry, status: "interrupted" })),
        notice: { kind: "error", code: frame.code, message: frame.message, retryAfter: frame.retry_after ?? null },
      };
    case "feedback":
      return rate(state, frame.message_id, frame.rating);
    case "handoff":
      // The answer to asking for a person, to a message the bot does not answer (a person is awaited or holds the
      // conversation), or a change the team made: the composer is free again.
      return {
        ...state,
        busy: false,
        conversationId: frame.conversation_id,
        handoff: { status: frame.status, waitUntil: frame.wait_until ?? null, contactEmail: frame.contact_email ?? null },
      };
    case "person":
      return {
        ...state,
        entries: [
          ...state.entries,
          { id: nextId(state), role: "person", text: frame.text, citations: [], status: "done", messageId: frame.message_id },
        ],
      };
    default:
      // A frame type this widget does not know (a newer server): nothing to show.
      return state;
  }
}

function rate(state: ChatState, messageId: string, rating: Rating): ChatState {
  const entries = state.entries.map((entry) =>
    entry.messageId === messageId && entry.rating !== rating ? { ...entry, rating } : entry,
  );
  return { ...state, entries };
}

function nextId(state: ChatState): number {
  return (state.entries.at(-1)?.id ?? 0) + 1;
}

function updateLast(entries: Entry[], role: Entry["role"], change: (entry: Entry) => Entry): Entry[] {
  const index = entries.map((entry) => entry.role).lastIndexOf(role);
  return index < 0 ? entries : entries.map((entry, at) => (at === index ? change(entry) : entry));
}

function updateStreaming(entries: Entry[], change: (entry: Entry) => Entry): Entry[] {
  const last = entries.at(-1);
  return last?.status === "streaming" ? [...entries.slice(0, -1), change(last)] : entries;
}

function markUnsent(entries: Entry[]): Entry[] {
  return updateLast(entries, "visitor", (entry) => ({ ...entry, status: "unsent" }));
}

/** Whether to offer a person: after an answer that found nothing or that the visitor rated down, while no person is
 * awaited or holding the conversation. */
export function offersPerson(state: ChatState): boolean {
  if (state.conversationId === null || state.link !== "open") return false;
  if (state.handoff?.status === "waiting_for_human" || state.handoff?.status === "with_human") return false;
  const last = state.entries.filter((entry) => entry.role !== "visitor").at(-1);
  return last?.role === "assistant" && last.status === "done" && (last.answerable === false || last.rating === "down");
}
