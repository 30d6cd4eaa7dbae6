// A bar chart of a few series per day, drawn as SVG (no chart library): bars grouped by day, a legend, and a
// sentence for screen readers with each series' total and its peak day; a period with nothing to show says so.
import { utcDayText } from "../dates";

export interface Series {
  label: string;
  // One value per day (null: nothing to show that day).
  values: (number | null)[];
  // A CSS class giving the bars their colour (styles.css: .series-1 … .series-3).
  tone: 1 | 2 | 3;
}

const HEIGHT = 120;
const BAR_GAP = 1;

export function BarChart({
  title,
  days,
  series,
  format = (value) => String(value),
  summarize = "total",
}: {
  title: string;
  days: string[];
  series: Series[];
  format?: (value: number) => string;
  // What the description says of each series: its total over the days, or its highest day.
  summarize?: "total" | "peak";
}) {
  const highest = Math.max(0, ...series.flatMap((one) => one.values.map((value) => value ?? 0)));
  const slot = 100 / Math.max(days.length, 1);
  const barWidth = Math.max((slot - BAR_GAP) / series.length, 0.2);
  if (highest === 0) {
    return (
      <figure class="chart empty">
        <figcaption>{title}</figcaption>
        <p class="chart-empty">
          Nothing to show: none from {utcDayText(days[0] ?? "")} to {utcDayText(days[days.length - 1] ?? "")}.
        </p>
      </figure>
    );
  }
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg
        role="img"
        aria-label={describe(title, days, series, format, summarize)}
        viewBox={`0 0 100 ${HEIGHT}`}
        preserveAspectRatio="none"
      >
        <line class="axis" x1="0" y1={HEIGHT} x2="100" y2={HEIGHT} />
        {days.map((day, index) =>
          series.map((one, at) => {
            const value = one.values[index] ?? 0;
            const height = highest ? (value / highest) * (HEIGHT - 4) : 0;
            return (
              <rect
                key={`${day}-${at}`}
                class={`bar series-${one.tone}`}
                x={index * slot + at * barWidth}
                y={HEIGHT - height}
                width={barWidth}
                height={height}
              >
                <title>{`${utcDayText(day)}: ${one.label} ${format(value)}`}</title>
              </rect>
            );
          }),
        )}
      </svg>
      <p class="chart-scale">
        <span>{utcDayText(days[0] ?? "")}</span>
        <span>max {format(highest)}</span>
        <span>{utcDayText(days[days.length - 1] ?? "")}</span>
      </p>
      {series.length > 1 && (
        <ul class="legend">
          {series.map((one) => (
            <li key={one.label}>
              <span class={`swatch series-${one.tone}`} aria-hidden="true" /> {one.label}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

function describe(
  title: string,
  days: string[],
  series: Series[],
  format: (value: number) => string,
  summarize: "total" | "peak",
): string {
  const parts = series.map((one) => {
    const values = one.values.map((value) => value ?? 0);
    const peak = Math.max(0, ...values);
    const peakDay = utcDayText(days[values.indexOf(peak)] ?? "");
    if (summarize === "peak") return peak ? `${one.label}: highest ${format(peak)} on ${peakDay}` : `${one.label}: none`;
    const total = values.reduce((sum, value) => sum + value, 0);
    return `${one.label}: ${format(total)} in total${peak ? `, most on ${peakDay} (${format(peak)})` : ""}`;
  });
  return `${title}, ${utcDayText(days[0] ?? "")} to ${utcDayText(days[days.length - 1] ?? "")}. ${parts.join("; ")}.`;
}
