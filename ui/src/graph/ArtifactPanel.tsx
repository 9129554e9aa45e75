// The side panel of an artifact node (run graph, Artifacts toggle on): its type, URI, the
// task that wrote it and the tasks that read it (a click selects them), links to its
// details page and its lineage, and, once written, its viewer (metrics, a curve, a
// document, or the head of its file), read when the panel opens. A list of artifacts (a
// `dsl.Collected` fan-in) lists every item so, each with its own links and viewer. A
// placeholder says which task writes it.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, UI_API, type GraphArtifact } from "../api/client";
import type { ArtifactDetail } from "../pages/metadataApi";
import { ArtifactViewer } from "../viewers/ArtifactViewer";
import { artifactLook, isArtifactList } from "./artifacts";

type GraphArtifactItem = GraphArtifact["items"][number];

// A list of at most this many items opens every item's viewer; a longer one (a wide
// loop's fan-in) lists them all and reads a viewer when its item is opened.
const OPEN_VIEWERS_UP_TO = 10;

/** A stored artifact in its viewer: its metadata (the artifact details page's call and
 * cache key) feeds it. */
function StoredViewer({ id, label }: { id: number; label: string }) {
  const detail = useQuery({
    queryKey: ["artifact", String(id)],
    queryFn: () => api<ArtifactDetail>(`${UI_API}/artifacts/${id}`),
  });
  const stored = detail.data?.artifact;
  if (stored) {
    return <ArtifactViewer artifact={{ id: stored.id, name: stored.name, schema_title: stored.schema_title, uri: stored.uri, metadata: stored.metadata }} label={label} />;
  }
  if (detail.error) {
    return (
      <p role="alert" className="error">
        {detail.error.message}
      </p>
    );
  }
  return null;
}

function ArtifactLinks({ id }: { id: number }) {
  return (
    <p className="toolbar">
      <Link className="button" to={`/artifacts/${id}`}>
        Open details
      </Link>
      <Link className="button" to={`/lineage?artifact=${id}&dir=both`}>
        Lineage
      </Link>
    </p>
  );
}

/** One item of a list output: its index, name and URI, its links, and its viewer (read
 * only while its disclosure is open). */
function ListItem({ item, index, label, open: initiallyOpen }: { item: GraphArtifactItem; index: number; label: string; open: boolean }) {
  const [open, setOpen] = useState(initiallyOpen);
  return (
    <li className="artifact-item">
      <div>
        <strong>[{index}]</strong> {item.name}
      </div>
      <code className="uri">{item.uri}</code>
      <ArtifactLinks id={item.artifact_id} />
      <details open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
        <summary>Preview</summary>
        {open ? <StoredViewer id={item.artifact_id} label={label} /> : null}
      </details>
    </li>
  );
}

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
  const list = isArtifactList(artifact);
  const key = `${artifact.producer}.${artifact.output_key}`;
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
          <dd>{list ? `list of ${artifact.schema_title}` : artifact.schema_title}</dd>
          <dt>Output</dt>
          <dd>
            <button type="button" className="link" onClick={() => onTask(artifact.producer)}>
              {artifact.producer}
            </button>{" "}
            · {artifact.output_key}
          </dd>
          {list ? (
            <>
              <dt>Items</dt>
              <dd>{written ? artifact.items.length : <span className="muted">not written yet</span>}</dd>
            </>
          ) : (
            <>
              <dt>URI</dt>
              <dd>{artifact.uri ? <code>{artifact.uri}</code> : <span className="muted">not written yet</span>}</dd>
            </>
          )}
        </dl>
        {!written ? (
          <p className="muted">Not written yet: {artifact.producer} writes it when it succeeds. The node fills in then.</p>
        ) : !list && artifact.artifact_id !== null ? (
          <ArtifactLinks id={artifact.artifact_id} />
        ) : null}
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
        {list && written ? (
          <>
            <h3>Items</h3>
            <ol className="artifact-items" aria-label="Items">
              {artifact.items.map((item, index) => (
                <ListItem key={`${index}-${item.artifact_id}`} item={item} index={index} label={`${key}[${index}]`} open={artifact.items.length <= OPEN_VIEWERS_UP_TO} />
              ))}
            </ol>
          </>
        ) : !list && artifact.artifact_id !== null ? (
          <StoredViewer id={artifact.artifact_id} label={key} />
        ) : null}
      </div>
    </aside>
  );
}
