// The one confirmation every destructive action asks for (deleting a run, runs, a pipeline,
// a version, a recurring run): a modal alertdialog named for what it asks, the focus on
// Cancel when it opens (the safe choice), trapped inside while it is open and given back
// where it was when it closes; Esc or a click outside cancels; the destructive button is
// named for the action ("Delete the run", not "OK"). A failed action shows its error in the
// dialog, which stays open.
//
// It is rendered in place (no portal): the dialog stays inside the toolbar or page that
// opened it, so its region is where a reader (and a test) looks for it; `.overlay` is fixed,
// so it still covers the page.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { FOCUSABLE, nextFocusIndex } from "./focusTrap";

export interface ConfirmDialogProps {
  /** The dialog's accessible name ("Delete pipeline", "Confirm delete"). */
  label: string;
  /** The question, as its heading ("Delete my-pipeline?"). */
  title: string;
  /** What the action does and keeps: the dialog's description. */
  children?: ReactNode;
  /** The destructive button's text, naming the action ("Delete pipeline and versions"). */
  confirmLabel: string;
  /** The action; a rejection shows its message in the dialog. */
  onConfirm: () => void | Promise<void>;
  onCancel: () => void;
}

function message(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

export function ConfirmDialog({ label, title, children, confirmLabel, onConfirm, onCancel }: ConfirmDialogProps) {
  const box = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    cancel.current?.focus();
    // Give the focus back to what opened the dialog (if it is still on the page).
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "Escape") {
      // Stopped here: the page's own Esc (closing the side panel) must not fire too.
      event.stopPropagation();
      event.preventDefault();
      onCancel();
      return;
    }
    if (event.key !== "Tab" || !box.current) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const next = nextFocusIndex(items.indexOf(document.activeElement as HTMLElement), items.length, event.shiftKey);
    event.preventDefault();
    items[next]?.focus();
  };

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (caught) {
      setError(message(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="overlay" onClick={onCancel}>
      <div
        ref={box}
        role="alertdialog"
        aria-modal="true"
        aria-label={label}
        aria-describedby={children ? bodyId : titleId}
        className="dialog"
        onClick={(event) => event.stopPropagation()}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>{title}</h2>
        {children ? <div id={bodyId}>{children}</div> : null}
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
        <div className="toolbar">
          <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
            {confirmLabel}
          </button>
          <button ref={cancel} type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
