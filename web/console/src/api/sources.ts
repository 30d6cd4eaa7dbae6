// The Sources API's shapes, written by hand from /work/notes/prompts16/contract.md until shared/openapi.json has
// them (the back end is being built on another branch); then they become `Schema<"SourcePublic">` and the like.

export type SourceType = "website" | "text" | "qa";
export type SourceStatus = "syncing" | "ready" | "failed";
export type CrawlMode = "sitemap" | "crawl";

export interface SourceCounts {
  found: number;
  indexed: number;
  failed: number;
  skipped: number;
}

export interface Source {
  id: string;
  type: SourceType;
  status: SourceStatus;
  /** The URL, the snippet's title, or the question. */
  title: string;
  url?: string | null;
  mode?: CrawlMode | null;
  max_pages?: number | null;
  include?: string[] | null;
  exclude?: string[] | null;
  text?: string | null;
  question?: string | null;
  answer?: string | null;
  counts: SourceCounts;
  error?: string | null;
  last_synced_at?: string | null;
  next_sync_at?: string | null;
  created_at: string;
  updated_at: string;
}

export type SourcePageStatus = "queued" | "fetching" | "indexed" | "failed" | "skipped" | "removed";

export interface SourcePage {
  url: string;
  status: SourcePageStatus;
  reason?: string | null;
  document_id?: string | null;
  title?: string | null;
  fetched_at?: string | null;
}

export interface WebsiteCreate {
  type: "website";
  url: string;
  mode: CrawlMode;
  max_pages?: number;
  include?: string[];
  exclude?: string[];
}

export interface TextCreate {
  type: "text";
  title: string;
  text: string;
}

export interface QaCreate {
  type: "qa";
  question: string;
  answer: string;
}

export type SourceCreate = WebsiteCreate | TextCreate | QaCreate;

export type WebsiteUpdate = Partial<Pick<WebsiteCreate, "max_pages" | "include" | "exclude">>;
export type TextUpdate = Partial<Pick<TextCreate, "title" | "text">>;
export type QaUpdate = Partial<Pick<QaCreate, "question" | "answer">>;
export type SourceUpdate = WebsiteUpdate | TextUpdate | QaUpdate;
