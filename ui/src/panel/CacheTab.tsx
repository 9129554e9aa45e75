// The task panel's Cache tab (a hit links to the task it reused, a miss names what
// differs), and the Overview's "taken from the cache" line.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, UI_API, type CacheInfo, type TaskDetail } from "../api/client";
import { changeTitle, diffLineKind, missSummary, showValue } from "./cacheChanges";
import type { PanelTab } from "./tabs";

export function useCache(task: TaskDetail, enabled: boolean) {
  return useQuery({
    queryKey: ["cache", task.run_id, task.path, task.state],
    queryFn: () => api<CacheInfo>(`${UI_API}/runs/${encodeURIComponent(task.run_id)}/cache`, {}, { task: task.task_id }),
    enabled,
  });
}

export function sourceLink(info: CacheInfo, tab: PanelTab = "overview"): string | null {
  if (!info.source?.run_id || !info.source.task_path) return null;
  const params = new URLSearchParams({ task: info.source.task_path });
  if (tab !== "overview") params.set("tab", tab);
  return `/runs/${encodeURIComponent(info.source.run_id)}?${params.toString()}`;
}

/** "taken from the cache: <link to the task it reused>" (the Overview's Cache line). */
export function CacheSourceLine({ task }: { task: TaskDetail }) {
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

/** The "What changed" table of a miss: each differing part of the key, where an input's
 * value came from (a task of this run is a link), the compared execution's value and this
 * one's; a changed command (a Python component's code) as the lines that changed. */
function Changes({ task, info }: { task: TaskDetail; info: CacheInfo }) {
  const before = info.source ? `Before (${info.source.run_name ?? `execution ${info.source.execution_id}`})` : "Before";
  return (
    <table className="grid cache-changes" aria-label="What changed">
      <thead>
        <tr>
          <th>What</th>
          <th>Came from</th>
          <th>{before}</th>
          <th>Now</th>
        </tr>
      </thead>
      <tbody>
        {info.changes.map((change, index) => (
          <tr key={index} data-part={change.part}>
            <th scope="row">{changeTitle(change)}</th>
            <td>
              {change.origin_task ? (
                <Link to={`/runs/${encodeURIComponent(task.run_id)}?${new URLSearchParams({ task: change.origin_task, tab: "cache" }).toString()}`}>{change.origin}</Link>
              ) : (
                (change.origin ?? "")
              )}
            </td>
            {change.part === "command" ? (
              <td colSpan={2}>
                <pre className="cache-diff" aria-label="Changed lines">
                  {change.diff.map((line, at) => (
                    <span key={at} className={`diff-${diffLineKind(line)}`}>
                      {line}
                      {"\n"}
                    </span>
                  ))}
                </pre>
              </td>
            ) : (
              <>
                <td>
                  <code>{showValue(change.old)}</code>
                </td>
                <td>
                  <code>{showValue(change.new)}</code>
                </td>
              </>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Cache({ task }: { task: TaskDetail }) {
  const cache = useCache(task, true);
  if (cache.error) return <p className="muted">{cache.error.message}</p>;
  if (!cache.data) return <p className="muted">Loading…</p>;
  const info = cache.data;
  const link = sourceLink(info);
  const why = info.hit ? null : missSummary(info.changes);
  return (
    <div data-testid="cache">
      <p>
        <span className={`badge ${info.hit ? "state-cached" : "state-none"}`}>{info.hit ? "CACHE HIT" : "NO CACHE HIT"}</span> {info.reason}
      </p>
      {why ? (
        <p className="cache-why" data-testid="cache-why">
          {why}
        </p>
      ) : null}
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
      {info.changes.length ? (
        <>
          <h3>What changed</h3>
          <Changes task={task} info={info} />
        </>
      ) : null}
      {info.differences.length ? (
        <details>
          <summary className="muted">As <code>sluice cache explain</code> says it</summary>
          <ul aria-label="Cache key differences">
            {info.differences.map((line) => (
              <li key={line}>
                <code>{line}</code>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {info.fingerprint ? (
        <p className="muted">
          Fingerprint <code>{info.fingerprint}</code>
        </p>
      ) : null}
    </div>
  );
}
