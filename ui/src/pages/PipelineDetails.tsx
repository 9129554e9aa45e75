// A pipeline: /pipelines/<id>?version=&view=graph|parameters|spec|diff&expand=&artifacts=1&base=&head=.
// The version picker, Upload version, the static graph (N2: the node ids a run of it has),
// the parameters with their defaults, the spec as YAML, the diff between two versions,
// Create run, Delete version, and Delete (with its versions, after a confirmation; runs
// keep their own copy of the spec).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, KFP_API, UI_API, type RunGraph } from "../api/client";
import type { components } from "../api/schema";
import { when } from "../format";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { uploadPackage, useVersion, useVersions, type Pipeline, type PipelineVersion } from "../forms/kfp";
import { formatValue, paramFields } from "../forms/params";
import { toYaml } from "../forms/yaml";
import { parseArtifacts } from "../graph/artifacts";
import { formatExpansion, parseExpansion, toggleBox } from "../graph/layout";
import { RunGraphView } from "../graph/RunGraphView";
import { DropZone } from "./Pipelines";
import { defaultPair, SpecDiff } from "./SpecDiff";

type PipelineGraph = components["schemas"]["PipelineGraph"];

const VIEWS = [
  ["graph", "Graph"],
  ["parameters", "Parameters"],
  ["spec", "Spec"],
  ["diff", "Diff versions"],
] as const;

