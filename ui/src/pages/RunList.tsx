// The run list: newest first (or by a pinned metric), live (SSE), filters, sort and page in
// the URL (applied by the server), up to 3 pinned metric columns, j/k/Enter to move.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ApiError, api, UI_API, type RunSummary, type RunSummaryPage } from "../api/client";
import { throttle, useEvents } from "../api/events";
import { duration, when } from "../format";
import { StateBadge } from "../StateBadge";
import { setSelectedRuns, toggleSelectedRun, useSelectedRuns } from "../palette/selection";
import { BulkActions } from "./BulkActions";
import { filtersOf, RunListFilters } from "./RunListFilters";
import "./runList.css";
import { dayStart, MAX_PINNED, metricCell, metricNames, nextSort, parameterChips, sortArrow, togglePinned, usePinnedMetrics } from "./runListState";

const PROGRESS_STATES = ["SUCCEEDED", "CACHED", "RUNNING", "FAILED", "SKIPPED", "CANCELED", "PENDING"];

function Progress({ counts }: { counts: Record<string, number> }) {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  if (total === 0) return <span className="muted">no tasks yet</span>;
  const done = (counts.SUCCEEDED ?? 0) + (counts.CACHED ?? 0) + (counts.SKIPPED ?? 0);
  const title = PROGRESS_STATES.filter((s) => counts[s]).map((s) => `${counts[s]} ${s.toLowerCase()}`).join(", ");
  return (
    <span className="progress" title={title} aria-label={`${done} of ${total} tasks done: ${title}`}>
      {PROGRESS_STATES.map((state) =>
        counts[state] ? <span key={state} className={`bar state-${state.toLowerCase()}`} style={{ flexGrow: counts[state] }} /> : null,
      )}
    </span>
  );
}

/** A run's parameters as up to 3 chips. */
function ParameterChips({ parameters }: { parameters: Record<string, unknown> | undefined }) {
  const { chips, more } = parameterChips(parameters);
  return (
    <span className="param-chips" title={JSON.stringify(parameters ?? {})}>
      {chips.map((chip) => (
        <span key={chip} className="chip">
          {chip}
        </span>
      ))}
      {more ? <span className="muted"> +{more}</span> : null}
    </span>
  );
}

/** Which metrics get a column (up to 3), kept for this experiment or for all runs. */
function ColumnPicker({ names, pinned, setPinned }: { names: string[]; pinned: string[]; setPinned: (next: string[]) => void }) {
  return (
    <details className="column-picker">
      <summary>Metric columns ({pinned.length}/{MAX_PINNED})</summary>
      {names.length === 0 ? <p className="muted">The runs on this page logged no metrics.</p> : null}
      {names.map((name) => (
        <label key={name}>
          <input
            type="checkbox"
            aria-label={`Pin metric ${name}`}
            checked={pinned.includes(name)}
            disabled={!pinned.includes(name) && pinned.length >= MAX_PINNED}
            onChange={() => setPinned(togglePinned(pinned, name))}
          />{" "}
          {name}
        </label>
      ))}
    </details>
  );
}

