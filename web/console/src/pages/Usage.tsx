// The tenant's plan: each counter beside its limit as a bar, and when the monthly ones reset.
import { useEffect, useState } from "preact/hooks";
import type { Usage as UsageReport } from "../api/client";
import { ErrorNote, Loading, useAction } from "../components/ui";
import { useConsole } from "../context";
import { utcDayText } from "../dates";

type Counter = keyof UsageReport["usage"];

// In the order a tenant meets them; the monthly ones say so.
const COUNTERS: { counter: Counter; label: string; monthly?: boolean }[] = [
  { counter: "questions", label: "Questions this month", monthly: true },
  { counter: "pages", label: "Pages indexed this month", monthly: true },
  { counter: "chatbots", label: "Chatbots" },
  { counter: "documents", label: "Documents" },
  { counter: "stored_bytes", label: "Stored documents" },
  { counter: "members", label: "Team members besides the owner" },
  { counter: "api_keys", label: "API keys" },
];

export function amount(counter: Counter, value: number): string {
  if (counter !== "stored_bytes") return value.toLocaleString("en");
  if (value >= 1_000_000_000) return `${(value / 1_000_000_000).toLocaleString("en", { maximumFractionDigits: 1 })} GB`;
  return `${(value / 1_000_000).toLocaleString("en", { maximumFractionDigits: 1 })} MB`;
}

/** The day monthly counts reset, as the calendar (UTC) has it. */
export function resetDay(end: string): string {
  return utcDayText(end);
}

export function Usage() {
  const { api } = useConsole();
  const [report, setReport] = useState<UsageReport | null>(null);
  const loading = useAction();
  useEffect(() => {
    void loading.run(async () => setReport(await api.usage()));
  }, []);

  return (
    <main id="main">
      <h1>Usage</h1>
      <ErrorNote error={loading.error} />
      {report === null && loading.busy && <Loading what="your usage" />}
      {report !== null && (
        <>
          <p>
            Your plan: <strong>{report.plan_title}</strong>. Monthly counts reset on{" "}
            <time dateTime={report.period.end}>{resetDay(report.period.end)}</time> (UTC).
          </p>
          <ul class="usage">
            {COUNTERS.map(({ counter, label }) => {
              const used = report.usage[counter] ?? 0;
              const limit = report.limits[counter] ?? 0;
              const full = used >= limit;
              return (
                <li key={counter}>
                  <label for={`usage-${counter}`}>
                    <span>{label}</span>
                    <span class={full ? "full" : undefined}>
                      {amount(counter, used)} of {amount(counter, limit)}
                      {full && " (limit reached)"}
                    </span>
                  </label>
                  <meter id={`usage-${counter}`} min={0} max={limit} value={used} low={limit * 0.8} high={limit * 0.95} optimum={0} />
                </li>
              );
            })}
          </ul>
          <h2>Answers</h2>
          <p>
            {report.answers.mode === "extractive"
              ? "No language model is configured on this deployment: answers are passages quoted from the documents."
              : `Answers are written by a language model, at most ${report.answers.max_tokens.toLocaleString("en")} tokens each on your plan.`}
          </p>
          <ul aria-label="Models this deployment allows">
            {report.answers.models.map((model) => (
              <li key={model.name}>
                {model.name}
                {model.on_plan ? "" : " (not on your plan)"}
                {model.name === report.answers.default_model ? " (the default of new chatbots)" : ""}
              </li>
            ))}
          </ul>
        </>
      )}
    </main>
  );
}
