// The Timeline tab: a Gantt of the run's tasks, one bar per task, each attempt a segment in
// its state's colour and the time it waited (queued, or before a retry) hatched.
import type { RunGraph } from "../api/client";
import { duration } from "../format";
import { segmentTitle, timeline } from "./timeline";
import "./graph.css";

/** The loop iteration a task is in (its innermost), to tell apart the rows of one task
 * name that every iteration has. */
function iterationOf(id: string): string | null {
  const match = /\[(\d+)\](?!.*\[)/.exec(id);
  return match ? (match[1] ?? null) : null;
}

export function TimelineView({ graph, selected, onSelect }: { graph: RunGraph; selected: string | null; onSelect: (id: string) => void }) {
  const { rows, spanMs } = timeline(graph.nodes);
  if (rows.length === 0) return <p className="muted pad">No task has started yet.</p>;
  return (
    <div className="timeline" aria-label="Timeline">
      <p className="muted timeline-legend">
        <span>{duration(new Date(0).toISOString(), new Date(spanMs).toISOString())} from the first task's start to the last one's end</span>
        <span>
          <span className="swatch timeline-segment queued" /> queued
        </span>
        <span>
          <span className="swatch bar state-succeeded" /> an attempt, in its state's colour
        </span>
      </p>
      {rows.map((row) => {
        const attempts = row.segments.filter((segment) => segment.kind === "attempt").length;
        return (
          <button
            key={row.node.id}
            type="button"
            className={`timeline-row${row.node.id === selected ? " selected" : ""}`}
            data-testid={`bar-${row.node.id}`}
            data-attempts={attempts}
            onClick={() => onSelect(row.node.id)}
          >
            <span className="timeline-label" title={row.node.id}>
              {row.node.display_name}
              {iterationOf(row.node.id) !== null ? <span className="muted"> [{iterationOf(row.node.id)}]</span> : null}
              {attempts > 1 ? <span className="muted"> · {attempts} attempts</span> : null}
            </span>
            <span className="timeline-track">
              {row.segments.map((segment, index) => (
                <span
                  key={index}
                  className={
                    segment.kind === "queued"
                      ? "timeline-segment queued"
                      : `timeline-segment attempt bar state-${segment.state.toLowerCase()}`
                  }
                  data-testid={segment.kind === "queued" ? "queued" : "attempt"}
                  data-state={segment.state}
                  style={{ left: `${segment.offset * 100}%`, width: `${segment.width * 100}%` }}
                  title={segmentTitle(segment)}
                />
              ))}
            </span>
            <span className="muted">{duration(row.node.started_at, row.node.finished_at)}</span>
          </button>
        );
      })}
    </div>
  );
}
