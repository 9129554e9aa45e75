import { describe, expect, it } from "vitest";
import type { GraphNode } from "../api/client";
import { pieces, segmentTitle, timeline } from "./timeline";

type Span = GraphNode["attempt_spans"][number];

function task(id: string, start: string | null, end: string | null, kind: GraphNode["kind"] = "container", spans: Span[] = []): GraphNode {
  return {
    id,
    task_id: id,
    name: id,
    display_name: id,
    kind,
    parent: null,
    iteration_index: null,
    state: end ? "SUCCEEDED" : "RUNNING",
    attempts: spans.length || 1,
    cached_from_task_id: null,
    component: "c",
    started_at: start,
    finished_at: end,
    error: null,
    iterations: null,
    iteration_total: null,
    created_at: start,
    attempt_spans: spans,
  };
}

const at = (seconds: number) => new Date(Date.parse("2026-01-01T00:00:00Z") + seconds * 1000).toISOString();
const span = (attempt: number, state: string, start: number, end: number | null, exit: number | null = 0): Span => ({
  attempt,
  state,
  started_at: at(start),
  finished_at: end === null ? null : at(end),
  exit_code: exit,
});

describe("timeline", () => {
  it("places tasks that ran on one axis, in start order", () => {
    const result = timeline([
      task("b", at(5), at(10)),
      task("a", at(0), at(5)),
      task("box", at(0), at(10), "dag"),
      { ...task("never", null, null), created_at: null },
    ]);
    expect(result.spanMs).toBe(10_000);
    expect(result.rows.map((row) => row.node.id)).toEqual(["a", "b"]);
    expect(result.rows[0]).toMatchObject({ offset: 0, width: 0.5 });
    expect(result.rows[1]).toMatchObject({ offset: 0.5, width: 0.5 });
  });

  it("runs an unfinished task to now", () => {
    const now = Date.parse(at(4));
    const result = timeline([task("a", at(0), at(2)), task("b", at(2), null)], now);
    expect(result.rows[1]).toMatchObject({ offset: 0.5, width: 0.5, running: true });
  });

  it("is empty before anything was recorded", () => {
    expect(timeline([{ ...task("a", null, null), created_at: null }]).rows).toEqual([]);
  });

  it("draws each attempt as a segment, with the queued time and the wait before the retry", () => {
    const flaky = { ...task("flaky", at(2), at(10), "container", [span(2, "COMPLETE", 6, 10), span(1, "FAILED", 2, 4, 1)]), created_at: at(0) };
    const [row] = timeline([flaky]).rows;
    expect(row!.segments.map((s) => [s.kind, s.attempt, s.state, s.offset, s.width])).toEqual([
      ["queued", null, "PENDING", 0, 0.2],
      ["attempt", 1, "FAILED", 0.2, 0.2],
      ["queued", null, "PENDING", 0.4, 0.2],
      ["attempt", 2, "SUCCEEDED", 0.6, 0.4], // MLMD's COMPLETE is the task's SUCCEEDED
    ]);
    expect(row!.segments.filter((s) => s.kind === "attempt")).toHaveLength(2);
    expect(segmentTitle(row!.segments[1]!)).toBe("attempt 1 · failed · 00:00:02.000 → 00:00:04.000 (2.00 s) · exit code 1");
    expect(segmentTitle(row!.segments[0]!)).toBe("queued 00:00:00.000 → 00:00:02.000 (2.00 s)");
  });

  it("keeps a running attempt open to now, and a task waiting for its retry queued to now", () => {
    const now = Date.parse(at(8));
    const running = pieces({ ...task("r", at(1), null, "container", [span(1, "RUNNING", 1, null, null)]), created_at: at(0) }, now);
    expect(running.at(-1)).toMatchObject({ kind: "attempt", state: "RUNNING", endMs: now, open: true });
    const waiting = pieces({ ...task("w", at(1), null, "container", [span(1, "FAILED", 1, 3, 1)]), created_at: at(1) }, now);
    expect(waiting.map((p) => [p.kind, p.open])).toEqual([
      ["attempt", false],
      ["queued", true],
    ]);
    expect(waiting.at(-1)!.endMs).toBe(now);
  });

  it("shows a task still waiting for a slot as queued, and a cache hit as its own times", () => {
    const now = Date.parse(at(5));
    const pending = { ...task("p", null, null), state: "PENDING", created_at: at(2) };
    expect(pieces(pending, now)).toMatchObject([{ kind: "queued", startMs: Date.parse(at(2)), endMs: now, open: true }]);
    const cached = { ...task("c", at(3), at(3)), state: "CACHED", created_at: at(3) };
    expect(pieces(cached, now)).toMatchObject([{ kind: "attempt", attempt: null, state: "CACHED" }]);
    // A skipped task never ran: no row.
    const skipped = { ...task("s", null, at(4)), state: "SKIPPED", created_at: at(4) };
    expect(timeline([skipped], now).rows).toEqual([]);
  });
});
