// A chatbot's documents: upload several at once (dropped or chosen) straight to S3, each row showing its upload's
// progress and then its status, which refreshes by itself until the document is indexed or failed; an uploaded
// document can be replaced by a new version of its file (same document, its current content answering until the new
// one is in), or deleted once confirmed. A source's documents change with their source, never here.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Chatbot, Document } from "../api/client";
import { messageOf } from "../api/errors";
import { sendFile } from "../api/upload";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Button, ErrorNote, Loading, TableScroll, useAction } from "../components/ui";
import { useConsole } from "../context";
import { href } from "../router";

const POLL_MS = 2000;
// Browsers leave the type of some files empty (Markdown, often); the API wants the type the extension implies.
const TYPES_BY_EXTENSION: Record<string, string> = {
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  html: "text/html",
  htm: "text/html",
  md: "text/markdown",
  markdown: "text/markdown",
  txt: "text/plain",
  csv: "text/csv",
};
const ACCEPT = Object.keys(TYPES_BY_EXTENSION)
  .map((extension) => `.${extension}`)
  .join(",");
const STATUS_NAMES: Record<Document["status"], string> = {
  pending_upload: "Waiting for the upload",
  processing: "Processing",
  indexed: "Indexed",
  failed: "Failed",
};

export function contentTypeOf(file: File): string {
  const extension = file.name.split(".").pop()?.toLowerCase() ?? "";
  return TYPES_BY_EXTENSION[extension] ?? (file.type || "application/octet-stream");
}

export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** This console's upload of a document's file: being sent (the share sent), sent, or refused by the storage. */
export interface Upload {
  share: number;
  state: "sending" | "sent" | "failed";
  error?: string;
}

/** A file refused before it became a document (the plan's limit, a type Parley does not read). */
interface Refusal {
  id: number;
  name: string;
  error: string;
}

/** What a document's row says of it: its status, or, while it waits for its file, how this console's upload of it
 * goes (a page opened later knows nothing of an upload: the file is awaited). */
export function statusText(document: Document, upload?: Upload): { label: string; tone: string } {
  if (document.status !== "pending_upload" || upload === undefined) {
    return { label: STATUS_NAMES[document.status], tone: document.status };
  }
  switch (upload.state) {
    case "sending":
      return { label: `Uploading, ${Math.round(upload.share * 100)}%`, tone: "processing" };
    case "sent":
      return { label: "Uploaded, queued for processing", tone: "processing" };
    case "failed":
      return { label: `Upload failed: ${upload.error ?? "the storage refused the file"}`, tone: "failed" };
  }
}

const isSettled = (document: Document) => document.status === "indexed" || document.status === "failed";

/** Whether the document's status may still change by itself: it is being indexed, or a new version is awaited. */
export const isChanging = (document: Document) => !isSettled(document) || document.replacing_with != null;

/** Whether the owner may upload a new version: an uploaded file (a source's documents change with their source), not
 * being indexed and not already awaiting one. */
export const canReplace = (document: Document) => !document.source_id && !isChanging(document);

function requestOf(file: File) {
  return { filename: file.name, content_type: contentTypeOf(file), size_bytes: file.size };
}

