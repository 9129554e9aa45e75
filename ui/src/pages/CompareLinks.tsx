// Ways into the Compare page: "Compare with previous run" on a run's page (the run list has
// no row selection of its own; the search palette links to /compare too).
import { useState } from "react";
import { useNavigate } from "react-router";
import { api, UI_API, type RunDetail, type RunSummaryPage } from "../api/client";

/** The URL of the Compare page for these runs (in this column order). */
export function compareUrl(runIds: string[]): string {
  return `/compare?runs=${runIds.map(encodeURIComponent).join(",")}`;
}

export function CompareWithPrevious({ run }: { run: RunDetail }) {
  const navigate = useNavigate();
  const [note, setNote] = useState<string | null>(null);
  const open = async () => {
    // The newest earlier run of the same pipeline, in the same experiment if it has one.
    const page = await api<RunSummaryPage>(`${UI_API}/runs`, {}, { experiment_id: run.experiment_id ?? undefined, page_size: 200 });
    const created = run.created_at ?? "";
    const previous = page.runs.find((other) => other.run_id !== run.run_id && other.pipeline_name === run.pipeline_name && (other.created_at ?? "") < created);
    if (previous) void navigate(compareUrl([previous.run_id, run.run_id]));
    else setNote("No earlier run of this pipeline to compare with.");
  };
  return (
    <>
      <button type="button" onClick={() => void open()}>
        Compare with previous run
      </button>
      {note ? <span className="muted">{note}</span> : null}
    </>
  );
}
