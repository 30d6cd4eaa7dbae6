// One chatbot: its settings, documents, sources, playground, embed snippet and conversations, as tabs.
import { useEffect, useState } from "preact/hooks";
import type { Chatbot as ChatbotRecord } from "../api/client";
import { ApiError } from "../api/errors";
import { ErrorNote, Loading } from "../components/ui";
import { useConsole } from "../context";
import { CHATBOT_TABS, type ChatbotTab, href } from "../router";
import { Conversations } from "./Conversations";
import { Analytics } from "./Analytics";
import { Documents } from "./Documents";
import { Embed } from "./Embed";
import { Gaps } from "./Gaps";
import { Playground } from "./Playground";
import { Settings } from "./Settings";
import { Sources } from "./Sources";

const TAB_NAMES: Record<ChatbotTab, string> = {
  settings: "Settings",
  documents: "Documents",
  sources: "Sources",
  playground: "Playground",
  embed: "Embed",
  conversations: "Conversations",
  analytics: "Analytics",
  gaps: "Gaps",
};

export function Chatbot({ id, tab }: { id: string; tab: ChatbotTab }) {
  const { api } = useConsole();
  const [chatbot, setChatbot] = useState<ChatbotRecord | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setChatbot(null);
    setError(null);
    api.chatbot(id).then(setChatbot, setError);
  }, [id]);

  if (error instanceof ApiError && error.status === 404) {
    return (
      <main id="main">
        <h1>Chatbot not found</h1>
        <p>
          No chatbot of your organization has this address. <a href={href({ page: "chatbots" })}>See your chatbots</a>
        </p>
      </main>
    );
  }
  if (error) {
    return (
      <main id="main">
        <h1>Chatbot</h1>
        <ErrorNote error={error} />
      </main>
    );
  }
  if (chatbot === null) {
    return (
      <main id="main">
        <Loading what="the chatbot" />
      </main>
    );
  }
  return (
    <main id="main">
      <p class="crumbs">
        <a href={href({ page: "chatbots" })}>Chatbots</a> / {chatbot.name}
      </p>
      <h1>{chatbot.name}</h1>
      {chatbot.status === "deleting" && <p role="status">This chatbot is being deleted.</p>}
      <nav class="tabs" aria-label="Chatbot sections">
        {CHATBOT_TABS.map((name) => (
          <a key={name} href={href({ page: "chatbot", id, tab: name })} aria-current={name === tab ? "page" : undefined}>
            {TAB_NAMES[name]}
          </a>
        ))}
      </nav>
      <section aria-label={TAB_NAMES[tab]}>
        {tab === "settings" && <Settings chatbot={chatbot} onSaved={setChatbot} />}
        {tab === "documents" && <Documents chatbot={chatbot} />}
        {tab === "sources" && <Sources chatbot={chatbot} />}
        {tab === "playground" && <Playground chatbot={chatbot} />}
        {tab === "embed" && <Embed chatbot={chatbot} />}
        {tab === "conversations" && <Conversations chatbot={chatbot} />}
        {tab === "analytics" && <Analytics chatbot={chatbot} />}
        {tab === "gaps" && <Gaps chatbot={chatbot} />}
      </section>
    </main>
  );
}
