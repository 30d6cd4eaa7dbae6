// Every field a chatbot has (ChatbotUpdate), saved as one partial update; and deletion, confirmed first.
import { useState } from "preact/hooks";
import type { Chatbot, ChatbotUpdate } from "../api/client";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Button, ErrorNote, Field, useAction } from "../components/ui";
import { useConsole } from "../context";
import { navigate } from "../router";

type Draft = Record<keyof ChatbotUpdate, string | boolean>;

function draftOf(chatbot: Chatbot): Draft {
  return {
    name: chatbot.name,
    description: chatbot.description ?? "",
    system_prompt: chatbot.system_prompt ?? "",
    welcome_message: chatbot.welcome_message ?? "",
    model_name: chatbot.model_name ?? "",
    temperature: String(chatbot.temperature ?? ""),
    max_tokens: String(chatbot.max_tokens ?? ""),
    top_k: String(chatbot.top_k ?? ""),
    visibility: chatbot.visibility ?? "private",
    allowed_origins: (chatbot.allowed_origins ?? []).join("\n"),
    chunk_size: String(chatbot.chunk_size ?? ""),
    chunk_overlap: String(chatbot.chunk_overlap ?? ""),
    redact_pii: chatbot.redact_pii ?? true,
    min_relevance: chatbot.min_relevance == null ? "" : String(chatbot.min_relevance),
  };
}

const NUMBERS = new Set<keyof ChatbotUpdate>(["temperature", "max_tokens", "top_k", "chunk_size", "chunk_overlap"]);

/** The fields that changed, in the API's types; the API validates them and names what it refuses. */
export function changes(before: Draft, after: Draft): ChatbotUpdate {
  const update: Record<string, unknown> = {};
  for (const key of Object.keys(after) as (keyof ChatbotUpdate)[]) {
    const value = after[key];
    if (value === before[key]) continue;
    if (key === "allowed_origins") {
      update[key] = String(value)
        .split(/[\s,]+/)
        .filter(Boolean);
    } else if (key === "min_relevance") {
      if (value !== "") update[key] = Number(value); // unset stays the model's calibrated default
    } else if (NUMBERS.has(key)) {
      update[key] = value === "" ? null : Number(value);
    } else {
      update[key] = value;
    }
  }
  return update as ChatbotUpdate;
}

export function Settings({ chatbot, onSaved }: { chatbot: Chatbot; onSaved: (chatbot: Chatbot) => void }) {
  const { api } = useConsole();
  const [draft, setDraft] = useState(() => draftOf(chatbot));
  const [saved, setSaved] = useState(false);
  const save = useAction();
  const set = (key: keyof ChatbotUpdate) => (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    setDraft({ ...draft, [key]: input.type === "checkbox" ? input.checked : input.value });
    setSaved(false);
  };
  const submit = (event: Event) => {
    event.preventDefault();
    void save.run(async () => {
      const update = changes(draftOf(chatbot), draft);
      const updated = Object.keys(update).length ? await api.updateChatbot(chatbot.id, update) : chatbot;
      onSaved(updated);
      setDraft(draftOf(updated));
      setSaved(true);
    });
  };
  const text = (key: keyof ChatbotUpdate) => ({ value: String(draft[key]), onInput: set(key) });
  return (
    <>
      <form class="settings" onSubmit={submit}>
        <h2>Settings</h2>
        <Field label="Name">
          <input required maxLength={100} {...text("name")} />
        </Field>
        <Field label="Description">
          <input maxLength={1000} {...text("description")} />
        </Field>
        <Field label="System prompt" hint="How the chatbot should answer (tone, scope); the grounding rules are added.">
          <textarea rows={5} maxLength={8000} {...text("system_prompt")} />
        </Field>
        <Field label="Welcome message" hint="The first message visitors see in the widget.">
          <input maxLength={1000} {...text("welcome_message")} />
        </Field>
        <div class="row">
          <Field label="Model" hint="One of the models this deployment allows.">
            <input required {...text("model_name")} />
          </Field>
          <Field label="Temperature" hint="0 to 2">
            <input type="number" min={0} max={2} step={0.1} {...text("temperature")} />
          </Field>
          <Field label="Max answer tokens">
            <input type="number" min={1} max={4096} step={1} {...text("max_tokens")} />
          </Field>
          <Field label="Passages per answer (top k)">
            <input type="number" min={1} max={50} step={1} {...text("top_k")} />
          </Field>
        </div>
        <div class="row">
          <Field label="Chunk size (tokens)" hint="Applies to documents indexed afterwards.">
            <input type="number" min={100} max={2000} step={1} {...text("chunk_size")} />
          </Field>
          <Field label="Chunk overlap (tokens)">
            <input type="number" min={0} step={1} {...text("chunk_overlap")} />
          </Field>
          <Field label="Minimum relevance" hint="0 to 1; empty keeps the calibrated default.">
            <input type="number" min={0} max={1} step={0.01} {...text("min_relevance")} />
          </Field>
        </div>
        <label class="check">
          <input type="checkbox" checked={Boolean(draft.redact_pii)} onChange={set("redact_pii")} />
          Redact personal data (e-mail addresses, phone, card and IBAN numbers) in questions
        </label>
        <Field label="Visibility" hint="Public chatbots answer visitors of the allowed origins (the widget).">
          <select value={String(draft.visibility)} onChange={set("visibility")}>
            <option value="private">Private: only your organization</option>
            <option value="public">Public: visitors of the allowed origins</option>
          </select>
        </Field>
        <Field label="Allowed origins" hint="One per line, like https://www.example.com">
          <textarea rows={3} {...text("allowed_origins")} />
        </Field>
        <ErrorNote error={save.error} />
        {saved && !save.busy && <p role="status">Saved.</p>}
        <Button type="submit" busy={save.busy} busyLabel="Saving…">
          Save settings
        </Button>
      </form>
      <DeleteChatbot chatbot={chatbot} />
    </>
  );
}

function DeleteChatbot({ chatbot }: { chatbot: Chatbot }) {
  const { api } = useConsole();
  return (
    <section class="danger-zone" aria-labelledby="delete-chatbot">
      <h2 id="delete-chatbot">Delete this chatbot</h2>
      <p>Its documents, conversations and public key go with it.</p>
      <ConfirmDialog
        opener="Delete chatbot…"
        heading={`Delete “${chatbot.name}”?`}
        confirm="Delete for good"
        busyLabel="Deleting…"
        onConfirm={async () => {
          await api.deleteChatbot(chatbot.id);
          navigate({ page: "chatbots" });
        }}
      >
        <p>This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}
