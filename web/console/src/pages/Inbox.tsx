// The team's inbox of visitors who asked for a person: pushed live over the WebSocket API (an `inbox` frame for every
// change, a `visitor` frame for each message), waiting ones first. A member takes one (nobody else can then), reads
// the conversation, writes to the visitor, and hands it back to the bot or closes it.
import type { ServerFrame } from "@parley/contract";
import { useEffect, useRef, useState } from "preact/hooks";
import { ChatConnection } from "../api/chat";
import type { Handoff, Message, SignedInUser } from "../api/client";
import { Button, ErrorNote, Loading, useAction } from "../components/ui";
import { useConsole } from "../context";
import { momentText } from "../dates";

export const HANDOFF_STATUS: Record<Handoff["status"], string> = {
  waiting_for_human: "Waiting for a person",
  with_human: "Taken",
  unanswered: "Nobody took it in time",
  bot: "Back with the bot",
  closed: "Closed",
};

const key = (handoff: { chatbot_id: string; conversation_id: string }) =>
  `${handoff.chatbot_id}/${handoff.conversation_id}`;

export function Inbox({ me }: { me: SignedInUser }) {
  const { api, config, session } = useConsole();
  const [items, setItems] = useState<Handoff[] | null>(null);
  const [live, setLive] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  // Messages visitors wrote while the bot was silent, by conversation, as they were pushed.
  const [written, setWritten] = useState<Record<string, Message[]>>({});
  const load = useAction();
  const openRef = useRef(open);
  openRef.current = open;

  const refresh = () =>
    load.run(async () => {
      setItems((await api.handoffs()).items);
    });

  useEffect(() => {
    const connection = new ChatConnection(config.websocketUrl, () => session.accessToken(), {
      onFrame: (frame: ServerFrame) => {
        if (frame.type === "inbox") void refresh();
        if (frame.type === "visitor") {
          const message: Message = {
            id: frame.message_id,
            role: "user",
            content: frame.text,
            citations: [],
            degraded: false,
            interrupted: false,
            answerable: true,
            created_at: new Date().toISOString(),
          };
          const at = key(frame);
          setWritten((all) => ({ ...all, [at]: [...(all[at] ?? []), message] }));
        }
      },
      onClosed: () => setLive("Live updates stopped. Reload the page to see new requests."),
    });
    connection.listen().then(
      () => {
        setLive(null);
        // What arrived between the first read and the connection (pushed to nobody yet) is read once it is open.
        void refresh();
      },
      () => setLive("Live updates are unavailable. Reload the page to see new requests."),
    );
    void refresh();
    return () => connection.close();
  }, []);

  // Nothing is pushed when a waiting request's deadline passes (nothing runs then): read the inbox again at the next
  // deadline, when the request becomes one nobody took (not over and over if this clock runs ahead of the server's).
  useEffect(() => {
    const deadlines = (items ?? [])
      .filter((item) => item.status === "waiting_for_human")
      .map((item) => Date.parse(item.wait_until) - Date.now())
      .filter((untilDeadline) => untilDeadline > -5000);
    if (deadlines.length === 0) return;
    const timer = setTimeout(() => void refresh(), Math.max(0, Math.min(...deadlines)) + 500);
    return () => clearTimeout(timer);
  }, [items]);

  const selected = items?.find((item) => key(item) === open) ?? null;
  return (
    <main id="main" class="inbox">
      <h1>Inbox</h1>
      <p class="hint">Visitors who asked for a person. New requests appear here as they come.</p>
      {live && <p class="notice">{live}</p>}
      <ErrorNote error={load.error} />
      {items === null ? (
        <Loading what="the inbox" />
      ) : items.length === 0 ? (
        <p>Nobody is waiting for a person.</p>
      ) : (
        <ul class="handoffs" aria-label="Requests for a person">
          {items.map((item) => (
            <HandoffRow
              key={key(item)}
              item={item}
              me={me}
              selected={key(item) === open}
              onOpen={() => setOpen(key(item))}
              onChanged={() => void refresh()}
            />
          ))}
        </ul>
      )}
      {selected && selected.status === "with_human" && selected.taken_by === me.id && (
        <HeldConversation
          key={open}
          handoff={selected}
          pushed={written[key(selected)] ?? []}
          onEnded={() => {
            setOpen(null);
            void refresh();
          }}
        />
      )}
    </main>
  );
}

