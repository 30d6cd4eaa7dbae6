// The launcher and the chat panel, drawn inside a shadow root from the chat's state; keyboard: the launcher is a
// button, the open panel keeps Tab within itself, Escape closes it and gives focus back to the launcher.
import type { Citation } from "@parley/contract";
import { type ChatState, type Entry, type Notice, offersPerson, type Rating } from "./conversation";
import type { WidgetOptions } from "./options";
import type { Strings } from "./strings";
import css from "./widget.css?inline";

const CHAT_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
// Thumbs up; the down thumb is the same, turned over (widget.css). Drawn, not an emoji: a page's fonts may lack them.
const THUMB_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M2 21h4V9H2v12zm20-11c0-1.1-.9-2-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10c0 1.1.9 2 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7c.1-.3.2-.5.2-.8v-2z"/></svg>';
const FOCUSABLE = "button:not(:disabled), textarea:not(:disabled), summary, [tabindex='0']";

export interface PanelActions {
  opened(): void;
  closed(): void;
  asked(question: string): void;
  rated(messageId: string, rating: Rating): void;
  requestedPerson(): void;
  leftContact(email: string): void;
}

export class ChatPanel {
  private readonly launcher: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly title: HTMLElement;
  private readonly closeButton: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly log: HTMLElement;
  private readonly welcome: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  // Handoff to a person: the offer, where it stands, and the address form when nobody is free.
  private readonly handoff: HTMLElement;
  private readonly handoffStatus: HTMLElement;
  private readonly askPerson: HTMLButtonElement;
  private readonly contact: HTMLFormElement;
  private readonly contactInput: HTMLInputElement;
  // Each entry's element, by entry id, with the entry it last showed (entries are immutable: same object, same look).
  private readonly drawn = new Map<number, { entry: Entry; element: HTMLElement }>();

