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
/** The signed-in person, with their organization's name. */
export type SignedInUser = Schema<"SignedInUser">;
export type Registration = Schema<"Registration">;
export type SignIn = Schema<"Session">;
export type ExportLink = Schema<"ExportLink">;

/** UTC days (`YYYY-MM-DD`), both included; either may be left out. */
export interface DayRange {
  from?: string;
  to?: string;
}

export interface ExportOptions extends DayRange {
  format: "jsonl" | "csv";
  feedback?: "up" | "down";
}

/** An export as the API answers it: the file itself, or (when too large for a response) a link to it. */
export type ExportDownload = { kind: "file"; file: Blob; filename: string } | { kind: "link"; link: ExportLink };

/** The name a `Content-Disposition: attachment; filename="…"` header gives, if any. */
export function attachmentName(disposition: string | null): string | null {
  return disposition?.match(/filename="([^"]+)"/)?.[1] ?? null;
}
export type ApiKey = Schema<"ApiKeyPublic">;
export type ApiKeyCreated = Schema<"ApiKeyCreated">;
export type ApiKeyCreate = RequestBody<Schema<"ApiKeyCreate">, "name">;
export type Team = Schema<"Team">;
export type Member = Schema<"Member">;
export type Invitation = Schema<"Invitation">;
export type InvitationCreated = Schema<"InvitationCreated">;
export type Role = Member["role"];
export type Rating = Schema<"FeedbackRequest">["rating"];
export type FeedbackRequest = RequestBody<Schema<"FeedbackRequest">, "rating">;
export type Analytics = Schema<"Analytics">;
export type AnalyticsDay = Schema<"AnalyticsDay">;
export type Usage = Schema<"UsageReport">;
/** How answers are made on this deployment and plan: the models to choose from, and whether a model answers at all. */
export type AnswerOptions = Schema<"AnswerOptions">;
export type Source = Schema<"SourcePublic">;
export type SourcePage = Schema<"SourcePage">;
export type SourceCounts = Schema<"Counts">;
export type CrawlMode = Schema<"WebsiteSourceCreate">["mode"];
export type WebsiteCreate = RequestBody<Schema<"WebsiteSourceCreate">, "type" | "url">;
export type SourceCreate = WebsiteCreate | Schema<"TextSourceCreate"> | Schema<"QaSourceCreate">;
export type SourceUpdate = Partial<Schema<"SourceUpdate">>;
export type Handoff = Schema<"HandoffPublic">;
export type GapGroup = Schema<"GapGroup">;
export type Gaps = Schema<"GapList">;

export interface Page<Item> {
  items: Item[];
  next_cursor?: string | null;
}