export function Documents({ chatbot }: { chatbot: Chatbot }) {
  const { api } = useConsole();
  const [documents, setDocuments] = useState<Document[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  // This console's uploads, by document id; and the files refused before they became documents.
  const [uploads, setUploads] = useState<Record<string, Upload>>({});
  const [refusals, setRefusals] = useState<Refusal[]>([]);
  const [dragging, setDragging] = useState(false);
  const loading = useAction();
  const nextRefusal = useRef(0);

  const load = (after: string | null) =>
    loading.run(async () => {
      const page = await api.documents(chatbot.id, after);
      setDocuments((shown) => [...(after ? (shown ?? []) : []), ...page.items]);
      setCursor(page.next_cursor ?? null);
    });
  useEffect(() => {
    void load(null);
  }, [chatbot.id]);

  // Documents not yet indexed or failed, or awaiting a new version, are read again every two seconds, until settled
  // (one whose upload failed here waits for nothing).
  const unsettled = (documents ?? [])
    .filter((document) => isChanging(document) && uploads[document.id]?.state !== "failed")
    .map((document) => document.id);
  useEffect(() => {
    if (unsettled.length === 0) return;
    const timer = setTimeout(async () => {
      const fresh = await Promise.all(unsettled.map((id) => api.document(chatbot.id, id).catch(() => null)));
      const byId = new Map(fresh.filter((d): d is Document => d !== null).map((d) => [d.id, d]));
      setDocuments((shown) => (shown ?? []).map((document) => byId.get(document.id) ?? document));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [documents]);

  const track = (id: string, upload: Upload | null) =>
    setUploads((all) => {
      const { [id]: _, ...others } = all;
      return upload === null ? others : { ...others, [id]: upload };
    });

  const upload = async (file: File) => {
    let created;
    try {
      created = await api.createDocument(chatbot.id, requestOf(file));
    } catch (error) {
      const id = nextRefusal.current++;
      setRefusals((all) => [...all, { id, name: file.name, error: messageOf(error) }]);
      return;
    }
    const id = created.document.id;
    track(id, { share: 0, state: "sending" });
    setDocuments((shown) => [...(shown ?? []), created.document]);
    try {
      await sendFile(created.upload, file, (share) => track(id, { share, state: "sending" }));
      track(id, { share: 1, state: "sent" });
    } catch (error) {
      track(id, { share: 0, state: "failed", error: messageOf(error) });
    }
  };
  const uploadAll = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) void upload(file);
  };

  return (
    <>
      <h2>Documents</h2>
      <div
        class={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          uploadAll(event.dataTransfer?.files ?? null);
        }}
      >
        <p>Drop files here (PDF, Word, HTML, Markdown, text, CSV), or</p>
        <label class="button primary file-button">
          Choose files…
          <input
            type="file"
            multiple
            accept={ACCEPT}
            class="visually-hidden"
            onChange={(event) => {
              uploadAll(event.currentTarget.files);
              event.currentTarget.value = "";
            }}
          />
        </label>
      </div>
      {refusals.length > 0 && (
        <ul class="refusals" aria-label="Files not uploaded">
          {refusals.map((refusal) => (
            <li key={refusal.id}>
              <p class="error" role="alert">
                {refusal.name} was not uploaded: {refusal.error}
              </p>
              <Button
                variant="plain"
                aria-label={`Dismiss the note about ${refusal.name}`}
                onClick={() => setRefusals((all) => all.filter((other) => other.id !== refusal.id))}
              >
                Dismiss
              </Button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={loading.error} />
      {documents === null && loading.busy && <Loading what="documents" />}
      {documents !== null && documents.length === 0 && <p>No documents yet.</p>}
      {documents !== null && documents.length > 0 && (
        <TableScroll label="Documents, scrollable">
          <table aria-label="Documents">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Size</th>
                <th scope="col">Status</th>
                <th scope="col">Chunks</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {documents.map((document) => (
                <DocumentRow
                  key={document.id}
                  chatbotId={chatbot.id}
                  document={document}
                  upload={uploads[document.id]}
                  onDeleted={() => {
                    track(document.id, null);
                    setDocuments((shown) => (shown ?? []).filter((d) => d.id !== document.id));
                  }}
                  onChanged={(changed) =>
                    setDocuments((shown) => (shown ?? []).map((d) => (d.id === changed.id ? changed : d)))
                  }
                />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {cursor && (
        <Button variant="plain" busy={loading.busy} busyLabel="Loading…" onClick={() => void load(cursor)}>
          Show more documents
        </Button>
      )}
    </>
  );
}

function DocumentRow({
  chatbotId,
  document,
  upload,
  onDeleted,
  onChanged,
}: {
  chatbotId: string;
  document: Document;
  upload: Upload | undefined;
  onDeleted: () => void;
  onChanged: (document: Document) => void;
}) {
  const { api } = useConsole();
  const replacing = useAction();
  const status = statusText(document, upload);
  const sending = document.status === "pending_upload" && upload?.state === "sending";
  const [sent, setSent] = useState<number | null>(null);

  const replace = (file: File) =>
    replacing.run(async () => {
      setSent(0);
      try {
        const ticket = await api.replaceDocument(chatbotId, document.id, requestOf(file));
        onChanged(ticket.document);
        await sendFile(ticket.upload, file, setSent);
      } finally {
        setSent(null);
      }
    });

  return (
    <tr data-status={document.status} data-version={document.version}>
      <td data-label="File">
        {document.filename}
        {(document.version ?? 1) > 1 && <span class="hint"> (version {document.version})</span>}
        {document.replacing_with != null && (
          <span class="hint" role="status">
            {" "}
            Replacing with version {document.replacing_with}…
          </span>
        )}
        {sent !== null && (
          <progress max={1} value={sent} aria-label={`Upload of the new version of ${document.filename}`} />
        )}
      </td>
      <td data-label="Size">{sizeText(document.size_bytes)}</td>
      <td class="status-cell" data-label="Status">
        <span class={`status ${status.tone}`}>{status.label}</span>
        {document.status === "failed" && document.error && <span class="reason">: {document.error}</span>}
        {sending && <progress max={1} value={upload?.share ?? 0} aria-label={`Upload of ${document.filename}`} />}
      </td>
      <td data-label="Chunks">{document.status === "indexed" ? document.chunk_count : "–"}</td>
      <td>
        {canReplace(document) && !replacing.busy && (
          <label class="button plain file-button">
            Replace
            <input
              type="file"
              accept={ACCEPT}
              class="visually-hidden"
              aria-label={`Replace ${document.filename}`}
              onChange={(event) => {
                const file = event.currentTarget.files?.[0];
                event.currentTarget.value = "";
                if (file) void replace(file);
              }}
            />
          </label>
        )}{" "}
        {document.source_id ? (
          <a class="hint" href={href({ page: "chatbot", id: chatbotId, tab: "sources" })}>
            Changes with its source
          </a>
        ) : (
          <ConfirmDialog
            opener="Delete…"
            openerLabel={`Delete ${document.filename}…`}
            openerVariant="plain"
            heading={`Delete “${document.filename}”?`}
            confirm="Delete document"
            busyLabel="Deleting…"
            onConfirm={async () => {
              await api.deleteDocument(chatbotId, document.id);
              onDeleted();
            }}
          >
            <p>The chatbot no longer answers from it. This cannot be undone.</p>
          </ConfirmDialog>
        )}
        <ErrorNote error={replacing.error} />
      </td>
    </tr>
  );
}