  constructor(
    private readonly root: ShadowRoot,
    private readonly options: WidgetOptions,
    private readonly strings: Strings,
    private readonly actions: PanelActions,
  ) {
    const style = document.createElement("style");
    style.textContent = css;
    const frame = element("div", `root ${options.position === "bottom-left" ? "left" : "right"}`);
    frame.style.setProperty("--accent", options.color);
    frame.style.setProperty("--on-accent", options.onColor);
    frame.lang = options.lang;

    this.panel = element("div", "panel");
    this.panel.id = "parley-panel";
    this.panel.hidden = true;
    this.panel.setAttribute("role", "dialog");
    this.panel.setAttribute("aria-modal", "true");
    this.panel.setAttribute("aria-labelledby", "parley-title");

    const header = element("div", "header");
    this.title = element("h2", "title");
    this.title.id = "parley-title";
    const close = (this.closeButton = element("button", "close"));
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", strings.close);
    close.addEventListener("click", () => this.close());
    header.append(this.title, close);

    this.status = element("p", "status");
    this.status.setAttribute("role", "status");

    this.log = element("div", "log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-label", strings.conversation);
    // Scrollable, so reachable by keyboard; the log role is a polite live region, and aria-busy holds the streamed
    // answer back from screen readers until it is complete.
    this.log.tabIndex = 0;
    this.welcome = element("p", "message welcome");
    this.notice = element("p", "notice");
    this.log.append(this.welcome);

    const composer = (this.composer = element("form", "composer"));
    const label = element("label", "visually-hidden");
    label.htmlFor = "parley-input";
    label.textContent = strings.question;
    this.input = element("textarea", "input");
    this.input.id = "parley-input";
    this.input.rows = 1;
    this.input.placeholder = strings.placeholder;
    this.send = element("button", "send");
    this.send.type = "submit";
    this.send.textContent = strings.send;
    composer.append(label, this.input, this.send);
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });

    this.handoff = element("div", "handoff");
    this.handoffStatus = element("p", "handoff-status");
    this.handoffStatus.setAttribute("role", "status");
    this.askPerson = element("button", "ask-person");
    this.askPerson.type = "button";
    this.askPerson.textContent = strings.askPerson;
    this.askPerson.addEventListener("click", () => this.actions.requestedPerson());
    this.contact = element("form", "contact");
    const contactLabel = element("label", "visually-hidden");
    contactLabel.htmlFor = "parley-email";
    contactLabel.textContent = strings.email;
    this.contactInput = element("input", "email");
    this.contactInput.id = "parley-email";
    this.contactInput.type = "email";
    this.contactInput.required = true;
    this.contactInput.placeholder = strings.email;
    const contactSend = element("button", "send");
    contactSend.type = "submit";
    contactSend.textContent = strings.leaveEmail;
    this.contact.append(contactLabel, this.contactInput, contactSend);
    this.contact.addEventListener("submit", (event) => {
      event.preventDefault();
      const email = this.contactInput.value.trim();
      if (email) this.actions.leftContact(email);
    });
    this.handoff.append(this.handoffStatus, this.askPerson, this.contact);

    this.panel.append(header, this.status, this.log, this.handoff, composer);
    this.panel.addEventListener("keydown", (event) => this.onKey(event));

    this.launcher = element("button", "launcher");
    this.launcher.type = "button";
    this.launcher.innerHTML = CHAT_ICON;
    this.launcher.setAttribute("aria-label", strings.open);
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.setAttribute("aria-controls", "parley-panel");
    this.launcher.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close()));

    frame.append(this.panel, this.launcher);
    root.append(style, frame);
  }

  open(): void {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.setAttribute("aria-label", this.strings.close);
    this.actions.opened();
    (this.input.disabled ? this.closeButton : this.input).focus();
  }

  close(): void {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.setAttribute("aria-label", this.strings.open);
    this.actions.closed();
    this.launcher.focus();
  }

  render(state: ChatState): void {
    const { strings, options } = this;
    const chatbot = state.chatbot;
    // A page whose site the chatbot does not allow (or a chatbot that is gone) is not greeted: the panel says only
    // that the chat is not available, with nothing to type into.
    const closedForGood = state.link === "refused" || state.link === "unavailable";
    // Focus in the composer as it goes (the refusal comes after the panel opened) moves to the close button.
    const focusLeaving = closedForGood && this.composer.contains(this.root.activeElement);
    this.title.textContent = options.title ?? chatbot?.name ?? strings.title;
    this.welcome.textContent = options.welcome ?? (chatbot?.welcome_message || strings.welcome);
    this.welcome.hidden = closedForGood;
    this.composer.hidden = closedForGood;
    this.panel.dataset.link = state.link;
    this.status.textContent = statusLine(state, strings);
    this.status.classList.toggle("closed", closedForGood);

    for (const entry of state.entries) {
      const drawn = this.drawn.get(entry.id);
      if (drawn?.entry === entry) continue;
      const element = drawEntry(entry, strings, this.actions);
      if (drawn) drawn.element.replaceWith(element);
      else this.log.insertBefore(element, this.notice.isConnected ? this.notice : null);
      this.drawn.set(entry.id, { entry, element });
    }
    const notice = state.notice === null ? null : noticeLine(state.notice, strings);
    if (notice === null) this.notice.remove();
    else {
      this.notice.textContent = notice;
      this.log.append(this.notice);
    }
    this.log.setAttribute("aria-busy", String(state.entries.at(-1)?.status === "streaming"));
    this.log.scrollTop = this.log.scrollHeight;

    this.renderHandoff(state);
    if (focusLeaving && !this.panel.hidden) this.closeButton.focus();
    this.input.disabled = closedForGood;
    this.send.disabled = closedForGood || state.busy;
  }

  private renderHandoff(state: ChatState): void {
    const { strings } = this;
    const handoff = state.handoff;
    const line =
      handoff === null
        ? ""
        : handoff.status === "waiting_for_human"
          ? strings.waitingPerson
          : handoff.status === "with_human"
            ? strings.withPerson
            : handoff.status === "unanswered"
              ? handoff.contactEmail
                ? strings.emailKept(handoff.contactEmail)
                : strings.nobodyFree
              : strings.backToBot;
    this.handoffStatus.textContent = line;
    this.handoffStatus.hidden = line === "";
    this.askPerson.hidden = !offersPerson(state);
    this.contact.hidden = handoff?.status !== "unanswered" || handoff.contactEmail !== null;
    this.handoff.hidden = this.handoffStatus.hidden && this.askPerson.hidden && this.contact.hidden;
  }

  private submit(): void {
    const question = this.input.value.trim();
    if (!question || this.send.disabled) return;
    this.input.value = "";
    this.actions.asked(question);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === "Escape") {
      event.preventDefault();
      this.close();
    } else if (event.key === "Tab") {
      const focusable = [...this.panel.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
        (candidate) => candidate.getClientRects().length > 0,
      );
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      const current = this.root.activeElement;
      if (event.shiftKey && (current === first || !this.panel.contains(current))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (current === last || !this.panel.contains(current))) {
        event.preventDefault();
        first.focus();
      }
    }
  }
}

