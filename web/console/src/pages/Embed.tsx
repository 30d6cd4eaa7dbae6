// The snippet that puts the chatbot on a website, with a copy button, and a live preview of the widget with the
// chosen look (the widget itself is web/widget, served as /widget.js next to the console).
import { useState } from "preact/hooks";
import type { Chatbot } from "../api/client";
import { Button, Field } from "../components/ui";
import { href } from "../router";

export interface Look {
  title: string;
  color: string;
  position: "bottom-right" | "bottom-left";
  welcome: string;
  lang: string;
}

const LANGUAGES = { "": "The visitor's browser language", en: "English", de: "Deutsch", fr: "Français", es: "Español" };

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The script tag to paste: the publishable key, and only the look attributes that were chosen. */
export function snippet(scriptUrl: string, publicKey: string, look: Look): string {
  const attributes: [string, string][] = [
    ["src", scriptUrl],
    ["data-key", publicKey],
    ["data-title", look.title],
    ["data-color", look.color],
    ["data-position", look.position === "bottom-right" ? "" : look.position],
    ["data-welcome", look.welcome],
    ["data-lang", look.lang],
  ];
  const written = attributes
    .filter(([, value]) => value !== "")
    .map(([name, value]) => `${name}="${escapeAttribute(value)}"`)
    .join(" ");
  return `<script ${written} async></script>`;
}

export function Embed({ chatbot }: { chatbot: Chatbot }) {
  const [look, setLook] = useState<Look>({
    title: chatbot.name,
    color: "#2f5bea",
    position: "bottom-right",
    welcome: chatbot.welcome_message ?? "",
    lang: "",
  });
  const [copied, setCopied] = useState<string | null>(null);
  const code = snippet(new URL("/widget.js", window.location.href).href, chatbot.public_key, look);
  const set = (key: keyof Look) => (event: Event) =>
    setLook({ ...look, [key]: (event.currentTarget as HTMLInputElement).value });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied("Copied to the clipboard.");
    } catch {
      setCopied("The browser did not allow copying: select the snippet and copy it yourself.");
    }
  };
  const origins = chatbot.allowed_origins ?? [];
  return (
    <>
      <h2>Embed on your website</h2>
      {(chatbot.visibility !== "public" || origins.length === 0) && (
        <p class="notice" role="note">
          Visitors can chat only with a public chatbot, from the origins it allows. Make it public and list your
          site's origin in <a href={href({ page: "chatbot", id: chatbot.id, tab: "settings" })}>Settings</a>.
        </p>
      )}
      {chatbot.visibility === "public" && origins.length > 0 && <p>Allowed origins: {origins.join(", ")}</p>}
      <div class="row">
        <Field label="Title">
          <input value={look.title} maxLength={100} onInput={set("title")} />
        </Field>
        <Field label="Colour">
          <input type="color" value={look.color} onInput={set("color")} />
        </Field>
        <Field label="Position">
          <select value={look.position} onChange={set("position")}>
            <option value="bottom-right">Bottom right</option>
            <option value="bottom-left">Bottom left</option>
          </select>
        </Field>
        <Field label="Language">
          <select value={look.lang} onChange={set("lang")}>
            {Object.entries(LANGUAGES).map(([code, name]) => (
              <option key={code} value={code}>
                {name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="Welcome text">
        <input value={look.welcome} maxLength={1000} onInput={set("welcome")} />
      </Field>
      <h3 id="snippet-label">Snippet</h3>
      <pre class="snippet" aria-labelledby="snippet-label" tabIndex={0}>
        <code>{code}</code>
      </pre>
      <Button onClick={() => void copy()}>Copy snippet</Button>
      {copied && <p role="status">{copied}</p>}
      <h3>Preview</h3>
      <iframe
        class="preview"
        title="Preview of the chat widget"
        srcdoc={`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget preview</title></head><body>${code}</body></html>`}
      />
    </>
  );
}
