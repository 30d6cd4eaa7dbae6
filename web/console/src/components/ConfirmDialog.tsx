// Asking before something that cannot be undone: a button opens a modal dialog whose focus starts on Cancel, so a
// stray Enter keeps what is there.
import type { ComponentChildren } from "preact";
import { useId, useRef } from "preact/hooks";
import { Button, ErrorNote, useAction } from "./ui";

export function ConfirmDialog({
  opener,
  openerLabel,
  openerVariant = "danger",
  heading,
  children,
  confirm,
  busyLabel,
  onConfirm,
}: {
  opener: string;
  // The opener's accessible name where its text alone is ambiguous (one "Delete…" per row of a table).
  openerLabel?: string;
  openerVariant?: "danger" | "plain";
  heading: string;
  children: ComponentChildren;
  confirm: string;
  busyLabel: string;
  /** Does the thing; the dialog closes when it is done and shows its error when it fails. */
  onConfirm: () => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const action = useAction();
  const run = () =>
    void action.run(async () => {
      await onConfirm();
      dialog.current?.close();
    });
  return (
    <>
      <Button variant={openerVariant} aria-label={openerLabel} onClick={() => dialog.current?.showModal()}>
        {opener}
      </Button>
      <dialog ref={dialog} aria-labelledby={headingId}>
        <h2 id={headingId}>{heading}</h2>
        {children}
        <ErrorNote error={action.error} />
        <div class="actions">
          <Button variant="plain" autofocus onClick={() => dialog.current?.close()} disabled={action.busy}>
            Cancel
          </Button>
          <Button variant="danger" busy={action.busy} busyLabel={busyLabel} onClick={run}>
            {confirm}
          </Button>
        </div>
      </dialog>
    </>
  );
}
