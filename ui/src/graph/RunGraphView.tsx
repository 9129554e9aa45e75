// The Graph tab: React Flow over the per-level layout (layout.ts). Tasks, sub-DAG boxes and
// (with the Artifacts toggle) artifacts are custom nodes, all with handles, so edges into
// and out of a box are drawn.
import {
  Background,
  Controls,
  MiniMap,
  Handle,
  Position,
  ReactFlow,
  useReactFlow,
  useStore,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import { useEffect, useMemo } from "react";
import type { GraphNode, RunGraph } from "../api/client";
import { duration } from "../format";
import { artifactCaption, artifactLook, withArtifacts } from "./artifacts";
import { BIG_LOOP, isBigLoop, layoutGraph, loopSummary, type Expansion, type LayoutNode, type LoopSummary } from "./layout";
import { LoopPicker } from "./LoopPicker";
import "./graph.css";

interface NodeData extends Record<string, unknown> {
  node: LayoutNode;
  expanded: boolean;
  childCount: number;
  onToggle: (id: string) => void;
  /** Loops: progress and counts by state. */
  summary?: LoopSummary;
  /** Big loops: the iterations shown, the ones started, and how to open one. */
  picked?: number[];
  started?: Set<number>;
  onPick?: (loop: string, index: number) => void;
}

function label(node: LayoutNode): string {
  if (node.kind === "iteration") return `iteration ${node.iteration_index ?? "?"}`;
  return node.display_name;
}

function TaskNode({ data, selected }: NodeProps<Node<NodeData>>) {
  const node = data.node;
  const state = node.state ?? "none";
  return (
    <div
      className={`flow-task state-${state.toLowerCase()}${selected ? " selected" : ""}`}
      data-testid={`node-${node.id}`}
      data-state={node.state ?? "NOT_STARTED"}
      title={node.error ?? node.id}
    >
      <Handle type="target" position={Position.Top} />
      <div className="flow-title">{label(node)}</div>
      <div className="flow-meta">
        <span className="state-text">{(node.state ?? "not started").toLowerCase()}</span>
        {node.state === "CACHED" ? <span className="chip">cached</span> : null}
        {node.attempts > 1 ? <span className="chip">{node.attempts} attempts</span> : null}
        <span>{duration(node.started_at, node.finished_at)}</span>
      </div>
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

/** A condition's box says whether its branch was taken: the state colour alone leaves a
 * reader to know that SKIPPED means "its condition was false". Nothing before it is decided. */
function BranchMark({ node }: { node: LayoutNode }) {
  if (node.kind !== "condition" || node.state === null || node.state === undefined) return null;
  if (node.state === "SKIPPED") {
    return (
      <span className="chip branch-skipped" data-testid={`branch-${node.id}`} title="Its condition was false: nothing inside ran">
        not taken
      </span>
    );
  }
  return (
    <span className="chip branch-taken" data-testid={`branch-${node.id}`} title="Its condition was true: this branch ran">
      ✓ taken
    </span>
  );
}

function BoxNode({ data, selected }: NodeProps<Node<NodeData>>) {
  const node = data.node;
  const state = node.state ?? "none";
  const kind = node.kind === "exit_handler" ? "exit handler" : node.kind;
  const count = data.childCount;
  const summary = data.summary;
  // A loop that has not started (or a pipeline's static graph) has a size, not progress.
  const progress = summary && node.state === null && summary.finished === 0 ? (
    `${summary.total} iteration${summary.total === 1 ? "" : "s"}`
  ) : summary ? (
    <span className="loop-progress" data-testid={`progress-${node.id}`} title={`${summary.finished} of ${summary.total} iterations ended`}>
      {summary.finished}/{summary.total}
    </span>
  ) : (
    `${count} task${count === 1 ? "" : "s"}`
  );
  return (
    <div
      className={`flow-box state-${state.toLowerCase()}${data.expanded ? " open" : ""}${selected ? " selected" : ""}`}
      data-testid={`node-${node.id}`}
      data-state={node.state ?? "NOT_STARTED"}
      data-expanded={data.expanded}
    >
      <Handle type="target" position={Position.Top} />
      <div className="flow-box-header">
        <button
          type="button"
          className="toggle nodrag"
          aria-label={`${data.expanded ? "Collapse" : "Expand"} ${label(node)}`}
          aria-expanded={data.expanded}
          onClick={(event) => {
            event.stopPropagation();
            data.onToggle(node.id);
          }}
        >
          {data.expanded ? "▾" : "▸"}
        </button>
        <span className="flow-title">{label(node)}</span>
        {/* "iteration 7" says its kind already. */}
        {node.kind === "iteration" ? null : <span className="chip">{kind}</span>}
        <BranchMark node={node} />
        <span className="muted">{progress}</span>
      </div>
      {data.expanded ? null : <div className="flow-meta state-text">{(node.state ?? "not started").toLowerCase()}</div>}
      {data.expanded && summary && isBigLoop(node) ? (
        data.onPick ? (
          <LoopPicker
            loopName={label(node)}
            summary={summary}
            picked={data.picked ?? []}
            started={data.started ?? new Set()}
            onPick={(index) => data.onPick?.(node.id, index)}
          />
        ) : (
          // A pipeline's static graph: no iterations exist before a run.
          <p className="loop-summary muted">Over {BIG_LOOP} iterations: a run's page summarises them and opens the ones you pick.</p>
        )
      ) : null}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

/** An output artifact: its type's glyph and colour, its name, how many items a list of
 * them holds, and whether it is written yet (a dashed placeholder until its producer
 * writes it; always, in a static graph). */
function ArtifactNode({ data, selected }: NodeProps<Node<NodeData>>) {
  const node = data.node;
  const artifact = node.artifact;
  const look = artifactLook(artifact?.schema_title ?? "");
  const written = artifact?.artifact_id != null;
  return (
    <div
      className={`flow-artifact artifact-${look.kind}${written ? "" : " pending"}${selected ? " selected" : ""}`}
      data-testid={`node-${node.id}`}
      data-kind="artifact"
      data-written={written}
      data-count={artifact?.items.length ?? 0}
      title={`${artifact?.schema_title ?? ""} ${artifact?.items.length ? artifact.items.map((item) => item.uri).join("\n") : "(not written yet)"}`}
    >
      <Handle type="target" position={Position.Top} />
      <span className="artifact-icon" aria-hidden="true">
        {look.icon}
      </span>
      <span className="artifact-label">
        <span className="flow-title">{node.display_name}</span>
        <span className="muted">{artifact ? artifactCaption(artifact) : ""}</span>
      </span>
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

const NODE_TYPES = { task: TaskNode, box: BoxNode, artifact: ArtifactNode };

/** Fit the view whenever the layout's shape changes (a box opened or closed) or the pane's
 * size does (the side panel opened), so what was opened is on screen; a state change keeps
 * the user's pan and zoom. */
function FitOnChange({ shape, focus }: { shape: string; focus: string | null }) {
  const flow = useReactFlow();
  const width = useStore((store) => store.width);
  const height = useStore((store) => store.height);
  useEffect(() => {
    // A node found or picked is centred instead (once it is laid out).
    const frame = requestAnimationFrame(() =>
      void (focus !== null && flow.getNode(focus)
        ? flow.fitView({ nodes: [{ id: focus }], padding: 0.3, maxZoom: 1.2 })
        : flow.fitView({ padding: 0.1, maxZoom: 1.2 })),
    );
    return () => cancelAnimationFrame(frame);
  }, [shape, width, height, flow, focus]);
  return null;
}

const NO_PINS: ReadonlySet<string> = new Set();

export function RunGraphView({
  graph,
  expansion,
  selected,
  onSelect,
  onToggle,
  onPick,
  pinned = NO_PINS,
  focus = null,
  showArtifacts = false,
  onSelectArtifact,
}: {
  graph: RunGraph;
  expansion: Expansion;
  selected: string | null;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
  /** Open iteration `index` of a big loop in place (the run page puts it in the URL). */
  onPick?: (loop: string, index: number) => void;
  /** Boxes shown whatever the expansion (those the selected task is in). */
  pinned?: ReadonlySet<string>;
  /** A node to centre the view on (found with `f`, or an iteration just picked). */
  focus?: string | null;
  /** Draw the tasks' output artifacts between their producers and readers. */
  showArtifacts?: boolean;
  /** A click on an artifact node (a task's click is onSelect). */
  onSelectArtifact?: (id: string) => void;
}) {
  const drawn = useMemo(() => withArtifacts(graph.nodes, graph.edges, showArtifacts ? graph.artifacts : []), [graph, showArtifacts]);
  const layout = useMemo(() => layoutGraph(drawn.nodes, drawn.edges, expansion, pinned), [drawn, expansion, pinned]);
  // Per loop: its summary, the iterations started and the ones shown.
  const loops = useMemo(() => {
    const out = new Map<string, { summary: LoopSummary; started: Set<number>; picked: number[] }>();
    const shown = new Set(layout.nodes.map((placed) => placed.node.id));
    const byLoop = new Map<string, GraphNode[]>();
    for (const node of graph.nodes) {
      if (node.kind !== "iteration" || node.parent === null) continue;
      const list = byLoop.get(node.parent) ?? [];
      list.push(node);
      byLoop.set(node.parent, list);
    }
    for (const loop of graph.nodes) {
      if (loop.kind !== "loop") continue;
      const iterations = byLoop.get(loop.id) ?? [];
      out.set(loop.id, {
        summary: loopSummary(loop, iterations),
        started: new Set(iterations.map((node) => node.iteration_index ?? -1)),
        picked: iterations.filter((node) => shown.has(node.id)).map((node) => node.iteration_index ?? -1),
      });
    }
    return out;
  }, [graph, layout]);
  const nodes: Node<NodeData>[] = useMemo(
    () =>
      layout.nodes.map((placed) => {
        const artifact = placed.node.kind === "artifact";
        const box = !artifact && (placed.childCount > 0 || ["dag", "loop", "iteration", "condition", "exit_handler"].includes(placed.node.kind));
        const loop = loops.get(placed.node.id);
        return {
          id: placed.node.id,
          type: artifact ? "artifact" : box ? "box" : "task",
          position: { x: placed.x, y: placed.y },
          ...(placed.node.parent !== null && layout.nodes.some((other) => other.node.id === placed.node.parent)
            ? { parentId: placed.node.parent, extent: "parent" as const }
            : {}),
          width: placed.width,
          height: placed.height,
          style: { width: placed.width, height: placed.height },
          selected: placed.node.id === selected,
          draggable: false,
          connectable: false,
          data: {
            node: placed.node,
            expanded: placed.expanded,
            childCount: placed.childCount,
            onToggle,
            ...(loop ? { summary: loop.summary, started: loop.started, picked: loop.picked } : {}),
            ...(onPick ? { onPick } : {}),
          },
        };
      }),
    [layout, selected, onToggle, onPick, loops],
  );
  const shape = useMemo(() => layout.nodes.map((placed) => placed.node.id).join("|"), [layout]);
  const edges: Edge[] = useMemo(
    () =>
      layout.edges.map((edge) => ({
        id: `${edge.source}->${edge.target}`,
        source: edge.source,
        target: edge.target,
        className: `edge-${edge.kind}`,
        // kfp names a sub-DAG's inputs "pipelinechannel--<task>-<output>": show the rest.
        ...(edge.names.length ? { label: edge.names.map((name) => name.replace(/^pipelinechannel--/, "")).join(", ") } : {}),
      })),
    [layout],
  );
  return (
    <div className="graph" data-testid="run-graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodeClick={(_, node) => (node.type === "artifact" ? onSelectArtifact?.(node.id) : onSelect(node.id))}
        fitView
        minZoom={0.1}
        nodesDraggable={false}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable ariaLabel="Minimap" nodeClassName={(node) =>
            node.type === "artifact"
              ? `minimap-artifact artifact-${artifactLook(String((node.data as NodeData).node.component)).kind}`
              : `state-${String((node.data as NodeData).node.state ?? "none").toLowerCase()}${node.type === "box" ? " minimap-box" : ""}`
          }
          style={{ width: 160, height: 110 }} />
        <FitOnChange shape={shape} focus={focus} />
      </ReactFlow>
    </div>
  );
}
