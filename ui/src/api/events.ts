// Server-sent events of run and task state changes (GET /apis/sluice/v1/events).
// EventSource sends the session cookie (never a bearer header) and reconnects by itself,
// resuming after the last id it saw (Last-Event-ID).
import { useEffect, useRef } from "react";
import { apiUrl, UI_API } from "./client";

export interface RunStateEvent {
  type: "run_state";
  seq: number;
  run_id: string;
  state: string;
  message: string | null;
  at: string | null;
}

export interface TaskStateEvent {
  type: "task_state";
  seq: number;
  run_id: string;
  task_id: string;
  path: string;
  display_name: string;
  kind: string;
  state: string;
  attempt: number;
  message: string | null;
  at: string | null;
}

export interface TaskLogEvent {
  type: "task_log";
  seq: number;
  run_id: string;
  task_id: string;
  path: string;
  attempt: number;
}

export type SluiceEvent = RunStateEvent | TaskStateEvent | TaskLogEvent;

const TYPES = ["run_state", "task_state", "task_log"] as const;

/**
 * Follow the events of one run (or of every run, runId null) after event id `after`;
 * `onEvent` sees each one. Nothing is followed until `after` is known (undefined).
 */
export function useEvents(
  runId: string | null,
  after: number | undefined,
  onEvent: (event: SluiceEvent) => void,
): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (after === undefined) return undefined;
    const source = new EventSource(
      apiUrl(`${UI_API}/events`, { run_id: runId ?? undefined, last_event_id: after }),
      { withCredentials: false },
    );
    const listener = (message: MessageEvent<string>) => {
      try {
        handler.current(JSON.parse(message.data) as SluiceEvent);
      } catch {
        // a malformed event is dropped; the next read of the page corrects the view
      }
    };
    for (const type of TYPES) source.addEventListener(type, listener as EventListener);
    return () => source.close();
    // `after` only seeds the stream: EventSource resumes from its own last id.
  }, [runId, after === undefined]);
}

/** A function that calls `fn` at most once per `ms` (trailing call kept). */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}
