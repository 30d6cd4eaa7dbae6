// One source, opened: a website's pages (read again as its counts move), "Sync now" and its settings; a snippet's or
// a pair's text to edit; and deletion, confirmed first.
import { useEffect, useState } from "preact/hooks";
import type { Page, Source, SourcePage } from "../api/client";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Button, ErrorNote, Loading, TableScroll, useAction } from "../components/ui";
import { useConsole } from "../context";
import { momentText } from "../dates";
import { externalHref } from "../links";
import { QaForm, TextForm, WebsiteSettingsForm } from "./SourceForms";
import {
  changedFields,
  settledPages,
  stateOf,
  type WebsiteSettings,
  websiteChanges,
  websiteSettingsOf,
} from "./sourceRules";

const PAGE_STATUS_NAMES: Record<SourcePage["status"], string> = {
  queued: "Queued",
  fetching: "Fetching",
  indexed: "Indexed",
  failed: "Failed",
  skipped: "Skipped",
  removed: "Removed",
};

export function when(at: string | null | undefined): string {
  return at ? momentText(at) : "–";
}

/** A web address as a link to the page, in a new tab; an address that is no web page's stays text. */
export function PageLink({ url }: { url: string }) {
  const target = externalHref(url);
  return target ? (
    <a href={target} target="_blank" rel="noopener noreferrer">
      {url}
    </a>
  ) : (
    <>{url}</>
  );
}

export function StatusBadge({ source }: { source: Source }) {
  const state = stateOf(source);
  const { found } = source.counts;
  return (
    <>
      <span class={`status ${state.badge}`}>{state.label}</span>
      {source.status === "syncing" && source.type === "website" && found > 0 && (
        <progress max={found} value={settledPages(source.counts)} aria-label={`Pages done of ${source.title}`} />
      )}
    </>
  );
}

export function SourceView({
  chatbotId,
  source,
  onChanged,
  onDeleted,
}: {
  chatbotId: string;
  source: Source;
  onChanged: (source: Source) => void;
  onDeleted: () => void;
}) {
  const { api } = useConsole();
  // Saving what has not changed sends nothing.
  const update = async (body: Parameters<typeof api.updateSource>[2]) => {
    if (Object.keys(body).length > 0) onChanged(await api.updateSource(chatbotId, source.id, body));
  };
  return (
    <section class="source" aria-labelledby="source-heading">
      <h2 id="source-heading">{source.title}</h2>
      <p>
        <StatusBadge source={source} /> {stateOf(source).detail}
      </p>
      {source.type === "website" && (
        <Website
          chatbotId={chatbotId}
          source={source}
          onChanged={onChanged}
          onSave={(settings) => update(websiteChanges(source, settings))}
        />
      )}
      {source.type === "text" && (
        <TextForm
          initial={{ title: source.title, text: source.text ?? "" }}
          name="Edit the snippet"
          submit="Save snippet"
          busyLabel="Saving…"
          savedNote="Saved: it is being indexed again."
          onSave={(value) => update(changedFields({ title: source.title, text: source.text }, value))}
        />
      )}
      {source.type === "qa" && (
        <QaForm
          initial={{ question: source.question ?? source.title, answer: source.answer ?? "" }}
          name="Edit the Q&A pair"
          submit="Save Q&A pair"
          busyLabel="Saving…"
          savedNote="Saved: it is being indexed again."
          onSave={(value) => update(changedFields({ question: source.question, answer: source.answer }, value))}
        />
      )}
      <div class="danger-zone">
        <ConfirmDialog
          opener="Delete source…"
          heading={`Delete “${source.title}”?`}
          confirm="Delete source"
          busyLabel="Deleting…"
          onConfirm={async () => {
            await api.deleteSource(chatbotId, source.id);
            onDeleted();
          }}
        >
          <p>
            {source.type === "website"
              ? "Its pages leave the chatbot's documents and the chatbot no longer answers from them."
              : "The chatbot no longer answers from it."}{" "}
            This cannot be undone.
          </p>
        </ConfirmDialog>
      </div>
    </section>
  );
}

