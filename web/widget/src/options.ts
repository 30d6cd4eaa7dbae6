// The snippet's attributes, read once: data-key (required), data-title, data-color, data-position, data-welcome and
// data-lang. A bad optional value falls back to its default with a warning; a missing or malformed key mounts nothing.
import { pickLanguage, spokenLanguage } from "./strings";

export type Position = "bottom-right" | "bottom-left";

export interface WidgetOptions {
  key: string;
  title: string | null;
  welcome: string | null;
  color: string;
  // The text colour that reads on `color` (WCAG contrast), black or white.
  onColor: string;
  position: Position;
  lang: string;
}

export interface ParsedOptions {
  options: WidgetOptions | null;
  problems: string[];
}

export const DEFAULT_COLOR = "#2563eb";
const PUBLIC_KEY = /^pk_[A-Za-z0-9_-]{32}$/;
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const POSITIONS: readonly Position[] = ["bottom-right", "bottom-left"];

/** The widget's options from a script element's `dataset` and the browser's preferred languages. */
export function parseOptions(
  data: Readonly<Record<string, string | undefined>>,
  browserLanguages: readonly string[] = [],
): ParsedOptions {
  const problems: string[] = [];
  const key = data.key?.trim() ?? "";
  if (!PUBLIC_KEY.test(key)) {
    problems.push(
      key
        ? `data-key "${key}" is not a publishable key (pk_ followed by 32 characters); copy the snippet from the console`
        : "data-key is missing; copy the snippet from the console",
    );
  }
  let color = DEFAULT_COLOR;
  if (data.color !== undefined) {
    if (HEX_COLOR.test(data.color.trim())) color = expandHex(data.color.trim());
    else problems.push(`data-color "${data.color}" is not a hex colour like #2563eb; using ${DEFAULT_COLOR}`);
  }
  let position: Position = "bottom-right";
  if (data.position !== undefined) {
    const wanted = data.position.trim() as Position;
    if (POSITIONS.includes(wanted)) position = wanted;
    else problems.push(`data-position "${data.position}" is not one of ${POSITIONS.join(", ")}; using bottom-right`);
  }
  const lang = pickLanguage([data.lang, ...browserLanguages]);
  if (data.lang !== undefined && spokenLanguage(data.lang) === null) {
    problems.push(`data-lang "${data.lang}" is not a language the widget speaks (en, de, fr, es); using ${lang}`);
  }
  const options: WidgetOptions | null = PUBLIC_KEY.test(key)
    ? {
        key,
        title: nonEmpty(data.title),
        welcome: nonEmpty(data.welcome),
        color,
        onColor: readableOn(color),
        position,
        lang,
      }
    : null;
  return { options, problems };
}

function nonEmpty(value: string | undefined): string | null {
  const text = value?.trim();
  return text ? text : null;
}

function expandHex(hex: string): string {
  const digits = hex.slice(1).toLowerCase();
  return "#" + (digits.length === 3 ? [...digits].map((digit) => digit + digit).join("") : digits);
}

/** Black or white, whichever contrasts more with `hex` (#rrggbb), by WCAG relative luminance. */
export function readableOn(hex: string): string {
  const channels = [1, 3, 5].map((start) => {
    const value = parseInt(hex.slice(start, start + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  // Contrast with white is 1.05 / (L + 0.05), with black (L + 0.05) / 0.05; white wins below L ≈ 0.179.
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? "#ffffff" : "#000000";
}
