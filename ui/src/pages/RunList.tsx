// The run list: newest first, live (SSE), filters and page in the URL, j/k/Enter to move.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, UI_API, type RunSummary, type RunSummaryPage } from "../api/client";
import { throttle, useEvents } from "../api/events";
import { duration, RUN_STATES, when } from "../format";
import { StateBadge } from "../StateBadge";
import { setSelectedRuns, toggleSelectedRun, useSelectedRuns } from "../palette/selection";
import { BulkActions } from "./BulkActions";
import { useExperiments } from "./Experiments";
import { useDraft } from "../useDraft";

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

export function RunList() {
  const [params, setParams] = useSearchParams();
  const state = params.get("state") ?? "";
  const q = params.get("q") ?? "";
  const page = params.get("page") ?? "";
  const archived = params.get("archived") === "1";
  const experiment = params.get("experiment") ?? "";
  const experiments = useExperiments();
  const client = useQueryClient();
  const navigate = useNavigate();
  const filterRef = useRef<HTMLInputElement>(null);
  const [focus, setFocus] = useState(0);
  const [draft, setDraft] = useDraft(q);
  const [archivedDraft, setArchivedDraft] = useDraft(archived);

  const key = ["runs", state, q, page, archived, experiment];
  const runs = useQuery({
    queryKey: key,
    queryFn: () =>
      api<RunSummaryPage>(`${UI_API}/runs`, {}, { state, q, page_token: page, page_size: 50, archived: archived ? "true" : undefined, experiment_id: experiment }),
    placeholderData: keepPreviousData,
  });

  const refresh = useMemo(() => throttle(() => void client.invalidateQueries({ queryKey: ["runs"] }), 300), [client]);
  useEvents(null, runs.data?.event_id, (event) => {
    if (event.type === "run_state" || event.type === "task_state") refresh();
  });

  const rows: RunSummary[] = runs.data?.runs ?? [];
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
      <div className="toolbar">
        <label>
          State{" "}
          <select aria-label="State filter" value={state} onChange={(event) => update({ state: event.target.value })}>
            <option value="">any</option>
            {RUN_STATES.map((name) => (
              <option key={name} value={name}>
                {name.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <label>
          Experiment{" "}
          <select aria-label="Experiment filter" value={experiment} onChange={(event) => update({ experiment: event.target.value })}>
            <option value="">any</option>
            {(experiments.data?.experiments ?? []).map((item) => (
              <option key={item.experiment_id} value={item.experiment_id}>
                {item.display_name}
              </option>
            ))}
          </select>
        </label>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            update({ q: draft });
          }}
        >
          <input
            ref={filterRef}
            type="search"
            aria-label="Filter by name"
            placeholder="Filter by name"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
        </form>
        <label>
          <input
            type="checkbox"
            checked={archivedDraft}
            onChange={(event) => {
              setArchivedDraft(event.target.checked);
              update({ archived: event.target.checked ? "1" : "" });
            }}
          />{" "}
          Archived
        </label>
        <span className="muted">{runs.data ? `${runs.data.total_size} runs` : ""}</span>
      </div>
      {runs.error ? (
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
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data && rows.length === 0 ? <p className="muted">No runs match.</p> : null}
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
