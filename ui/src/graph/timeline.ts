// The Timeline tab's rows: one per task that ran (containers and importers), placed on a
// shared time axis. Pure; unit-tested in timeline.test.ts.
import type { GraphNode } from "../api/client";

export interface TimelineRow {
  node: GraphNode;
  /** Where the bar starts and how long it is, as fractions of the whole span (0..1). */
  offset: number;
  width: number;
  running: boolean;
}

export interface Timeline {
  rows: TimelineRow[];
  spanMs: number;
}

export function timeline(nodes: readonly GraphNode[], now: number = Date.now()): Timeline {
  const ran = nodes.filter((node) => (node.kind === "container" || node.kind === "importer") && node.started_at);
  if (ran.length === 0) return { rows: [], spanMs: 0 };
  const start = (node: GraphNode) => Date.parse(node.started_at ?? "");
  const end = (node: GraphNode) => (node.finished_at ? Date.parse(node.finished_at) : now);
  const first = Math.min(...ran.map(start));
  const last = Math.max(...ran.map(end));
  const span = Math.max(last - first, 1);
  const rows = [...ran]
    .sort((a, b) => start(a) - start(b) || a.id.localeCompare(b.id))
    .map((node) => ({
      node,
      offset: (start(node) - first) / span,
      width: Math.max((end(node) - start(node)) / span, 0.002),
      running: node.finished_at === null,
    }));
  return { rows, spanMs: span };
}
