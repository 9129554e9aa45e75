// The task side panel: Overview (state, attempts, parameters, artifacts, error) and Logs.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import { api, apiUrl, KFP_API, UI_API, type CacheInfo, type GraphNode, type TaskDetail } from "../api/client";
import { duration, valueText, when } from "../format";
import { StateBadge } from "../StateBadge";
import { ArtifactViewer } from "../viewers/ArtifactViewer";
import { contentUrl } from "../viewers/types";
import { ansiSegments, splitMatches } from "./ansi";

/** The Visualizations tab: every output artifact of the task in its viewer. */
function TaskViewers({ task }: { task: TaskDetail }) {
  const outputs = task.artifacts.filter((artifact) => artifact.direction === "output");
  if (outputs.length === 0) return <p className="muted">This task has no output artifacts.</p>;
  return (
    <div className="viewers">
      {outputs.map((artifact) => (
        <ArtifactViewer key={`${artifact.output_key}-${artifact.id}`} artifact={artifact} label={artifact.output_key} />
      ))}
    </div>
  );
}

export type PanelTab = "overview" | "logs" | "cache" | "viz";
export const PANEL_TABS: readonly PanelTab[] = ["overview", "logs", "cache", "viz"];
const TAB_TITLES: Record<PanelTab, string> = { overview: "Overview", logs: "Logs", cache: "Cache", viz: "Visualizations" };

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
        {task.state === "CACHED" ? (
          <>
            <dt>Cache</dt>
            <dd>
              <CacheSourceLine task={task} />
            </dd>
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
                  <td>
                    <a href={contentUrl(artifact.id)} download>
                      Download
                    </a>
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

/** The log of one attempt over the log stream (N5): whole file (or its last 4 MiB), then
 * live lines while the attempt runs, until `end`. */
function useLogStream(runId: string, taskId: string, attempt: number | null) {
  const [text, setText] = useState("");
  const [skipped, setSkipped] = useState(0);
  const [ended, setEnded] = useState<{ state: string; attempt: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText("");
    setSkipped(0);
    setEnded(null);
    setError(null);
    const url = apiUrl(`${UI_API}/runs/${encodeURIComponent(runId)}/logs:stream`, { task: taskId, attempt: attempt ?? undefined });
    const source = new EventSource(url);
    let opened = false;
    source.onopen = () => {
      opened = true;
    };
    source.addEventListener("log", (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { text: string };
      setText((old) => old + data.text);
    });
    source.addEventListener("truncated", (event) => {
      setSkipped((JSON.parse((event as MessageEvent<string>).data) as { skipped: number }).skipped);
    });
    source.addEventListener("end", (event) => {
      setEnded(JSON.parse((event as MessageEvent<string>).data) as { state: string; attempt: number });
      source.close();
    });
    source.onerror = () => {
      // A stream that never opened was refused (no log yet, no such attempt): say why.
      if (!opened) {
        source.close();
        api<unknown>(`${KFP_API}/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(taskId)}/logs`, {}, { attempt: attempt ?? undefined }).then(
          () => setError("The log is not available yet."),
          (caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)),
        );
      }
    };
    return () => source.close();
  }, [runId, taskId, attempt]);
  return { text, skipped, ended, error };
}

function useCache(task: TaskDetail, enabled: boolean) {
  return useQuery({
    queryKey: ["cache", task.run_id, task.path, task.state],
    queryFn: () => api<CacheInfo>(`${UI_API}/runs/${encodeURIComponent(task.run_id)}/cache`, {}, { task: task.task_id }),
    enabled,
  });
}

function sourceLink(info: CacheInfo, tab: PanelTab = "overview"): string | null {
  if (!info.source?.run_id || !info.source.task_path) return null;
  const params = new URLSearchParams({ task: info.source.task_path });
  if (tab !== "overview") params.set("tab", tab);
  return `/runs/${encodeURIComponent(info.source.run_id)}?${params.toString()}`;
}

/** "taken from the cache: <link to the task it reused>" (the Overview's Cache line). */
function CacheSourceLine({ task }: { task: TaskDetail }) {
  const cache = useCache(task, true);
  const link = cache.data ? sourceLink(cache.data) : null;
  const source = cache.data?.source;
  return (
    <span data-testid="cache-source">
      taken from the cache
      {link && source ? (
        <>
          {": "}
          <Link to={link}>
            task {source.task_path} of run {source.run_name ?? source.run_id}
          </Link>
        </>
      ) : null}
    </span>
  );
}

