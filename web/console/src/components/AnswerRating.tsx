// Thumbs up or down under an answer, with an optional comment; a new rating replaces the last (as the API does).
import { useState } from "preact/hooks";
import type { Rating } from "../api/client";
import { useConsole } from "../context";
import { Button, ErrorNote, Field, useAction } from "./ui";

const CHOICES: readonly [Rating, string, string][] = [
  ["up", "👍", "Good answer"],
  ["down", "👎", "Bad answer"],
];

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
      {CHOICES.map(([value, glyph, label]) => (
        <button
          key={value}
          type="button"
          class={`thumb ${value}`}
          aria-label={label}
          aria-pressed={current === value}
          disabled={action.busy}
          onClick={() => void rate(value)}
        >
          {glyph}
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