function DeleteDialog({ pipeline, versions, onClose }: { pipeline: Pipeline; versions: number; onClose: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const remove = async () => {
    await api<unknown>(`${KFP_API}/pipelines/${encodeURIComponent(pipeline.pipeline_id)}`, { method: "DELETE" }, { cascade: "true" });
    await navigate("/pipelines");
    await client.invalidateQueries({ queryKey: ["pipelines"] });
  };
  return (
    <ConfirmDialog label="Delete pipeline" title={`Delete ${pipeline.display_name}?`} confirmLabel="Delete pipeline and versions" onConfirm={remove} onCancel={onClose}>
      <p>
        This deletes the pipeline and its {versions} version{versions === 1 ? "" : "s"}. Runs made from it are kept (each has its own copy of the spec).
      </p>
    </ConfirmDialog>
  );
}

function DeleteVersionDialog({ pipelineId, version, onDone, onClose }: { pipelineId: string; version: PipelineVersion; onDone: () => void; onClose: () => void }) {
  const client = useQueryClient();
  const remove = async () => {
    await api<unknown>(`${KFP_API}/pipelines/${encodeURIComponent(pipelineId)}/versions/${encodeURIComponent(version.pipeline_version_id)}`, { method: "DELETE" });
    await client.invalidateQueries({ queryKey: ["versions", pipelineId] });
    onDone();
  };
  return (
    <ConfirmDialog label="Remove version" title={`Remove version ${version.display_name}?`} confirmLabel="Remove this version" onConfirm={remove} onCancel={onClose}>
      <p>The pipeline and its other versions stay. Runs made from this version are kept (each has its own copy of the spec).</p>
    </ConfirmDialog>
  );
}

export function PipelineDetails() {
  const { pipelineId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const client = useQueryClient();
  const view = params.get("view") ?? "graph";
  const expansion = parseExpansion(params.get("expand"));
  const showArtifacts = parseArtifacts(params.get("artifacts"));
  const [selected, setSelected] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deletingVersion, setDeletingVersion] = useState(false);
  const pipeline = useQuery({
    queryKey: ["pipeline", pipelineId],
    queryFn: () => api<Pipeline>(`${KFP_API}/pipelines/${encodeURIComponent(pipelineId)}`),
  });
  const versions = useVersions(pipelineId);
  const list: PipelineVersion[] = versions.data?.pipeline_versions ?? [];
  const versionId = params.get("version") || (list[0]?.pipeline_version_id ?? "");
  const version = useVersion(pipelineId, versionId);
  const shownVersion = list.find((item) => item.pipeline_version_id === versionId);
  const graph = useQuery({
    queryKey: ["version-graph", pipelineId, versionId, showArtifacts],
    enabled: versionId !== "",
    staleTime: Infinity,
    queryFn: () =>
      api<PipelineGraph>(
        `${UI_API}/pipelines/${encodeURIComponent(pipelineId)}/versions/${encodeURIComponent(versionId)}/graph${showArtifacts ? "?artifacts=true" : ""}`,
      ),
  });
  // The run graph's view draws it: no run, no states, the same ids.
  const asRunGraph: RunGraph | undefined = useMemo(
    () => (graph.data ? { run_id: "", state: "", event_id: 0, nodes: graph.data.nodes, edges: graph.data.edges, artifacts: graph.data.artifacts ?? [] } : undefined),
    [graph.data],
  );
  const update = useCallback(
    (changes: Record<string, string>) => {
      setParams(
        (old) => {
          const next = new URLSearchParams(old);
          for (const [key, value] of Object.entries(changes)) {
            if (value) next.set(key, value);
            else next.delete(key);
          }
          return next;
        },
        { replace: "expand" in changes },
      );
    },
    [setParams],
  );
  const onToggle = useCallback((id: string) => update({ expand: formatExpansion(toggleBox(expansion, id, graph.data?.nodes ?? [])) }), [expansion, graph.data, update]);
  const uploadVersion = async (file: File) => {
    const made = (await uploadPackage(file, pipelineId)) as PipelineVersion;
    await client.invalidateQueries({ queryKey: ["versions", pipelineId] });
    update({ version: made.pipeline_version_id });
  };
  const fields = version.data?.pipeline_spec ? paramFields(version.data.pipeline_spec) : [];
  const node = selected ? graph.data?.nodes.find((item) => item.id === selected) : undefined;
  const artifact = selected && showArtifacts ? graph.data?.artifacts?.find((item) => item.id === selected) : undefined;
  const error = pipeline.error ?? versions.error ?? version.error ?? graph.error;
  const [diffBase, diffHead] = defaultPair(list, versionId, params.get("base"), params.get("head"));
  const runLink = `pipeline=${encodeURIComponent(pipelineId)}&version=${encodeURIComponent(versionId)}`;
  return (
    <section className="page run-page">
      <nav aria-label="Breadcrumb" className="muted">
        <Link to="/pipelines">Pipelines</Link> / {pipeline.data?.display_name ?? pipelineId}
      </nav>
      <header className="run-header">
        <h1>{pipeline.data?.display_name ?? pipelineId}</h1>
        <label>
          Version{" "}
          <select aria-label="Version" value={versionId} onChange={(event) => update({ version: event.target.value, expand: "" })}>
            {list.map((item) => (
              <option key={item.pipeline_version_id} value={item.pipeline_version_id}>
                {item.display_name} ({when(item.created_at)})
              </option>
            ))}
          </select>
        </label>
        <span className="muted">{list.length} version{list.length === 1 ? "" : "s"}</span>
        <span className="spacer" />
        <Link className="button primary" to={`/runs/new?${runLink}`}>
          Create run
        </Link>
        <Link className="button" to={`/runs/new?${runLink}&recurring=1`}>
          Create recurring run
        </Link>
        <button type="button" className="danger" onClick={() => setDeletingVersion(true)} disabled={!shownVersion || list.length < 2} title="Remove one version of the pipeline (it keeps at least one: Delete removes it whole)">
          Remove version
        </button>
        <button type="button" className="danger" onClick={() => setDeleting(true)} disabled={!pipeline.data}>
          Delete
        </button>
      </header>
      {pipeline.data?.description ? <p>{pipeline.data.description}</p> : null}
      <DropZone label="Upload version" onFile={uploadVersion} />
      {error ? (
        <p role="alert" className="error">
          {error.message}
        </p>
      ) : null}
      <div role="tablist" className="tabs" aria-label="Pipeline views">
        {VIEWS.map(([key, label]) => (
          <button key={key} type="button" role="tab" aria-selected={view === key} onClick={() => update({ view: key === "graph" ? "" : key })}>
            {label}
          </button>
        ))}
      </div>
      {view === "graph" ? (
        <div className="toolbar graph-toolbar">
          <label className="artifacts-toggle" title="Draw each task's output artifacts (by name and type) between it and the tasks that read them">
            <input type="checkbox" checked={showArtifacts} onChange={(event) => update({ artifacts: event.target.checked ? "1" : "" })} />
            Artifacts
          </label>
        </div>
      ) : null}
      {view === "graph" ? (
        <div className="run-body">
          {asRunGraph ? (
            <RunGraphView graph={asRunGraph} expansion={expansion} selected={selected} onSelect={setSelected} onToggle={onToggle} showArtifacts={showArtifacts} onSelectArtifact={setSelected} />
          ) : (
            <p className="pad muted">Loading the graph…</p>
          )}
          {artifact ? (
            <aside className="panel" aria-label="Artifact">
              <div className="panel-header">
                <h2>{artifact.output_key}</h2>
                <span className="spacer" />
                <button type="button" className="ghost" aria-label="Close" onClick={() => setSelected(null)}>
                  ×
                </button>
              </div>
              <dl className="facts panel-body">
                <dt>Type</dt>
                <dd>{artifact.is_list ? `list of ${artifact.schema_title}` : artifact.schema_title}</dd>
                <dt>Written by</dt>
                <dd>{artifact.producer}</dd>
                <dt>Read by</dt>
                <dd>{artifact.consumers.map((use) => `${use.task} (${use.input.replace(/^pipelinechannel--/, "")})`).join(", ") || "no task at this level"}</dd>
              </dl>
            </aside>
          ) : null}
          {node ? (
            <aside className="panel" aria-label="Task">
              <div className="panel-header">
                <h2>{node.display_name}</h2>
                <span className="spacer" />
                <button type="button" className="ghost" aria-label="Close" onClick={() => setSelected(null)}>
                  ×
                </button>
              </div>
              <dl className="facts panel-body">
                <dt>Path</dt>
                <dd>{node.id}</dd>
                <dt>Kind</dt>
                <dd>{node.kind}</dd>
                <dt>Component</dt>
                <dd>{node.component}</dd>
              </dl>
            </aside>
          ) : null}
        </div>
      ) : null}
      {view === "parameters" ? (
        <table className="grid" aria-label="Parameters">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Default</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((field) => (
              <tr key={field.name}>
                <td>{field.name}</td>
                <td>{field.type}</td>
                <td className="code">{field.hasDefault ? formatValue(field.type, field.defaultValue) : <span className="muted">required</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {view === "spec" && version.data?.pipeline_spec ? (
        <pre className="log" aria-label="Pipeline spec">
          {toYaml(version.data.pipeline_spec)}
        </pre>
      ) : null}
      {view === "diff" ? (
        <SpecDiff
          pipelineId={pipelineId}
          versions={list}
          base={diffBase}
          head={diffHead}
          onPick={(base, head) => update({ base, head })}
        />
      ) : null}
      {deletingVersion && shownVersion ? (
        <DeleteVersionDialog
          pipelineId={pipelineId}
          version={shownVersion}
          onClose={() => setDeletingVersion(false)}
          onDone={() => {
            setDeletingVersion(false);
            update({ version: "", base: "", head: "", expand: "" });
          }}
        />
      ) : null}
      {deleting && pipeline.data ? <DeleteDialog pipeline={pipeline.data} versions={list.length} onClose={() => setDeleting(false)} /> : null}
    </section>
  );
}