function Cache({ task }: { task: TaskDetail }) {
  const cache = useCache(task, true);
  if (cache.error) return <p className="muted">{cache.error.message}</p>;
  if (!cache.data) return <p className="muted">Loading…</p>;
  const info = cache.data;
  const link = sourceLink(info);
  return (
    <div data-testid="cache">
      <p>
        <span className={`badge ${info.hit ? "state-cached" : "state-none"}`}>{info.hit ? "CACHE HIT" : "NO CACHE HIT"}</span> {info.reason}
      </p>
      {info.source ? (
        <p>
          {info.hit ? "Reused" : "Compared with"} execution {info.source.execution_id}
          {link ? (
            <>
              {": "}
              <Link to={link}>
                task {info.source.task_path} of run {info.source.run_name ?? info.source.run_id}
              </Link>
            </>
          ) : null}
        </p>
      ) : null}
      {info.differences.length ? (
        <>
          <h3>What differs</h3>
          <ul aria-label="Cache key differences">
            {info.differences.map((line) => (
              <li key={line}>
                <code>{line}</code>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {info.fingerprint ? (
        <p className="muted">
          Fingerprint <code>{info.fingerprint}</code>
        </p>
      ) : null}
    </div>
  );
}

function CachedLog({ task }: { task: TaskDetail }) {
  const cache = useCache(task, true);
  const link = cache.data ? sourceLink(cache.data, "logs") : null;
  return (
    <p className="muted">
      No log: taken from the cache.{" "}
      {link ? <Link to={link}>Open the log of the task it reused.</Link> : null}
    </p>
  );
}

/** The log's text with its ANSI colours, the matches of `query` marked. */
function LogText({ text, query }: { text: string; query: string }) {
  const segments = useMemo(() => ansiSegments(text), [text]);
  let key = 0;
  return (
    <>
      {segments.map((segment) => {
        const classes = [segment.fg ? `ansi-${segment.fg}` : "", segment.bold ? "ansi-bold" : ""].filter(Boolean).join(" ");
        const parts = splitMatches(segment.text, query).map((part, index) =>
          index % 2 === 1 ? <mark key={key++}>{part}</mark> : part ? <span key={key++}>{part}</span> : null,
        );
        return classes ? (
          <span key={key++} className={classes}>
            {parts}
          </span>
        ) : (
          parts
        );
      })}
    </>
  );
}

function Logs({ task, attempt, onAttempt }: { task: TaskDetail; attempt: number | null; onAttempt: (attempt: number | null) => void }) {
  if (task.state === "CACHED") return <CachedLog task={task} />;
  return <LiveLog task={task} attempt={attempt} onAttempt={onAttempt} />;
}

function LiveLog({ task, attempt, onAttempt }: { task: TaskDetail; attempt: number | null; onAttempt: (attempt: number | null) => void }) {
  const log = useLogStream(task.run_id, task.task_id, attempt);
  const [query, setQuery] = useState("");
  // Follow: keep the end in view as lines arrive; scrolling up pauses it, back down resumes.
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  useLayoutEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [log.text, follow]);
  const download = apiUrl(`${UI_API}/runs/${encodeURIComponent(task.run_id)}/logs:download`, {
    task: task.task_id,
    attempt: attempt ?? undefined,
  });
  const matches = useMemo(() => (query ? splitMatches(log.text, query).length >> 1 : 0), [log.text, query]);
  const picker =
    task.attempts.length > 1 ? (
      <label>
        Attempt{" "}
        <select
          aria-label="Attempt"
          value={attempt ?? task.attempts[task.attempts.length - 1]?.attempt ?? ""}
          onChange={(event) => {
            const chosen = Number(event.target.value);
            onAttempt(chosen === task.attempts[task.attempts.length - 1]?.attempt ? null : chosen);
          }}
        >
          {task.attempts.map((item) => (
            <option key={item.attempt} value={item.attempt}>
              {item.attempt} ({item.state.toLowerCase()})
            </option>
          ))}
        </select>
      </label>
    ) : null;
  const chosen = task.attempts.find((item) => item.attempt === (attempt ?? task.attempts[task.attempts.length - 1]?.attempt));
  if (log.error) return <div>{picker}<p className="muted">{log.error}</p></div>;
  return (
    <div>
      {picker}
      {chosen?.error ? (
        <p role="alert" className="error">
          {chosen.error}
        </p>
      ) : null}
      {log.skipped ? (
        <p className="notice">
          Truncated: showing the last 4 MiB ({log.skipped} bytes before them are not shown).{" "}
          <a href={download} download>
            Download the whole file
          </a>
        </p>
      ) : null}
      <p className="muted">
        {log.ended ? `Attempt ${log.ended.attempt} ended (${log.ended.state.toLowerCase()}).` : "Following the log…"}
      </p>
      <div className="toolbar">
        <input type="search" aria-label="Search the log" placeholder="Search the log" value={query} onChange={(event) => setQuery(event.target.value)} />
        {query ? <span className="muted" data-testid="log-matches">{matches === 1 ? "1 match" : `${matches} matches`}</span> : null}
        <label>
          <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} /> Follow
        </label>
        <a href={download} download>
          Download
        </a>
      </div>
      <pre
        ref={pre}
        className="log"
        aria-label="Log"
        data-testid="log"
        data-ended={log.ended !== null}
        onScroll={(event) => {
          const box = event.currentTarget;
          const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
          if (atEnd !== follow) setFollow(atEnd);
        }}
      >
        <LogText text={log.text} query={query} />
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
  onAttempt,
  onClose,
}: {
  runId: string;
  node: GraphNode;
  tab: PanelTab;
  attempt: number | null;
  onTab: (tab: PanelTab) => void;
  onAttempt: (attempt: number | null) => void;
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
        {PANEL_TABS.map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name} onClick={() => onTab(name)}>
            {TAB_TITLES[name]}
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
          <Logs task={detail.data} attempt={attempt} onAttempt={onAttempt} />
        ) : tab === "viz" ? (
          <TaskViewers task={detail.data} />
        ) : tab === "cache" ? (
          detail.data.kind === "container" ? <Cache task={detail.data} /> : <p className="muted">Only container tasks use the cache.</p>
        ) : (
          <Overview task={detail.data} />
        )}
      </div>
    </aside>
  );
}