function statusLine(state: ChatState, strings: Strings): string {
  switch (state.link) {
    case "connecting":
      return strings.connecting;
    case "reconnecting":
      return strings.reconnecting;
    case "refused":
      return strings.refused;
    case "unavailable":
      return strings.unavailable;
    default:
      return "";
  }
}

function noticeLine(notice: Notice, strings: Strings): string | null {
  switch (notice.kind) {
    case "queued":
      return strings.queued;
    case "interrupted":
      return strings.interrupted;
    case "error":
      if (notice.code === "rate_limited" && notice.retryAfter !== null) return strings.rateLimited(notice.retryAfter);
      // Parley's error messages are sentences safe to show (a 5xx says only that it failed).
      return notice.message || strings.failed;
  }
}

function drawEntry(entry: Entry, strings: Strings, actions: PanelActions): HTMLElement {
  const bubble = element("div", `message ${entry.role} ${entry.status}`);
  const who = element("span", "visually-hidden");
  who.textContent = `${entry.role === "visitor" ? strings.visitor : entry.role === "person" ? strings.person : strings.assistant}: `;
  const text = element("span", "text");
  text.textContent = entry.text;
  bubble.append(who);
  if (entry.role === "person") {
    // Marked as a person's, visibly: the visitor knows who is writing.
    const label = element("span", "label");
    label.textContent = strings.person;
    label.setAttribute("aria-hidden", "true");
    bubble.append(label);
  }
  // Quotes of the documents (no model configured); an answer citing nothing quotes nothing.
  if (entry.status === "done" && entry.mode === "extractive" && entry.answerable !== false && entry.citations.length) {
    const label = element("span", "label");
    label.textContent = strings.quoted;
    bubble.append(label);
  }
  bubble.append(text);
  if (entry.status === "interrupted" || entry.status === "unsent") {
    const note = element("span", "note");
    note.textContent = entry.status === "unsent" ? strings.unsent : strings.interrupted;
    bubble.append(note);
  }
  if (entry.citations.length > 0) bubble.append(drawSources(entry.citations, strings));
  if (entry.role === "assistant" && entry.status === "done" && entry.messageId) bubble.append(drawRating(entry.messageId, entry.rating, strings, actions));
  return bubble;
}

function drawRating(messageId: string, rating: Rating | undefined, strings: Strings, actions: PanelActions): HTMLElement {
  const buttons = element("div", "rating");
  for (const [value, label] of [
    ["up", strings.helpful],
    ["down", strings.notHelpful],
  ] as const) {
    const button = element("button", `rate ${value}`);
    button.type = "button";
    button.innerHTML = THUMB_ICON;
    button.setAttribute("aria-label", label);
    button.setAttribute("aria-pressed", String(rating === value));
    button.addEventListener("click", () => actions.rated(messageId, value));
    buttons.append(button);
  }
  return buttons;
}

export function drawSources(citations: Citation[], strings: Strings): HTMLElement {
  const sources = element("div", "sources");
  const heading = element("p", "");
  heading.textContent = strings.sources;
  sources.append(heading);
  for (const citation of citations) {
    const details = element("details", "source");
    const summary = element("summary", "");
    const name = documentName(citation.filename, citation.url);
    summary.textContent = citation.page != null ? `${name}, ${strings.page(citation.page)}` : name;
    const snippet = element("blockquote", "");
    snippet.textContent = citation.snippet;
    details.append(summary, snippet);
    const href = pageHref(citation.url);
    if (href) {
      // The web page the passage came from, in a new tab that cannot reach back into the host page.
      const link = element("a", "page-link");
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = strings.openPage;
      details.append(link);
    }
    sources.append(details);
  }
  return sources;
}

/** What a cited document is called: its name (a web page's is its title), or, for a web page named by its address
 * (one without a title), the last part of its path, else its host. */
export function documentName(filename: string, url: string | null | undefined): string {
  if (!url || filename !== url) return filename;
  try {
    const parsed = new URL(url);
    const last = parsed.pathname.split("/").filter(Boolean).pop();
    return last ? decodeURIComponent(last) : parsed.host;
  } catch {
    return filename;
  }
}

/** A citation's address as a link target when it is a web page's (http or https); anything else is no link. */
export function pageHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  if (className) created.className = className;
  return created;
}
