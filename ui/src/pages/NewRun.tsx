// New run, clone and new recurring run: /runs/new?pipeline=&version=&clone=<run id>&recurring=1.
// The pipeline comes from a stored version or a pasted/uploaded package; the parameter form
// is built from root.inputDefinitions and checked before anything is sent; the run goes
// through KFP's own POST /runs or /recurringruns, as kfp.Client would send it.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, KFP_API, UI_API } from "../api/client";
import type { components } from "../api/schema";
import { ParamInputs, TriggerFields } from "../forms/FormParts";
import { usePipelines, useVersion, useVersions, type KfpRun, type RecurringRun, type VersionReference } from "../forms/kfp";
import { collect, initialTexts, paramFields, withoutCaching } from "../forms/params";
import { EMPTY_TRIGGER, triggerOf, type TriggerDraft } from "../forms/trigger";
import { useExperiments } from "./Experiments";
import { useDraft } from "../useDraft";

type ParsedPackage = components["schemas"]["ParsedPackage"];
type Source = "version" | "package" | "clone";

function message(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

/** The form, started afresh for each run it clones (or none): leaving a clone for a blank
 * New run keeps nothing of it. */
export function NewRun() {
  const [params] = useSearchParams();
  return <NewRunForm key={params.get("clone") ?? ""} />;
}

function NewRunForm() {
  const [params, setParams] = useSearchParams();
  const cloneId = params.get("clone") ?? "";
  const recurringInUrl = params.get("recurring") === "1";
  const [recurring, setRecurring] = useDraft(recurringInUrl);
  const navigate = useNavigate();
  const client = useQueryClient();
  const pipelines = usePipelines();
  const experiments = useExperiments();

  const clone = useQuery({
    queryKey: ["kfp-run", cloneId],
    enabled: cloneId !== "",
    queryFn: () => api<KfpRun>(`${KFP_API}/runs/${encodeURIComponent(cloneId)}`),
  });
  const cloned = clone.data;
  const cloneRef: VersionReference | undefined = cloned?.pipeline_version_reference;
  const clonedFromVersion = Boolean(cloneRef?.pipeline_version_id);

  const [source, setSource] = useState<Source>(cloneId ? "clone" : "version");
  const pipelineId = (source === "clone" && clonedFromVersion ? cloneRef?.pipeline_id : params.get("pipeline")) ?? "";
  const versions = useVersions(pipelineId);
  const newest = versions.data?.pipeline_versions?.[0]?.pipeline_version_id ?? "";
  const versionId = (source === "clone" && clonedFromVersion ? cloneRef?.pipeline_version_id : params.get("version")) || newest;
  const version = useVersion(pipelineId, source === "package" ? "" : versionId);
  const [parsed, setParsed] = useState<ParsedPackage | null>(null);
  const [packageText, setPackageText] = useState("");
  const [packageError, setPackageError] = useState<string | null>(null);

  const spec: unknown =
    source === "package"
      ? parsed && (parsed.platform_spec ? { pipeline_spec: parsed.pipeline_spec, platform_spec: parsed.platform_spec } : parsed.pipeline_spec)
      : source === "clone" && !clonedFromVersion
        ? cloned?.pipeline_spec
        : version.data?.pipeline_spec;
  const fields = useMemo(() => (spec ? paramFields(spec) : []), [spec]);

  const [texts, setTexts] = useState<Record<string, string>>({});
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [experimentId, setExperimentId] = useState(params.get("experiment") ?? "");
  const [caching, setCaching] = useState(true);
  const [pipelineRoot, setPipelineRoot] = useState("");
  const [trigger, setTrigger] = useState<TriggerDraft>(EMPTY_TRIGGER);
  const [triggerValid, setTriggerValid] = useState(true);
  const [submitted, setSubmitted] = useState(false);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // A clone starts from the run's name, experiment, root and arguments, once it has loaded.
  const prefilled = useRef(false);
  useEffect(() => {
    if (!cloned || prefilled.current) return;
    prefilled.current = true;
    setName(`Clone of ${cloned.display_name}`);
    setExperimentId(cloned.experiment_id ?? "");
    setPipelineRoot(cloned.runtime_config?.pipeline_root ?? "");
  }, [cloned]);
  const specKey = fields.map((field) => `${field.name}:${field.type}`).join("|") + `@${source}:${versionId}:${parsed?.name ?? ""}`;
  useEffect(() => {
    // specKey names the fields: a new spec (or the clone's arguments arriving) starts over.
    setTexts(initialTexts(fields, source === "clone" ? (cloned?.runtime_config?.parameters ?? {}) : {}));
  }, [specKey, cloned]);
  const named = useRef(false);
  useEffect(() => {
    if (named.current || cloneId || !spec) return;
    const base = source === "package" ? parsed?.name : version.data?.display_name;
    if (!base) return;
    named.current = true;
    setName((old) => old || `${base} ${new Date().toISOString().slice(0, 19).replace("T", " ")}`);
  }, [spec, cloneId, source, parsed, version.data]);

  const { values, errors } = collect(fields, texts);
  const shown: Record<string, string> = {};
  for (const [key, error] of Object.entries(errors)) {
    if (submitted || (error !== "required" && (texts[key] ?? "") !== "")) shown[key] = error;
  }

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key === "pipeline") next.delete("version");
    setParams(next, { replace: true });
  };

  const readPackage = async (text: string) => {
    setPackageText(text);
    setPackageError(null);
    setParsed(null);
    if (!text.trim()) return;
    try {
      setParsed(await api<ParsedPackage>(`${UI_API}/pipelines:parse`, { method: "POST", body: JSON.stringify({ yaml: text }) }));
    } catch (caught) {
      setPackageError(message(caught));
    }
  };

  const onTriggerValidity = useCallback((valid: boolean) => setTriggerValid(valid), []);

  const submit = async () => {
    setSubmitted(true);
    setSubmitError(null);
    if (!spec) return setSubmitError("choose a pipeline first");
    if (Object.keys(errors).length > 0) return;
    if (!name.trim()) return setSubmitError("give the run a name");
    if (recurring && !triggerValid) return;
    // Caching off means a changed spec: it is sent embedded, as kfp.Client sends a package.
    const embedded = source !== "version" && !(source === "clone" && clonedFromVersion);
    const body: Record<string, unknown> = {
      display_name: name.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      ...(experimentId ? { experiment_id: experimentId } : {}),
      runtime_config: { parameters: values, ...(pipelineRoot.trim() ? { pipeline_root: pipelineRoot.trim() } : {}) },
    };
    if (!caching) body.pipeline_spec = withoutCaching(spec);
    else if (embedded) body.pipeline_spec = spec;
    else body.pipeline_version_reference = { pipeline_id: pipelineId, pipeline_version_id: versionId };
    if (recurring) {
      Object.assign(body, {
        trigger: triggerOf(trigger),
        max_concurrency: trigger.maxConcurrency.trim(),
        no_catchup: trigger.noCatchup,
        mode: "ENABLE",
        ...(trigger.maxRunCount.trim() ? { max_run_count: trigger.maxRunCount.trim() } : {}),
      });
    }
    setBusy(true);
    try {
      if (recurring) {
        const made = await api<RecurringRun>(`${KFP_API}/recurringruns`, { method: "POST", body: JSON.stringify(body) });
        await client.invalidateQueries({ queryKey: ["recurring"] });
        await navigate(`/recurring/${made.recurring_run_id}`);
      } else {
        const made = await api<{ run_id: string }>(`${KFP_API}/runs`, { method: "POST", body: JSON.stringify(body) });
        await client.invalidateQueries({ queryKey: ["runs"] });
        await navigate(`/runs/${made.run_id}`);
      }
    } catch (caught) {
      setSubmitError(message(caught));
    } finally {
      setBusy(false);
    }
  };

  const title = recurring ? "New recurring run" : cloneId ? "Clone run" : "New run";
  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="muted">
        <Link to={recurring ? "/recurring" : "/runs"}>{recurring ? "Recurring runs" : "Runs"}</Link> / {title}
      </nav>
      <h1>{title}</h1>
      <form
        className="form"
        aria-label={title}
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <fieldset className="form-grid">
          <legend>Pipeline</legend>
          {cloneId ? (
            <p className="muted">
              Cloned from <Link to={`/runs/${cloneId}`}>{cloned?.display_name ?? cloneId}</Link>
              {source === "clone" && !clonedFromVersion ? " (its own copy of the pipeline spec)" : ""}
            </p>
          ) : (
            <div className="form-row">
              <span>Source</span>
              <div className="toolbar">
                <label>
                  <input type="radio" name="source" checked={source === "version"} onChange={() => setSource("version")} /> a stored pipeline
                </label>
                <label>
                  <input type="radio" name="source" checked={source === "package"} onChange={() => setSource("package")} /> paste or upload YAML
                </label>
              </div>
            </div>
          )}
          {source === "version" || (source === "clone" && clonedFromVersion) ? (
            <>
              <div className="form-row">
                <label htmlFor="run-pipeline">Pipeline</label>
                <select id="run-pipeline" aria-label="Pipeline" value={pipelineId} disabled={source === "clone"} onChange={(event) => setParam("pipeline", event.target.value)}>
                  <option value="">choose a pipeline</option>
                  {(pipelines.data?.pipelines ?? []).map((item) => (
                    <option key={item.pipeline_id} value={item.pipeline_id}>
                      {item.display_name}
                    </option>
                  ))}
                </select>
              </div>
              <div className="form-row">
                <label htmlFor="run-version">Version</label>
                <select id="run-version" aria-label="Version" value={versionId} disabled={source === "clone" || !pipelineId} onChange={(event) => setParam("version", event.target.value)}>
                  {(versions.data?.pipeline_versions ?? []).map((item) => (
                    <option key={item.pipeline_version_id} value={item.pipeline_version_id}>
                      {item.display_name}
                    </option>
                  ))}
                </select>
              </div>
            </>
          ) : null}
          {source === "package" ? (
            <div className="form-row">
              <label htmlFor="run-package">Pipeline YAML</label>
              <div>
                <textarea
                  id="run-package"
                  aria-label="Pipeline YAML"
                  className="code"
                  rows={8}
                  spellCheck={false}
                  placeholder="Paste the YAML that kfp's compiler wrote"
                  value={packageText}
                  onChange={(event) => setPackageText(event.target.value)}
                  onBlur={(event) => void readPackage(event.target.value)}
                />
                <input
                  type="file"
                  aria-label="Upload pipeline YAML"
                  accept=".yaml,.yml,.json"
                  onChange={(event) => {
                    const file = event.target.files?.[0];
                    if (file) void file.text().then(readPackage);
                  }}
                />
                {parsed ? <div className="muted">Read pipeline {parsed.name}</div> : null}
                {packageError ? (
                  <div role="alert" className="error">
                    {packageError}
                  </div>
                ) : null}
              </div>
            </div>
          ) : null}
          {version.error || clone.error ? (
            <p role="alert" className="error">
              {(version.error ?? clone.error)?.message}
            </p>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Parameters</legend>
          {spec ? <ParamInputs fields={fields} texts={texts} errors={shown} onChange={(key, text) => setTexts((old) => ({ ...old, [key]: text }))} /> : <p className="muted">Choose a pipeline.</p>}
        </fieldset>
        <fieldset className="form-grid">
          <legend>Run</legend>
          <div className="form-row">
            <label htmlFor="run-name">Name</label>
            <input id="run-name" aria-label="Run name" value={name} onChange={(event) => setName(event.target.value)} />
          </div>
          <div className="form-row">
            <label htmlFor="run-description">Description</label>
            <input id="run-description" value={description} onChange={(event) => setDescription(event.target.value)} />
          </div>
          <div className="form-row">
            <label htmlFor="run-experiment">Experiment</label>
            <select id="run-experiment" aria-label="Experiment" value={experimentId} onChange={(event) => setExperimentId(event.target.value)}>
              <option value="">Default</option>
              {(experiments.data?.experiments ?? [])
                .filter((item) => item.storage_state !== "ARCHIVED")
                .map((item) => (
                  <option key={item.experiment_id} value={item.experiment_id}>
                    {item.display_name}
                  </option>
                ))}
            </select>
          </div>
          <div className="form-row">
            <label htmlFor="run-caching">Caching</label>
            <label>
              <input id="run-caching" type="checkbox" aria-label="Use the cache" checked={caching} onChange={(event) => setCaching(event.target.checked)} /> reuse the
              outputs of tasks already run with the same inputs (off: every task runs)
            </label>
          </div>
          <div className="form-row">
            <label htmlFor="run-recurring">Schedule</label>
            <label>
              <input id="run-recurring" type="checkbox" aria-label="Run on a schedule" checked={recurring} onChange={(event) => { setRecurring(event.target.checked); setParam("recurring", event.target.checked ? "1" : ""); }} />{" "}
              run on a schedule (a recurring run)
            </label>
          </div>
          <div className="form-row">
            <label htmlFor="run-root">Pipeline root</label>
            <input id="run-root" aria-label="Pipeline root" placeholder="the server's default" value={pipelineRoot} onChange={(event) => setPipelineRoot(event.target.value)} />
          </div>
        </fieldset>
        {recurring ? <TriggerFields draft={trigger} onChange={setTrigger} onValidity={onTriggerValidity} /> : null}
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy || (recurring && !triggerValid)}>
            {recurring ? "Create recurring run" : "Start run"}
          </button>
          {submitted && Object.keys(errors).length > 0 ? (
            <span role="alert" className="error">
              Fix the parameters marked above.
            </span>
          ) : null}
          {submitError ? (
            <span role="alert" className="error">
              {submitError}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}
