// A chatbot's knowledge gaps: what its visitors asked in a period that it could not answer (it abstained, the answer
// got a thumbs-down, or the visitor asked for a person), grouped by meaning, largest first. "Answer this" writes a
// Q&A pair from the group's question (and a member's reply in a handoff, if one was given): the next paraphrase is
// answered with it directly.
import { useEffect, useState } from "preact/hooks";
import type { Chatbot, GapGroup, Gaps as GapList } from "../api/client";
import { Button, ErrorNote, Loading, useAction } from "../components/ui";
import { useConsole } from "../context";
import { momentText } from "../dates";
import { QaForm } from "./SourceForms";

const PERIODS = [7, 30, 90] as const;
const REASONS: Record<string, string> = {
  abstained: "not found",
  thumbs_down: "thumbs-down",
  handoff: "asked for a person",
};

export function Gaps({ chatbot }: { chatbot: Chatbot }) {
  const { api } = useConsole();
  const [days, setDays] = useState<number>(30);
  const [gaps, setGaps] = useState<GapList | null>(null);
  const [answering, setAnswering] = useState<GapGroup | null>(null);
  const load = useAction();
  const refresh = () =>
    load.run(async () => {
      setGaps(await api.gaps(chatbot.id, days));
    });
  useEffect(() => void refresh(), [chatbot.id, days]);
  return (
    <section class="gaps" aria-labelledby="gaps-title">
      <h2 id="gaps-title">Knowledge gaps</h2>
      <p class="hint">Questions this chatbot could not answer, grouped by meaning, the most asked first.</p>
      <label>
        Period{" "}
        <select value={days} onChange={(event) => setDays(Number((event.currentTarget as HTMLSelectElement).value))}>
          {PERIODS.map((period) => (
            <option key={period} value={period}>
              Last {period} days
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={load.error} />
      {gaps === null ? (
        <Loading what="the gaps" />
      ) : gaps.items.length === 0 ? (
        <p>No unanswered questions in this period.</p>
      ) : (
        <ol class="gap-groups" aria-label="Gaps, most asked first">
          {gaps.items.map((group) => (
            <li key={group.question} class={`gap${group.answered ? " answered" : ""}`}>
              <p class="question">
                <strong>{group.question}</strong>{" "}
                <span class="badge">{group.answered ? "Answered" : `Asked ${group.count}×`}</span>
              </p>
              <p class="hint">
                {group.answered ? `Asked ${group.count}×, ` : ""}last {momentText(group.last_asked)};{" "}
                {Object.entries(group.reasons)
                  .map(([reason, count]) => `${REASONS[reason] ?? reason} ${count}`)
                  .join(", ")}
              </p>
              <ul class="examples" aria-label="Examples">
                {group.examples.map((example) => (
                  <li key={example}>{example}</li>
                ))}
              </ul>
              {group.person_answer && (
                <p class="person-answer">
                  <strong>A member answered:</strong> {group.person_answer}
                </p>
              )}
              {!group.answered && (
                <Button variant="plain" onClick={() => setAnswering(group)}>
                  Answer this
                </Button>
              )}
            </li>
          ))}
        </ol>
      )}
      {answering && (
        <section aria-labelledby="answer-gap" class="answer-gap">
          <h3 id="answer-gap">Answer with a Q&A pair</h3>
          <QaForm
            key={answering.question}
            initial={{ question: answering.question, answer: answering.person_answer ?? "" }}
            name="Answer this gap"
            submit="Save Q&A pair"
            busyLabel="Saving…"
            onSave={async (value) => {
              await api.createSource(chatbot.id, { type: "qa", ...value });
              setAnswering(null);
              await refresh();
            }}
          />
        </section>
      )}
    </section>
  );
}
