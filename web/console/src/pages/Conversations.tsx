// A chatbot's conversations: export them (JSON Lines or CSV, a range of days, the negative feedback only), browse
// them page by page, and read one with its sources and the feedback its answers got.
import { useEffect, useState } from "preact/hooks";
import type {
  Chatbot,
  ConversationSummary,
  DayRange,
  ExportDownload,
  ExportOptions,
  Handoff,
  Message,
} from "../api/client";
import { Button, ErrorNote, Field, Loading, useAction } from "../components/ui";
import { useConsole } from "../context";
import { momentText } from "../dates";
import { documentName } from "../links";
import { HANDOFF_STATUS } from "./Inbox";
import { AnswerBadges } from "./Playground";

export function Conversations({ chatbot }: { chatbot: Chatbot }) {
  const [open, setOpen] = useState<ConversationSummary | null>(null);
  return (
    <>
      <ExportForm chatbotId={chatbot.id} />
      <div class="conversations">
        <ConversationList chatbotId={chatbot.id} open={open} onOpen={setOpen} />
        {open ? (
          <ConversationView key={open.id} chatbotId={chatbot.id} conversation={open} />
        ) : (
          <p class="hint">Open a conversation to read it.</p>
        )}
      </div>
    </>
  );
}

/** Hand an export to the browser as a download: the file from memory, or the link (S3 sends it as an attachment). */
export function save(download: ExportDownload): string {
  const anchor = document.createElement("a");
  const filename = download.kind === "file" ? download.filename : download.link.filename;
  const url = download.kind === "file" ? URL.createObjectURL(download.file) : download.link.url;
  anchor.href = url;
  anchor.download = filename;
  anchor.rel = "noopener";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  if (download.kind === "file") setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return filename;
}

function ExportForm({ chatbotId }: { chatbotId: string }) {
  const { api } = useConsole();
  const [format, setFormat] = useState<ExportOptions["format"]>("csv");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [negativeOnly, setNegativeOnly] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const exporting = useAction();

  const submit = (event: Event) => {
    event.preventDefault();
    setSaved(null);
    void exporting.run(async () => {
      const options: ExportOptions = { format, from, to, feedback: negativeOnly ? "down" : undefined };
      setSaved(save(await api.exportConversations(chatbotId, options)));
    });
  };

  return (
    <form class="export" onSubmit={submit} aria-labelledby="export-heading">
      <h2 id="export-heading">Export</h2>
      <div class="row">
        <Field label="Format">
          <select value={format} onChange={(event) => setFormat(event.currentTarget.value as ExportOptions["format"])}>
            <option value="csv">CSV (spreadsheets)</option>
            <option value="jsonl">JSON Lines</option>
          </select>
        </Field>
        <Field label="From" hint="First day (UTC); empty: 30 days before To">
          <input type="date" value={from} onInput={(event) => setFrom(event.currentTarget.value)} />
        </Field>
        <Field label="To" hint="Last day (UTC), included; empty: today">
          <input type="date" value={to} onInput={(event) => setTo(event.currentTarget.value)} />
        </Field>
      </div>
      <label class="check">
        <input type="checkbox" checked={negativeOnly} onChange={(event) => setNegativeOnly(event.currentTarget.checked)} />
        Negative feedback only (each answer rated down, with its question)
      </label>
      <Button type="submit" busy={exporting.busy} busyLabel="Exporting…">
        Export
      </Button>
      <p role="status">{saved && `Downloaded ${saved}`}</p>
      <ErrorNote error={exporting.error} />
    </form>
  );
}

