// Try the chatbot as its visitors will: answers stream over the WebSocket API, with their citations; earlier
// conversations can be reopened and continued.
import type { Citation, ServerFrame } from "@parley/contract";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Chatbot, ConversationSummary, Message, Rating } from "../api/client";
import { ChatConnection } from "../api/chat";
import { AnswerRating } from "../components/AnswerRating";
import { Button, ErrorNote, Field, useAction } from "../components/ui";
import { useAnswerOptions } from "../answering";
import { useConsole } from "../context";
import { documentName, externalHref } from "../links";

export interface Turn {
  role: "user" | "assistant";
  content: string;
  citations: Citation[];
  answerable: boolean;
  streaming: boolean;
  // How the answer was made: "qa" when a Q&A pair answered it as written, with no model call.
  mode?: Message["mode"];
  error?: string;
  // An answer's id (from its start frame, or the stored message) and the rating it has.
  messageId?: string;
  rating?: Rating;
}

function turnOf(message: Message): Turn {
  return {
    role: message.role,
    content: message.content,
    citations: message.citations,
    answerable: message.answerable ?? true,
    mode: message.mode,
    streaming: false,
    messageId: message.role === "assistant" ? message.id : undefined,
    rating: message.feedback?.rating,
  };
}

/** The last turn (the answer being written) with `frame` applied. */
export function applyFrame(turn: Turn, frame: ServerFrame): Turn {
  switch (frame.type) {
    case "start":
      return { ...turn, messageId: frame.message_id };
    case "token":
      return { ...turn, content: turn.content + frame.text };
    case "citations":
      return { ...turn, citations: frame.citations };
    case "done":
      return { ...turn, streaming: false, answerable: frame.answerable ?? true, mode: frame.mode };
    case "error":
      return { ...turn, streaming: false, error: frame.message };
    default:
      return turn;
  }
}

