// Experiments: KFP's list (GET /apis/v2beta1/experiments) with each one's run count and its
// last 5 runs' states (one GET /runs:latest for the whole list, not one call per row),
// archived ones behind a checkbox, and a form to create one; each opens its page
// (ExperimentDetails).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, KFP_API } from "../api/client";
import { StateBadge } from "../StateBadge";
import { when } from "../format";
import { useDraft } from "../useDraft";
import { type RunGroupSummary, useLatestRuns } from "./runListState";

export interface Experiment {
  experiment_id: string;
  display_name: string;
  description?: string;
  created_at?: string;
  last_run_created_at?: string;
  storage_state?: string;
}

interface ExperimentPage {
  experiments?: Experiment[];
  total_size?: number;
}

/** The experiments (the first 200), for this page and the run list's filter. */
export function useExperiments() {
  return useQuery({
    queryKey: ["experiments"],
    queryFn: () => api<ExperimentPage>(`${KFP_API}/experiments`, {}, { page_size: 200, sort_by: "created_at desc" }),
    staleTime: 30_000,
  });
}

/** An experiment's run count and its last 5 runs' states (newest first). */
function RecentRuns({ group }: { group: RunGroupSummary | undefined }) {
  if (!group) return <td />;
  return (
    <td className="recent" data-testid="recent-runs" data-total={group.total_size}>
      <span className="muted">{group.total_size} </span>
      {group.runs.map((run) => (
        <Link key={run.run_id} to={`/runs/${run.run_id}`} title={run.display_name} aria-label={`${run.display_name}: ${run.state.toLowerCase()}`}>
          <StateBadge state={run.state} />
        </Link>
      ))}
    </td>
  );
}

function NewExperiment() {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const client = useQueryClient();
  const navigate = useNavigate();
  const create = async () => {
    setError(null);
    try {
      const made = await api<Experiment>(`${KFP_API}/experiments`, { method: "POST", body: JSON.stringify({ display_name: name.trim() }) });
      await client.invalidateQueries({ queryKey: ["experiments"] });
      await navigate(`/experiments/${made.experiment_id}`);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <form
      className="toolbar"
      onSubmit={(event) => {
        event.preventDefault();
        if (name.trim()) void create();
      }}
    >
      <input aria-label="New experiment name" placeholder="New experiment name" value={name} onChange={(event) => setName(event.target.value)} />
      <button type="submit" disabled={!name.trim()}>
        Create experiment
      </button>
      {error ? (
        <span role="alert" className="error">
          {error}
        </span>
      ) : null}
    </form>
  );
}

export function Experiments() {
  const experiments = useExperiments();
  const [params, setParams] = useSearchParams();
  const archived = params.get("archived") === "1";
  const [archivedDraft, setArchivedDraft] = useDraft(archived);
  // As in Kubeflow, an archived experiment leaves the default list.
  const rows = (experiments.data?.experiments ?? []).filter((item) => (item.storage_state === "ARCHIVED") === archived);
  const recent = useLatestRuns(
    "experiment",
    rows.map((item) => item.experiment_id),
    5,
    archived,
  );
  return (
    <section className="page">
      <h1>Experiments</h1>
      <div className="toolbar">
        <NewExperiment />
        <label>
          <input
            type="checkbox"
            checked={archivedDraft}
            onChange={(event) => {
              setArchivedDraft(event.target.checked);
              setParams(event.target.checked ? { archived: "1" } : {}, { replace: true });
            }}
          />{" "}
          Archived
        </label>
      </div>
      {experiments.error ? (
        <p role="alert" className="error">
          {experiments.error.message}
        </p>
      ) : null}
      <table className="grid" aria-label="Experiments">
        <thead>
          <tr>
            <th>Name</th>
            <th>Description</th>
            <th>Created</th>
            <th>Last run</th>
            <th>Runs (last 5)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((experiment) => (
            <tr key={experiment.experiment_id} data-experiment-id={experiment.experiment_id}>
              <td>
                <Link to={`/experiments/${encodeURIComponent(experiment.experiment_id)}`}>{experiment.display_name}</Link>
                {experiment.storage_state === "ARCHIVED" ? <span className="chip">archived</span> : null}
              </td>
              <td>{experiment.description ?? ""}</td>
              <td>{when(experiment.created_at)}</td>
              <td>{when(experiment.last_run_created_at)}</td>
              <RecentRuns group={recent.data?.get(experiment.experiment_id)} />
              <td>
                <Link to={`/runs?experiment=${encodeURIComponent(experiment.experiment_id)}`} aria-label={`Runs of ${experiment.display_name}`}>
                  runs
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {experiments.data && rows.length === 0 ? <p className="muted">{archived ? "No archived experiments." : "No experiments yet."}</p> : null}
    </section>
  );
}
