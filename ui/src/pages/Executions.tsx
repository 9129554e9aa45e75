// Executions: the filtered list (state facets) and one execution's page (parameters,
// inputs and outputs, its task in the run graph, lineage).
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, UI_API } from "../api/client";
import { duration, valueText, when } from "../format";
import { StateBadge } from "../StateBadge";
import { DetailPending, taskLink } from "./Artifacts";
import { MetadataListShell, useMetadataList } from "./metadataList";
import type { ArtifactView, ExecutionDetail, ExecutionPage } from "./metadataApi";
import "./metadata.css";

export function ExecutionList() {
  const list = useMetadataList<ExecutionPage>("executions");
  const rows = list.page.error ? [] : (list.page.data?.executions ?? []);
  return (
    <MetadataListShell title="Executions" noun="Execution" facets={{ label: "Execution states", field: "state" }} list={list} rowCount={rows.length}>
      <table className="grid" aria-label="Executions">
        <thead>
          <tr>
            <th>State</th>
            <th>Task</th>
            <th>Component</th>
            <th>Attempt</th>
            <th>Run</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((execution) => {
            const link = taskLink(execution);
            return (
              <tr key={execution.id} data-execution-id={execution.id}>
                <td>
                  <StateBadge state={execution.state} />
                </td>
                <td>
                  {link ? <Link to={link}>{execution.task_path ?? execution.component}</Link> : (execution.task_path ?? execution.component)}{" "}
                  <Link className="muted" to={`/executions/${execution.id}`} aria-label={`Execution ${execution.id}`}>
                    #{execution.id}
                  </Link>
                </td>
                <td>{execution.component}</td>
                <td>{execution.attempt}</td>
                <td>{execution.run_id ? <Link to={`/runs/${execution.run_id}`}>{execution.run_id.slice(0, 8)}</Link> : ""}</td>
                <td>{when(execution.started_at)}</td>
                <td>{duration(execution.started_at, execution.finished_at)}</td>
                <td className="muted">{execution.error ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </MetadataListShell>
  );
}

function ArtifactLinks({ label, artifacts }: { label: string; artifacts: ArtifactView[] }) {
  return (
    <section aria-label={label}>
      <h2>{label}</h2>
      {artifacts.length === 0 ? <p className="muted">None.</p> : null}
      <ul>
        {artifacts.map((artifact) => (
          <li key={artifact.id}>
            <Link to={`/artifacts/${artifact.id}`}>{artifact.display_name}</Link> <span className="muted">{artifact.schema_title}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Parameters({ label, values }: { label: string; values: Record<string, unknown> }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return null;
  return (
    <>
      <h2>{label}</h2>
      <table className="grid" aria-label={label}>
        <tbody>
          {entries.map(([name, value]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>{valueText(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function ExecutionDetails() {
  const { executionId = "" } = useParams();
  const detail = useQuery({
    queryKey: ["execution", executionId],
    queryFn: () => api<ExecutionDetail>(`${UI_API}/executions/${encodeURIComponent(executionId)}`),
    retry: false,
  });
  const data = detail.data;
  if (detail.error || !data) return <DetailPending title={`Execution ${executionId}`} error={detail.error} />;
  const e = data.execution;
  const link = taskLink(e);
  return (
    <section className="page">
      <h1>{e.task_path ?? e.component}</h1>
      <div className="toolbar">
        <StateBadge state={e.state} />
        {link ? (
          <Link className="button" to={link}>
            Open in the run graph
          </Link>
        ) : null}
        <Link className="button" to={`/lineage?execution=${e.id}`}>
          Lineage
        </Link>
      </div>
      <dl className="meta-props">
        <dt>Id</dt>
        <dd>{e.id}</dd>
        <dt>Component</dt>
        <dd>{e.component}</dd>
        <dt>Attempt</dt>
        <dd>{e.attempt}</dd>
        <dt>Run</dt>
        <dd>{e.run_id ? <Link to={`/runs/${e.run_id}`}>{e.run_id}</Link> : "none"}</dd>
        <dt>Started</dt>
        <dd>{when(e.started_at)}</dd>
        <dt>Duration</dt>
        <dd>{duration(e.started_at, e.finished_at)}</dd>
        <dt>Exit code</dt>
        <dd>{e.exit_code ?? ""}</dd>
        <dt>Cached from</dt>
        <dd>{e.cached_execution_id !== null ? <Link to={`/executions/${e.cached_execution_id}`}>execution {e.cached_execution_id}</Link> : "not a cache hit"}</dd>
        {e.error ? (
          <>
            <dt>Error</dt>
            <dd className="error">{e.error}</dd>
          </>
        ) : null}
      </dl>
      <Parameters label="Input parameters" values={e.input_parameters} />
      <Parameters label="Output parameters" values={e.output_parameters} />
      <ArtifactLinks label="Inputs" artifacts={data.inputs} />
      <ArtifactLinks label="Outputs" artifacts={data.outputs} />
    </section>
  );
}
