// The Sources page's forms: a website to add, its settings to edit, and a text snippet or a Q&A pair (added or
// edited with the same form). Each names a mistake before sending, and otherwise shows the API's answer.
import { useState } from "preact/hooks";
import type { CrawlMode } from "../api/client";
import { Button, ErrorNote, Field, useAction } from "../components/ui";
import {
  DEFAULT_MAX_PAGES,
  LIMITS,
  qaProblem,
  textProblem,
  type WebsiteDraft,
  type WebsiteSettings,
  websiteProblem,
  websiteSettingsProblem,
} from "./sourceRules";

// Following links first: the API's default, and what works on a site without a sitemap.
const MODE_NAMES: Record<CrawlMode, string> = {
  crawl: "Following its links from this page",
  sitemap: "Its sitemap (sitemap.xml)",
};

/** `save` after `problem` found nothing; a problem shows where the API's error would. */
function useCheckedSave(): { busy: boolean; error: unknown; save: (problem: string | null, work: () => Promise<void>) => void } {
  const action = useAction();
  return {
    busy: action.busy,
    error: action.error,
    save: (problem, work) =>
      void action.run(async () => {
        if (problem) throw new Error(problem);
        await work();
      }),
  };
}

function PathPrefixes({ settings, onInput }: { settings: WebsiteSettings; onInput: (change: Partial<WebsiteSettings>) => void }) {
  const hint = `Paths like /help/, one a line; at most ${LIMITS.prefixes}.`;
  return (
    <div class="row">
      <Field label="Only paths starting with" hint={`${hint} Empty: the whole site.`}>
        <textarea rows={2} value={settings.include} onInput={(event) => onInput({ include: event.currentTarget.value })} />
      </Field>
      <Field label="Skip paths starting with" hint={hint}>
        <textarea rows={2} value={settings.exclude} onInput={(event) => onInput({ exclude: event.currentTarget.value })} />
      </Field>
    </div>
  );
}

function MaxPages({ value, onInput }: { value: string; onInput: (value: string) => void }) {
  return (
    <Field label="Max pages" hint="Your plan sets the most a website may have.">
      <input type="number" required min={1} step={1} value={value} onInput={(event) => onInput(event.currentTarget.value)} />
    </Field>
  );
}

export function WebsiteForm({ onAdd }: { onAdd: (draft: WebsiteDraft) => Promise<void> }) {
  const [draft, setDraft] = useState<WebsiteDraft>({
    url: "",
    mode: "crawl",
    maxPages: String(DEFAULT_MAX_PAGES),
    include: "",
    exclude: "",
  });
  const set = (change: Partial<WebsiteDraft>) => setDraft({ ...draft, ...change });
  const action = useCheckedSave();
  return (
    <form
      aria-label="Add a website"
      onSubmit={(event) => {
        event.preventDefault();
        action.save(websiteProblem(draft), () => onAdd(draft));
      }}
    >
      <Field label="Website address" hint="The page to start following links from, or the site whose sitemap to read.">
        <input
          type="url"
          required
          maxLength={LIMITS.url}
          placeholder="https://www.example.com/"
          value={draft.url}
          onInput={(event) => set({ url: event.currentTarget.value })}
        />
      </Field>
      <div class="row">
        <Field label="Find pages by">
          <select value={draft.mode} onChange={(event) => set({ mode: event.currentTarget.value as CrawlMode })}>
            {(Object.keys(MODE_NAMES) as CrawlMode[]).map((mode) => (
              <option key={mode} value={mode}>
                {MODE_NAMES[mode]}
              </option>
            ))}
          </select>
        </Field>
        <MaxPages value={draft.maxPages} onInput={(maxPages) => set({ maxPages })} />
      </div>
      <details>
        <summary>Paths to include or skip</summary>
        <PathPrefixes settings={draft} onInput={set} />
      </details>
      <ErrorNote error={action.error} />
      <Button type="submit" busy={action.busy} busyLabel="Adding…">
        Add website
      </Button>
    </form>
  );
}

