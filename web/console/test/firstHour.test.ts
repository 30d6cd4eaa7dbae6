// @vitest-environment happy-dom
// What a new owner reads in the console: an upload's row never contradicts itself, answers made of quotes say so,
// the model is a choice of the deployment's, an empty chart says it is empty, dates are written one way, and a taken
// e-mail address at sign-up is recognised.
import { type ComponentChild, h, render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import type { AnswerOptions, Document } from "../src/api/client";
import { ApiError } from "../src/api/errors";
import { BarChart } from "../src/components/BarChart";
import { dateText, momentText, utcDayText } from "../src/dates";
import { docsUrl, documentName } from "../src/links";
import { isTakenEmail } from "../src/pages/Auth";
import { statusText } from "../src/pages/Documents";
import { AnswerBadges } from "../src/pages/Playground";
import { modelChoices } from "../src/pages/Settings";

const waiting: Document = {
  id: "d1",
  filename: "guide.pdf",
  content_type: "application/pdf",
  size_bytes: 1200,
  status: "pending_upload",
  chunk_count: 0,
  token_count: 0,
  version: 1,
  created_at: "2026-11-30T10:00:00Z",
  updated_at: "2026-11-30T10:00:00Z",
};

function drawn(node: ComponentChild): HTMLElement {
  const holder = document.createElement("div");
  document.body.append(holder);
  render(node, holder);
  return holder;
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("an upload's row", () => {
  it("says how the upload goes while the document waits for its file, never that it waits once it is sent", () => {
    expect(statusText(waiting, { share: 0.42, state: "sending" }).label).toBe("Uploading, 42%");
    expect(statusText(waiting, { share: 1, state: "sent" }).label).toBe("Uploaded, queued for processing");
    expect(statusText(waiting, { share: 0, state: "failed", error: "Too big" })).toEqual({
      label: "Upload failed: Too big",
      tone: "failed",
    });
  });

  it("says the document's own status once ingest has it, and waits for a file this console did not send", () => {
    expect(statusText({ ...waiting, status: "processing" }, { share: 1, state: "sent" }).label).toBe("Processing");
    expect(statusText({ ...waiting, status: "failed" }, { share: 1, state: "sent" }).label).toBe("Failed");
    expect(statusText(waiting).label).toBe("Waiting for the upload");
  });
});

describe("an answer's badges", () => {
  const badges = (answerable: boolean, mode?: "llm" | "extractive" | "qa", cited = true) =>
    [...drawn(h(AnswerBadges, { answerable, mode, cited })).querySelectorAll(".badge")].map((badge) => badge.textContent);

  it("label an answer made of quotes (no model configured) as quotes from the documents", () => {
    expect(badges(true, "extractive")).toEqual(["Quotes from the documents"]);
    expect(badges(true, "llm")).toEqual([]);
    expect(badges(false, "extractive", false)).toEqual(["Not in the documents"]);
  });

  it("do not call an answer that cites nothing quotes", () => {
    expect(badges(true, "extractive", false)).toEqual([]);
  });
});

describe("the model settings", () => {
  const options: AnswerOptions = {
    mode: "extractive",
    models: [
      { name: "gpt-4o-mini", on_plan: true },
      { name: "gpt-4.1-mini", on_plan: false },
    ],
    default_model: "gpt-4o-mini",
    max_tokens: 512,
  };

  it("offer the deployment's models, those the plan does not allow marked and not choosable", () => {
    expect(modelChoices(options, "gpt-4o-mini")).toEqual([
      { name: "gpt-4o-mini", label: "gpt-4o-mini", disabled: false },
      { name: "gpt-4.1-mini", label: "gpt-4.1-mini (not on your plan)", disabled: true },
    ]);
  });

  it("keep a model the deployment no longer allows, saying which answers instead", () => {
    expect(modelChoices(options, "gpt-3.5-turbo").at(-1)).toEqual({
      name: "gpt-3.5-turbo",
      label: "gpt-3.5-turbo (no longer allowed: gpt-4o-mini answers)",
      disabled: false,
    });
  });
});

describe("a chart", () => {
  it("says when the period has nothing to show, instead of drawing an empty frame", () => {
    const chart = drawn(
      h(BarChart, {
        title: "Feedback per day",
        days: ["2026-11-01", "2026-11-02"],
        series: [{ label: "Good", values: [0, 0], tone: 1 }],
      }),
    );

    expect(chart.querySelector("svg")).toBeNull();
    expect(chart.querySelector(".chart-empty")!.textContent).toBe("Nothing to show: none from 1 Nov 2026 to 2 Nov 2026.");
  });

  it("names its days as the rest of the console does", () => {
    const chart = drawn(
      h(BarChart, { title: "Questions", days: ["2026-11-01", "2026-11-02"], series: [{ label: "Q", values: [1, 3], tone: 1 }] }),
    );

    expect(chart.querySelector(".chart-scale")!.textContent).toBe("1 Nov 2026max 32 Nov 2026");
    expect(chart.querySelector("svg")!.getAttribute("aria-label")).toBe(
      "Questions, 1 Nov 2026 to 2 Nov 2026. Q: 4 in total, most on 2 Nov 2026 (3).",
    );
  });
});

describe("dates", () => {
  it("are written one way: day, short month, year; a moment adds the time on a 24-hour clock", () => {
    expect(utcDayText("2026-03-05")).toBe("5 Mar 2026");
    expect(utcDayText("2026-12-01T00:00:00Z")).toBe("1 Dec 2026");
    expect(dateText("2026-03-05T12:00:00Z")).toMatch(/^5 Mar 2026$/);
    expect(momentText("2026-03-05T12:07:00")).toBe("5 Mar 2026, 12:07");
  });
});

describe("links and names", () => {
  it("name a cited web page by its title, or by the end of its address when it has none", () => {
    expect(documentName("Feeding llamas", "https://farm.example/docs/feeding")).toBe("Feeding llamas");
    expect(documentName("https://farm.example/manual.pdf", "https://farm.example/manual.pdf")).toBe("manual.pdf");
  });

  it("point at the API reference beside the API", () => {
    expect(docsUrl("http://127.0.0.1:8000/")).toBe("http://127.0.0.1:8000/docs");
  });

  it("recognise a sign-up refused because the address has an account", () => {
    expect(isTakenEmail(new ApiError("An account with this e-mail address already exists", 409, "email_taken"))).toBe(true);
    expect(isTakenEmail(new ApiError("Conflict", 409, "conflict"))).toBe(false);
  });
});