function HandoffRow(props: {
  item: Handoff;
  me: SignedInUser;
  selected: boolean;
  onOpen: () => void;
  onChanged: () => void;
}) {
  const { item, me, selected, onOpen, onChanged } = props;
  const { api } = useConsole();
  const take = useAction();
  const mine = item.status === "with_human" && item.taken_by === me.id;
  return (
    <li class={`handoff ${item.status}${selected ? " selected" : ""}`}>
      <p class="status">
        <span class="badge">{HANDOFF_STATUS[item.status]}</span>{" "}
        {item.status === "waiting_for_human" ? `since ${momentText(item.requested_at)}` : ""}
        {item.status === "with_human" && !mine ? " by another member" : ""}
      </p>
      <p class="question">
        <strong>Question:</strong> {item.question}
      </p>
      {item.last_answer && (
        <p class="answer">
          <strong>Last answer:</strong> {item.last_answer}
        </p>
      )}
      {item.contact_email && (
        <p class="contact">
          <strong>E-mail left:</strong> <a href={`mailto:${item.contact_email}`}>{item.contact_email}</a>
        </p>
      )}
      {item.status === "waiting_for_human" && (
        <Button
          busy={take.busy}
          busyLabel="Taking…"
          onClick={() =>
            take.run(async () => {
              try {
                await api.takeHandoff(item.chatbot_id, item.conversation_id);
                onOpen();
              } finally {
                onChanged();
              }
            })
          }
        >
          Take
        </Button>
      )}
      {mine && !selected && (
        <Button variant="plain" onClick={onOpen}>
          Open
        </Button>
      )}
      <ErrorNote error={take.error} />
    </li>
  );
}

function HeldConversation(props: { handoff: Handoff; pushed: Message[]; onEnded: () => void }) {
  const { handoff, pushed, onEnded } = props;
  const { api } = useConsole();
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [text, setText] = useState("");
  const load = useAction();
  const send = useAction();
  const end = useAction();
  useEffect(() => {
    void load.run(async () => {
      setMessages((await api.conversation(handoff.chatbot_id, handoff.conversation_id)).messages);
    });
  }, []);
  const shown = [...(messages ?? []), ...pushed.filter((message) => !messages?.some((m) => m.id === message.id))];
  const reply = (event: Event) => {
    event.preventDefault();
    const written = text.trim();
    if (!written) return;
    void send.run(async () => {
      const message = await api.replyAsPerson(handoff.chatbot_id, handoff.conversation_id, written);
      setMessages((all) => [...(all ?? []), message]);
      setText("");
    });
  };
  const release = (close: boolean) =>
    end.run(async () => {
      await api.handBack(handoff.chatbot_id, handoff.conversation_id, close);
      onEnded();
    });
  return (
    <section class="held" aria-labelledby="held-title">
      <h2 id="held-title">Conversation</h2>
      <ErrorNote error={load.error} />
      {messages === null ? (
        <Loading what="the conversation" />
      ) : (
        <ol class="messages" aria-label="Messages">
          {shown.map((message) => (
            <li key={message.id} class={`message ${message.person ? "person" : message.role}`}>
              <span class="who">
                {message.role === "user" ? "Visitor" : message.person ? "You (a person)" : "Bot"}:
              </span>{" "}
              {message.content}
            </li>
          ))}
        </ol>
      )}
      <form class="reply" onSubmit={reply}>
        <label for="person-reply">Your reply to the visitor</label>
        <textarea
          id="person-reply"
          rows={3}
          maxLength={4000}
          value={text}
          onInput={(event) => setText((event.currentTarget as HTMLTextAreaElement).value)}
        />
        <Button type="submit" busy={send.busy} busyLabel="Sending…">
          Send
        </Button>
      </form>
      <ErrorNote error={send.error} />
      <p class="actions">
        <Button variant="plain" busy={end.busy} busyLabel="Handing back…" onClick={() => release(false)}>
          Hand back to the bot
        </Button>
        <Button variant="plain" disabled={end.busy} onClick={() => release(true)}>
          Close
        </Button>
      </p>
      <ErrorNote error={end.error} />
    </section>
  );
}
