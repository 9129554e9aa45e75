import { describe, expect, it } from "vitest";
import type { GraphNode } from "../api/client";
import { timeline } from "./timeline";

function task(id: string, start: string | null, end: string | null, kind: GraphNode["kind"] = "container"): GraphNode {
  return {
    id,
    task_id: id,
    name: id,
    display_name: id,
    kind,
    parent: null,
    iteration_index: null,
    state: end ? "SUCCEEDED" : "RUNNING",
    attempts: 1,
    cached_from_task_id: null,
    component: "c",
    started_at: start,
    finished_at: end,
    error: null,
    iterations: null,
  };
}

describe("timeline", () => {
  it("places tasks that ran on one axis, in start order", () => {
    const result = timeline([
      task("b", "2026-01-01T00:00:05Z", "2026-01-01T00:00:10Z"),
      task("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z"),
      task("box", "2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z", "dag"),
      task("never", null, null),
    ]);
    expect(result.spanMs).toBe(10_000);
    expect(result.rows.map((row) => row.node.id)).toEqual(["a", "b"]);
    expect(result.rows[0]).toMatchObject({ offset: 0, width: 0.5 });
    expect(result.rows[1]).toMatchObject({ offset: 0.5, width: 0.5 });
  });

  it("runs an unfinished task to now", () => {
    const now = Date.parse("2026-01-01T00:00:04Z");
    const result = timeline([task("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:02Z"), task("b", "2026-01-01T00:00:02Z", null)], now);
    expect(result.rows[1]).toMatchObject({ offset: 0.5, width: 0.5, running: true });
  });

  it("is empty before anything ran", () => {
    expect(timeline([task("a", null, null)]).rows).toEqual([]);
  });
});
