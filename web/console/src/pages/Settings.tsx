// Every field a chatbot has (ChatbotUpdate), saved as one partial update; and deletion, confirmed first.
import { useState } from "preact/hooks";
import { useAnswerOptions } from "../answering";
import type { AnswerOptions, Chatbot, ChatbotUpdate } from "../api/client";
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
    handoff_timeout_seconds: String(chatbot.handoff_timeout_seconds ?? ""),
  };
}

const NUMBERS = new Set<keyof ChatbotUpdate>([
  "temperature",
  "max_tokens",
  "top_k",
  "chunk_size",
  "chunk_overlap",
  "handoff_timeout_seconds",
]);

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

/** The models to choose from: the deployment's, those the plan does not allow marked so (and not choosable), and
 * the chatbot's own model if the deployment no longer allows it (kept until another is chosen). */
export function modelChoices(
  options: AnswerOptions,
  current: string,
): { name: string; label: string; disabled: boolean }[] {
  const choices = options.models.map((model) => ({
    name: model.name,
    label: model.on_plan ? model.name : `${model.name} (not on your plan)`,
    disabled: !model.on_plan && model.name !== current,
  }));
  if (current && !options.models.some((model) => model.name === current)) {
    choices.push({ name: current, label: `${current} (no longer allowed: ${options.default_model} answers)`, disabled: false });
  }
  return choices;
}

export function Settings({ chatbot, onSaved }: { chatbot: Chatbot; onSaved: (chatbot: Chatbot) => void }) {
  const { api } = useConsole();
  const [draft, setDraft] = useState(() => draftOf(chatbot));
  const [saved, setSaved] = useState(false);
  const save = useAction();
  const answering = useAnswerOptions();
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
        <fieldset class={`model${answering?.mode === "extractive" ? " unused" : ""}`} aria-describedby="model-note">
          <legend>
            Language model
            {answering?.mode === "extractive" && <span class="badge">Unused: no model is configured</span>}
          </legend>
          <p class="hint" id="model-note">
            {answering?.mode === "extractive"
              ? "This deployment has no language model: answers are passages quoted from the documents. These settings are kept, and apply once a model is configured."
              : "The model that writes answers from the passages found."}
          </p>
          <div class="row">
            <Field label="Model" hint="One of the models this deployment allows.">
              {answering ? (
                <select value={String(draft.model_name)} onChange={set("model_name")}>
                  {modelChoices(answering, chatbot.model_name).map((choice) => (
                    <option key={choice.name} value={choice.name} disabled={choice.disabled}>
                      {choice.label}
                    </option>
                  ))}
                </select>
              ) : (
                <input required {...text("model_name")} />
              )}
            </Field>
            <Field label="Temperature" hint="0 to 2">
              <input type="number" min={0} max={2} step={0.1} {...text("temperature")} />
            </Field>
            <Field
              label="Max answer tokens"
              hint={answering ? `At most ${answering.max_tokens} on your plan.` : undefined}
            >
              <input type="number" min={1} max={answering?.max_tokens ?? 4096} step={1} {...text("max_tokens")} />
            </Field>
          </div>
        </fieldset>
        <div class="row">
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
          <Field
            label="Wait for a person (seconds)"
            hint="How long a visitor who asked for a person waits for your team before being told nobody is free."
          >
            <input type="number" min={1} max={3600} step={1} {...text("handoff_timeout_seconds")} />
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
        {/* Kept in view at the bottom of the window while the form is longer than it, so that the button and what
            saving did (an error, "Saved.") are where the user looks, whichever field they pressed Enter in. */}
        <div class="form-actions">
          <Button type="submit" busy={save.busy} busyLabel="Saving…">
            Save settings
          </Button>
          <p role="status" class="saved">
            {saved && !save.busy ? "Saved." : ""}
          </p>
          <ErrorNote error={save.error} />
        </div>
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
