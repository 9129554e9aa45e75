// The task side panel: Overview (state, attempts, parameters, artifacts, error) and Logs.
import { useQuery } from "@tanstack/react-query";
import { api, KFP_API, UI_API, type GraphNode, type TaskDetail } from "../api/client";
import { duration, valueText, when } from "../format";
import { StateBadge } from "../StateBadge";

export type PanelTab = "overview" | "logs";

interface LogAnswer {
  data: string;
  attempt: number;
  truncated: boolean;
}

function Parameters({ title, values }: { title: string; values: Record<string, unknown> }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <table className="grid compact" aria-label={title}>
        <tbody>
          {entries.map(([name, value]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>
                <code>{valueText(value)}</code>
              </td>
              <td className="muted">{Array.isArray(value) ? "list" : value === null ? "null" : typeof value === "object" ? "struct" : typeof value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Overview({ task }: { task: TaskDetail }) {
  return (
    <div>
      <dl className="facts">
        <dt>Path</dt>
        <dd>
          <code>{task.path}</code>
        </dd>
        <dt>Component</dt>
        <dd>{task.component}</dd>
        <dt>Started</dt>
        <dd>{when(task.started_at)}</dd>
        <dt>Duration</dt>
        <dd>{duration(task.started_at, task.finished_at)}</dd>
        {task.image ? (
          <>
            <dt>Image</dt>
            <dd>
              <code>{task.image}</code>
            </dd>
          </>
        ) : null}
        {task.cached_from_task_id ? (
          <>
            <dt>Cache</dt>
            <dd>taken from the cache (task {task.cached_from_task_id})</dd>
          </>
        ) : null}
      </dl>
      {task.error ? (
        <div role="alert" className="error-box">
          <strong>Error</strong>
          <pre>{task.error}</pre>
          {typeof task.error_details?.traceback === "string" ? <pre className="traceback">{task.error_details.traceback}</pre> : null}
        </div>
      ) : null}
      <Parameters title="Inputs" values={task.input_parameters} />
      <Parameters title="Outputs" values={task.output_parameters} />
      {task.artifacts.length ? (
        <>
          <h3>Artifacts</h3>
          <table className="grid compact" aria-label="Artifacts">
            <tbody>
              {task.artifacts.map((artifact) => (
                <tr key={`${artifact.direction}-${artifact.output_key}-${artifact.id}`}>
                  <th scope="row">
                    {artifact.direction} {artifact.output_key}
                  </th>
                  <td>{artifact.schema_title}</td>
                  <td>
                    <code>{artifact.uri}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {task.attempts.length ? (
        <>
          <h3>Attempts</h3>
          <table className="grid compact" aria-label="Attempts">
            <thead>
              <tr>
                <th>#</th>
                <th>State</th>
                <th>Started</th>
                <th>Duration</th>
                <th>Exit code</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {task.attempts.map((attempt) => (
                <tr key={attempt.attempt}>
                  <td>{attempt.attempt}</td>
                  <td>{attempt.state}</td>
                  <td>{when(attempt.started_at)}</td>
                  <td>{duration(attempt.started_at, attempt.finished_at)}</td>
                  <td>{attempt.exit_code ?? ""}</td>
                  <td>{attempt.error ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}

function Logs({ task, attempt }: { task: TaskDetail; attempt: number | null }) {
  const running = task.state === "RUNNING" || task.state === "PENDING";
  const log = useQuery({
    queryKey: ["log", task.run_id, task.task_id, attempt],
    queryFn: () =>
      api<LogAnswer>(`${KFP_API}/runs/${encodeURIComponent(task.run_id)}/nodes/${encodeURIComponent(task.task_id)}/logs`, {}, {
        attempt: attempt ?? undefined,
      }),
    // Until the log stream (N5) lands, a running task's log is re-read each second.
    refetchInterval: running ? 1000 : false,
    retry: false,
  });
  if (task.state === "CACHED") return <p className="muted">No log: taken from the cache.</p>;
  if (log.error) return <p className="muted">{log.error.message}</p>;
  if (!log.data) return <p className="muted">Loading the log…</p>;
  return (
    <div>
      {log.data.truncated ? <p className="notice">Truncated: showing the end of the log.</p> : null}
      <p className="muted">Attempt {log.data.attempt}</p>
      <pre className="log" aria-label="Log" data-testid="log">
        {log.data.data}
      </pre>
    </div>
  );
}

export function TaskPanel({
  runId,
  node,
  tab,
  attempt,
  onTab,
  onClose,
}: {
  runId: string;
  node: GraphNode;
  tab: PanelTab;
  attempt: number | null;
  onTab: (tab: PanelTab) => void;
  onClose: () => void;
}) {
  const detail = useQuery({
    queryKey: ["task", runId, node.id],
    queryFn: () => api<TaskDetail>(`${UI_API}/runs/${encodeURIComponent(runId)}/tasks/${node.id.split("/").map(encodeURIComponent).join("/")}`),
    enabled: node.task_id !== null,
  });
  return (
    <aside className="panel" aria-label="Task details">
      <header className="panel-header">
        <h2>{node.kind === "iteration" ? `iteration ${node.iteration_index ?? ""}` : node.display_name}</h2>
        <StateBadge state={node.state} />
        <span className="spacer" />
        <button type="button" className="ghost" aria-label="Close the panel" onClick={onClose}>
          ✕
        </button>
      </header>
      <div role="tablist" className="tabs">
        {(["overview", "logs"] as const).map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name} onClick={() => onTab(name)}>
            {name === "overview" ? "Overview" : "Logs"}
          </button>
        ))}
      </div>
      <div role="tabpanel" className="panel-body">
        {node.task_id === null ? (
          <p className="muted">Not started yet.</p>
        ) : detail.error ? (
          <p role="alert" className="error">
            {detail.error.message}
          </p>
        ) : !detail.data ? (
          <p className="muted">Loading…</p>
        ) : tab === "logs" ? (
          <Logs task={detail.data} attempt={attempt} />
        ) : (
          <Overview task={detail.data} />
        )}
      </div>
    </aside>
  );
}
