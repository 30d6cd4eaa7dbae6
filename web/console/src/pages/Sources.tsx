// A chatbot's sources besides uploaded files: websites (pages from a sitemap or by following links, synced again on
// a schedule or now), text snippets and Q&A pairs. While a source syncs, the list reads it again every two seconds.
import { useEffect, useState } from "preact/hooks";
import type { Chatbot, Source } from "../api/client";
import { ApiError } from "../api/errors";
import { Button, ErrorNote, Loading, TableScroll, useAction } from "../components/ui";
import { useConsole } from "../context";
import { pollUntil } from "../poll";
import { QaForm, TextForm, WebsiteForm } from "./SourceForms";
import { SourceView, StatusBadge, when } from "./SourceView";
import { isSyncing, TYPE_NAMES, websiteBody } from "./sourceRules";

/** A source read again: its new state, or null when it is gone (deleted elsewhere). */
interface Reread {
  id: string;
  source: Source | null;
}

export function Sources({ chatbot }: { chatbot: Chatbot }) {
  const { api } = useConsole();
  const [sources, setSources] = useState<Source[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [refreshError, setRefreshError] = useState<unknown>(null);
  const loading = useAction();

  const load = (after: string | null) =>
    loading.run(async () => {
      const page = await api.sources(chatbot.id, after);
      setSources((shown) => [...(after ? (shown ?? []) : []), ...page.items]);
      setCursor(page.next_cursor ?? null);
    });
  useEffect(() => {
    void load(null);
  }, [chatbot.id]);

  const replace = (fresh: Source) =>
    setSources((shown) => (shown ?? []).map((source) => (source.id === fresh.id ? fresh : source)));
  const remove = (id: string) => {
    setSources((shown) => (shown ?? []).filter((source) => source.id !== id));
    setOpenId((open) => (open === id ? null : open));
  };

  // Syncing sources are read again until none is; then nothing is polled.
  const syncing = (sources ?? []).filter(isSyncing).map((source) => source.id);
  useEffect(() => {
    if (syncing.length === 0) return;
    const reread = (id: string): Promise<Reread> =>
      api.source(chatbot.id, id).then(
        (source) => ({ id, source }),
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return { id, source: null };
          throw error;
        },
      );
    return pollUntil(
      () => Promise.all(syncing.map(reread)),
      (fresh) => fresh.every(({ source }) => source === null || !isSyncing(source)),
      (fresh) => {
        setRefreshError(null);
        for (const { id, source } of fresh) {
          if (source) replace(source);
          else remove(id);
        }
      },
      setRefreshError,
    );
  }, [syncing.join(" ")]);

  const added = (source: Source) => {
    setSources((shown) => [source, ...(shown ?? [])]);
    setOpenId(source.id);
  };
  const open = sources?.find((source) => source.id === openId) ?? null;

  return (
    <>
      <AddSource chatbotId={chatbot.id} onAdded={added} />
      <section aria-labelledby="sources-heading">
        <h2 id="sources-heading">Sources</h2>
        <ErrorNote error={loading.error} />
        <ErrorNote error={refreshError} />
        {sources === null && loading.busy && <Loading what="sources" />}
        {sources !== null && sources.length === 0 && <p>No sources yet: add a website, a text or a Q&A pair above.</p>}
        {sources !== null && sources.length > 0 && (
          <TableScroll label="Sources, scrollable">
            <table aria-label="Sources" class="sources-list">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Source</th>
                  <th scope="col">Status</th>
                  <th scope="col">Found</th>
                  <th scope="col">Indexed</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Skipped</th>
                  <th scope="col">Last sync</th>
                </tr>
              </thead>
              <tbody>
                {sources.map((source) => (
                  <tr key={source.id} data-status={source.status}>
                    <td data-label="Type">{TYPE_NAMES[source.type]}</td>
                    <td class="title" data-label="Source">
                      <button
                        type="button"
                        class="link"
                        aria-current={source.id === openId ? "true" : undefined}
                        onClick={() => setOpenId(source.id)}
                      >
                        {source.title}
                      </button>
                    </td>
                    <td data-label="Status">
                      <StatusBadge source={source} />
                    </td>
                    <td data-label="Found">{source.counts.found}</td>
                    <td data-label="Indexed">{source.counts.indexed}</td>
                    <td data-label="Failed">{source.counts.failed}</td>
                    <td data-label="Skipped">{source.counts.skipped}</td>
                    <td data-label="Last sync">{when(source.last_synced_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
        {cursor && (
          <Button variant="plain" busy={loading.busy} busyLabel="Loading…" onClick={() => void load(cursor)}>
            Show more sources
          </Button>
        )}
      </section>
      {open && (
        <SourceView
          key={open.id}
          chatbotId={chatbot.id}
          source={open}
          onChanged={replace}
          onDeleted={() => remove(open.id)}
        />
      )}
    </>
  );
}

const KINDS = ["website", "text", "qa"] as const;

function AddSource({ chatbotId, onAdded }: { chatbotId: string; onAdded: (source: Source) => void }) {
  const { api } = useConsole();
  const [kind, setKind] = useState<Source["type"]>("website");
  // Each addition gives a fresh, empty form.
  const [additions, setAdditions] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  const add = async (body: Parameters<typeof api.createSource>[1]) => {
    const source = await api.createSource(chatbotId, body);
    setAdditions(additions + 1);
    setNote(`Added “${source.title}”.`);
    onAdded(source);
  };
  return (
    <section aria-labelledby="add-source" class="add-source">
      <h2 id="add-source">Add a source</h2>
      <fieldset>
        <legend>What to add</legend>
        {KINDS.map((type) => (
          <label key={type} class="check">
            <input
              type="radio"
              name="source-kind"
              value={type}
              checked={kind === type}
              onChange={() => {
                setKind(type);
                setNote(null);
              }}
            />
            {TYPE_NAMES[type]}
          </label>
        ))}
      </fieldset>
      {kind === "website" && <WebsiteForm key={additions} onAdd={(draft) => add(websiteBody(draft))} />}
      {kind === "text" && (
        <TextForm
          key={additions}
          initial={{ title: "", text: "" }}
          name="Add a text snippet"
          submit="Add snippet"
          busyLabel="Adding…"
          onSave={(value) => add({ type: "text", ...value })}
        />
      )}
      {kind === "qa" && (
        <QaForm
          key={additions}
          initial={{ question: "", answer: "" }}
          name="Add a Q&A pair"
          submit="Add Q&A pair"
          busyLabel="Adding…"
          onSave={(value) => add({ type: "qa", ...value })}
        />
      )}
      <p role="status">{note}</p>
    </section>
  );
}
