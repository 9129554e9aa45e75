// The Timeline tab's rows: one per task that ran or waits to (containers and importers),
// on a shared time axis, each made of segments: the time it waited (from when it was
// recorded to its first attempt, and between attempts) and each attempt in its state.
// Pure; unit-tested in timeline.test.ts.
import type { GraphNode } from "../api/client";

export interface Segment {
  kind: "queued" | "attempt";
  /** The attempt's number (attempts only). */
  attempt: number | null;
  /** The task state its colour shows (an execution's COMPLETE is SUCCEEDED). */
  state: string;
  startMs: number;
  endMs: number;
  /** Still going (it ends at "now"). */
  open: boolean;
  exitCode: number | null;
  /** Where the segment starts and how long it is, as fractions of the whole span (0..1). */
  offset: number;
  width: number;
}

export interface TimelineRow {
  node: GraphNode;
  segments: Segment[];
  /** Where the whole bar starts and how long it is (0..1). */
  offset: number;
  width: number;
  running: boolean;
}

export interface Timeline {
  rows: TimelineRow[];
  spanMs: number;
  /** When the axis starts (epoch ms). */
  startMs: number;
}

/** MLMD's execution states as the task states the page colours. */
const EXECUTION_STATES: Record<string, string> = { COMPLETE: "SUCCEEDED", NEW: "PENDING" };
const MIN_WIDTH = 0.002;

interface Piece {
  kind: Segment["kind"];
  attempt: number | null;
  state: string;
  startMs: number;
  endMs: number;
  open: boolean;
  exitCode: number | null;
}

const time = (value: string | null | undefined): number | null => {
  if (!value) return null;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
};

/** A task's segments in time order, before they are put on the axis. */
export function pieces(node: GraphNode, now: number): Piece[] {
  const out: Piece[] = [];
  const taskEnd = time(node.finished_at);
  const spans = [...(node.attempt_spans ?? [])].sort((a, b) => a.attempt - b.attempt);
  let cursor = time(node.created_at);
  const queueUntil = (until: number) => {
    if (cursor !== null && until > cursor) {
      out.push({ kind: "queued", attempt: null, state: "PENDING", startMs: cursor, endMs: until, open: false, exitCode: null });
    }
  };
  for (const span of spans) {
    const start = time(span.started_at);
    if (start === null) continue;
    queueUntil(start);
    const end = time(span.finished_at);
    const state = EXECUTION_STATES[span.state] ?? span.state;
    // An attempt with no end: still running, unless its task ended (then it ended with it).
    const stop = end ?? (taskEnd !== null ? Math.max(taskEnd, start) : Math.max(now, start));
    out.push({ kind: "attempt", attempt: span.attempt, state, startMs: start, endMs: stop, open: end === null && taskEnd === null, exitCode: span.exit_code });
    cursor = stop;
  }
  if (spans.length === 0) {
    // No attempt recorded (a cache hit, an importer): the task's own times are its one segment.
    const start = time(node.started_at);
    if (start !== null) {
      queueUntil(start);
      out.push({ kind: "attempt", attempt: null, state: node.state ?? "RUNNING", startMs: start, endMs: taskEnd ?? Math.max(now, start), open: taskEnd === null, exitCode: null });
    } else if (cursor !== null && taskEnd === null) {
      // Recorded, waiting for a slot: queued up to now.
      out.push({ kind: "queued", attempt: null, state: "PENDING", startMs: cursor, endMs: Math.max(now, cursor), open: true, exitCode: null });
    }
  } else if (taskEnd === null && out.at(-1)?.open === false && cursor !== null) {
    // Between attempts (waiting to retry): queued again, up to now.
    out.push({ kind: "queued", attempt: null, state: "PENDING", startMs: cursor, endMs: Math.max(now, cursor), open: true, exitCode: null });
  }
  return out;
}

export function timeline(nodes: readonly GraphNode[], now: number = Date.now()): Timeline {
  const rows = nodes
    .filter((node) => node.kind === "container" || node.kind === "importer")
    .map((node) => ({ node, parts: pieces(node, now) }))
    .filter((row) => row.parts.length > 0);
  if (rows.length === 0) return { rows: [], spanMs: 0, startMs: 0 };
  const first = Math.min(...rows.map((row) => row.parts[0]!.startMs));
  const last = Math.max(...rows.map((row) => row.parts.at(-1)!.endMs));
  const span = Math.max(last - first, 1);
  const place = (start: number, end: number) => ({ offset: (start - first) / span, width: Math.max((end - start) / span, MIN_WIDTH) });
  const startOf = (row: { node: GraphNode; parts: Piece[] }) => row.parts.find((part) => part.kind === "attempt")?.startMs ?? row.parts[0]!.startMs;
  return {
    rows: rows
      .sort((a, b) => startOf(a) - startOf(b) || a.node.id.localeCompare(b.node.id))
      .map(({ node, parts }) => ({
        node,
        segments: parts.map((part) => ({ ...part, ...place(part.startMs, part.endMs) })),
        ...place(parts[0]!.startMs, parts.at(-1)!.endMs),
        running: parts.some((part) => part.open),
      })),
    spanMs: span,
    startMs: first,
  };
}

/** A segment's tooltip: what it was, when, and how it ended. */
export function segmentTitle(segment: Segment): string {
  const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);
  const seconds = ((segment.endMs - segment.startMs) / 1000).toFixed(segment.endMs - segment.startMs < 10_000 ? 2 : 0);
  const when = `${clock(segment.startMs)} → ${segment.open ? "now" : clock(segment.endMs)} (${seconds} s)`;
  if (segment.kind === "queued") return `queued ${when}`;
  const exit = segment.exitCode === null ? "" : ` · exit code ${segment.exitCode}`;
  return `${segment.attempt === null ? "" : `attempt ${segment.attempt} · `}${segment.state.toLowerCase()} · ${when}${exit}`;
}