export function Playground({ chatbot }: { chatbot: Chatbot }) {
  const { api, config, session } = useConsole();
  const [turns, setTurns] = useState<Turn[]>([]);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [question, setQuestion] = useState("");
  const [history, setHistory] = useState<ConversationSummary[] | null>(null);
  const [connectionNote, setConnectionNote] = useState<string | null>(null);
  const send = useAction();
  const reopen = useAction();
  const historyLoad = useAction();
  const connection = useRef<ChatConnection | null>(null);
  const streaming = turns.some((turn) => turn.streaming);
  const answering = useAnswerOptions();

  const loadHistory = () =>
    historyLoad.run(async () => {
      setHistory((await api.conversations(chatbot.id)).items);
    });

  useEffect(() => {
    const chat = new ChatConnection(config.websocketUrl, () => session.accessToken(), {
      onFrame: (frame) => {
        if (frame.type === "start") setConversationId(frame.conversation_id);
        setTurns((all) => (all.length ? [...all.slice(0, -1), applyFrame(all[all.length - 1]!, frame)] : all));
        if (frame.type === "done") void loadHistory();
      },
      onClosed: (reason) => {
        setConnectionNote(reason);
        setTurns((all) => all.map((turn) => (turn.streaming ? { ...turn, streaming: false, error: reason } : turn)));
      },
    });
    connection.current = chat;
    void loadHistory();
    return () => chat.close();
  }, [chatbot.id]);

  const ask = (event: Event) => {
    event.preventDefault();
    const asked = question.trim();
    if (!asked || streaming) return;
    void send.run(async () => {
      setConnectionNote(null);
      setTurns((all) => [
        ...all,
        { role: "user", content: asked, citations: [], answerable: true, streaming: false },
        { role: "assistant", content: "", citations: [], answerable: true, streaming: true },
      ]);
      setQuestion("");
      try {
        await connection.current?.send({
          action: "sendMessage",
          chatbot_id: chatbot.id,
          question: asked,
          ...(conversationId ? { conversation_id: conversationId } : {}),
        });
      } catch (error) {
        setTurns((all) => all.slice(0, -2));
        setQuestion(asked);
        throw error;
      }
    });
  };

  const open = (id: string) =>
    reopen.run(async () => {
      const conversation = await api.conversation(chatbot.id, id);
      setConversationId(conversation.id);
      setTurns(conversation.messages.map(turnOf));
    });

  return (
    <div class="playground">
      <aside aria-labelledby="history">
        <h2 id="history">Conversations</h2>
        <Button
          variant="plain"
          disabled={streaming}
          onClick={() => {
            setConversationId(null);
            setTurns([]);
          }}
        >
          New conversation
        </Button>
        <ErrorNote error={historyLoad.error ?? reopen.error} />
        {history !== null && history.length === 0 && <p>No conversations yet.</p>}
        <ul class="history">
          {(history ?? []).map((item) => (
            <li key={item.id}>
              <button
                type="button"
                class="link"
                aria-current={item.id === conversationId ? "true" : undefined}
                disabled={streaming || reopen.busy}
                onClick={() => void open(item.id)}
              >
                {item.title || "Untitled"} <span class="hint">({item.message_count} messages)</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <div class="chat">
        <h2>Playground</h2>
        {answering?.mode === "extractive" && (
          <p class="notice" role="note">
            No language model is configured on this deployment: answers are passages quoted from the documents, marked
            “Quotes from the documents”.
          </p>
        )}
        <ol class="turns" aria-label="Conversation" aria-live="polite">
          {turns.map((turn, index) => (
            <TurnView key={index} turn={turn} chatbotId={chatbot.id} />
          ))}
        </ol>
        {connectionNote && <p role="status">{connectionNote}</p>}
        <ErrorNote error={send.error} />
        <form class="ask" onSubmit={ask}>
          <Field label="Question">
            <input value={question} maxLength={2000} onInput={(e) => setQuestion(e.currentTarget.value)} />
          </Field>
          <Button type="submit" busy={streaming || send.busy} busyLabel="Answering…" disabled={!question.trim()}>
            Ask
          </Button>
        </form>
      </div>
    </div>
  );
}

/** What an answer is, beside who wrote it: not in the documents, a Q&A pair's, or quotes of its sources (no model
 * configured: an answer that cites nothing quotes nothing). */
export function AnswerBadges({ answerable, mode, cited }: { answerable: boolean; mode?: Message["mode"]; cited: boolean }) {
  return (
    <>
      {!answerable && <span class="badge">Not in the documents</span>}
      {mode === "qa" && <span class="badge">A Q&amp;A pair's answer</span>}
      {mode === "extractive" && answerable && cited && (
        <span class="badge quotes" title="No language model is configured: the answer is passages of the documents">
          Quotes from the documents
        </span>
      )}
    </>
  );
}

export function TurnView({ turn, chatbotId }: { turn: Turn; chatbotId: string }) {
  if (turn.role === "user") {
    return (
      <li class="turn user">
        <p class="turn-head">
          <span class="who">You</span>
        </p>
        <p>{turn.content}</p>
      </li>
    );
  }
  return (
    <li class="turn assistant" aria-busy={turn.streaming ? "true" : undefined}>
      <p class="turn-head">
        <span class="who">Chatbot</span>
        <AnswerBadges answerable={turn.answerable} mode={turn.mode} cited={turn.citations.length > 0} />
      </p>
      <p class="answer">{turn.content || (turn.streaming ? "…" : "")}</p>
      {turn.error && (
        <p class="error" role="alert">
          {turn.error}
        </p>
      )}
      {turn.citations.length > 0 && (
        <ol class="citations" aria-label="Sources">
          {turn.citations.map((citation, index) => (
            <CitationView key={citation.chunk_id} number={index + 1} citation={citation} />
          ))}
        </ol>
      )}
      {!turn.streaming && turn.messageId && (
        <AnswerRating key={turn.messageId} chatbotId={chatbotId} messageId={turn.messageId} rating={turn.rating} />
      )}
    </li>
  );
}

export function CitationView({ number, citation }: { number: number; citation: Citation }) {
  const [open, setOpen] = useState(false);
  const page = citation.page == null ? "" : `, page ${citation.page}`;
  const href = externalHref(citation.url);
  return (
    <li>
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        [{number}] {documentName(citation.filename, citation.url)}
        {page}
      </button>
      {href && (
        <>
          {" "}
          <a href={href} target="_blank" rel="noopener">
            Open page
          </a>
        </>
      )}
      {open && <blockquote>{citation.snippet}</blockquote>}
    </li>
  );
}
