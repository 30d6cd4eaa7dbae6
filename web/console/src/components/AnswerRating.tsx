// Thumbs up or down under an answer, with an optional comment; a new rating replaces the last (as the API does).
import { useState } from "preact/hooks";
import type { Rating } from "../api/client";
import { useConsole } from "../context";
import { Button, ErrorNote, Field, useAction } from "./ui";

const CHOICES: readonly [Rating, string][] = [
  ["up", "Good answer"],
  ["down", "Bad answer"],
];

/** Thumbs up; the down thumb is the same, turned over (styles.css). Drawn, not an emoji: not every system has them. */
function Thumb() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M2 21h4V9H2v12zm20-11c0-1.1-.9-2-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10c0 1.1.9 2 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7c.1-.3.2-.5.2-.8v-2z" />
    </svg>
  );
}

export function AnswerRating({ chatbotId, messageId, rating }: { chatbotId: string; messageId: string; rating?: Rating }) {
  const { api } = useConsole();
  const [current, setCurrent] = useState<Rating | null>(rating ?? null);
  const [comment, setComment] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction();

  const rate = (value: Rating, withComment = "") =>
    action.run(async () => {
      setSaved(null);
      await api.rateAnswer(chatbotId, messageId, { rating: value, ...(withComment ? { comment: withComment } : {}) });
      setCurrent(value);
      setSaved(withComment ? "Comment saved." : `Rated ${value === "up" ? "good" : "bad"}.`);
    });

  return (
    <div class="rating" role="group" aria-label="Rate this answer">
      {CHOICES.map(([value, label]) => (
        <button
          key={value}
          type="button"
          class={`thumb ${value}`}
          aria-label={label}
          aria-pressed={current === value}
          disabled={action.busy}
          onClick={() => void rate(value)}
        >
          <Thumb />
        </button>
      ))}
      {current && (
        <form
          class="rating-comment"
          onSubmit={(event) => {
            event.preventDefault();
            if (comment.trim()) void rate(current, comment.trim());
          }}
        >
          <Field label="Comment (optional)">
            <input value={comment} maxLength={2000} onInput={(e) => setComment(e.currentTarget.value)} />
          </Field>
          <Button type="submit" variant="plain" busy={action.busy} busyLabel="Saving…" disabled={!comment.trim()}>
            Send comment
          </Button>
        </form>
      )}
      {saved && (
        <span class="hint" role="status">
          {saved}
        </span>
      )}
      <ErrorNote error={action.error} />
    </div>
  );
}