function handoffPath(chatbotId: string, conversationId: string): string {
  return `/chatbots/${encodeURIComponent(chatbotId)}/conversations/${encodeURIComponent(conversationId)}/handoff`;
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

function paged(path: string, cursor?: string | null): string {
  return cursor ? `${path}?cursor=${encodeURIComponent(cursor)}` : path;
}

const JSON_HEADERS = { "content-type": "application/json" };

function sourcePath(chatbotId: string, sourceId: string): string {
  return `/chatbots/${encodeURIComponent(chatbotId)}/sources/${encodeURIComponent(sourceId)}`;
}

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
  // Read once per console: the deployment's models and whether one answers do not change while it is open.
  private answering: Promise<AnswerOptions> | null = null;

  constructor(private readonly session: Session) {}

  me(): Promise<SignedInUser> {
    return this.get("/auth/me");
  }

  /** The models chatbots may choose, and whether a model answers at all (GET /usage's `answers`); read once. */
  answerOptions(): Promise<AnswerOptions> {
    if (this.answering === null) {
      this.answering = this.usage().then((report) => report.answers);
      this.answering.catch(() => (this.answering = null)); // a failed read is tried again next time
    }
    return this.answering;
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

  /** A ticket for a new version of an uploaded document: same id, its current content answers until it is indexed. */
  replaceDocument(
    chatbotId: string,
    documentId: string,
    body: Schema<"DocumentCreate">,
  ): Promise<Schema<"DocumentUpload">> {
    return this.send(
      "PUT",
      `/chatbots/${encodeURIComponent(chatbotId)}/documents/${encodeURIComponent(documentId)}`,
      body,
    );
  }

  async deleteDocument(chatbotId: string, documentId: string): Promise<void> {
    await this.sendNothing(
      "DELETE",
      `/chatbots/${encodeURIComponent(chatbotId)}/documents/${encodeURIComponent(documentId)}`,
    );
  }

  sources(chatbotId: string, cursor?: string | null): Promise<Page<Source>> {
    return this.get(paged(`/chatbots/${encodeURIComponent(chatbotId)}/sources`, cursor));
  }

  source(chatbotId: string, sourceId: string): Promise<Source> {
    return this.get(sourcePath(chatbotId, sourceId));
  }

  createSource(chatbotId: string, body: SourceCreate): Promise<Source> {
    return this.send("POST", `/chatbots/${encodeURIComponent(chatbotId)}/sources`, body);
  }

  updateSource(chatbotId: string, sourceId: string, body: SourceUpdate): Promise<Source> {
    return this.send("PATCH", sourcePath(chatbotId, sourceId), body);
  }

  async deleteSource(chatbotId: string, sourceId: string): Promise<void> {
    await this.sendNothing("DELETE", sourcePath(chatbotId, sourceId));
  }

  /** Starts a sync of a website source now; the API refuses (409) while one is running. */
  syncSource(chatbotId: string, sourceId: string): Promise<Source> {
    return this.send("POST", `${sourcePath(chatbotId, sourceId)}/sync`);
  }

  sourcePages(chatbotId: string, sourceId: string, cursor?: string | null): Promise<Page<SourcePage>> {
    return this.get(paged(`${sourcePath(chatbotId, sourceId)}/pages`, cursor));
  }

  /** A page of the chatbot's conversations, the most recent first; with `days`, those started on those UTC days. */
  conversations(chatbotId: string, cursor?: string | null, days?: DayRange): Promise<Page<ConversationSummary>> {
    const query = new URLSearchParams();
    if (cursor) query.set("cursor", cursor);
    if (days?.from) query.set("from", days.from);
    if (days?.to) query.set("to", days.to);
    const path = `/chatbots/${encodeURIComponent(chatbotId)}/conversations`;
    return this.get(query.toString() ? `${path}?${query.toString()}` : path);
  }

  conversation(chatbotId: string, conversationId: string, cursor?: string | null): Promise<Conversation> {
    const path = `/chatbots/${encodeURIComponent(chatbotId)}/conversations/${encodeURIComponent(conversationId)}`;
    return this.get(`${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
  }

  async exportConversations(chatbotId: string, options: ExportOptions): Promise<ExportDownload> {
    const query = new URLSearchParams({ format: options.format });
    if (options.from) query.set("from", options.from);
    if (options.to) query.set("to", options.to);
    if (options.feedback) query.set("feedback", options.feedback);
    const response = await this.session.fetch(
      `/chatbots/${encodeURIComponent(chatbotId)}/conversations/export?${query.toString()}`,
    );
    if (!response.ok) throw await errorOf(response);
    if ((response.headers.get("content-type") ?? "").startsWith("application/json")) {
      return { kind: "link", link: (await response.json()) as ExportLink };
    }
    const filename = attachmentName(response.headers.get("content-disposition")) ?? `conversations.${options.format}`;
    return { kind: "file", file: await response.blob(), filename };
  }

  apiKeys(cursor?: string | null): Promise<Page<ApiKey>> {
    return this.get(paged("/api-keys", cursor));
  }

  createApiKey(body: ApiKeyCreate): Promise<ApiKeyCreated> {
    return this.send("POST", "/api-keys", body);
  }

  async revokeApiKey(id: string): Promise<void> {
    const response = await this.session.fetch(`/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (!response.ok) throw await errorOf(response);
  }

  team(): Promise<Team> {
    return this.get("/members");
  }

  invite(body: Schema<"InvitationCreate">): Promise<InvitationCreated> {
    return this.send("POST", "/members/invitations", body);
  }

  async withdrawInvitation(id: string): Promise<void> {
    await this.sendNothing("DELETE", `/members/invitations/${encodeURIComponent(id)}`);
  }

  join(invitation: string): Promise<Member> {
    return this.send("POST", "/members", { invitation });
  }

  changeRole(userId: string, role: Role): Promise<Member> {
    return this.send("PATCH", `/members/${encodeURIComponent(userId)}`, { role });
  }

  async removeMember(userId: string): Promise<void> {
    await this.sendNothing("DELETE", `/members/${encodeURIComponent(userId)}`);
  }

  transferOwnership(userId: string): Promise<Member> {
    return this.send("POST", `/members/${encodeURIComponent(userId)}/ownership`);
  }

  private async sendNothing(method: string, path: string): Promise<void> {
    const response = await this.session.fetch(path, { method });
    if (!response.ok) throw await errorOf(response);
  }

  async rateAnswer(chatbotId: string, messageId: string, body: FeedbackRequest): Promise<void> {
    const path = `/chatbots/${encodeURIComponent(chatbotId)}/messages/${encodeURIComponent(messageId)}/feedback`;
    const response = await this.session.fetch(path, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
    if (!response.ok) throw await errorOf(response);
  }

  /** The chatbot's counters for each day (UTC) from `from` to `to`, both YYYY-MM-DD. */
  analytics(chatbotId: string, from: string, to: string): Promise<Analytics> {
    const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    return this.get(`/chatbots/${encodeURIComponent(chatbotId)}/analytics?${range}`);
  }

  usage(): Promise<Usage> {
    return this.get("/usage");
  }

  /** The tenant's conversations waiting for a person, held by a member, or that nobody took in time. */
  handoffs(): Promise<{ items: Handoff[] }> {
    return this.get("/handoffs");
  }

  takeHandoff(chatbotId: string, conversationId: string): Promise<Handoff> {
    return this.send("POST", `${handoffPath(chatbotId, conversationId)}/take`);
  }

  replyAsPerson(chatbotId: string, conversationId: string, text: string): Promise<Message> {
    return this.send("POST", `${handoffPath(chatbotId, conversationId)}/messages`, { text });
  }

  handBack(chatbotId: string, conversationId: string, close: boolean): Promise<Handoff> {
    return this.send("POST", `${handoffPath(chatbotId, conversationId)}/release`, { close });
  }

  /** What the chatbot's visitors asked in the last `days` days that it could not answer, grouped by meaning. */
  gaps(chatbotId: string, days: number): Promise<Gaps> {
    return this.get(`/chatbots/${encodeURIComponent(chatbotId)}/gaps?days=${days}`);
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
