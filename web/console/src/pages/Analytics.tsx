// A chatbot's analytics: totals for a range of days, and a chart per question an owner asks of them (how much is
// asked, how often the documents fall short, what visitors think, how fast, what it costs).
import { useEffect, useState } from "preact/hooks";
import type { AnalyticsDay, Chatbot } from "../api/client";
import { BarChart } from "../components/BarChart";
import { ErrorNote, Field, Loading } from "../components/ui";
import { useConsole } from "../context";

const RANGES = [7, 30, 90] as const;
const DAY_MS = 86_400_000;

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

const usd = (value: number) => `$${value.toFixed(value && value < 0.01 ? 6 : 2)}`;
const ms = (value: number) => `${Math.round(value)} ms`;
// A person's reply takes seconds or minutes, not milliseconds.
const wait = (value: number) => (value < 1000 ? ms(value) : `${Math.round(value / 1000)} s`);

export function Analytics({ chatbot }: { chatbot: Chatbot }) {
  const { api } = useConsole();
  const [range, setRange] = useState<number>(30);
  const [days, setDays] = useState<AnalyticsDay[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const now = Date.now();
    setDays(null);
    setError(null);
    api.analytics(chatbot.id, isoDay(now - (range - 1) * DAY_MS), isoDay(now)).then(
      (found) => setDays(found.days),
      setError,
    );
  }, [chatbot.id, range]);

  const dates = (days ?? []).map((day) => day.date);
  const sum = (pick: (day: AnalyticsDay) => number) => (days ?? []).reduce((total, day) => total + pick(day), 0);
  const rated = sum((day) => day.feedback_up) + sum((day) => day.feedback_down);

  return (
    <div class="analytics">
      <h2>Analytics</h2>
      <div class="period">
        <Field label="Period">
          <select value={String(range)} onChange={(e) => setRange(Number(e.currentTarget.value))}>
            {RANGES.map((count) => (
              <option key={count} value={String(count)}>
                Last {count} days
              </option>
            ))}
          </select>
        </Field>
      </div>
      <ErrorNote error={error} />
      {days === null && !error && <Loading what="analytics" />}
      {days !== null && (
        <>
          <dl class="totals" aria-label="Totals for the period">
            <div>
              <dt>Questions</dt>
              <dd>{sum((day) => day.questions)}</dd>
            </div>
            <div>
              <dt>Conversations</dt>
              <dd>{sum((day) => day.conversations)}</dd>
            </div>
            <div>
              <dt>Not in the documents</dt>
              <dd>{sum((day) => day.abstained)}</dd>
            </div>
            <div>
              <dt>Degraded</dt>
              <dd>{sum((day) => day.degraded)}</dd>
            </div>
            <div>
              <dt>Rated good</dt>
              <dd>
                {sum((day) => day.feedback_up)}
                {rated > 0 && ` (${Math.round((100 * sum((day) => day.feedback_up)) / rated)} %)`}
              </dd>
            </div>
            <div>
              <dt>Rated bad</dt>
              <dd>{sum((day) => day.feedback_down)}</dd>
            </div>
            <div>
              <dt>Answered by a Q&amp;A pair</dt>
              <dd>{sum((day) => day.qa_answers)}</dd>
            </div>
            <div>
              <dt>Asked for a person</dt>
              <dd>{sum((day) => day.handoffs)}</dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd>{sum((day) => day.tokens)}</dd>
            </div>
            <div>
              <dt>Estimated cost</dt>
              <dd>{usd(sum((day) => day.cost_usd))}</dd>
            </div>
          </dl>
          {sum((day) => day.questions) === 0 && <p>No questions in this period yet.</p>}
          <div class="charts">
            <BarChart
              title="Questions and conversations per day"
              days={dates}
              series={[
                { label: "Questions", values: days.map((day) => day.questions), tone: 1 },
                { label: "Conversations", values: days.map((day) => day.conversations), tone: 2 },
              ]}
            />
            <BarChart
              title="Not in the documents and degraded answers per day"
              days={dates}
              series={[
                { label: "Not in the documents", values: days.map((day) => day.abstained), tone: 3 },
                { label: "Degraded", values: days.map((day) => day.degraded), tone: 2 },
              ]}
            />
            <BarChart
              title="Feedback per day"
              days={dates}
              series={[
                { label: "Good", values: days.map((day) => day.feedback_up), tone: 1 },
                { label: "Bad", values: days.map((day) => day.feedback_down), tone: 3 },
              ]}
            />
            <BarChart
              title="Median answer time per day"
              days={dates}
              series={[{ label: "Median", values: days.map((day) => day.latency_p50_ms ?? null), tone: 1 }]}
              format={ms}
              summarize="peak"
            />
            <BarChart
              title="Asked for a person and answered by a Q&A pair per day"
              days={dates}
              series={[
                { label: "Asked for a person", values: days.map((day) => day.handoffs), tone: 3 },
                { label: "Q&A pair", values: days.map((day) => day.qa_answers), tone: 1 },
              ]}
            />
            <BarChart
              title="Median time to a person's first reply per day"
              days={dates}
              series={[{ label: "Median", values: days.map((day) => day.first_human_reply_p50_ms ?? null), tone: 1 }]}
              format={wait}
              summarize="peak"
            />
            <BarChart
              title="Tokens per day"
              days={dates}
              series={[{ label: "Tokens", values: days.map((day) => day.tokens), tone: 2 }]}
            />
            <BarChart
              title="Estimated cost per day"
              days={dates}
              series={[{ label: "Cost", values: days.map((day) => day.cost_usd), tone: 2 }]}
              format={usd}
            />
          </div>
          <p class="hint">
            Days are UTC. Median answer times and times to a person's first reply are read from counters in 25 % buckets (within 12 %); costs are
            estimated from list prices.
          </p>
        </>
      )}
    </div>
  );
}
