// The chat's connection to Parley: where the APIs are (config.json beside widget.js), whether this page may use the
// chatbot (GET /public/chatbots/{key}), and the WebSocket that carries questions and streamed answers, reconnected
// with backoff after a drop. Every change goes through the reducer (conversation.ts).
import type { ClientFrame, RuntimeConfig, ServerFrame } from "@parley/contract";
import { reconnectDelay } from "./backoff";
import { type ChatEvent, type ChatState, type Chatbot, initialState, type Rating, reduce } from "./conversation";

export type Greeting = { kind: "welcome"; chatbot: Chatbot } | { kind: "refused" } | { kind: "unavailable" };

/** What the session needs from the browser (a test gives fakes). */
export interface SessionEnvironment {
  fetch: typeof fetch;
  openSocket: (url: string) => WebSocket;
  random: () => number;
  schedule: (run: () => void, delayMs: number) => void;
}

/** What a reload of the page carries over (kept by the page in localStorage): the conversation, and whether a person
 * was asked for on it, so that the chat goes on where it was. */
export interface Resumed {
  conversationId: string;
  handoff: boolean;
}

export class ChatSession {
  state: ChatState = initialState;
  private socket: WebSocket | null = null;
  private config: RuntimeConfig | null = null;
  // Reconnect attempts since the last open connection (the backoff's exponent).
  private attempts = 0;
  // A connection is being made, or a reconnect is scheduled: another must not start.
  private linking = false;
  // The panel is open: a dropped connection is repaired at once, rather than when the visitor comes back.
  private wanted = false;
  // A check of a waiting handoff at its deadline is scheduled.
  private checkScheduled = false;

  constructor(
    private readonly configUrl: string,
    private readonly key: string,
    private readonly visitorId: string,
    private readonly environment: SessionEnvironment,
    private readonly changed: (state: ChatState) => void,
    private resumed: Resumed | null = null,
  ) {
    if (resumed !== null) this.state = { ...initialState, conversationId: resumed.conversationId };
  }

  /** The visitor opened the panel: connect unless connected. */
  wake(): void {
    this.wanted = true;
    if (this.state.link === "idle") this.connect();
  }

  /** The visitor closed the panel: the connection stays, but a drop waits for the next wake or question. */
  sleep(): void {
    this.wanted = false;
  }

  ask(question: string): void {
    this.dispatch({ type: "asked", question });
    if (this.state.link === "idle") this.connect();
  }

  /** The visitor rated an answer: shown at once, sent over the connection (the server's `feedback` frame confirms). */
  rate(messageId: string, rating: Rating): void {
    const chatbot = this.state.chatbot;
    if (this.socket === null || chatbot === null) return;
    const frame: ClientFrame = { action: "feedback", chatbot_id: chatbot.id, message_id: messageId, rating };
    this.socket.send(JSON.stringify(frame));
    this.dispatch({ type: "rated", messageId, rating });
  }

  /** The visitor asks for a person on their conversation. */
  requestPerson(): void {
    this.sendFrame((chatbotId, conversationId) => ({
      action: "requestPerson",
      chatbot_id: chatbotId,
      conversation_id: conversationId,
    }));
  }

  /** The visitor nobody could answer leaves an address (Parley keeps it for the team; it sends nothing). */
  leaveContact(email: string): void {
    this.sendFrame((chatbotId, conversationId) => ({
      action: "leaveContact",
      chatbot_id: chatbotId,
      conversation_id: conversationId,
      email,
    }));
  }

  private sendFrame(frame: (chatbotId: string, conversationId: string) => ClientFrame): void {
    const { chatbot, conversationId } = this.state;
    if (this.socket === null || chatbot === null || conversationId === null) return;
    this.socket.send(JSON.stringify(frame(chatbot.id, conversationId)));
  }

