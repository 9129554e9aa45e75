// The runs selected in the run list, shared with the palette's "Compare selected" action.
// A tiny external store (useSyncExternalStore), so no provider wraps the app.
import { useSyncExternalStore } from "react";

let selected: readonly string[] = [];
const listeners = new Set<() => void>();

function emit(): void {
  for (const listener of listeners) listener();
}

/** Replace the selection (order kept: the order of selecting). */
export function setSelectedRuns(ids: readonly string[]): void {
  selected = [...new Set(ids)];
  emit();
}

/** Add or remove one run. */
export function toggleSelectedRun(id: string): void {
  setSelectedRuns(selected.includes(id) ? selected.filter((other) => other !== id) : [...selected, id]);
}

export function selectedRuns(): readonly string[] {
  return selected;
}

export function useSelectedRuns(): readonly string[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => selected,
  );
}

/** The compare page's URL for these runs. */
export function compareUrl(ids: readonly string[]): string {
  return `/compare?runs=${ids.map(encodeURIComponent).join(",")}`;
}
