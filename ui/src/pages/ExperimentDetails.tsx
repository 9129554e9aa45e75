// An experiment: /experiments/<id>. Its runs (with a column per logged metric), its
// recurring runs, New run into it, and Archive / Restore (archiving it archives its runs
// too, so both leave the default lists, as in Kubeflow).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { api, KFP_API, UI_API, type RunSummaryPage } from "../api/client";
import { when } from "../format";
import type { Experiment } from "./Experiments";
import { RecurringTable, RunTable, useRecurringRuns } from "./Recurring";
import { useDraft } from "../useDraft";

export function ExperimentDetails() {
  const { experimentId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const archivedRuns = params.get("archived") === "1";
  const [archivedDraft, setArchivedDraft] = useDraft(archivedRuns);
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const experiment = useQuery({
    queryKey: ["experiment", experimentId],
    queryFn: () => api<Experiment>(`${KFP_API}/experiments/${encodeURIComponent(experimentId)}`),
  });
  const runs = useQuery({
    queryKey: ["runs", "experiment", experimentId, archivedRuns],
    queryFn: () =>
      api<RunSummaryPage>(`${UI_API}/runs`, {}, { experiment_id: experimentId, page_size: 100, archived: archivedRuns ? "true" : undefined }),
  });
  const recurring = useRecurringRuns(experimentId);
  const item = experiment.data;
  const archived = item?.storage_state === "ARCHIVED";
  const act = async (verb: "archive" | "unarchive") => {
    setError(null);
    try {
      await api<unknown>(`${KFP_API}/experiments/${encodeURIComponent(experimentId)}:${verb}`, { method: "POST" });
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
    // Archiving moves the experiment's runs too: every list that shows them is stale.
    await client.invalidateQueries({ queryKey: ["experiment", experimentId] });
    await client.invalidateQueries({ queryKey: ["experiments"] });
    await client.invalidateQueries({ queryKey: ["runs"] });
  };
  const rows = runs.data?.runs ?? [];
  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="muted">
        <Link to="/experiments">Experiments</Link> / {item?.display_name ?? experimentId}
      </nav>
      <header className="run-header">
        <h1>{item?.display_name ?? experimentId}</h1>
        {archived ? <span className="chip">archived</span> : null}
        <span className="spacer" />
        <Link className="button primary" to={`/runs/new?experiment=${encodeURIComponent(experimentId)}`}>
          New run
        </Link>
        {item ? (
          <button type="button" onClick={() => void act(archived ? "unarchive" : "archive")}>
            {archived ? "Restore" : "Archive"}
          </button>
        ) : null}
      </header>
      {item?.description ? <p>{item.description}</p> : null}
      <p className="muted">
        Created {when(item?.created_at)}
        {item?.last_run_created_at ? ` · last run ${when(item.last_run_created_at)}` : ""}
      </p>
      {experiment.error || runs.error || error ? (
        <p role="alert" className="error">
          {experiment.error?.message ?? runs.error?.message ?? error}
        </p>
      ) : null}
      <div className="toolbar">
        <h2>Runs</h2>
        <span className="muted">{runs.data ? `${runs.data.total_size} runs` : ""}</span>
        <label>
          <input
            type="checkbox"
            checked={archivedDraft}
            onChange={(event) => {
              setArchivedDraft(event.target.checked);
              setParams(event.target.checked ? { archived: "1" } : {}, { replace: true });
            }}
          />{" "}
          Archived runs
        </label>
      </div>
      <RunTable runs={rows} label="Experiment runs" />
      {runs.data && rows.length === 0 ? <p className="muted">No runs{archivedRuns ? " archived" : ""}.</p> : null}
      <h2>Recurring runs</h2>
      <RecurringTable rows={recurring.data ?? []} />
      {recurring.data && recurring.data.length === 0 ? <p className="muted">None.</p> : null}
    </section>
  );
}