function Website({
  chatbotId,
  source,
  onChanged,
  onSave,
}: {
  chatbotId: string;
  source: Source;
  onChanged: (source: Source) => void;
  onSave: (settings: WebsiteSettings) => Promise<void>;
}) {
  return (
    <>
      <dl class="facts">
        <div>
          <dt>Address</dt>
          <dd>
            <PageLink url={source.url ?? source.title} />
          </dd>
        </div>
        <div>
          <dt>Pages found by</dt>
          <dd>{source.mode === "crawl" ? "following links" : "its sitemap"}</dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>{when(source.last_synced_at)}</dd>
        </div>
        <div>
          <dt>Next sync</dt>
          <dd>{when(source.next_sync_at)}</dd>
        </div>
      </dl>
      {/* A refusal (409: a sync runs) is about that sync: it goes when the status changes. */}
      <SyncNow key={source.status} chatbotId={chatbotId} source={source} onChanged={onChanged} />
      <SourcePages chatbotId={chatbotId} source={source} />
      <WebsiteSettingsForm initial={websiteSettingsOf(source)} onSave={onSave} />
    </>
  );
}

function SyncNow({
  chatbotId,
  source,
  onChanged,
}: {
  chatbotId: string;
  source: Source;
  onChanged: (source: Source) => void;
}) {
  const { api } = useConsole();
  const sync = useAction();
  return (
    <>
      <Button
        busy={sync.busy}
        busyLabel="Starting the sync…"
        onClick={() => void sync.run(async () => onChanged(await api.syncSource(chatbotId, source.id)))}
      >
        Sync now
      </Button>
      <ErrorNote error={sync.error} />
    </>
  );
}

/** The website's pages a page at a time; the shown one is read again whenever the source's counts move. */
function SourcePages({ chatbotId, source }: { chatbotId: string; source: Source }) {
  const { api } = useConsole();
  // The cursor of each page of pages opened so far: the last is the one shown (null, the first).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [shown, setShown] = useState<Page<SourcePage> | null>(null);
  const loading = useAction();
  const cursor = cursors[cursors.length - 1];
  const { counts } = source;
  const progress = [source.status, counts.found, counts.indexed, counts.failed, counts.skipped, source.updated_at].join();
  useEffect(() => {
    let current = true;
    void loading.run(async () => {
      const page = await api.sourcePages(chatbotId, source.id, cursor);
      if (current) setShown(page);
    });
    return () => {
      current = false;
    };
  }, [cursor, progress]);

  return (
    <section aria-labelledby="pages-heading">
      <h3 id="pages-heading">Pages</h3>
      <ErrorNote error={loading.error} />
      {shown === null && loading.busy && <Loading what="pages" />}
      {shown !== null && shown.items.length === 0 && (
        <p>{source.status === "syncing" ? "No pages yet: they appear here as they are found." : "No pages."}</p>
      )}
      {shown !== null && shown.items.length > 0 && (
        <TableScroll label="Pages, scrollable">
          <table aria-label="Pages">
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Fetched</th>
              </tr>
            </thead>
            <tbody>
              {shown.items.map((page) => (
                <tr key={page.url} data-status={page.status}>
                  <td class="address" data-label="Address">
                    <PageLink url={page.url} />
                  </td>
                  <td data-label="Title">{page.title ?? "–"}</td>
                  <td data-label="Status">
                    <span class={`status ${page.status}`}>{PAGE_STATUS_NAMES[page.status]}</span>
                    {page.reason && <span class="reason">: {page.reason}</span>}
                  </td>
                  <td data-label="Fetched">{when(page.fetched_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {(cursors.length > 1 || shown?.next_cursor) && (
        <div class="row-actions">
          <Button
            variant="plain"
            disabled={cursors.length === 1 || loading.busy}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            Previous pages
          </Button>
          <Button
            variant="plain"
            disabled={!shown?.next_cursor || loading.busy}
            onClick={() => shown?.next_cursor && setCursors([...cursors, shown.next_cursor])}
          >
            Next pages
          </Button>
        </div>
      )}
    </section>
  );
}
