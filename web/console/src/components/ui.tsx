// The console's few building blocks: a button that shows it is busy, a labelled field, an error sentence.
import { type ButtonHTMLAttributes, type ComponentChildren, cloneElement, isValidElement } from "preact";
import { useCallback, useId, useState } from "preact/hooks";
import { ApiError, messageOf } from "../api/errors";
import { href } from "../router";

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, "type"> & {
  busy?: boolean;
  busyLabel?: string;
  variant?: "primary" | "danger" | "plain";
  type?: "button" | "submit";
};

export function Button({ busy, busyLabel, variant = "primary", children, disabled, type, ...rest }: ButtonProps) {
  return (
    <button
      {...rest}
      type={type ?? "button"}
      class={`button ${variant}`}
      disabled={busy || disabled}
      aria-busy={busy ? "true" : undefined}
    >
      {busy ? (busyLabel ?? "Working…") : children}
    </button>
  );
}

/** A control with its label; the hint describes the control (aria-describedby) without joining its name. */
export function Field({ label, hint, children }: { label: string; hint?: string; children: ComponentChildren }) {
  const hintId = useId();
  const control = hint && isValidElement(children) ? cloneElement(children, { "aria-describedby": hintId }) : children;
  return (
    <div class="field">
      <label>
        <span class="label">{label}</span>
        {control}
      </label>
      {hint && (
        <span class="hint" id={hintId}>
          {hint}
        </span>
      )}
    </div>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p class="error" role="alert">
      {messageOf(error)}
      {error instanceof ApiError && error.code === "plan_limit" && (
        <>
          {" "}
          <a href={href({ page: "usage" })}>See your plan's usage</a>
        </>
      )}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** An action's busy state and error: `run(work)` sets busy, clears the last error, and keeps the new one. */
export function useAction(): { busy: boolean; error: unknown; run: (work: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}

/** A table that scrolls sideways within itself when it is wider than the screen, never the page; it can be focused,
 * so that a keyboard scrolls it too. On a phone each row is a card instead, each cell after its column's name (give
 * every cell but an actions one a `data-label`). */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
