// The side panel of an artifact node (run graph, Artifacts toggle on): its type, URI, the
// task that wrote it and the tasks that read it (a click selects them), links to its
// details page and its lineage, and, once written, its viewer (metrics, a curve, a
// document, or the head of its file), read when the panel opens. A placeholder says which
// task writes it.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, UI_API, type GraphArtifact } from "../api/client";
import type { ArtifactDetail } from "../pages/metadataApi";
import { ArtifactViewer } from "../viewers/ArtifactViewer";
import { artifactLook } from "./artifacts";

export function ArtifactPanel({
  artifact,
  onTask,
  onClose,
}: {
  artifact: GraphArtifact;
  /** Select a task of the graph (the producer or a reader). */
  onTask: (path: string) => void;
  onClose: () => void;
}) {
  const look = artifactLook(artifact.schema_title);
  const written = artifact.artifact_id !== null;
  // The artifact details page's call and cache key: its metadata feeds the viewer.
  const detail = useQuery({
    queryKey: ["artifact", String(artifact.artifact_id)],
    enabled: written,
    queryFn: () => api<ArtifactDetail>(`${UI_API}/artifacts/${artifact.artifact_id ?? 0}`),
  });
  const stored = detail.data?.artifact;
  return (
    <aside className="panel" aria-label="Artifact">
      <div className="panel-header">
        <span className={`artifact-icon artifact-${look.kind}`} aria-hidden="true">
          {look.icon}
        </span>
        <h2>{artifact.name ?? artifact.output_key}</h2>
        <span className="spacer" />
        <button type="button" className="ghost" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="panel-body">
        <dl className="facts">
          <dt>Type</dt>
          <dd>{artifact.schema_title}</dd>
          <dt>Output</dt>
          <dd>
            <button type="button" className="link" onClick={() => onTask(artifact.producer)}>
              {artifact.producer}
            </button>{" "}
            · {artifact.output_key}
          </dd>
          <dt>URI</dt>
          <dd>{artifact.uri ? <code>{artifact.uri}</code> : <span className="muted">not written yet</span>}</dd>
        </dl>
        {written ? (
          <p className="toolbar">
            <Link className="button" to={`/artifacts/${artifact.artifact_id}`}>
              Open details
            </Link>
            <Link className="button" to={`/lineage?artifact=${artifact.artifact_id}&dir=both`}>
              Lineage
            </Link>
          </p>
        ) : (
          <p className="muted">Not written yet: {artifact.producer} writes it when it succeeds. The node fills in then.</p>
        )}
        <h3>Read by</h3>
        {artifact.consumers.length === 0 ? (
          <p className="muted">No task at this level reads it.</p>
        ) : (
          <ul aria-label="Read by">
            {artifact.consumers.map((use) => (
              <li key={`${use.task} ${use.input}`}>
                <button type="button" className="link" onClick={() => onTask(use.task)}>
                  {use.task}
                </button>{" "}
                <span className="muted">as {use.input.replace(/^pipelinechannel--/, "")}</span>
              </li>
            ))}
          </ul>
        )}
        {stored ? (
          <ArtifactViewer
            artifact={{ id: stored.id, name: stored.name, schema_title: stored.schema_title, uri: stored.uri, metadata: stored.metadata }}
            label={`${artifact.producer}.${artifact.output_key}`}
          />
        ) : detail.error ? (
          <p role="alert" className="error">
            {detail.error.message}
          </p>
        ) : null}
      </div>
    </aside>
  );
}
