// Graph nodes for the graph's unit tests (layout.test.ts, artifacts.test.ts): a finished
// node of a kind, in a box, with only what the layout reads set.
import type { GraphNode } from "../api/client";

/** A SUCCEEDED node `id` of `kind` in box `parent`; a loop has `iterations` started (of as many). */
export function graphNode(id: string, kind: GraphNode["kind"], parent: string | null = null, iterations = 2): GraphNode {
  return {
    id,
    task_id: id,
    name: id.split("/").pop() ?? id,
    display_name: id,
    kind,
    parent,
    iteration_index: null,
    state: "SUCCEEDED",
    attempts: 1,
    cached_from_task_id: null,
    component: "c",
    started_at: null,
    finished_at: null,
    error: null,
    iterations: kind === "loop" ? iterations : null,
    iteration_total: kind === "loop" ? iterations : null,
    created_at: null,
    attempt_spans: [],
  };
}
