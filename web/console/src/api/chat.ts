// The playground's chat over the WebSocket API: one question at a time, each answer streamed as frames.
import type { ClientFrame, ServerFrame } from "@parley/contract";

export interface ChatHandlers {
  onFrame(frame: ServerFrame): void;
  onClosed(reason: string): void;
}

/** A connection opened with the owner's access token (`?token=`); frames of each answer go to `handlers`. */
export class ChatConnection {
  private socket: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;

  constructor(
    private readonly websocketUrl: string,
    private readonly accessToken: () => Promise<string>,
    private readonly handlers: ChatHandlers,
  ) {}

  /** Open the connection without sending (a member's console listens for pushes). */
  async listen(): Promise<void> {
    await this.open();
  }

  async send(frame: ClientFrame): Promise<void> {
    const socket = await this.open();
    socket.send(JSON.stringify(frame));
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
    this.opening = null;
  }

  private open(): Promise<WebSocket> {
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    this.opening ??= this.connect().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async connect(): Promise<WebSocket> {
    const url = new URL(this.websocketUrl);
    url.searchParams.set("token", await this.accessToken());
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener(
        "close",
        () => reject(new Error("The chat connection was refused. Reload the page and try again.")),
        { once: true },
      );
    });
    socket.addEventListener("message", (event) => {
      this.handlers.onFrame(JSON.parse(String(event.data)) as ServerFrame);
    });
    socket.addEventListener("close", () => {
      if (this.socket === socket) {
        this.socket = null;
        this.handlers.onClosed("The chat connection closed; the next question opens a new one.");
      }
    });
    this.socket = socket;
    return socket;
  }
}
