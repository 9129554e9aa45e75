// The run page's Outputs tab: every metrics, classification, HTML and Markdown artifact
// of the run, in its viewer (the comparison of the run with itself lists them).
import { useQuery } from "@tanstack/react-query";
import { api, UI_API } from "../api/client";
import type { components } from "../api/schema";
import { ArtifactViewer } from "./ArtifactViewer";

export type Comparison = components["schemas"]["Comparison"];

export function useComparison(runIds: string[]) {
  return useQuery({
    queryKey: ["compare", runIds.join(",")],
    queryFn: () => api<Comparison>(`${UI_API}/compare`, {}, { run_ids: runIds.join(",") }),
    enabled: runIds.length > 0,
  });
}

export function RunOutputs({ runId }: { runId: string }) {
  const comparison = useComparison([runId]);
  if (comparison.error) {
    return (
      <p role="alert" className="error pad">
        {comparison.error.message}
      </p>
    );
  }
  if (!comparison.data) return <p className="muted pad">Loading the outputs…</p>;
  const artifacts = comparison.data.artifacts;
  if (artifacts.length === 0) return <p className="muted pad">This run has no metrics, HTML or Markdown outputs.</p>;
  return (
    <div className="viewers pad" aria-label="Run outputs">
      {artifacts.map((artifact) => (
        <ArtifactViewer key={`${artifact.key}-${artifact.artifact_id ?? ""}`} artifact={{ ...artifact, id: artifact.artifact_id }} label={artifact.key} />
      ))}
    </div>
  );
}