export function WebsiteSettingsForm({
  initial,
  onSave,
}: {
  initial: WebsiteSettings;
  onSave: (settings: WebsiteSettings) => Promise<void>;
}) {
  const [settings, setSettings] = useState(initial);
  const [saved, setSaved] = useState(false);
  const set = (change: Partial<WebsiteSettings>) => {
    setSettings({ ...settings, ...change });
    setSaved(false);
  };
  const action = useCheckedSave();
  return (
    <form
      aria-labelledby="website-settings"
      onSubmit={(event) => {
        event.preventDefault();
        action.save(websiteSettingsProblem(settings), async () => {
          await onSave(settings);
          setSaved(true);
        });
      }}
    >
      <h3 id="website-settings">Settings</h3>
      <MaxPages value={settings.maxPages} onInput={(maxPages) => set({ maxPages })} />
      <PathPrefixes settings={settings} onInput={set} />
      <ErrorNote error={action.error} />
      {saved && !action.busy && <p role="status">Saved. The next sync follows them.</p>}
      <Button type="submit" busy={action.busy} busyLabel="Saving…">
        Save settings
      </Button>
    </form>
  );
}

export interface TextValue {
  title: string;
  text: string;
}

export interface QaValue {
  question: string;
  answer: string;
}

interface PairFormProps<Value> {
  initial: Value;
  /** The form's name and its button's words. */
  name: string;
  submit: string;
  busyLabel: string;
  /** Shown once saved (an added entry's form is replaced by a fresh one instead). */
  savedNote?: string;
  onSave: (value: Value) => Promise<void>;
}

export function TextForm(props: PairFormProps<TextValue>) {
  return (
    <PairForm
      {...props}
      fields={[
        { key: "title", label: "Title", most: LIMITS.title },
        { key: "text", label: "Text", most: LIMITS.text, rows: 8 },
      ]}
      problem={(value) => textProblem(value.title, value.text)}
    />
  );
}

export function QaForm(props: PairFormProps<QaValue>) {
  return (
    <PairForm
      {...props}
      fields={[
        { key: "question", label: "Question", most: LIMITS.question },
        { key: "answer", label: "Answer", most: LIMITS.answer, rows: 5 },
      ]}
      problem={(value) => qaProblem(value.question, value.answer)}
    />
  );
}

/** Two text fields, the first one line and the second a text area: a snippet (title, text) or a pair (Q, A). */
function PairForm<Value extends TextValue | QaValue>({
  initial,
  name,
  submit,
  busyLabel,
  savedNote,
  onSave,
  fields,
  problem,
}: PairFormProps<Value> & {
  fields: { key: keyof Value & string; label: string; most: number; rows?: number }[];
  problem: (value: Value) => string | null;
}) {
  const [value, setValue] = useState(initial);
  const [saved, setSaved] = useState(false);
  const action = useCheckedSave();
  const input = (key: keyof Value & string) => ({
    required: true,
    value: String(value[key]),
    onInput: (event: Event) => {
      setValue({ ...value, [key]: (event.currentTarget as HTMLInputElement).value });
      setSaved(false);
    },
  });
  return (
    <form
      aria-label={name}
      onSubmit={(event) => {
        event.preventDefault();
        action.save(problem(value), async () => {
          await onSave(value);
          setSaved(true);
        });
      }}
    >
      {fields.map(({ key, label, most, rows }) => (
        <Field key={key} label={label} hint={rows ? `At most ${most.toLocaleString("en")} characters.` : undefined}>
          {rows ? <textarea rows={rows} maxLength={most} {...input(key)} /> : <input maxLength={most} {...input(key)} />}
        </Field>
      ))}
      <ErrorNote error={action.error} />
      {saved && savedNote && !action.busy && <p role="status">{savedNote}</p>}
      <Button type="submit" busy={action.busy} busyLabel={busyLabel}>
        {submit}
      </Button>
    </form>
  );
}
