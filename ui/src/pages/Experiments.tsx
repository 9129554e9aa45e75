// Experiments: KFP's list (GET /apis/v2beta1/experiments); each opens the run list filtered
// to it. Run counts, archive and the details page come later (docs/ui.md).
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, KFP_API } from "../api/client";
import { when } from "../format";

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

export function Experiments() {
  const experiments = useExperiments();
  const rows = experiments.data?.experiments ?? [];
  return (
    <section className="page">
      <h1>Experiments</h1>
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
          </tr>
        </thead>
        <tbody>
          {rows.map((experiment) => (
            <tr key={experiment.experiment_id}>
              <td>
                <Link to={`/runs?experiment=${encodeURIComponent(experiment.experiment_id)}`}>{experiment.display_name}</Link>
                {experiment.storage_state === "ARCHIVED" ? <span className="chip">archived</span> : null}
              </td>
              <td>{experiment.description ?? ""}</td>
              <td>{when(experiment.created_at)}</td>
              <td>{when(experiment.last_run_created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {experiments.data && rows.length === 0 ? <p className="muted">No experiments yet.</p> : null}
    </section>
  );
}
