// The organization's API keys (owners only): create one (shown once), see when each was last used, revoke.
import { useEffect, useState } from "preact/hooks";
import type { ApiKey, ApiKeyCreated, Chatbot } from "../api/client";
import { Button, ErrorNote, Field, Loading, TableScroll, useAction } from "../components/ui";
import { useConsole } from "../context";
import { momentText } from "../dates";
import { docsUrl } from "../links";

function when(moment: string | null | undefined): string {
  return moment ? momentText(moment) : "Never";
}

export function Keys() {
  const { api, config } = useConsole();
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [chatbots, setChatbots] = useState<Chatbot[]>([]);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const loading = useAction();
  const more = (after: string | null) =>
    loading.run(async () => {
      const page = await api.apiKeys(after);
      setKeys((shown) => [...(after ? (shown ?? []) : []), ...page.items]);
      setCursor(page.next_cursor ?? null);
    });
  useEffect(() => {
    void more(null);
    api.chatbots().then((page) => setChatbots(page.items.filter((bot) => bot.status === "active")), () => undefined);
  }, []);
  const chatbotName = (id: string | null | undefined) =>
    id ? (chatbots.find((bot) => bot.id === id)?.name ?? "One chatbot") : "All chatbots";

  return (
    <main id="main">
      <h1>API keys</h1>
      <p>
        Keys let your servers call the Parley API: send one as <code>Authorization: Bearer sk_…</code>. A key acts for
        the organization (or one chatbot), never for a person: it cannot manage the team, keys or the organization.
        Every route, with what it takes and answers, is in the <a href={docsUrl(config.apiUrl)}>API reference</a>.
      </p>
      {created ? (
        <NewKey created={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateKey
          chatbots={chatbots}
          onCreated={(key) => {
            setCreated(key);
            void more(null);
          }}
        />
      )}
      <section aria-labelledby="your-keys">
        <h2 id="your-keys">Your keys</h2>
        <ErrorNote error={loading.error} />
        {keys === null && loading.busy && <Loading what="your keys" />}
        {keys !== null && keys.length === 0 && <p>No keys yet.</p>}
        {keys !== null && keys.length > 0 && (
          <TableScroll label="Your keys, scrollable">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Chatbot</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((key) => (
                  <KeyRow
                    key={key.id}
                    apiKey={key}
                    chatbot={chatbotName(key.chatbot_id)}
                    onRevoked={() => setKeys((shown) => (shown ?? []).filter((other) => other.id !== key.id))}
                  />
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
        {cursor && (
          <Button variant="plain" busy={loading.busy} busyLabel="Loading…" onClick={() => void more(cursor)}>
            Show more keys
          </Button>
        )}
      </section>
    </main>
  );
}

function CreateKey({ chatbots, onCreated }: { chatbots: Chatbot[]; onCreated: (key: ApiKeyCreated) => void }) {
  const { api } = useConsole();
  const [name, setName] = useState("");
  const [chatbotId, setChatbotId] = useState("");
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      onCreated(await api.createApiKey({ name, chatbot_id: chatbotId || null }));
      setName("");
      setChatbotId("");
    });
  };
  return (
    <section aria-labelledby="new-key">
      <h2 id="new-key">New key</h2>
      <form class="inline" onSubmit={submit}>
        <Field label="Name" hint="What uses it, e.g. “Helpdesk server”">
          <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Chatbot">
          <select value={chatbotId} onChange={(e) => setChatbotId(e.currentTarget.value)}>
            <option value="">All chatbots</option>
            {chatbots.map((bot) => (
              <option key={bot.id} value={bot.id}>
                {bot.name}
              </option>
            ))}
          </select>
        </Field>
        <Button type="submit" busy={action.busy} busyLabel="Creating…">
          Create key
        </Button>
      </form>
      <ErrorNote error={action.error} />
    </section>
  );
}

function NewKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(created.key).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return (
    <section aria-labelledby="key-created" class="panel">
      <h2 id="key-created">Key “{created.name}” created</h2>
      <p>
        <strong>Copy this key now: you won't see it again.</strong> Parley keeps only a fingerprint of it.
      </p>
      <Field label="Your new key">
        <input class="secret" readOnly value={created.key} onFocus={(e) => e.currentTarget.select()} />
      </Field>
      <Button onClick={() => void copy()}>Copy key</Button>{" "}
      <Button variant="plain" onClick={onDone}>
        Done
      </Button>
      <p role="status">{copied === true ? "Copied." : copied === false ? "Could not copy: select the key and copy it." : ""}</p>
    </section>
  );
}

function KeyRow({ apiKey, chatbot, onRevoked }: { apiKey: ApiKey; chatbot: string; onRevoked: () => void }) {
  const { api } = useConsole();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const revoke = () =>
    action.run(async () => {
      await api.revokeApiKey(apiKey.id);
      onRevoked();
    });
  return (
    <tr>
      <td data-label="Name">{apiKey.name}</td>
      <td data-label="Key">
        <code>{apiKey.prefix}…</code>
      </td>
      <td data-label="Chatbot">{chatbot}</td>
      <td data-label="Created">{when(apiKey.created_at)}</td>
      <td data-label="Last used">{when(apiKey.last_used_at)}</td>
      <td>
        {confirming ? (
          <div role="group" aria-label={`Revoke ${apiKey.name}?`}>
            <span>Requests with this key will be refused at once. </span>
            <Button variant="danger" busy={action.busy} busyLabel="Revoking…" onClick={() => void revoke()}>
              Revoke “{apiKey.name}”
            </Button>{" "}
            <Button variant="plain" onClick={() => setConfirming(false)}>
              Keep it
            </Button>
          </div>
        ) : (
          <Button variant="plain" onClick={() => setConfirming(true)}>
            Revoke…
          </Button>
        )}
        <ErrorNote error={action.error} />
      </td>
    </tr>
  );
}