function ConversationList({
  chatbotId,
  open,
  onOpen,
}: {
  chatbotId: string;
  open: ConversationSummary | null;
  onOpen: (conversation: ConversationSummary) => void;
}) {
  const { api } = useConsole();
  const [conversations, setConversations] = useState<ConversationSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [days, setDays] = useState<DayRange>({});
  // The range the shown list is of (the fields may have changed since): its next pages keep to it.
  const [shownDays, setShownDays] = useState<DayRange>({});
  const loading = useAction();

  const load = (after: string | null, range: DayRange = shownDays) =>
    loading.run(async () => {
      const page = await api.conversations(chatbotId, after, range);
      setShownDays(range);
      setConversations((shown) => [...(after ? (shown ?? []) : []), ...page.items]);
      setCursor(page.next_cursor ?? null);
    });
  useEffect(() => {
    void load(null);
  }, [chatbotId]);

  return (
    <section aria-labelledby="conversations-heading">
      <h2 id="conversations-heading">Conversations</h2>
      <form
        class="days"
        aria-label="Started between"
        onSubmit={(event) => {
          event.preventDefault();
          void load(null, days);
        }}
      >
        <Field label="Started on or after">
          <input type="date" value={days.from ?? ""} onInput={(event) => setDays({ ...days, from: event.currentTarget.value })} />
        </Field>
        <Field label="Started on or before">
          <input type="date" value={days.to ?? ""} onInput={(event) => setDays({ ...days, to: event.currentTarget.value })} />
        </Field>
        <Button type="submit" variant="plain" busy={loading.busy} busyLabel="Loading…">
          Show
        </Button>
      </form>
      <ErrorNote error={loading.error} />
      {conversations === null && loading.busy && <Loading what="conversations" />}
      {conversations !== null && conversations.length === 0 && (
        <p>{shownDays.from || shownDays.to ? "No conversations started in this range." : "No conversations yet."}</p>
      )}
      {conversations !== null && conversations.length > 0 && (
        <ul class="history" aria-label="Conversations, the most recent first">
          {conversations.map((conversation) => (
            <li key={conversation.id}>
              <button
                type="button"
                class="link"
                aria-current={open?.id === conversation.id ? "true" : undefined}
                onClick={() => onOpen(conversation)}
              >
                {conversation.title || "Untitled"}
              </button>
              <span class="hint">
                {" "}
                {momentText(conversation.created_at)} · {conversation.message_count} messages
              </span>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <Button variant="plain" busy={loading.busy} busyLabel="Loading…" onClick={() => void load(cursor)}>
          Show more conversations
        </Button>
      )}
    </section>
  );
}

function ConversationView({ chatbotId, conversation }: { chatbotId: string; conversation: ConversationSummary }) {
  const { api } = useConsole();
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [handoff, setHandoff] = useState<Handoff | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const loading = useAction();

  const load = (after: string | null) =>
    loading.run(async () => {
      const page = await api.conversation(chatbotId, conversation.id, after);
      setMessages((shown) => [...(after ? (shown ?? []) : []), ...page.messages]);
      setHandoff(page.handoff ?? null);
      setCursor(page.next_cursor ?? null);
    });
  useEffect(() => {
    void load(null);
  }, [conversation.id]);

  return (
    <section aria-labelledby="conversation-heading">
      <h2 id="conversation-heading">{conversation.title || "Untitled"}</h2>
      {handoff && (
        <p class="handoff-state">
          The visitor asked for a person on {momentText(handoff.requested_at)}: {HANDOFF_STATUS[handoff.status]}.
          {handoff.contact_email && <> They left the address {handoff.contact_email}.</>}
        </p>
      )}
      <ErrorNote error={loading.error} />
      {messages === null && loading.busy && <Loading what="the conversation" />}
      {messages !== null && (
        <ol class="turns" aria-label="Messages">
          {messages.map((message) => (
            <MessageView key={message.id} message={message} />
          ))}
        </ol>
      )}
      {cursor && (
        <Button variant="plain" busy={loading.busy} busyLabel="Loading…" onClick={() => void load(cursor)}>
          Show more messages
        </Button>
      )}
    </section>
  );
}

function MessageView({ message }: { message: Message }) {
  const sources = [...new Set(message.citations.map((citation) => documentName(citation.filename, citation.url)))];
  return (
    <li class={`turn ${message.role}`}>
      <p class="turn-head">
        <span class="who">
          {message.role === "user" ? "Asked" : message.person ? "A person answered" : "Answered"}{" "}
          {momentText(message.created_at)}
        </span>
        {message.role === "assistant" && (
          <AnswerBadges answerable={message.answerable ?? true} mode={message.mode} cited={message.citations.length > 0} />
        )}
      </p>
      <p>{message.content}</p>
      {sources.length > 0 && <p class="sources">Sources: {sources.join(", ")}</p>}
      {message.feedback && (
        <p class={`feedback ${message.feedback.rating}`}>
          {message.feedback.rating === "up" ? "Rated helpful" : "Rated not helpful"}
          {message.feedback.comment && `: “${message.feedback.comment}”`}
        </p>
      )}
    </li>
  );
}
