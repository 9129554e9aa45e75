// Recurring runs: the list (enabled, trigger in words, next fire time, the last run's
// state, all rows' last runs in one GET /runs:latest), and the run history table the
// details and experiment pages share.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, KFP_API, UI_API, type RunSummary, type RunSummaryPage } from "../api/client";
import { duration, when } from "../format";
import { triggerInWords } from "../forms/cron";
import type { RecurringRun } from "../forms/kfp";
import { StateBadge } from "../StateBadge";
import "../forms/forms.css";
import { type RunGroupSummary, useLatestRuns } from "./runListState";

/** Recurring runs, newest first (of one experiment when ``experimentId`` is set). */
export function useRecurringRuns(experimentId?: string) {
  return useQuery({
    queryKey: ["recurring", "list", experimentId ?? ""],
    queryFn: () =>
      api<{ recurringRuns?: RecurringRun[]; recurring_runs?: RecurringRun[] }>(
        `${KFP_API}/recurringruns`,
        {},
        { page_size: 200, sort_by: "created_at desc", experiment_id: experimentId },
      ),
    select: (page) => page.recurringRuns ?? page.recurring_runs ?? [],
  });
}

/** The runs a recurring run started, newest first (the run list's rows). */
export function useStartedRuns(recurringRunId: string, pageSize = 50) {
  return useQuery({
    queryKey: ["runs", "recurring", recurringRunId, pageSize],
    queryFn: () => api<RunSummaryPage>(`${UI_API}/runs`, {}, { recurring_run_id: recurringRunId, page_size: pageSize }),
  });
}

function LastRun({ group, loaded }: { group: RunGroupSummary | undefined; loaded: boolean }) {
  const last = group?.runs[0];
  if (!last) return <span className="muted">{loaded ? "none yet" : ""}</span>;
  return (
    <Link to={`/runs/${last.run_id}`} aria-label={`Last run: ${last.state.toLowerCase()}`}>
      <StateBadge state={last.state} />
    </Link>
  );
}

/** The enabled / disabled chip of a recurring run. */
export function ModeChip({ item }: { item: RecurringRun }) {
  const enabled = item.mode !== "DISABLE";
  return (
    <span className={`chip ${enabled ? "on" : "off"}`} data-mode={enabled ? "ENABLE" : "DISABLE"}>
      {enabled ? "enabled" : "disabled"}
    </span>
  );
}

/** A table of recurring runs (the list page and an experiment's page). */
export function RecurringTable({ rows }: { rows: RecurringRun[] }) {
  const last = useLatestRuns(
    "recurring_run",
    rows.map((item) => item.recurring_run_id),
    1,
  );
  return (
    <table className="grid" aria-label="Recurring runs">
      <thead>
        <tr>
          <th>Name</th>
          <th>Status</th>
          <th>Trigger</th>
          <th>Next run</th>
          <th>Last run</th>
          <th>Runs started</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((item) => (
          <tr key={item.recurring_run_id} data-recurring-id={item.recurring_run_id}>
            <td>
              <Link to={`/recurring/${item.recurring_run_id}`}>{item.display_name}</Link>
            </td>
            <td>
              <ModeChip item={item} />
            </td>
            <td data-testid="trigger-words">{triggerInWords(item.trigger)}</td>
            <td>{when(item.next_run_time) || <span className="muted">—</span>}</td>
            <td>
              <LastRun group={last.data?.get(item.recurring_run_id)} loaded={last.data !== undefined} />
            </td>
            <td>{item.runs_started ?? "0"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Runs as a table with their state, times and (when any run has some) metric columns. */
export function RunTable({ runs, label, scheduled = false }: { runs: RunSummary[]; label: string; scheduled?: boolean }) {
  const metricNames = [...new Set(runs.flatMap((run) => Object.keys(run.metrics ?? {})))].sort();
  return (
    <table className="grid" aria-label={label}>
      <thead>
        <tr>
          <th>State</th>
          <th>Name</th>
          {scheduled ? <th>Scheduled for</th> : null}
          <th>Created</th>
          <th>Duration</th>
          {metricNames.map((name) => (
            <th key={name} className="num">
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.run_id} data-run-id={run.run_id}>
            <td>
              <StateBadge state={run.state} />
            </td>
            <td>
              <Link to={`/runs/${run.run_id}`}>{run.display_name}</Link>
            </td>
            {scheduled ? <td>{when(run.scheduled_at)}</td> : null}
            <td>{when(run.created_at)}</td>
            <td>{duration(run.started_at, run.finished_at)}</td>
            {metricNames.map((name) => (
              <td key={name} className="num" data-metric={name}>
                {run.metrics?.[name] !== undefined ? Number(run.metrics[name]?.toPrecision(6)) : ""}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Recurring() {
  const recurring = useRecurringRuns();
  const rows = recurring.data ?? [];
  return (
    <section className="page">
      <div className="run-header">
        <h1>Recurring runs</h1>
        <span className="spacer" />
        <Link className="button primary" to="/runs/new?recurring=1">
          New recurring run
        </Link>
      </div>
      {recurring.error ? (
        <p role="alert" className="error">
          {recurring.error.message}
        </p>
      ) : null}
      <RecurringTable rows={rows} />
      {recurring.data && rows.length === 0 ? <p className="muted">No recurring runs yet.</p> : null}
    </section>
  );
}
