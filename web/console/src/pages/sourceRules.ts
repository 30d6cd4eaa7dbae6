// The Sources page's rules: a source's state from its status and counts, the forms' checks (the API's own limits,
// so that a mistake is named before it is sent), and what a website's address may be.
import type { CrawlMode, Source, SourceCounts, SourceUpdate, WebsiteCreate } from "../api/client";
import { externalHref } from "../links";

/** The API's limits (the Sources contract); a plan's own caps (sources, pages per source) only the API knows. */
export const LIMITS = {
  url: 2048,
  prefixes: 20,
  prefix: 200,
  title: 200,
  text: 100_000,
  question: 500,
  answer: 5000,
} as const;
export const DEFAULT_MAX_PAGES = 50;
// A path prefix as the API takes it: from the site's root, no spaces or control characters.
const PATH_PREFIX = /^\/[^\s\x00-\x1f\x7f]*$/;

export const TYPE_NAMES: Record<Source["type"], string> = { website: "Website", text: "Text snippet", qa: "Q&A pair" };

export type Badge = "syncing" | "ready" | "partial" | "failed";

export interface SourceState {
  badge: Badge;
  /** The badge's words. */
  label: string;
  /** A sentence on where it stands, from its counts. */
  detail: string;
}

export function isSyncing(source: Source): boolean {
  return source.status === "syncing";
}

/** Pages a sync has dealt with, whatever became of them. */
export function settledPages(counts: SourceCounts): number {
  return counts.indexed + counts.failed + counts.skipped;
}

function pages(count: number): string {
  return `${count.toLocaleString("en")} ${count === 1 ? "page" : "pages"}`;
}

export function stateOf(source: Source): SourceState {
  const { counts } = source;
  if (source.status === "failed") {
    return { badge: "failed", label: "Failed", detail: source.error || "The last sync failed." };
  }
  if (source.type !== "website") {
    return source.status === "syncing"
      ? { badge: "syncing", label: "Indexing", detail: "Being indexed…" }
      : { badge: "ready", label: "Ready", detail: "Indexed: the chatbot answers from it." };
  }
  const outcomes = [
    `${pages(counts.indexed)} indexed`,
    counts.failed > 0 ? `${counts.failed.toLocaleString("en")} failed` : "",
    counts.skipped > 0 ? `${counts.skipped.toLocaleString("en")} skipped` : "",
  ].filter(Boolean);
  if (source.status === "syncing") {
    const done = `${settledPages(counts).toLocaleString("en")} of ${pages(counts.found)} done`;
    const detail =
      counts.found === 0 ? "Looking for pages…" : settledPages(counts) === 0 ? `${done}.` : `${done}: ${outcomes.join(", ")}.`;
    return { badge: "syncing", label: "Syncing", detail };
  }
  if (counts.failed > 0) return { badge: "partial", label: "Some pages failed", detail: `${outcomes.join(", ")}.` };
  return { badge: "ready", label: "Ready", detail: `${outcomes.join(", ")}.` };
}

/** Path prefixes as typed, one a line. */
export function prefixesOf(lines: string): string[] {
  return lines
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

export interface WebsiteDraft {
  url: string;
  mode: CrawlMode;
  maxPages: string;
  include: string;
  exclude: string;
}

function prefixesProblem(name: string, lines: string): string | null {
  const prefixes = prefixesOf(lines);
  if (prefixes.length > LIMITS.prefixes) return `${name}: at most ${LIMITS.prefixes} paths.`;
  const long = prefixes.find((prefix) => prefix.length > LIMITS.prefix);
  if (long) return `${name}: a path has at most ${LIMITS.prefix} characters (“${long.slice(0, 40)}…” has more).`;
  const odd = prefixes.find((prefix) => !PATH_PREFIX.test(prefix));
  return odd ? `${name}: “${odd}” is no path; a path starts with / and has no spaces, like /help/.` : null;
}

function maxPagesProblem(maxPages: string): string | null {
  const count = Number(maxPages);
  return maxPages.trim() === "" || !Number.isInteger(count) || count < 1 ? "Max pages is a whole number from 1." : null;
}

/** What is wrong with a website's address, if anything: http or https, and not too long. */
export function urlProblem(url: string): string | null {
  const trimmed = url.trim();
  if (trimmed === "") return "Enter the website's address.";
  if (trimmed.length > LIMITS.url) return `The address has at most ${LIMITS.url.toLocaleString("en")} characters.`;
  if (externalHref(trimmed) === null) return "Enter a web address starting with https:// or http://.";
  return null;
}

export function websiteProblem(draft: WebsiteDraft): string | null {
  return (
    urlProblem(draft.url) ??
    maxPagesProblem(draft.maxPages) ??
    prefixesProblem("Only paths starting with", draft.include) ??
    prefixesProblem("Skip paths starting with", draft.exclude)
  );
}

export function websiteBody(draft: WebsiteDraft): WebsiteCreate {
  const body: WebsiteCreate = { type: "website", url: draft.url.trim(), mode: draft.mode, max_pages: Number(draft.maxPages) };
  const include = prefixesOf(draft.include);
  const exclude = prefixesOf(draft.exclude);
  if (include.length) body.include = include;
  if (exclude.length) body.exclude = exclude;
  return body;
}

export type WebsiteSettings = Pick<WebsiteDraft, "maxPages" | "include" | "exclude">;

export function websiteSettingsOf(source: Source): WebsiteSettings {
  return {
    maxPages: String(source.max_pages ?? DEFAULT_MAX_PAGES),
    include: (source.include ?? []).join("\n"),
    exclude: (source.exclude ?? []).join("\n"),
  };
}

export function websiteSettingsProblem(settings: WebsiteSettings): string | null {
  return (
    maxPagesProblem(settings.maxPages) ??
    prefixesProblem("Only paths starting with", settings.include) ??
    prefixesProblem("Skip paths starting with", settings.exclude)
  );
}

/** Only what changed, in the API's types (an emptied list clears it). */
export function websiteChanges(source: Source, settings: WebsiteSettings): SourceUpdate {
  const before = websiteSettingsOf(source);
  const update: SourceUpdate = {};
  if (settings.maxPages !== before.maxPages) update.max_pages = Number(settings.maxPages);
  if (prefixesOf(settings.include).join("\n") !== before.include) update.include = prefixesOf(settings.include);
  if (prefixesOf(settings.exclude).join("\n") !== before.exclude) update.exclude = prefixesOf(settings.exclude);
  return update;
}

function lengthProblem(name: string, value: string, most: number): string | null {
  if (value.trim() === "") return `Enter the ${name}.`;
  return value.length > most ? `The ${name} has at most ${most.toLocaleString("en")} characters.` : null;
}

export function textProblem(title: string, text: string): string | null {
  return lengthProblem("title", title, LIMITS.title) ?? lengthProblem("text", text, LIMITS.text);
}

export function qaProblem(question: string, answer: string): string | null {
  return lengthProblem("question", question, LIMITS.question) ?? lengthProblem("answer", answer, LIMITS.answer);
}

/** Fields whose value changed (a snippet's or a pair's edit sends only those). */
export function changedFields<Key extends string>(
  before: Record<Key, string | null | undefined>,
  after: Record<Key, string>,
): Partial<Record<Key, string>> {
  const update: Partial<Record<Key, string>> = {};
  for (const key of Object.keys(after) as Key[]) {
    if (after[key] !== (before[key] ?? "")) update[key] = after[key];
  }
  return update;
}
