// The HTTP API as the console uses it, typed by the contract generated from shared/openapi.json.
import type { Schema } from "@parley/contract";
import { errorOf } from "./errors";
import type { Session } from "./session";

// openapi-typescript marks a field with a default as always present: true of answers, not of requests, where
// leaving it out means the default. Request bodies name what they require.
type RequestBody<T, Required extends keyof T> = Pick<T, Required> & Partial<Omit<T, Required>>;

export type Chatbot = Schema<"ChatbotPublic">;
export type ChatbotCreate = RequestBody<Schema<"ChatbotCreate">, "name">;
export type ChatbotUpdate = Partial<Schema<"ChatbotUpdate">>;
export type Document = Schema<"DocumentPublic">;
export type UploadTicket = Schema<"UploadTicket">;
export type ConversationSummary = Schema<"ConversationSummary">;
export type Conversation = Schema<"ConversationDetail">;
export type Message = Schema<"MessagePublic">;
export type UserProfile = Schema<"UserProfile">;
export type Registration = Schema<"Registration">;
export type SignIn = Schema<"Session">;
export type Usage = Schema<"UsageReport">;

export interface Page<Item> {
  items: Item[];
  next_cursor?: string | null;
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

function paged(path: string, cursor?: string | null): string {
  return cursor ? `${path}?cursor=${encodeURIComponent(cursor)}` : path;
}

const JSON_HEADERS = { "content-type": "application/json" };

/** Sign-up and sign-in: the two calls made without a token. */
export class Accounts {
  constructor(
    private readonly apiUrl: string,
    private readonly http: typeof fetch,
  ) {}

  register(body: RequestBody<Schema<"RegisterRequest">, "email" | "password">): Promise<Registration> {
    return this.post<Registration>("/auth/register", body);
  }

  login(body: Schema<"LoginRequest">): Promise<SignIn> {
    return this.post<SignIn>("/auth/login", body);
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const response = await this.http(`${this.apiUrl}${path}`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify(body),
    });
    return json<T>(response);
  }
}

/** The signed-in user's calls. */
export class Api {
  constructor(private readonly session: Session) {}

  me(): Promise<UserProfile> {
    return this.get("/auth/me");
  }

  chatbots(cursor?: string | null): Promise<Page<Chatbot>> {
    return this.get(paged("/chatbots", cursor));
  }

  chatbot(id: string): Promise<Chatbot> {
    return this.get(`/chatbots/${encodeURIComponent(id)}`);
  }

  createChatbot(body: ChatbotCreate): Promise<Chatbot> {
    return this.send("POST", "/chatbots", body);
  }

  updateChatbot(id: string, body: ChatbotUpdate): Promise<Chatbot> {
    return this.send("PATCH", `/chatbots/${encodeURIComponent(id)}`, body);
  }

  deleteChatbot(id: string): Promise<Schema<"ChatbotDeletion">> {
    return this.send("DELETE", `/chatbots/${encodeURIComponent(id)}`);
  }

  documents(chatbotId: string, cursor?: string | null): Promise<Page<Document>> {
    return this.get(paged(`/chatbots/${encodeURIComponent(chatbotId)}/documents`, cursor));
  }

  document(chatbotId: string, documentId: string): Promise<Document> {
    return this.get(`/chatbots/${encodeURIComponent(chatbotId)}/documents/${encodeURIComponent(documentId)}`);
  }

  createDocument(chatbotId: string, body: Schema<"DocumentCreate">): Promise<Schema<"DocumentUpload">> {
    return this.send("POST", `/chatbots/${encodeURIComponent(chatbotId)}/documents`, body);
  }

  async deleteDocument(chatbotId: string, documentId: string): Promise<void> {
    const path = `/chatbots/${encodeURIComponent(chatbotId)}/documents/${encodeURIComponent(documentId)}`;
    const response = await this.session.fetch(path, { method: "DELETE" });
    if (!response.ok) throw await errorOf(response);
  }

  conversations(chatbotId: string, cursor?: string | null): Promise<Page<ConversationSummary>> {
    return this.get(paged(`/chatbots/${encodeURIComponent(chatbotId)}/conversations`, cursor));
  }

  conversation(chatbotId: string, conversationId: string): Promise<Conversation> {
    const path = `/chatbots/${encodeURIComponent(chatbotId)}/conversations/${encodeURIComponent(conversationId)}`;
    return this.get(`${path}?limit=100`);
  }

  usage(): Promise<Usage> {
    return this.get("/usage");
  }

  private async get<T>(path: string): Promise<T> {
    return json<T>(await this.session.fetch(path));
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit =
      body === undefined ? { method } : { method, headers: JSON_HEADERS, body: JSON.stringify(body) };
    return json<T>(await this.session.fetch(path, init));
  }
}
