// The task panel's Overview tab: facts, error, parameters, artifacts, attempts.
import type { TaskDetail } from "../api/client";
import { byteSize, duration, parameterTypeName, valueText, when } from "../format";
import { contentUrl } from "../viewers/types";
import { CacheSourceLine } from "./CacheTab";

function Parameters({ title, values, types }: { title: string; values: Record<string, unknown>; types: Record<string, string> | undefined }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <table className="grid compact" aria-label={title}>
        <tbody>
          {entries.map(([name, value]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>
                <code>{valueText(value)}</code>
              </td>
              <td className="muted" data-testid="parameter-type">
                {parameterTypeName(types?.[name], value)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function Overview({ task }: { task: TaskDetail }) {
  return (
    <div>
      <dl className="facts">
        <dt>Path</dt>
        <dd>
          <code>{task.path}</code>
        </dd>
        <dt>Component</dt>
        <dd>{task.component}</dd>
        <dt>Started</dt>
        <dd>{when(task.started_at)}</dd>
        <dt>Duration</dt>
        <dd>{duration(task.started_at, task.finished_at)}</dd>
        {task.image ? (
          <>
            <dt>Image</dt>
            <dd>
              <code>{task.image}</code>
            </dd>
          </>
        ) : null}
        {task.state === "CACHED" ? (
          <>
            <dt>Cache</dt>
            <dd>
              <CacheSourceLine task={task} />
            </dd>
          </>
        ) : null}
      </dl>
      {task.error ? (
        <div role="alert" className="error-box">
          <strong>Error</strong>
          <pre>{task.error}</pre>
          {typeof task.error_details?.traceback === "string" ? <pre className="traceback">{task.error_details.traceback}</pre> : null}
          {typeof task.error_details?.output === "string" && task.error_details.output ? (
            <>
              <strong>Last log lines</strong>
              <pre className="traceback" aria-label="Last log lines">
                {task.error_details.output}
              </pre>
            </>
          ) : null}
        </div>
      ) : null}
      <Parameters title="Inputs" values={task.input_parameters} types={task.parameter_types?.inputs} />
      <Parameters title="Outputs" values={task.output_parameters} types={task.parameter_types?.outputs} />
      {task.artifacts.length ? (
        <>
          <h3>Artifacts</h3>
          <table className="grid compact" aria-label="Artifacts">
            <tbody>
              {task.artifacts.map((artifact) => (
                <tr key={`${artifact.direction}-${artifact.output_key}-${artifact.id}`}>
                  <th scope="row">
                    {artifact.direction} {artifact.output_key}
                  </th>
                  <td>{artifact.schema_title}</td>
                  <td>
                    <code>{artifact.uri}</code>
                  </td>
                  <td data-testid="artifact-size">{byteSize(artifact.size)}</td>
                  <td>
                    <a href={contentUrl(artifact.id)} download>
                      Download
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {task.attempts.length ? (
        <>
          <h3>Attempts</h3>
          <table className="grid compact" aria-label="Attempts">
            <thead>
              <tr>
                <th>#</th>
                <th>State</th>
                <th>Started</th>
                <th>Duration</th>
                <th>Exit code</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {task.attempts.map((attempt) => (
                <tr key={attempt.attempt}>
                  <td>{attempt.attempt}</td>
                  <td>{attempt.state}</td>
                  <td>{when(attempt.started_at)}</td>
                  <td>{duration(attempt.started_at, attempt.finished_at)}</td>
                  <td>{attempt.exit_code ?? ""}</td>
                  <td>{attempt.error ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}
