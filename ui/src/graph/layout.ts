// The run graph as positioned boxes, level by level: each sub-DAG box that is expanded is
// laid out on its own (dagre), then sized to hold its children, then placed in its own
// level like any task. The IR's edges join tasks of one level only, so this is exact.
// Pure (no React): unit-tested in layout.test.ts.
import dagre from "@dagrejs/dagre";
import type { GraphEdge, GraphNode } from "../api/client";

export const TASK_WIDTH = 200;
export const TASK_HEIGHT = 56;
export const BOX_PADDING = 16;
export const BOX_HEADER = 36;

export type Expansion = "all" | ReadonlySet<string>;

export interface PlacedNode {
  node: GraphNode;
  /** Position relative to the parent box (or the canvas at the top level). */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The box (sub-DAG) is open and its children are placed inside it. */
  expanded: boolean;
  /** How many nodes it holds (boxes only; 0 for a task). */
  childCount: number;
}

export interface Layout {
  nodes: PlacedNode[]; // parents come before their children
  edges: GraphEdge[]; // only between visible nodes
  width: number;
  height: number;
}

const BOX_KINDS = new Set(["dag", "loop", "iteration", "condition", "exit_handler"]);

/** Whether a node is a sub-DAG box (it may hold other nodes). */
export function isBox(node: GraphNode): boolean {
  return BOX_KINDS.has(node.kind);
}

/** Whether a box shows its children: "all", or its id was expanded; a loop's iterations
 * open with their loop. */
export function isExpanded(node: GraphNode, expansion: Expansion, byId: ReadonlyMap<string, GraphNode>): boolean {
  if (!isBox(node)) return false;
  if (expansion === "all") return true;
  if (expansion.has(node.id)) return true;
  if (node.kind === "iteration" && node.parent !== null) {
    const loop = byId.get(node.parent);
    return loop !== undefined && expansion.has(loop.id);
  }
  return false;
}

/** The ids of a node's ancestors, nearest first (to open the boxes a deep link is in). */
export function ancestors(id: string, byId: ReadonlyMap<string, GraphNode>): string[] {
  const out: string[] = [];
  let parent = byId.get(id)?.parent ?? null;
  while (parent !== null) {
    out.push(parent);
    parent = byId.get(parent)?.parent ?? null;
  }
  return out;
}

/** Parse the URL's `expand` value: "all", or comma-separated box ids. */
export function parseExpansion(value: string | null): Expansion {
  if (value === "all") return "all";
  return new Set((value ?? "").split(",").filter((part) => part !== ""));
}

/** The URL's `expand` value of an expansion ("" when nothing is open). */
export function formatExpansion(expansion: Expansion): string {
  return expansion === "all" ? "all" : [...expansion].sort().join(",");
}

/** Open or close one box. Closing one under "all" opens every other box explicitly. */
export function toggleBox(expansion: Expansion, id: string, nodes: readonly GraphNode[]): Expansion {
  const open = expansion === "all" ? new Set(nodes.filter(isBox).map((node) => node.id)) : new Set(expansion);
  if (open.has(id)) open.delete(id);
  else open.add(id);
  return open;
}

export function layoutGraph(nodes: readonly GraphNode[], edges: readonly GraphEdge[], expansion: Expansion): Layout {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const children = new Map<string | null, GraphNode[]>();
  for (const node of nodes) {
    const key = node.parent !== null && byId.has(node.parent) ? node.parent : null;
    const list = children.get(key) ?? [];
    list.push(node);
    children.set(key, list);
  }
  const edgesOf = new Map<string | null, GraphEdge[]>();
  for (const edge of edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target || source.parent !== target.parent) continue;
    const key = source.parent !== null && byId.has(source.parent) ? source.parent : null;
    const list = edgesOf.get(key) ?? [];
    list.push(edge);
    edgesOf.set(key, list);
  }

  const placed = new Map<string, PlacedNode>();
  const order: string[] = [];
  const visibleEdges: GraphEdge[] = [];

  // Lays out the children of `parent`; answers the size they take.
  const level = (parent: string | null): { width: number; height: number } => {
    const members = children.get(parent) ?? [];
    const graph = new dagre.graphlib.Graph();
    graph.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 48, marginx: 0, marginy: 0 });
    graph.setDefaultEdgeLabel(() => ({}));
    for (const node of members) {
      const expanded = isExpanded(node, expansion, byId);
      let width = TASK_WIDTH;
      let height = TASK_HEIGHT;
      if (expanded) {
        const inner = level(node.id);
        width = Math.max(TASK_WIDTH, inner.width + 2 * BOX_PADDING);
        height = BOX_HEADER + inner.height + BOX_PADDING;
      }
      placed.set(node.id, {
        node,
        x: 0,
        y: 0,
        width,
        height,
        expanded,
        childCount: (children.get(node.id) ?? []).length,
      });
      graph.setNode(node.id, { width, height });
    }
    for (const edge of edgesOf.get(parent) ?? []) {
      graph.setEdge(edge.source, edge.target);
      visibleEdges.push(edge);
    }
    dagre.layout(graph);
    let width = 0;
    let height = 0;
    const offsetX = parent === null ? 0 : BOX_PADDING;
    const offsetY = parent === null ? 0 : BOX_HEADER;
    for (const node of members) {
      const spot = graph.node(node.id);
      const box = placed.get(node.id);
      if (!box || !spot) continue;
      box.x = spot.x - box.width / 2 + offsetX;
      box.y = spot.y - box.height / 2 + offsetY;
      width = Math.max(width, spot.x + box.width / 2);
      height = Math.max(height, spot.y + box.height / 2);
    }
    return { width, height };
  };

  const size = level(null);
  // Parents first: React Flow needs a parent node before its children.
  const visit = (parent: string | null) => {
    for (const node of children.get(parent) ?? []) {
      order.push(node.id);
      if (placed.get(node.id)?.expanded) visit(node.id);
    }
  };
  visit(null);
  return {
    nodes: order.map((id) => placed.get(id)).filter((node): node is PlacedNode => node !== undefined),
    edges: visibleEdges,
    width: size.width,
    height: size.height,
  };
}
