// The organization's chatbots: a paged list, and a form to create one.
import { useEffect, useState } from "preact/hooks";
import type { Chatbot } from "../api/client";
import { useAnswerOptions } from "../answering";
import { Button, ErrorNote, Field, Loading, TableScroll, useAction } from "../components/ui";
import { useConsole } from "../context";
import { href, navigate } from "../router";

const VISIBILITY: Record<Chatbot["visibility"], string> = { private: "Private", public: "Public" };

export function Chatbots() {
  const { api } = useConsole();
  const [chatbots, setChatbots] = useState<Chatbot[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const loading = useAction();
  const answering = useAnswerOptions();
  const more = (after: string | null) =>
    loading.run(async () => {
      const page = await api.chatbots(after);
      setChatbots((shown) => [...(after ? (shown ?? []) : []), ...page.items]);
      setCursor(page.next_cursor ?? null);
    });
  useEffect(() => {
    void more(null);
  }, []);

  return (
    <main id="main">
      <h1>Chatbots</h1>
      <CreateChatbot />
      <section aria-labelledby="your-chatbots">
        <h2 id="your-chatbots">Your chatbots</h2>
        <ErrorNote error={loading.error} />
        {chatbots === null && loading.busy && <Loading what="your chatbots" />}
        {chatbots !== null && chatbots.length === 0 && <p>No chatbots yet: create the first one above.</p>}
        {chatbots !== null && chatbots.length > 0 && (
          <TableScroll label="Your chatbots, scrollable">
            <table aria-label="Your chatbots">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Answers with</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {chatbots.map((bot) => (
                  <tr key={bot.id} data-status={bot.status}>
                    <td data-label="Name">
                      {/* One being deleted is only listed until it is gone: there is nothing left to open. */}
                      {bot.status === "deleting" ? (
                        bot.name
                      ) : (
                        <a href={href({ page: "chatbot", id: bot.id, tab: "settings" })}>{bot.name}</a>
                      )}
                    </td>
                    <td data-label="Visibility">{VISIBILITY[bot.visibility]}</td>
                    <td data-label="Answers with">
                      {answering?.mode === "extractive" ? (
                        <>
                          Quotes from the documents <span class="hint">({bot.model_name} unused: no model)</span>
                        </>
                      ) : (
                        bot.model_name
                      )}
                    </td>
                    <td data-label="Status">{bot.status === "deleting" ? "Being deleted" : "Active"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
        {cursor && (
          <Button variant="plain" busy={loading.busy} busyLabel="Loading…" onClick={() => void more(cursor)}>
            Show more chatbots
          </Button>
        )}
      </section>
    </main>
  );
}

function CreateChatbot() {
  const { api } = useConsole();
  const [name, setName] = useState("");
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const created = await api.createChatbot({ name });
      navigate({ page: "chatbot", id: created.id, tab: "documents" });
    });
  };
  return (
    <section aria-labelledby="new-chatbot">
      <h2 id="new-chatbot">New chatbot</h2>
      <form class="inline" onSubmit={submit}>
        <Field label="Name">
          <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Button type="submit" busy={action.busy} busyLabel="Creating…">
          Create chatbot
        </Button>
      </form>
      <ErrorNote error={action.error} />
    </section>
  );
}
