import { beforeEach, describe, expect, it } from "vitest";
import type { ChatState } from "../src/conversation";
import { ChatSession, type Resumed } from "../src/session";

const KEY = "pk_" + "k".repeat(32);
const CONFIG = {
  apiUrl: "https://api.example",
  publicApiUrl: "https://public.example",
  websocketUrl: "wss://ws.example/prod",
};
const CHATBOT = { id: "bot1", name: "Llama care", welcome_message: "Hi!" };

class FakeSocket {
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  receive(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

// A browser in miniature: greetings answered with the queued statuses, sockets kept, timers run by hand.
class FakeBrowser {
  greetings: number[] = [];
  sockets: FakeSocket[] = [];
  timers: { run: () => void; delayMs: number }[] = [];
  requests: string[] = [];
  states: ChatState[] = [];

  session(resumed: Resumed | null = null): ChatSession {
    return new ChatSession(
      "https://cdn.example/config.json",
      KEY,
      "visitor-0001",
      {
        fetch: async (input) => {
          const url = String(input);
          this.requests.push(url);
          if (url.endsWith("config.json")) return Response.json(CONFIG);
          const status = this.greetings.shift() ?? 200;
          return status === 200 ? Response.json(CHATBOT) : Response.json({}, { status });
        },
        openSocket: (url) => {
          const socket = new FakeSocket(url);
          this.sockets.push(socket);
          return socket as unknown as WebSocket;
        },
        random: () => 0.5,
        schedule: (run, delayMs) => void this.timers.push({ run, delayMs }),
      },
      (state) => this.states.push(state),
      resumed,
    );
  }

  get socket(): FakeSocket {
    return this.sockets[this.sockets.length - 1];
  }

  // Lets the pending fetches and their JSON bodies resolve.
  async settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  async fireTimer(): Promise<number> {
    const timer = this.timers.shift();
    if (!timer) throw new Error("no reconnect scheduled");
    timer.run();
    await this.settle();
    return timer.delayMs;
  }
}

let browser: FakeBrowser;

beforeEach(() => {
  browser = new FakeBrowser();
});

describe("ChatSession", () => {
  it("connects when opened, with the key and the visitor id, to the WebSocket API config.json names", async () => {
    const session = browser.session();

    session.wake();
    await browser.settle();
    browser.socket.onopen?.();

    expect(browser.requests).toEqual(["https://cdn.example/config.json", `https://public.example/public/chatbots/${KEY}`]);
    expect(browser.socket.url).toBe(`wss://ws.example/prod?key=${KEY}&visitor_id=visitor-0001`);
    expect(session.state.link).toBe("open");
    expect(session.state.chatbot).toEqual(CHATBOT);
  });

  it("after a reload goes on with the kept conversation, asking where its request for a person stands", async () => {
    const session = browser.session({ conversationId: "c1", handoff: true });
    session.wake();
    await browser.settle();
    browser.socket.onopen?.();
    browser.socket.receive({ type: "handoff", conversation_id: "c1", status: "with_human" });
    session.ask("Are you still there?");

    expect(browser.socket.sent).toEqual([
      { action: "handoffStatus", chatbot_id: "bot1", conversation_id: "c1" },
      { action: "sendMessage", chatbot_id: "bot1", question: "Are you still there?", conversation_id: "c1" },
    ]);
    expect(session.state.handoff?.status).toBe("with_human");
  });

  it("asks at a waiting request's deadline whether anybody took it, and sends the address left", async () => {
    const session = browser.session({ conversationId: "c1", handoff: false });
    session.wake();
    await browser.settle();
    browser.socket.onopen?.();
    session.requestPerson();
    const deadline = new Date(Date.now() + 3000).toISOString();
    browser.socket.receive({ type: "handoff", conversation_id: "c1", status: "waiting_for_human", wait_until: deadline });
    const delay = await browser.fireTimer();
    browser.socket.receive({ type: "handoff", conversation_id: "c1", status: "unanswered" });
    session.leaveContact("ada@example.com");

    expect(delay).toBeGreaterThan(2000);
    expect(browser.socket.sent).toEqual([
      { action: "requestPerson", chatbot_id: "bot1", conversation_id: "c1" },
      { action: "handoffStatus", chatbot_id: "bot1", conversation_id: "c1" },
      { action: "leaveContact", chatbot_id: "bot1", conversation_id: "c1", email: "ada@example.com" },
    ]);
  });

  it("names the chatbot in each question and continues the conversation it started", async () => {
    const session = browser.session();
    session.wake();
    await browser.settle();
    browser.socket.onopen?.();

    session.ask("What do llamas eat?");
    browser.socket.receive({ type: "start", conversation_id: "c1", message_id: "m1" });
    browser.socket.receive({ type: "done", usage: {}, mode: "llm", degraded: false, answerable: true });
    session.ask("And alpacas?");

    expect(browser.socket.sent).toEqual([
      { action: "sendMessage", chatbot_id: "bot1", question: "What do llamas eat?" },
      { action: "sendMessage", chatbot_id: "bot1", question: "And alpacas?", conversation_id: "c1" },
    ]);
  });

  it("opens no WebSocket on a site the chatbot does not allow, and says so", async () => {
    browser.greetings = [403];
    const session = browser.session();

    session.wake();
    await browser.settle();

    expect(browser.sockets).toEqual([]);
    expect(browser.timers).toEqual([]);
    expect(session.state.link).toBe("refused");
  });

  it("learns a refused handshake is for good from the next greeting, instead of reconnecting forever", async () => {
    // Given a site allowed at first, then taken off the chatbot's origins before the handshake
    browser.greetings = [200, 403];
    const session = browser.session();
    session.wake();
    await browser.settle();

    // When the handshake fails (a browser sees only a close), and the reconnect's greeting is refused
    browser.socket.onclose?.();
    const delay = await browser.fireTimer();

    // Then the session waited a jittered second, and stops with the refusal
    expect(delay).toBe(750);
    expect(browser.sockets).toHaveLength(1);
    expect(session.state.link).toBe("refused");
    expect(browser.timers).toEqual([]);
  });

  it("reconnects after a drop with growing delays, and sends the question typed meanwhile once open", async () => {
    const session = browser.session();
    session.wake();
    await browser.settle();
    browser.socket.onopen?.();

    // When the connection drops, and two reconnects fail before one succeeds
    browser.socket.onclose?.();
    session.ask("Are you there?");
    const first = await browser.fireTimer();
    browser.socket.onclose?.();
    const second = await browser.fireTimer();
    const sentBefore = browser.socket.sent.length;
    browser.socket.onopen?.();

    // Then the delays grew, and the waiting question went out on the new connection, once
    expect([first, second]).toEqual([750, 1500]);
    expect(browser.states.some((state) => state.link === "reconnecting" && state.pending === "Are you there?")).toBe(
      true,
    );
    expect(sentBefore).toBe(0);
    expect(browser.socket.sent).toEqual([{ action: "sendMessage", chatbot_id: "bot1", question: "Are you there?" }]);
    expect(browser.sockets.flatMap((socket) => socket.sent)).toHaveLength(1);
  });

  it("lets a dropped connection go while the panel is closed, and reconnects when it opens", async () => {
    const session = browser.session();
    session.wake();
    await browser.settle();
    browser.socket.onopen?.();
    session.sleep();

    browser.socket.onclose?.();
    const idle = session.state.link;
    session.wake();
    await browser.settle();

    expect(idle).toBe("idle");
    expect(browser.timers).toEqual([]);
    expect(browser.sockets).toHaveLength(2);
  });
});
