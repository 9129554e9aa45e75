// The run page's header actions: Terminate, Retry, Clone, Compare with previous run,
// Archive or Restore, Copy id, Delete (asks first, then returns to the run list). Each
// state change is KFP's own call, so the page does what `kfp.Client` would.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, KFP_API, UI_API, type RunDetail, type RunSummaryPage } from "../api/client";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { compareUrl } from "./CompareLinks";

type Verb = "terminate" | "retry" | "archive" | "unarchive";

export function RunActions({ run }: { run: RunDetail }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const path = `${KFP_API}/runs/${encodeURIComponent(run.run_id)}`;
  const act = async (verb: Verb) => {
    try {
      await api<unknown>(`${path}:${verb}`, { method: "POST" });
      setError(null);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
    await client.invalidateQueries({ queryKey: ["run", run.run_id] });
    await client.invalidateQueries({ queryKey: ["runs"] });
  };
  // A failure shows in the confirmation, which stays open.
  const remove = async () => {
    await api<unknown>(path, { method: "DELETE" });
    client.removeQueries({ queryKey: ["run", run.run_id] });
    await client.invalidateQueries({ queryKey: ["runs"] });
    void navigate("/runs");
  };
  const active = run.state === "PENDING" || run.state === "RUNNING";
  const retryable = run.state === "FAILED" || run.state === "CANCELED";
  return (
    <span className="toolbar" role="toolbar" aria-label="Run actions">
      {active ? (
        <button type="button" onClick={() => void act("terminate")}>
          Terminate
        </button>
      ) : null}
      {retryable ? (
        <button type="button" onClick={() => void act("retry")}>
          Retry
        </button>
      ) : null}
      <Link className="button" to={`/runs/new?clone=${encodeURIComponent(run.run_id)}`}>
        Clone
      </Link>
      <CompareWithPrevious run={run} />
      {run.storage_state === "ARCHIVED" ? (
        <button type="button" onClick={() => void act("unarchive")}>
          Restore
        </button>
      ) : (
        <button type="button" onClick={() => void act("archive")}>
          Archive
        </button>
      )}
      <CopyId id={run.run_id} />
      <button type="button" onClick={() => setConfirming(true)}>
        Delete
      </button>
      {confirming ? (
        <ConfirmDialog label="Confirm delete" title={`Delete run ${run.display_name}?`} confirmLabel="Delete the run" onConfirm={remove} onCancel={() => setConfirming(false)}>
          <p>Its tasks, logs and outputs go with it. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
      {error ? (
        <span role="alert" className="error">
          {error}
        </span>
      ) : null}
    </span>
  );
}

/** Put `text` on the clipboard: the Clipboard API where the page is a secure context
 * (https, localhost), else a selected textarea and the copy command (plain http on a LAN
 * address has no navigator.clipboard). */
async function copyText(text: string): Promise<void> {
  if (window.isSecureContext && navigator.clipboard) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("the browser refused to copy");
}

function CopyId({ id }: { id: string }) {
  const [status, setStatus] = useState<string | null>(null);
  useEffect(() => {
    if (status === null) return;
    const timer = window.setTimeout(() => setStatus(null), 2000);
    return () => window.clearTimeout(timer);
  }, [status]);
  return (
    <>
      <button
        type="button"
        title={id}
        onClick={() =>
          void copyText(id).then(
            () => setStatus("Copied"),
            (caught: unknown) => setStatus(`Could not copy: ${caught instanceof Error ? caught.message : String(caught)}`),
          )
        }
      >
        Copy id
      </button>
      {status ? (
        <span role="status" className="muted">
          {status}
        </span>
      ) : null}
    </>
  );
}

const PAGE = 200;
const MAX_PAGES = 5;

/** The newest earlier run of the same pipeline in the same experiment, or null. Runs come
 * newest first; one created in the same instant counts as earlier when it is listed after
 * this one. */
async function previousRun(run: RunDetail): Promise<string | null> {
  const created = run.created_at ?? "";
  let passed = false;
  let token: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await api<RunSummaryPage>(`${UI_API}/runs`, {}, { experiment_id: run.experiment_id ?? undefined, page_size: PAGE, page_token: token });
    for (const other of page.runs) {
      if (other.run_id === run.run_id) {
        passed = true;
        continue;
      }
      const earlier = (other.created_at ?? "") < created || (passed && (other.created_at ?? "") === created);
      if (earlier && other.pipeline_name === run.pipeline_name) return other.run_id;
    }
    if (!page.next_page_token) return null;
    token = page.next_page_token;
  }
  return null;
}

function CompareWithPrevious({ run }: { run: RunDetail }) {
  const navigate = useNavigate();
  const previous = useQuery({
    queryKey: ["runs", "previous", run.run_id, run.experiment_id, run.pipeline_name],
    queryFn: () => previousRun(run),
  });
  const target = previous.data ?? null;
  const title = target
    ? "Compare with the newest earlier run of this pipeline in this experiment"
    : previous.isPending
      ? "Looking for the previous run…"
      : previous.error
        ? previous.error.message
        : "No earlier run of this pipeline in this experiment";
  return (
    <button type="button" disabled={!target} title={title} onClick={() => target && void navigate(compareUrl([target, run.run_id]))}>
      Compare with previous run
    </button>
  );
}
