// The run list's bulk actions on the selected runs: Compare, Archive or Restore, Terminate,
// Retry, Delete (asks first). Each is KFP's own call per run; the outcome is one line.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { api, KFP_API, type RunSummary } from "../api/client";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { FINAL_RUN_STATES } from "../format";
import { compareUrl, setSelectedRuns, useSelectedRuns } from "../palette/selection";
import "./metadata.css";

type Verb = "archive" | "unarchive" | "terminate" | "retry" | "delete";

const DONE: Record<Verb, string> = {
  archive: "Archived",
  unarchive: "Restored",
  terminate: "Terminating",
  retry: "Retrying",
  delete: "Deleted",
};

export function BulkActions({ rows, archived }: { rows: readonly RunSummary[]; archived: boolean }) {
  const selected = useSelectedRuns();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  if (selected.length === 0 && outcome === null) return null;
  const states = new Map(rows.map((run) => [run.run_id, run.state]));
  const anyActive = selected.some((id) => !FINAL_RUN_STATES.has(states.get(id) ?? "SUCCEEDED"));
  const anyRetryable = selected.some((id) => ["FAILED", "CANCELED"].includes(states.get(id) ?? ""));
  const plural = (n: number) => `${n} run${n === 1 ? "" : "s"}`;

  const act = async (verb: Verb) => {
    setBusy(true);
    setConfirming(false);
    const ids = [...selected];
    const failures: string[] = [];
    for (const id of ids) {
      const path = `${KFP_API}/runs/${encodeURIComponent(id)}`;
      try {
        await api<unknown>(verb === "delete" ? path : `${path}:${verb}`, { method: verb === "delete" ? "DELETE" : "POST" });
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    const done = ids.length - failures.length;
    setOutcome(`${DONE[verb]} ${plural(done)}${failures.length ? `; ${failures.length} failed: ${failures[0]}` : ""}`);
    setSelectedRuns([]);
    setBusy(false);
    await client.invalidateQueries({ queryKey: ["runs"] });
  };

  return (
    <div className="bulk-bar" role="toolbar" aria-label="Bulk actions">
      {selected.length > 0 ? (
        <>
          <span>{plural(selected.length)} selected</span>
          <button type="button" disabled={busy || selected.length < 2} onClick={() => void navigate(compareUrl(selected))}>
            Compare
          </button>
          {archived ? (
            <button type="button" disabled={busy} onClick={() => void act("unarchive")}>
              Restore
            </button>
          ) : (
            <button type="button" disabled={busy} onClick={() => void act("archive")}>
              Archive
            </button>
          )}
          <button type="button" disabled={busy || !anyActive} onClick={() => void act("terminate")}>
            Terminate
          </button>
          <button type="button" disabled={busy || !anyRetryable} onClick={() => void act("retry")}>
            Retry
          </button>
          <button type="button" disabled={busy} onClick={() => setConfirming(true)}>
            Delete
          </button>
          {confirming ? (
            <ConfirmDialog
              label="Confirm delete"
              title={`Delete ${plural(selected.length)}?`}
              confirmLabel={`Delete ${plural(selected.length)}`}
              onConfirm={() => act("delete")}
              onCancel={() => setConfirming(false)}
            >
              <p>Their tasks, logs and outputs go with them. This cannot be undone.</p>
            </ConfirmDialog>
          ) : null}
          <button type="button" className="ghost" onClick={() => setSelectedRuns([])}>
            Clear selection
          </button>
        </>
      ) : null}
      {outcome ? (
        <span role="status" className="muted">
          {outcome}
        </span>
      ) : null}
    </div>
  );
}
