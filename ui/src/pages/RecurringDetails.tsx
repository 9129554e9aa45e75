// A recurring run: /recurring/<id>. What it runs and when, edited in place (KFP's PATCH,
// Sluice's addition: the id stays), enable / disable, delete (the runs it started stay),
// and the runs it started with the slot each was for.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, KFP_API } from "../api/client";
import { valueText, when } from "../format";
import { triggerInWords } from "../forms/cron";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ParamInputs, TriggerFields } from "../forms/FormParts";
import { useVersion, useVersions, type RecurringRun } from "../forms/kfp";
import { collect, initialTexts, paramFields } from "../forms/params";
import { draftOf, triggerOf, type TriggerDraft } from "../forms/trigger";
import { ModeChip, RunTable, useStartedRuns } from "./Recurring";

function message(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

function Editor({ item, onDone }: { item: RecurringRun; onDone: () => void }) {
  const client = useQueryClient();
  const [name, setName] = useState(item.display_name);
  const [description, setDescription] = useState(item.description ?? "");
  const [draft, setDraft] = useState<TriggerDraft>(() => draftOf(item.trigger, item));
  const [valid, setValid] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const onValidity = useCallback((ok: boolean) => setValid(ok), []);
  // The parameters' form needs the spec: the version's, or the recurring run's own copy.
  const ref = item.pipeline_version_reference;
  // Without a version id it runs the pipeline's newest version, as KFP does.
  const versions = useVersions(item.pipeline_spec ? "" : (ref?.pipeline_id ?? ""));
  const versionId = ref?.pipeline_version_id || (versions.data?.pipeline_versions?.[0]?.pipeline_version_id ?? "");
  const version = useVersion(ref?.pipeline_id ?? "", versionId);
  const spec = item.pipeline_spec ?? version.data?.pipeline_spec;
  const fields = useMemo(() => (spec ? paramFields(spec) : []), [spec]);
  const [texts, setTexts] = useState<Record<string, string> | null>(null);
  useEffect(() => {
    if (spec && texts === null) setTexts(initialTexts(fields, item.runtime_config?.parameters ?? {}));
  }, [spec, fields, texts, item.runtime_config]);
  const params = texts ? collect(fields, texts) : null;
  const paramsValid = params === null || Object.keys(params.errors).length === 0;
  const save = async () => {
    setError(null);
    if (!paramsValid) return;
    try {
      await api<RecurringRun>(`${KFP_API}/recurringruns/${encodeURIComponent(item.recurring_run_id)}`, {
        method: "PATCH",
        body: JSON.stringify({
          display_name: name.trim(),
          description: description.trim(),
          trigger: triggerOf(draft),
          max_concurrency: draft.maxConcurrency.trim(),
          no_catchup: draft.noCatchup,
          max_run_count: draft.maxRunCount.trim() || null,
          ...(params ? { runtime_config: { parameters: params.values } } : {}),
        }),
      });
      await client.invalidateQueries({ queryKey: ["recurring"] });
      onDone();
    } catch (caught) {
      setError(message(caught));
    }
  };
  return (
    <form
      className="form"
      aria-label="Edit recurring run"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <fieldset className="form-grid">
        <legend>Recurring run</legend>
        <div className="form-row">
          <label htmlFor="recurring-name">Name</label>
          <input id="recurring-name" aria-label="Name" value={name} onChange={(event) => setName(event.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="recurring-description">Description</label>
          <input id="recurring-description" value={description} onChange={(event) => setDescription(event.target.value)} />
        </div>
      </fieldset>
      <TriggerFields draft={draft} onChange={setDraft} onValidity={onValidity} />
      {texts && params ? (
        <fieldset>
          <legend>Parameters</legend>
          <ParamInputs fields={fields} texts={texts} errors={params.errors} onChange={(key, text) => setTexts((old) => ({ ...(old ?? {}), [key]: text }))} />
        </fieldset>
      ) : null}
      <div className="toolbar">
        <button type="submit" className="primary" disabled={!valid || !paramsValid || !name.trim()}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        {error ? (
          <span role="alert" className="error">
            {error}
          </span>
        ) : null}
      </div>
    </form>
  );
}

function DeleteDialog({ item, started, onClose }: { item: RecurringRun; started: number; onClose: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const remove = async () => {
    await api<unknown>(`${KFP_API}/recurringruns/${encodeURIComponent(item.recurring_run_id)}`, { method: "DELETE" });
    // Leave first: refetching this page's own query would only get a 404.
    client.removeQueries({ queryKey: ["recurring", "one", item.recurring_run_id] });
    await navigate("/recurring");
    await client.invalidateQueries({ queryKey: ["recurring", "list"] });
  };
  return (
    <ConfirmDialog label="Delete recurring run" title={`Delete ${item.display_name}?`} confirmLabel="Delete recurring run" onConfirm={remove} onCancel={onClose}>
      <p>
        It will start no more runs. The {started} run{started === 1 ? "" : "s"} it started {started === 1 ? "is" : "are"} kept, with their logs and outputs.
      </p>
    </ConfirmDialog>
  );
}

export function RecurringDetails() {
  const { recurringId = "" } = useParams();
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const recurring = useQuery({
    queryKey: ["recurring", "one", recurringId],
    queryFn: () => api<RecurringRun>(`${KFP_API}/recurringruns/${encodeURIComponent(recurringId)}`),
  });
  const started = useStartedRuns(recurringId);
  const item = recurring.data;
  const toggle = async () => {
    if (!item) return;
    setError(null);
    try {
      const verb = item.mode === "DISABLE" ? "enable" : "disable";
      await api<unknown>(`${KFP_API}/recurringruns/${encodeURIComponent(recurringId)}:${verb}`, { method: "POST" });
    } catch (caught) {
      setError(message(caught));
    }
    await client.invalidateQueries({ queryKey: ["recurring"] });
  };
  const ref = item?.pipeline_version_reference;
  const parameters = item?.runtime_config?.parameters ?? {};
  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="muted">
        <Link to="/recurring">Recurring runs</Link> / {item?.display_name ?? recurringId}
      </nav>
      <header className="run-header">
        <h1>{item?.display_name ?? recurringId}</h1>
        {item ? <ModeChip item={item} /> : null}
        <span className="spacer" />
        {item ? (
          <>
            <button type="button" onClick={() => void toggle()}>
              {item.mode === "DISABLE" ? "Enable" : "Disable"}
            </button>
            <button type="button" onClick={() => setEditing(true)} disabled={editing}>
              Edit
            </button>
            <button type="button" className="danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          </>
        ) : null}
      </header>
      {recurring.error || error ? (
        <p role="alert" className="error">
          {recurring.error?.message ?? error}
        </p>
      ) : null}
      {item && editing ? <Editor item={item} onDone={() => setEditing(false)} /> : null}
      {item && !editing ? (
        <dl className="facts" aria-label="Recurring run">
          <dt>Id</dt>
          <dd data-testid="recurring-id">{item.recurring_run_id}</dd>
          <dt>Trigger</dt>
          <dd data-testid="trigger-words">{triggerInWords(item.trigger)}</dd>
          <dt>Cron</dt>
          <dd className="code">{item.trigger?.cron_schedule?.cron ?? "—"}</dd>
          <dt>Next run</dt>
          <dd>{when(item.next_run_time) || "—"}</dd>
          <dt>Last slot</dt>
          <dd>{when(item.last_run_scheduled_at) || "—"}</dd>
          <dt>Max concurrency</dt>
          <dd data-testid="max-concurrency">{item.max_concurrency ?? "1"}</dd>
          <dt>Max run count</dt>
          <dd>{item.max_run_count ?? "no limit"}</dd>
          <dt>Catch-up</dt>
          <dd>{item.no_catchup ? "no (only the latest missed slot)" : "yes (every missed slot)"}</dd>
          <dt>Runs started</dt>
          <dd>{item.runs_started ?? "0"}</dd>
          <dt>Pipeline</dt>
          <dd>
            {ref?.pipeline_id ? (
              <Link to={`/pipelines/${ref.pipeline_id}?version=${encodeURIComponent(ref.pipeline_version_id ?? "")}`}>{ref.pipeline_id}</Link>
            ) : (
              "its own copy of the spec"
            )}
          </dd>
          <dt>Experiment</dt>
          <dd>{item.experiment_id ? <Link to={`/experiments/${item.experiment_id}`}>{item.experiment_id}</Link> : "—"}</dd>
          <dt>Parameters</dt>
          <dd>
            {Object.entries(parameters).map(([key, value]) => (
              <div key={key} className="code">
                {key} = {valueText(value)}
              </div>
            ))}
          </dd>
          <dt>Created</dt>
          <dd>{when(item.created_at)}</dd>
        </dl>
      ) : null}
      <h2>Runs it started</h2>
      <RunTable runs={started.data?.runs ?? []} label="Runs started" scheduled />
      {started.data && started.data.runs.length === 0 ? <p className="muted">None yet.</p> : null}
      {deleting && item ? <DeleteDialog item={item} started={started.data?.total_size ?? 0} onClose={() => setDeleting(false)} /> : null}
    </section>
  );
}
