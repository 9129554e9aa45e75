// Pure logic of the lineage explorer (unit-tested in graph.test.ts): merging subgraphs as
// the user expands hop by hop, nodes and labelled edges, a left-to-right dagre layout.
import dagre from "@dagrejs/dagre";
import type { ArtifactView, ExecutionView, EventView, LineageGraphView } from "../pages/metadataApi";

export type Direction = "upstream" | "downstream" | "both";

export interface Subgraph {
  artifacts: ArtifactView[];
  executions: ExecutionView[];
  events: EventView[];
}

export interface LineageNode {
  /** "a<id>" for an artifact, "e<id>" for an execution (as the server's root). */
  key: string;
  kind: "artifact" | "execution";
  id: number;
  title: string;
  subtitle: string;
  /** The CSS class: by artifact type, or by execution state. */
  className: string;
  x: number;
  y: number;
}

export interface LineageEdge {
  id: string;
  source: string;
  target: string;
  label: string;
}

export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 56;

/** The URL's `dir` (up, down, both) as the API's direction. */
export function parseDirection(value: string | null): Direction {
  if (value === "up" || value === "upstream") return "upstream";
  if (value === "down" || value === "downstream") return "downstream";
  return "both";
}

/** The API's direction as the URL's short `dir`. */
export function shortDirection(direction: Direction): string {
  return direction === "upstream" ? "up" : direction === "downstream" ? "down" : "both";
}

/** One "expand one hop" from a node, as the URL's `more` keeps it (`a12:up`, `e5:down`). */
export interface Expansion {
  key: string;
  side: "upstream" | "downstream";
}

/** The URL's `more` (comma-separated `<node key>:up|down`) as expansions; bad parts are skipped. */
export function parseExpansions(value: string | null): Expansion[] {
  const found: Expansion[] = [];
  for (const part of (value ?? "").split(",")) {
    const match = /^([ae]\d+):(up|down)$/.exec(part.trim());
    if (match?.[1] && match[2]) found.push({ key: match[1], side: match[2] === "up" ? "upstream" : "downstream" });
  }
  return found;
}

/** Expansions as the URL's `more`, each once, in the order they were made. */
export function formatExpansions(expansions: readonly Expansion[]): string {
  const parts = expansions.map((item) => `${item.key}:${item.side === "upstream" ? "up" : "down"}`);
  return [...new Set(parts)].join(",");
}

/** The union of subgraphs, each list ordered by id (events by their two ends and name). */
export function merge(...graphs: Subgraph[]): Subgraph {
  const artifacts = new Map<number, ArtifactView>();
  const executions = new Map<number, ExecutionView>();
  const events = new Map<string, EventView>();
  for (const graph of graphs) {
    for (const a of graph.artifacts) artifacts.set(a.id, a);
    for (const e of graph.executions) executions.set(e.id, e);
    for (const ev of graph.events) events.set(eventKey(ev), ev);
  }
  const byId = <T extends { id: number }>(items: Iterable<T>) => [...items].sort((a, b) => a.id - b.id);
  return {
    artifacts: byId(artifacts.values()),
    executions: byId(executions.values()),
    events: [...events.values()].sort((a, b) => eventKey(a).localeCompare(eventKey(b))),
  };
}

function eventKey(event: EventView): string {
  return `${event.type}:${event.artifact_id}:${event.execution_id}:${event.name}:${event.position}`;
}

function typeClass(schemaTitle: string): string {
  return `type-${schemaTitle.replace(/^system\./, "").toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
}

/** The graph's nodes (placed by dagre, left to right: the data flows right) and edges. */
export function layout(graph: Subgraph): { nodes: LineageNode[]; edges: LineageEdge[] } {
  const nodes: Omit<LineageNode, "x" | "y">[] = [
    ...graph.artifacts.map((a) => ({
      key: `a${a.id}`,
      kind: "artifact" as const,
      id: a.id,
      title: a.display_name || a.name,
      subtitle: `${a.schema_title} #${a.id}`,
      className: `lineage-artifact ${typeClass(a.schema_title)}`,
    })),
    ...graph.executions.map((e) => ({
      key: `e${e.id}`,
      kind: "execution" as const,
      id: e.id,
      title: e.task_path ?? e.component,
      subtitle: `${e.state} #${e.id}${e.attempt > 1 ? ` attempt ${e.attempt}` : ""}`,
      className: `lineage-execution state-${e.state.toLowerCase()}`,
    })),
  ];
  const present = new Set(nodes.map((node) => node.key));
  const edges: LineageEdge[] = [];
  for (const event of graph.events) {
    const artifact = `a${event.artifact_id}`;
    const execution = `e${event.execution_id}`;
    if (!present.has(artifact) || !present.has(execution)) continue; // cut off by the hop limit
    const [source, target] = event.type === "INPUT" ? [artifact, execution] : [execution, artifact];
    edges.push({ id: `${source}->${target}:${event.name}`, source, target, label: `${event.type} ${event.name}`.trim() });
  }
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 28, ranksep: 90, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) g.setNode(node.key, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of edges) g.setEdge(edge.source, edge.target);
  dagre.layout(g);
  return {
    nodes: nodes.map((node) => {
      const placed = g.node(node.key);
      return { ...node, x: (placed?.x ?? 0) - NODE_WIDTH / 2, y: (placed?.y ?? 0) - NODE_HEIGHT / 2 };
    }),
    edges,
  };
}

/** The shown graph as JSON text ({root, direction, max_hops, artifacts, executions, events}). */
export function toJson(graph: Subgraph, root: LineageGraphView | undefined): string {
  const data = { root: root?.root ?? null, direction: root?.direction ?? null, max_hops: root?.max_hops ?? null, ...graph };
  return `${JSON.stringify(data, null, 2)}\n`;
}
