// The conversations page's pure parts: the name an export downloads under.
import { describe, expect, it } from "vitest";
import { attachmentName } from "../src/api/client";
import { parseRoute } from "../src/router";

describe("exports", () => {
  it("take their file name from the Content-Disposition the API sends", () => {
    expect(attachmentName('attachment; filename="conversations-b-2026-03-01-to-2026-03-31-down.csv"')).toBe(
      "conversations-b-2026-03-01-to-2026-03-31-down.csv",
    );
    expect(attachmentName(null)).toBeNull();
    expect(attachmentName("inline")).toBeNull();
  });

  it("live on the chatbot's conversations tab", () => {
    expect(parseRoute("#/chatbots/abc/conversations")).toEqual({ page: "chatbot", id: "abc", tab: "conversations" });
  });
});
