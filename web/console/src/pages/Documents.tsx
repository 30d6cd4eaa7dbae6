// A chatbot's documents: upload several at once (dropped or chosen) straight to S3 with a progress bar each, and
// the list, whose statuses refresh by themselves until each document is indexed or failed; an uploaded document can
// be replaced by a new version of its file (same document, its current content answering until the new one is in).
import { useEffect, useRef, useState } from "preact/hooks";
import type { Chatbot, Document } from "../api/client";
import { messageOf } from "../api/errors";
import { sendFile } from "../api/upload";
import { Button, ErrorNote, Loading, useAction } from "../components/ui";
import { useConsole } from "../context";

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

interface Upload {
  id: number;
  name: string;
  share: number;
  state: "uploading" | "uploaded" | "failed";
  error?: string;
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
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const loading = useAction();
  const nextUpload = useRef(0);

  const load = (after: string | null) =>
    loading.run(async () => {
      const page = await api.documents(chatbot.id, after);
      setDocuments((shown) => [...(after ? (shown ?? []) : []), ...page.items]);
      setCursor(page.next_cursor ?? null);
    });
  useEffect(() => {
    void load(null);
  }, [chatbot.id]);

  // Documents not yet indexed or failed, or awaiting a new version, are read again every two seconds, until settled.
  const unsettled = (documents ?? []).filter(isChanging).map((document) => document.id);
  useEffect(() => {
    if (unsettled.length === 0) return;
    const timer = setTimeout(async () => {
      const fresh = await Promise.all(unsettled.map((id) => api.document(chatbot.id, id).catch(() => null)));
      const byId = new Map(fresh.filter((d): d is Document => d !== null).map((d) => [d.id, d]));
      setDocuments((shown) => (shown ?? []).map((document) => byId.get(document.id) ?? document));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [documents]);

  const update = (id: number, change: Partial<Upload>) =>
    setUploads((all) => all.map((upload) => (upload.id === id ? { ...upload, ...change } : upload)));

  const upload = async (file: File) => {
    const id = nextUpload.current++;
    setUploads((all) => [...all, { id, name: file.name, share: 0, state: "uploading" }]);
    try {
      const created = await api.createDocument(chatbot.id, requestOf(file));
      setDocuments((shown) => [...(shown ?? []), created.document]);
      await sendFile(created.upload, file, (share) => update(id, { share }));
      update(id, { state: "uploaded", share: 1 });
    } catch (error) {
      update(id, { state: "failed", error: messageOf(error) });
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
      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {uploads.map((item) => (
            <li key={item.id}>
              <span>{item.name}</span>
              <progress max={1} value={item.share} aria-label={`Upload of ${item.name}`} />
              <span role="status">
                {item.state === "uploading" && `${Math.round(item.share * 100)}%`}
                {item.state === "uploaded" && "Uploaded"}
              </span>
              {item.error && (
                <span class="error" role="alert">
                  {item.error}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={loading.error} />
      {documents === null && loading.busy && <Loading what="documents" />}
      {documents !== null && documents.length === 0 && <p>No documents yet.</p>}
      {documents !== null && documents.length > 0 && (
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
                onDeleted={() => setDocuments((shown) => (shown ?? []).filter((d) => d.id !== document.id))}
                onChanged={(changed) =>
                  setDocuments((shown) => (shown ?? []).map((d) => (d.id === changed.id ? changed : d)))
                }
              />
            ))}
          </tbody>
        </table>
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
  onDeleted,
  onChanged,
}: {
  chatbotId: string;
  document: Document;
  onDeleted: () => void;
  onChanged: (document: Document) => void;
}) {
  const { api } = useConsole();
  const action = useAction();
  const replacing = useAction();
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
      <td>
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
      <td>{sizeText(document.size_bytes)}</td>
      <td>
        <span class={`status ${document.status}`}>{STATUS_NAMES[document.status]}</span>
        {document.status === "failed" && document.error && <span class="reason">: {document.error}</span>}
      </td>
      <td>{document.status === "indexed" ? document.chunk_count : "–"}</td>
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
        <Button
          variant="plain"
          busy={action.busy}
          busyLabel="Deleting…"
          aria-label={`Delete ${document.filename}`}
          onClick={() =>
            void action.run(async () => {
              await api.deleteDocument(chatbotId, document.id);
              onDeleted();
            })
          }
        >
          Delete
        </Button>
        <ErrorNote error={action.error ?? replacing.error} />
      </td>
    </tr>
  );
}
