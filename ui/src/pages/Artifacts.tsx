// Artifacts: the filtered list (AIP-160 filter in the URL, type facets, metadata columns)
// and one artifact's page (its viewer, metadata, producing task, consumers, download,
// lineage).
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, apiUrl, UI_API } from "../api/client";
import { when } from "../format";
import { StateBadge } from "../StateBadge";
import { ArtifactViewer } from "../viewers/ArtifactViewer";
import { cell, metadataColumns } from "./filter";
import { MetadataListShell, useMetadataList } from "./metadataList";
import type { ArtifactDetail, ArtifactPage, ExecutionView } from "./metadataApi";
import "./metadata.css";

/** The run page with this execution's task selected. */
export function taskLink(execution: ExecutionView): string | null {
  if (!execution.run_id) return null;
  const task = execution.task_path ? `?task=${encodeURIComponent(execution.task_path)}` : "";
  return `/runs/${execution.run_id}${task}`;
}

export function ArtifactList() {
  const list = useMetadataList<ArtifactPage>("artifacts");
  const rows = list.page.error ? [] : (list.page.data?.artifacts ?? []);
  const columns = metadataColumns(rows);
  return (
    <MetadataListShell title="Artifacts" noun="Artifact" facets={{ label: "Artifact types", field: "schema_title" }} list={list} rowCount={rows.length}>
      <table className="grid" aria-label="Artifacts">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            {columns.map((key) => (
              <th key={key}>{key}</th>
            ))}
            <th>Run</th>
            <th>Created</th>
            <th>URI</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((artifact) => (
            <tr key={artifact.id} data-artifact-id={artifact.id}>
              <td>
                <Link to={`/artifacts/${artifact.id}`}>{artifact.display_name}</Link> <span className="muted">#{artifact.id}</span>
              </td>
              <td>{artifact.schema_title}</td>
              {columns.map((key) => (
                <td key={key}>{cell(artifact.metadata[key])}</td>
              ))}
              <td>{artifact.run_id ? <Link to={`/runs/${artifact.run_id}`}>{artifact.run_id.slice(0, 8)}</Link> : ""}</td>
              <td>{when(artifact.created_at)}</td>
              <td className="muted">{artifact.uri}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </MetadataListShell>
  );
}

export function ExecutionLinks({ label, executions }: { label: string; executions: ExecutionView[] }) {
  return (
    <section aria-label={label}>
      <h2>{label}</h2>
      {executions.length === 0 ? <p className="muted">None.</p> : null}
      <ul>
        {executions.map((execution) => {
          const link = taskLink(execution);
          return (
            <li key={execution.id}>
              <Link to={`/executions/${execution.id}`}>{execution.task_path ?? execution.component}</Link> <StateBadge state={execution.state} />{" "}
              {link ? <Link to={link}>open in the run graph</Link> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** A details page before its data: the error that stopped it (named after the page), or busy. */
export function DetailPending({ title, error }: { title: string; error: Error | null }) {
  if (!error) return <section className="page" aria-busy="true" />;
  return (
    <section className="page">
      <h1>{title}</h1>
      <p role="alert" className="error">
        {error.message}
      </p>
    </section>
  );
}

export function ArtifactDetails() {
  const { artifactId = "" } = useParams();
  const detail = useQuery({
    queryKey: ["artifact", artifactId],
    queryFn: () => api<ArtifactDetail>(`${UI_API}/artifacts/${encodeURIComponent(artifactId)}`),
    retry: false,
  });
  const data = detail.data;
  if (detail.error || !data) return <DetailPending title={`Artifact ${artifactId}`} error={detail.error} />;
  const a = data.artifact;
  return (
    <section className="page">
      <h1>{a.display_name}</h1>
      <div className="toolbar">
        <Link className="button" to={`/lineage?artifact=${a.id}`}>
          Lineage
        </Link>
        <a className="button" href={apiUrl(`${UI_API}/artifacts/${a.id}:content`)} download>
          Download
        </a>
        <Link to={`/artifacts?filter=${encodeURIComponent(`schema_title="${a.schema_title}"`)}`}>More {a.schema_title}</Link>
      </div>
      <dl className="meta-props">
        <dt>Id</dt>
        <dd>{a.id}</dd>
        <dt>Type</dt>
        <dd>
          {a.schema_title} {a.schema_version}
        </dd>
        <dt>URI</dt>
        <dd>{a.uri}</dd>
        <dt>Run</dt>
        <dd>{a.run_id ? <Link to={`/runs/${a.run_id}`}>{a.run_id}</Link> : "none"}</dd>
        <dt>Digest</dt>
        <dd>{a.digest ?? "not recorded"}</dd>
        <dt>Created</dt>
        <dd>{when(a.created_at)}</dd>
      </dl>
      <h2>Visualization</h2>
      {/* The viewer of the task panel's Visualizations tab: the same component. */}
      <ArtifactViewer artifact={{ id: a.id, name: a.name, schema_title: a.schema_title, uri: a.uri, metadata: a.metadata }} label={a.display_name} download={false} />
      <h2>Metadata</h2>
      <pre className="meta-json" aria-label="Metadata JSON">
        {JSON.stringify(a.metadata, null, 2)}
      </pre>
      <ExecutionLinks label="Produced by" executions={data.producers} />
      <ExecutionLinks label="Consumed by" executions={data.consumers} />
    </section>
  );
}
