// Contexts: the filtered list (the AIP-160 filter box, type facets: runs, pipelines,
// experiments...) and one context's page (its properties, its artifacts and executions as
// linked tables, the run it is the context of, lineage from each member).
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, UI_API } from "../api/client";
import type { components } from "../api/schema";
import { duration, valueText, when } from "../format";
import { StateBadge } from "../StateBadge";
import { DetailPending, taskLink } from "./Artifacts";
import { MetadataListShell, useMetadataList } from "./metadataList";
import "./metadata.css";

type ContextView = components["schemas"]["ContextView"];
type ContextPage = components["schemas"]["ContextPage"];
type ContextDetail = components["schemas"]["ContextDetail"];

const RUN_CONTEXT = "system.PipelineRun";

/** The page a context stands for: a run's context opens the run (its name is the run id). */
export function contextTarget(context: Pick<ContextView, "schema_title" | "name">): { to: string; label: string } | null {
  if (context.schema_title === RUN_CONTEXT) return { to: `/runs/${encodeURIComponent(context.name)}`, label: "Open the run" };
  if (context.schema_title === "system.Experiment") return { to: "/experiments", label: "Experiments" };
  if (context.schema_title === "system.Pipeline") return { to: "/pipelines", label: "Pipelines" };
  return null;
}

/** The run's name for a run's context (its `name` property), else null. */
export function runName(context: Pick<ContextView, "schema_title" | "properties">): string | null {
  const name = context.properties.name;
  return context.schema_title === RUN_CONTEXT && typeof name === "string" && name ? name : null;
}

/** The lists' filter for a context's members (by id: names repeat across types). */
export function memberFilter(contextId: number): string {
  return `in_context("${contextId}")`;
}

export function ContextList() {
  const list = useMetadataList<ContextPage>("contexts");
  const rows = list.page.error ? [] : (list.page.data?.contexts ?? []);
  return (
    <MetadataListShell title="Contexts" noun="Context" facets={{ label: "Context types", field: "schema_title" }} list={list} rowCount={rows.length}>
      <table className="grid" aria-label="Contexts">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Created</th>
            <th>Description</th>
            <th>Run</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((context) => {
            const target = contextTarget(context);
            return (
              <tr key={context.id} data-context-id={context.id}>
                <td>
                  <Link to={`/contexts/${context.id}`}>{context.display_name}</Link> <span className="muted">#{context.id}</span>
                </td>
                <td>{context.schema_title}</td>
                <td>{when(context.created_at)}</td>
                <td className="muted">{context.description ?? ""}</td>
                <td>{target && context.schema_title === RUN_CONTEXT ? <Link to={target.to}>{runName(context) ?? "run"}</Link> : null}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </MetadataListShell>
  );
}

function More({ shown, truncated, to, what }: { shown: number; truncated: boolean; to: string; what: string }) {
  if (!truncated) return null;
  return (
    <p className="notice">
      Showing the first {shown} {what}. <Link to={to}>All of them, filtered and paged</Link>.
    </p>
  );
}

export function ContextDetails() {
  const { contextId = "" } = useParams();
  const detail = useQuery({
    queryKey: ["context", contextId],
    queryFn: () => api<ContextDetail>(`${UI_API}/contexts/${encodeURIComponent(contextId)}`),
    retry: false,
  });
  const data = detail.data;
  if (detail.error || !data) return <DetailPending title={`Context ${contextId}`} error={detail.error} />;
  const c = data.context;
  const target = contextTarget(c);
  const run = runName(c);
  const filter = encodeURIComponent(memberFilter(c.id));
  const properties = Object.entries(c.properties);
  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="muted">
        <Link to="/contexts">Contexts</Link> / {c.display_name}
      </nav>
      <h1>{run ? `Run ${run}` : c.display_name}</h1>
      <div className="toolbar">
        <span className="chip">{c.schema_title}</span>
        {target ? (
          <Link className="button" to={target.to}>
            {target.label}
          </Link>
        ) : null}
        <Link to={`/artifacts?filter=${filter}`}>Its artifacts in the Artifacts page</Link>
        <Link to={`/executions?filter=${filter}`}>Its executions in the Executions page</Link>
        {run ? null : <Link to={`/contexts?filter=${encodeURIComponent(`parent_contexts:${JSON.stringify(c.name)}`)}`}>Its child contexts</Link>}
      </div>
      <dl className="meta-props">
        <dt>Id</dt>
        <dd>{c.id}</dd>
        <dt>Name</dt>
        <dd>{c.name}</dd>
        <dt>Created</dt>
        <dd>{when(c.created_at)}</dd>
        {c.description ? (
          <>
            <dt>Description</dt>
            <dd>{c.description}</dd>
          </>
        ) : null}
      </dl>
      <h2>Properties</h2>
      {properties.length === 0 ? <p className="muted">None.</p> : null}
      {properties.length ? (
        <table className="grid" aria-label="Properties">
          <tbody>
            {properties.map(([name, value]) => (
              <tr key={name}>
                <td>{name}</td>
                <td className="code">{valueText(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h2>Artifacts</h2>
      <More shown={data.artifacts.length} truncated={data.artifacts_truncated} to={`/artifacts?filter=${filter}`} what="artifacts" />
      {data.artifacts.length === 0 ? <p className="muted">None.</p> : null}
      {data.artifacts.length ? (
        <table className="grid" aria-label="Context artifacts">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Run</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.artifacts.map((artifact) => (
              <tr key={artifact.id} data-artifact-id={artifact.id}>
                <td>
                  <Link to={`/artifacts/${artifact.id}`}>{artifact.display_name}</Link> <span className="muted">#{artifact.id}</span>
                </td>
                <td>{artifact.schema_title}</td>
                <td>{artifact.run_id ? <Link to={`/runs/${artifact.run_id}`}>{artifact.run_id.slice(0, 8)}</Link> : ""}</td>
                <td>{when(artifact.created_at)}</td>
                <td>
                  <Link to={`/lineage?artifact=${artifact.id}`} aria-label={`Lineage of ${artifact.display_name}`}>
                    Lineage
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h2>Executions</h2>
      <More shown={data.executions.length} truncated={data.executions_truncated} to={`/executions?filter=${filter}`} what="executions" />
      {data.executions.length === 0 ? <p className="muted">None.</p> : null}
      {data.executions.length ? (
        <table className="grid" aria-label="Context executions">
          <thead>
            <tr>
              <th>State</th>
              <th>Task</th>
              <th>Component</th>
              <th>Attempt</th>
              <th>Started</th>
              <th>Duration</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.executions.map((execution) => {
              const link = taskLink(execution);
              const name = execution.task_path ?? execution.component;
              return (
                <tr key={execution.id} data-execution-id={execution.id}>
                  <td>
                    <StateBadge state={execution.state} />
                  </td>
                  <td>
                    <Link to={`/executions/${execution.id}`}>{name}</Link> {link ? <Link to={link}>open in the run graph</Link> : null}
                  </td>
                  <td>{execution.component}</td>
                  <td>{execution.attempt}</td>
                  <td>{when(execution.started_at)}</td>
                  <td>{duration(execution.started_at, execution.finished_at)}</td>
                  <td>
                    <Link to={`/lineage?execution=${execution.id}`} aria-label={`Lineage of ${name}`}>
                      Lineage
                    </Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