export function RunList() {
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const page = params.get("page") ?? "";
  const sort = params.get("sort") ?? "";
  const archived = filters.archived === "1";
  const client = useQueryClient();
  const navigate = useNavigate();
  const [focus, setFocus] = useState(0);
  const [pinned, setPinned] = usePinnedMetrics(filters.experiment);

  const query = {
    state: filters.state,
    q: filters.q,
    experiment_id: filters.experiment,
    pipeline_id: filters.pipeline,
    pipeline_version_id: filters.version,
    recurring_run_id: filters.recurring,
    created_after: dayStart(filters.from),
    created_before: dayStart(filters.to, 1),
    metric: filters.metric,
    sort,
    archived: archived ? "true" : undefined,
    page_token: page,
    page_size: 50,
  };
  const runs = useQuery({
    queryKey: ["runs", query],
    queryFn: () => api<RunSummaryPage>(`${UI_API}/runs`, {}, query),
    placeholderData: keepPreviousData,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 3,
  });
  const metricError = runs.error instanceof ApiError && runs.error.message.startsWith("metric:") ? runs.error.message : null;

  const refresh = useMemo(() => throttle(() => void client.invalidateQueries({ queryKey: ["runs"] }), 300), [client]);
  useEvents(null, runs.data?.event_id, (event) => {
    if (event.type === "run_state" || event.type === "task_state") refresh();
  });

  const rows: RunSummary[] = runs.error ? [] : (runs.data?.runs ?? []);
  const names = metricNames(rows, pinned);
  const selected = useSelectedRuns();
  const allSelected = rows.length > 0 && rows.every((run) => selected.includes(run.run_id));
  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    if (!("page" in changes)) next.delete("page");
    setParams(next);
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const typing = event.target instanceof HTMLElement && ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName);
      if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "x" && rows[focus]) {
        toggleSelectedRun(rows[focus].run_id);
      } else if (event.key === "j") {
        setFocus((index) => Math.min(index + 1, Math.max(rows.length - 1, 0)));
      } else if (event.key === "k") {
        setFocus((index) => Math.max(index - 1, 0));
      } else if (event.key === "Enter" && rows[focus]) {
        void navigate(`/runs/${rows[focus].run_id}`);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [rows, focus, navigate]);

  useEffect(() => {
    document.querySelector<HTMLElement>(`tr[data-index="${focus}"]`)?.focus({ preventScroll: false });
  }, [focus]);

  return (
    <section className="page">
      <h1>Runs</h1>
      <RunListFilters filters={filters} update={update} metricError={metricError} total={runs.error ? undefined : runs.data?.total_size} />
      <div className="toolbar">
        <ColumnPicker names={names} pinned={pinned} setPinned={setPinned} />
        {sort ? (
          <button type="button" onClick={() => update({ sort: "" })}>
            Newest first
          </button>
        ) : null}
      </div>
      {runs.error && !metricError ? (
        <p role="alert" className="error">
          {runs.error.message}
        </p>
      ) : null}
      <BulkActions rows={rows} archived={archived} />
      <table className="grid" aria-label="Runs">
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label="Select all runs on this page"
                checked={allSelected}
                onChange={() =>
                  setSelectedRuns(
                    allSelected ? selected.filter((id) => !rows.some((run) => run.run_id === id)) : [...selected, ...rows.map((run) => run.run_id)],
                  )
                }
              />
            </th>
            <th>State</th>
            <th>Name</th>
            <th>Pipeline</th>
            <th>Experiment</th>
            <th>Created</th>
            <th>Duration</th>
            <th>Tasks</th>
            {pinned.map((name) => (
              <th key={name} className="num" data-metric-column={name}>
                <button type="button" className="link" aria-label={`Sort by ${name}`} onClick={() => update({ sort: nextSort(sort, `metrics.${name}`) })}>
                  {name} {sortArrow(sort, `metrics.${name}`)}
                </button>
              </th>
            ))}
            <th>Parameters</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((run, index) => (
            <tr
              key={run.run_id}
              data-index={index}
              data-run-id={run.run_id}
              tabIndex={index === focus ? 0 : -1}
              aria-selected={index === focus}
              className={index === focus ? "focused" : ""}
              onFocus={() => setFocus(index)}
            >
              <td>
                <input type="checkbox" aria-label={`Select ${run.display_name}`} checked={selected.includes(run.run_id)} onChange={() => toggleSelectedRun(run.run_id)} />
              </td>
              <td>
                <StateBadge state={run.state} />
              </td>
              <td>
                <Link to={`/runs/${run.run_id}`}>{run.display_name}</Link>
              </td>
              <td>{run.pipeline_name}</td>
              <td>{run.experiment_name ?? ""}</td>
              <td>{when(run.created_at)}</td>
              <td>{duration(run.started_at, run.finished_at)}</td>
              <td>
                <Progress counts={run.task_counts} />
              </td>
              {pinned.map((name) => (
                <td key={name} className="num" data-metric={name}>
                  {metricCell(run.metrics?.[name])}
                </td>
              ))}
              <td>
                <ParameterChips parameters={run.parameters} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data && !runs.error && rows.length === 0 ? <p className="muted">No runs match.</p> : null}
      <div className="toolbar">
        {page ? (
          <button type="button" onClick={() => update({ page: "" })}>
            First page
          </button>
        ) : null}
        {runs.data?.next_page_token ? (
          <button type="button" onClick={() => update({ page: runs.data?.next_page_token ?? "" })}>
            Next page
          </button>
        ) : null}
      </div>
    </section>
  );
}
