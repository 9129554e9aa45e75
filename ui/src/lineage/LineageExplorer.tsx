// The lineage explorer (/lineage?artifact=<id>|execution=<id>&dir=up|down|both&hops=N
// &node=<selected key>&more=<key>:up|down,...: the selection and the hops added from it
// are in the URL, so a link or a reload shows the same graph):
// artifact nodes by type, execution nodes by state, INPUT/OUTPUT edges labelled with the
// event's name. Click selects a node (its details and "expand one hop" in the side panel),
// double click re-centres the explorer on it. Export: JSON of what is shown; DOT and
// Mermaid of the root's walk, rendered by the server as `sluice lineage` renders them.
import { useQueries, useQuery } from "@tanstack/react-query";
import { Background, Controls, Handle, Position, ReactFlow, useReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import { useEffect, useMemo, useRef } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, apiUrl, UI_API } from "../api/client";
import type { LineageGraphView } from "../pages/metadataApi";
import "../pages/metadata.css";
import { formatExpansions, layout, merge, parseDirection, parseExpansions, shortDirection, toJson, type Direction, type LineageNode } from "./graph";

interface NodeData extends Record<string, unknown> {
  node: LineageNode;
  root: boolean;
  onRecentre: (key: string) => void;
}

function LineageNodeView({ data, selected }: NodeProps<Node<NodeData>>) {
  const node = data.node;
  return (
    <div
      className={`lineage-node ${node.className}${data.root ? " root" : ""}${selected ? " selected" : ""}`}
      data-testid={`lineage-${node.key}`}
      data-kind={node.kind}
      title={`${node.title} (${node.subtitle})`}
      onDoubleClick={(event) => {
        event.stopPropagation();
        data.onRecentre(node.key);
      }}
    >
      <Handle type="target" position={Position.Left} />
      <div className="title">{node.title}</div>
      <div className="sub">{node.subtitle}</div>
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

const NODE_TYPES = { lineage: LineageNodeView };

function path(key: string): string {
  return key.startsWith("a") ? `artifacts/${key.slice(1)}` : `executions/${key.slice(1)}`;
}

function fetchLineage(key: string, direction: Direction, hops: number | undefined): Promise<LineageGraphView> {
  return api<LineageGraphView>(`${UI_API}/${path(key)}/lineage`, {}, { direction, max_hops: hops });
}

function Fit({ shape }: { shape: string }) {
  const flow = useReactFlow();
  useEffect(() => {
    const frame = requestAnimationFrame(() => void flow.fitView({ padding: 0.15, maxZoom: 1.2 }));
    return () => cancelAnimationFrame(frame);
  }, [shape, flow]);
  return null;
}

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

export function LineageExplorer() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const artifact = params.get("artifact");
  const execution = params.get("execution");
  const root = artifact ? `a${artifact}` : execution ? `e${execution}` : null;
  const direction = parseDirection(params.get("dir"));
  const hopsText = params.get("hops") ?? "";
  const hops = /^\d+$/.test(hopsText) ? Number(hopsText) : undefined;
  const expansions = useMemo(() => parseExpansions(params.get("more")), [params]);
  const selected = params.get("node") ?? root;

  const base = useQuery({
    queryKey: ["lineage", root, direction, hops],
    queryFn: () => fetchLineage(root ?? "", direction, hops),
    enabled: root !== null,
    retry: false,
  });
  const more = useQueries({
    queries: expansions.map((item) => ({
      queryKey: ["lineage", item.key, item.side, 1],
      queryFn: () => fetchLineage(item.key, item.side, 1),
      retry: false,
    })),
  });
  const extra = more.flatMap((query) => (query.data ? [query.data] : []));
  const extraKey = more.map((query) => query.dataUpdatedAt).join(",");
  const expandError = more.find((query) => query.error)?.error?.message ?? null;
  // extra is a new array each render; extraKey (when each expansion last loaded) says when it changed.
  const shown = useMemo(() => merge(...(base.data ? [base.data] : []), ...extra), [base.data, extraKey]);
  const placed = useMemo(() => layout(shown), [shown]);
  const change = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(name);
      else next.set(name, value);
    }
    setParams(next);
  };
  const select = (key: string) => change({ node: key === root ? null : key });
  const recentre = (key: string) => {
    const next = new URLSearchParams();
    next.set(key.startsWith("a") ? "artifact" : "execution", key.slice(1));
    next.set("dir", shortDirection(direction));
    if (hopsText) next.set("hops", hopsText);
    void navigate(`/lineage?${next.toString()}`);
  };
  // Stable node objects: React Flow re-measures (and briefly hides) a node whose object is
  // new, so a click that only changes the selection must not rebuild them (the second click
  // of a double click would land on the pane). Selection is React Flow's own.
  const recentreRef = useRef(recentre);
  recentreRef.current = recentre;
  const nodes: Node<NodeData>[] = useMemo(
    () =>
      placed.nodes.map((node) => ({
        id: node.key,
        type: "lineage",
        position: { x: node.x, y: node.y },
        draggable: false,
        connectable: false,
        data: { node, root: node.key === root, onRecentre: (key: string) => recentreRef.current(key) },
      })),
    [placed, root],
  );
  const edges: Edge[] = useMemo(
    () => placed.edges.map((edge) => ({ id: edge.id, source: edge.source, target: edge.target, label: edge.label, className: "lineage-edge" })),
    [placed],
  );
  const shape = placed.nodes.map((node) => node.key).join("|");

  const expand = (key: string, side: "upstream" | "downstream") => change({ more: formatExpansions([...expansions, { key, side }]) });

  const chosen = placed.nodes.find((node) => node.key === selected) ?? null;
  const chosenArtifact = chosen?.kind === "artifact" ? shown.artifacts.find((a) => a.id === chosen.id) : undefined;
  const chosenExecution = chosen?.kind === "execution" ? shown.executions.find((e) => e.id === chosen.id) : undefined;
  const exportParams = { direction, max_hops: hops };

  if (root === null)
    return (
      <section className="page">
        <h1>Lineage</h1>
        <p className="muted">
          Open an artifact or an execution and press Lineage, or go to <code>/lineage?artifact=&lt;id&gt;</code>.
        </p>
      </section>
    );
  return (
    <section className="page">
      <h1>Lineage</h1>
      <div className="toolbar">
        <label>
          Direction{" "}
          <select aria-label="Direction" value={shortDirection(direction)} onChange={(event) => change({ dir: event.target.value, more: null })}>
            <option value="up">upstream</option>
            <option value="down">downstream</option>
            <option value="both">both</option>
          </select>
        </label>
        <label>
          Hops{" "}
          <input aria-label="Hops" type="number" min={0} max={1000} style={{ width: 70 }} value={hopsText} placeholder="all" onChange={(event) => change({ hops: event.target.value, more: null })} />
        </label>
        <span className="spacer" />
        <button type="button" onClick={() => download(`lineage-${root}.json`, toJson(shown, base.data), "application/json")}>
          Export JSON
        </button>
        <a className="button" href={apiUrl(`${UI_API}/${path(root)}/lineage:export`, { ...exportParams, format: "dot" })} download>
          Export DOT
        </a>
        <a className="button" href={apiUrl(`${UI_API}/${path(root)}/lineage:export`, { ...exportParams, format: "mermaid" })} download>
          Export Mermaid
        </a>
      </div>
      {base.error ? (
        <p role="alert" className="error">
          {base.error.message}
        </p>
      ) : null}
      {expandError ? (
        <p role="alert" className="error">
          {expandError}
        </p>
      ) : null}
      <div className="lineage">
        <div className="lineage-canvas" data-testid="lineage-graph">
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={NODE_TYPES}
            onNodeClick={(_, node) => select(node.id)}
            zoomOnDoubleClick={false}
            fitView
            minZoom={0.1}
            nodesDraggable={false}
            nodesConnectable={false}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls showInteractive={false} />
            <Fit shape={shape} />
          </ReactFlow>
        </div>
        <aside className="lineage-side" aria-label="Node details">
          {chosen === null ? (
            <p className="muted">Click a node for its details; double click re-centres on it.</p>
          ) : (
            <>
              <h2>{chosen.title}</h2>
              <p className="muted">{chosen.subtitle}</p>
              {chosenArtifact ? (
                <dl className="meta-props">
                  <dt>Type</dt>
                  <dd>{chosenArtifact.schema_title}</dd>
                  <dt>URI</dt>
                  <dd>{chosenArtifact.uri}</dd>
                </dl>
              ) : null}
              {chosenExecution ? (
                <dl className="meta-props">
                  <dt>State</dt>
                  <dd>{chosenExecution.state}</dd>
                  <dt>Component</dt>
                  <dd>{chosenExecution.component}</dd>
                  {chosenExecution.cached_execution_id !== null ? (
                    <>
                      <dt>Cached from</dt>
                      <dd>execution {chosenExecution.cached_execution_id}</dd>
                    </>
                  ) : null}
                </dl>
              ) : null}
              <div className="toolbar">
                <Link className="button" to={`/${path(chosen.key)}`}>
                  Open details
                </Link>
              </div>
              <div className="toolbar">
                <button type="button" onClick={() => expand(chosen.key, "upstream")}>
                  Expand upstream
                </button>
                <button type="button" onClick={() => expand(chosen.key, "downstream")}>
                  Expand downstream
                </button>
              </div>
              {chosen.key !== root ? (
                <button type="button" onClick={() => recentre(chosen.key)}>
                  Re-centre here
                </button>
              ) : null}
            </>
          )}
        </aside>
      </div>
    </section>
  );
}
