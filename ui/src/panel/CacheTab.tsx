// The task panel's Cache tab (a hit links to the task it reused, a miss names what
// differs), and the Overview's "taken from the cache" line.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, UI_API, type CacheInfo, type TaskDetail } from "../api/client";
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

export function Cache({ task }: { task: TaskDetail }) {
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
