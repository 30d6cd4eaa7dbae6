// The documents list's rules for replacing a file: who may get a Replace action, and which rows keep refreshing.
import { describe, expect, it } from "vitest";
import type { Document } from "../src/api/client";
import { canReplace, isChanging } from "../src/pages/Documents";

const document = (change: Partial<Document> = {}): Document => ({
  id: "d1",
  filename: "guide.txt",
  content_type: "text/plain",
  size_bytes: 12,
  status: "indexed",
  chunk_count: 1,
  token_count: 4,
  version: 1,
  created_at: "2026-11-30T10:00:00Z",
  updated_at: "2026-11-30T10:00:00Z",
  ...change,
});

describe("replacing a document", () => {
  it("is offered for an uploaded file once it is indexed or failed", () => {
    expect(canReplace(document())).toBe(true);
    expect(canReplace(document({ status: "failed", error: "The file is empty" }))).toBe(true);
  });

  it("is not offered while the document is indexed, waits for its upload, or awaits a new version", () => {
    expect(canReplace(document({ status: "processing" }))).toBe(false);
    expect(canReplace(document({ status: "pending_upload" }))).toBe(false);
    expect(canReplace(document({ replacing_with: 2 }))).toBe(false);
  });

  it("is not offered for a source's documents, which change with their source", () => {
    expect(canReplace(document({ source_id: "s1", url: "https://example.com/a" }))).toBe(false);
  });

  it("keeps the row refreshing until the new version is indexed", () => {
    expect(isChanging(document({ replacing_with: 2 }))).toBe(true);
    expect(isChanging(document({ status: "processing", version: 2 }))).toBe(true);
    expect(isChanging(document({ version: 2 }))).toBe(false);
  });
});
