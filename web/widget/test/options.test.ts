import { describe, expect, it } from "vitest";
import { DEFAULT_COLOR, parseOptions, readableOn } from "../src/options";
import { LANGUAGES, pickLanguage } from "../src/strings";

const KEY = "pk_" + "a1B2_c3-".repeat(4);

describe("parseOptions", () => {
  it("reads every attribute of the snippet", () => {
    const { options, problems } = parseOptions({
      key: KEY,
      title: "Llama care",
      color: "#0F766E",
      position: "bottom-left",
      welcome: "Ask me about llamas",
      lang: "de",
    });

    expect(problems).toEqual([]);
    expect(options).toEqual({
      key: KEY,
      title: "Llama care",
      welcome: "Ask me about llamas",
      color: "#0f766e",
      onColor: "#ffffff",
      position: "bottom-left",
      lang: "de",
    });
  });

  it("needs only the key; the rest has defaults", () => {
    const { options, problems } = parseOptions({ key: KEY });

    expect(problems).toEqual([]);
    expect(options).toMatchObject({
      title: null,
      welcome: null,
      color: DEFAULT_COLOR,
      position: "bottom-right",
      lang: "en",
    });
  });

  it.each([undefined, "", "sk_secret", "pk_short"])("mounts nothing for the key %j, and says why", (key) => {
    const { options, problems } = parseOptions({ key });

    expect(options).toBeNull();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/data-key/);
  });

  it("falls back to the default of each bad optional value, naming it", () => {
    const { options, problems } = parseOptions({
      key: KEY,
      color: "red; background: url(evil)",
      position: "top-left",
      lang: "tlh",
    });

    expect(options).toMatchObject({ color: DEFAULT_COLOR, position: "bottom-right", lang: "en" });
    expect(problems.map((problem) => problem.split(" ")[0])).toEqual(["data-color", "data-position", "data-lang"]);
  });

  it("expands a short hex colour", () => {
    expect(parseOptions({ key: KEY, color: "#fc0" }).options?.color).toBe("#ffcc00");
  });

  it("speaks the browser's first language it knows when the page names none", () => {
    expect(parseOptions({ key: KEY }, ["pt-BR", "fr-CA", "de"]).options?.lang).toBe("fr");
    expect(parseOptions({ key: KEY, lang: "es-MX" }, ["de"]).options?.lang).toBe("es");
  });
});

describe("readableOn", () => {
  it("writes white on dark colours and black on light ones", () => {
    expect(readableOn("#2563eb")).toBe("#ffffff");
    expect(readableOn("#000000")).toBe("#ffffff");
    expect(readableOn("#ffcc00")).toBe("#000000");
    expect(readableOn("#ffffff")).toBe("#000000");
  });
});

describe("languages", () => {
  it("falls back to English", () => {
    expect(pickLanguage([])).toBe("en");
    expect(pickLanguage(["ja-JP", undefined])).toBe("en");
  });

  it("has every sentence in every language", () => {
    const english = Object.keys(LANGUAGES.en).sort();
    for (const strings of Object.values(LANGUAGES)) {
      expect(Object.keys(strings).sort()).toEqual(english);
      expect(strings.rateLimited(30)).toContain("30");
    }
  });
});
