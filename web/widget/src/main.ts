// The script tag's entry: `<script src=".../widget.js" data-key="pk_…" async></script>` adds one chat to the page.
// Nothing is left on the page but one host element (its shadow root holds the rest) and no global but the build's
// one name.
import { type WidgetOptions, parseOptions } from "./options";
import { ChatPanel } from "./panel";
import type { ChatState } from "./conversation";
import { ChatSession, type Resumed } from "./session";
import { LANGUAGES } from "./strings";

const VISITOR_KEY = "parley:visitor";
// The visitor's conversation with one chatbot (by its key), kept across reloads of the page.
const CONVERSATION_KEY = "parley:conversation:";

function mount(script: HTMLScriptElement, options: WidgetOptions): void {
  const host = document.createElement("div");
  host.setAttribute("data-parley-widget", "");
  const root = host.attachShadow({ mode: "open" });
  const session = new ChatSession(
    new URL("config.json", script.src).toString(),
    options.key,
    visitorId(),
    {
      fetch: (input, init) => fetch(input, init),
      openSocket: (url) => new WebSocket(url),
      random: Math.random,
      schedule: (run, delayMs) => void setTimeout(run, delayMs),
    },
    (state) => {
      keep(options.key, state);
      panel.render(state);
    },
    resumed(options.key),
  );
  const panel = new ChatPanel(root, options, LANGUAGES[options.lang], {
    opened: () => session.wake(),
    closed: () => session.sleep(),
    asked: (question) => session.ask(question),
    rated: (messageId, rating) => session.rate(messageId, rating),
    requestedPerson: () => session.requestPerson(),
    leftContact: (email) => session.leaveContact(email),
  });
  panel.render(session.state);
  document.body.append(host);
}

function resumed(key: string): Resumed | null {
  try {
    const kept: unknown = JSON.parse(localStorage.getItem(CONVERSATION_KEY + key) ?? "null");
    if (typeof kept !== "object" || kept === null) return null;
    const { conversationId, handoff } = kept as Partial<Resumed>;
    return typeof conversationId === "string" ? { conversationId, handoff: handoff === true } : null;
  } catch {
    return null;
  }
}

function keep(key: string, state: ChatState): void {
  if (state.conversationId === null) return;
  const status = state.handoff?.status;
  const kept: Resumed = {
    conversationId: state.conversationId,
    handoff: status === "waiting_for_human" || status === "with_human" || status === "unanswered",
  };
  try {
    localStorage.setItem(CONVERSATION_KEY + key, JSON.stringify(kept));
  } catch {
    // A page that may not use localStorage starts a new conversation on each load.
  }
}

/** The id this browser keeps for the visitor (their conversations are bound to it); a fresh one per page when the
 * page may not use localStorage. */
function visitorId(): string {
  try {
    const kept = localStorage.getItem(VISITOR_KEY);
    if (kept && /^[A-Za-z0-9_-]{8,64}$/.test(kept)) return kept;
    const fresh = newVisitorId();
    localStorage.setItem(VISITOR_KEY, fresh);
    return fresh;
  } catch {
    return newVisitorId();
  }
}

function newVisitorId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function start(): void {
  // currentScript is this tag while the script runs (async included); afterwards only the selector can find it.
  const script =
    document.currentScript instanceof HTMLScriptElement
      ? document.currentScript
      : document.querySelector<HTMLScriptElement>('script[src*="widget.js"][data-key]');
  if (script === null) {
    console.error("Parley widget: cannot find its <script> tag");
    return;
  }
  const { options, problems } = parseOptions(script.dataset, navigator.languages ?? []);
  for (const problem of problems) console.warn(`Parley widget: ${problem}`);
  if (options === null) return;
  if (document.body) mount(script, options);
  else document.addEventListener("DOMContentLoaded", () => mount(script, options), { once: true });
}

start();