  /** While a person is awaited, ask again at the deadline: the server says then whether anybody took it. */
  private followHandoff(): void {
    const handoff = this.state.handoff;
    if (handoff?.status !== "waiting_for_human" || handoff.waitUntil === null || this.checkScheduled) return;
    this.checkScheduled = true;
    const delay = Math.max(0, Date.parse(handoff.waitUntil) - Date.now()) + 250;
    this.environment.schedule(() => {
      this.checkScheduled = false;
      if (this.state.handoff?.status === "waiting_for_human") {
        this.sendFrame((chatbotId, conversationId) => ({
          action: "handoffStatus",
          chatbot_id: chatbotId,
          conversation_id: conversationId,
        }));
      }
    }, delay);
  }

  private dispatch(event: ChatEvent): void {
    this.state = reduce(this.state, event);
    const { link, pending, chatbot } = this.state;
    if (link === "open" && pending !== null && chatbot !== null && this.socket !== null) {
      const frame: ClientFrame = {
        action: "sendMessage",
        chatbot_id: chatbot.id,
        question: pending,
        ...(this.state.conversationId !== null ? { conversation_id: this.state.conversationId } : {}),
      };
      this.socket.send(JSON.stringify(frame));
      this.state = reduce(this.state, { type: "sent" });
    }
    this.followHandoff();
    this.changed(this.state);
  }

  private connect(): void {
    if (this.linking) return;
    this.linking = true;
    this.dispatch({ type: "link", link: this.attempts === 0 ? "connecting" : "reconnecting" });
    this.greet().then(
      (greeting) => {
        if (greeting.kind !== "welcome") {
          this.linking = false;
          this.dispatch({ type: "link", link: greeting.kind });
          return;
        }
        this.dispatch({ type: "greeted", chatbot: greeting.chatbot });
        this.open();
      },
      () => this.retry(),
    );
  }

  /** Whether this page may chat: a browser cannot read why a WebSocket handshake was refused, this answer can. */
  private async greet(): Promise<Greeting> {
    if (this.config === null) {
      const response = await this.environment.fetch(this.configUrl, { credentials: "omit" });
      if (!response.ok) throw new Error(`config.json: ${response.status}`);
      this.config = (await response.json()) as RuntimeConfig;
    }
    const url = `${this.config.publicApiUrl.replace(/\/+$/, "")}/public/chatbots/${encodeURIComponent(this.key)}`;
    const response = await this.environment.fetch(url, { credentials: "omit" });
    if (response.status === 403) return { kind: "refused" };
    if (response.status === 404) return { kind: "unavailable" };
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return { kind: "welcome", chatbot: (await response.json()) as Chatbot };
  }

  private open(): void {
    const url = new URL((this.config as RuntimeConfig).websocketUrl);
    url.searchParams.set("key", this.key);
    url.searchParams.set("visitor_id", this.visitorId);
    const socket = this.environment.openSocket(url.toString());
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.linking = false;
      this.attempts = 0;
      this.socket = socket;
      this.dispatch({ type: "link", link: "open" });
      if (this.resumed?.handoff) {
        // After a reload: where the request for a person stands (waiting, taken, or nobody came).
        this.resumed = null;
        this.sendFrame((chatbotId, conversationId) => ({
          action: "handoffStatus",
          chatbot_id: chatbotId,
          conversation_id: conversationId,
        }));
      }
    };
    socket.onmessage = (message: MessageEvent) => {
      const frame = parseFrame(message.data);
      if (frame !== null) this.dispatch({ type: "frame", frame });
    };
    socket.onclose = () => {
      this.socket = null;
      if (!opened) {
        // Refused (the next greeting tells whether for good) or unreachable: try again after a while.
        this.retry();
      } else if (this.state.link === "open") {
        if (this.wanted || this.state.pending !== null) this.retry();
        else this.dispatch({ type: "link", link: "idle" });
      }
    };
  }

  private retry(): void {
    this.linking = true;
    this.dispatch({ type: "link", link: "reconnecting" });
    this.environment.schedule(() => {
      this.linking = false;
      this.connect();
    }, reconnectDelay(this.attempts++, this.environment.random));
  }
}

function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== "string") return null;
  try {
    const frame: unknown = JSON.parse(data);
    return typeof frame === "object" && frame !== null && "type" in frame ? (frame as ServerFrame) : null;
  } catch {
    return null;
  }
}
