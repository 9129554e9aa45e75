// The run graph as positioned boxes, level by level: each sub-DAG box that is expanded is
// laid out on its own (dagre), then sized to hold its children, then placed in its own
// level like any task. The IR's edges join tasks of one level only, so this is exact.
// Pure (no React): unit-tested in layout.test.ts.
import dagre from "@dagrejs/dagre";
import type { GraphArtifact, GraphEdge, GraphNode } from "../api/client";

/** What the layout places: a task or box of the graph, or (with artifacts shown) one of
 * the tasks' output artifacts, which sits in its producer's box (artifacts.ts). */
export type LayoutNode = Omit<GraphNode, "kind"> & { kind: GraphNode["kind"] | "artifact"; artifact?: GraphArtifact };

export const TASK_WIDTH = 200;
export const TASK_HEIGHT = 56;
export const BOX_PADDING = 16;
export const BOX_HEADER = 36;
/** An artifact node: smaller than a task, so the data stays secondary to the work. */
export const ARTIFACT_WIDTH = 170;
export const ARTIFACT_HEIGHT = 40;
/** A loop with more iterations than this is summarised: progress, counts by state and an
 * iteration picker instead of a box per iteration (design §3.3). */
export const BIG_LOOP = 20;
/** The summary row and picker of a big loop, under its header. */
export const LOOP_SUMMARY_HEIGHT = 64;
export const LOOP_SUMMARY_WIDTH = 460;

export type Expansion = "all" | ReadonlySet<string>;

export interface PlacedNode {
  node: LayoutNode;
  /** Position relative to the parent box (or the canvas at the top level). */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The box (sub-DAG) is open and its children are placed inside it. */
  expanded: boolean;
  /** How many tasks and boxes it holds (boxes only; 0 for a task; artifacts not counted). */
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
export function isBox(node: LayoutNode): boolean {
  return BOX_KINDS.has(node.kind);
}

/** Whether a loop is summarised (more than BIG_LOOP iterations, started or to come). */
export function isBigLoop(node: LayoutNode | undefined): boolean {
  return node !== undefined && node.kind === "loop" && Math.max(node.iteration_total ?? 0, node.iterations ?? 0) > BIG_LOOP;
}

/** Whether a node is an iteration of a summarised loop: shown only when picked. */
export function isPickedKind(node: LayoutNode | undefined, byId: ReadonlyMap<string, LayoutNode>): boolean {
  return node !== undefined && node.kind === "iteration" && node.parent !== null && isBigLoop(byId.get(node.parent));
}

/** Whether a box shows its children: "all", or its id was expanded; a loop's iterations
 * open with their loop, except a big loop's, which open when picked (their id is in the
 * expansion, or `pinned` holds it: the boxes the selected task is in). */
export function isExpanded(
  node: LayoutNode,
  expansion: Expansion,
  byId: ReadonlyMap<string, LayoutNode>,
  pinned: ReadonlySet<string> = NONE,
): boolean {
  if (!isBox(node)) return false;
  if (isPickedKind(node, byId)) return pinned.has(node.id) || (expansion !== "all" && expansion.has(node.id));
  if (expansion === "all") return true;
  if (expansion.has(node.id)) return true;
  if (node.kind === "iteration" && node.parent !== null) {
    const loop = byId.get(node.parent);
    return loop !== undefined && expansion.has(loop.id);
  }
  return false;
}

const NONE: ReadonlySet<string> = new Set();

/** The ids of a node's ancestors, nearest first (to open the boxes a deep link is in). */
export function ancestors(id: string, byId: ReadonlyMap<string, LayoutNode>): string[] {
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
export function toggleBox(expansion: Expansion, id: string, nodes: readonly LayoutNode[]): Expansion {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  // A big loop's iterations are picks, not boxes "all" opens.
  const open = expansion === "all" ? new Set(nodes.filter((node) => isBox(node) && !isPickedKind(node, byId)).map((node) => node.id)) : new Set(expansion);
  if (open.has(id)) open.delete(id);
  else open.add(id);
  return open;
}

/** Open one iteration of a big loop in place (and the boxes it is in); closing is toggleBox. */
export function pickIteration(expansion: Expansion, id: string, nodes: readonly LayoutNode[]): Expansion {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const open = new Set(toggleBox(expansion, id, nodes));
  open.add(id);
  if (expansion !== "all") for (const box of ancestors(id, byId)) if (!isPickedKind(byId.get(box), byId)) open.add(box);
  return open;
}

/** The boxes a deep link to `id` must open: its ancestors, except the iterations that open
 * with their loop (a big loop's iteration is picked, so it is listed). */
export function boxesToOpen(id: string, byId: ReadonlyMap<string, LayoutNode>): string[] {
  return ancestors(id, byId).filter((box) => {
    const node = byId.get(box);
    return node?.kind !== "iteration" || isPickedKind(node, byId);
  });
}

export interface LoopSummary {
  /** Iterations that have ended (any final state), and how many there are in all. */
  finished: number;
  total: number;
  /** Started iterations by state. */
  counts: [string, number][];
  /** Failed iterations' indexes, ascending. */
  failed: number[];
}

const FINAL = new Set(["SUCCEEDED", "CACHED", "FAILED", "SKIPPED", "CANCELED"]);
const STATE_ORDER = ["FAILED", "RUNNING", "PENDING", "CANCELED", "SKIPPED", "CACHED", "SUCCEEDED"];

/** Progress and counts of a loop's iterations (from its iteration nodes, so live updates
 * of their states show at once). */
export function loopSummary(loop: LayoutNode, nodes: readonly LayoutNode[]): LoopSummary {
  const iterations = nodes.filter((node) => node.parent === loop.id && node.kind === "iteration");
  const counts = new Map<string, number>();
  for (const node of iterations) counts.set(node.state ?? "PENDING", (counts.get(node.state ?? "PENDING") ?? 0) + 1);
  const rank = (state: string) => (STATE_ORDER.indexOf(state) + STATE_ORDER.length + 1) % (STATE_ORDER.length + 1);
  return {
    finished: iterations.filter((node) => FINAL.has(node.state ?? "")).length,
    total: Math.max(loop.iteration_total ?? 0, iterations.length),
    counts: [...counts.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0])),
    failed: iterations
      .filter((node) => node.state === "FAILED")
      .map((node) => node.iteration_index ?? -1)
      .sort((a, b) => a - b),
  };
}

/** The path of iteration `index` of `loop` (as the engine names it). */
export function iterationId(loop: string, index: number): string {
  return `${loop}[${index}]`;
}

export function layoutGraph(
  nodes: readonly LayoutNode[],
  edges: readonly GraphEdge[],
  expansion: Expansion,
  pinned: ReadonlySet<string> = NONE,
): Layout {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const children = new Map<string | null, LayoutNode[]>();
  const hidden = new Set<string>();
  for (const node of nodes) {
    // A big loop's iterations are laid out only when picked (and so is what they hold).
    if ((node.parent !== null && hidden.has(node.parent)) || (isPickedKind(node, byId) && !isExpanded(node, expansion, byId, pinned))) {
      hidden.add(node.id);
      continue;
    }
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
    if (hidden.has(source.id) || hidden.has(target.id)) continue;
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
      const expanded = isExpanded(node, expansion, byId, pinned);
      let width = node.kind === "artifact" ? ARTIFACT_WIDTH : TASK_WIDTH;
      let height = node.kind === "artifact" ? ARTIFACT_HEIGHT : TASK_HEIGHT;
      if (expanded) {
        const summary = isBigLoop(node);
        const inner = level(node.id);
        width = Math.max(summary ? LOOP_SUMMARY_WIDTH : TASK_WIDTH, inner.width + 2 * BOX_PADDING);
        height = headerOf(node) + inner.height + BOX_PADDING;
      }
      placed.set(node.id, {
        node,
        x: 0,
        y: 0,
        width,
        height,
        expanded,
        // Its tasks and boxes: the artifacts drawn beside them are not counted as tasks.
        childCount: (children.get(node.id) ?? []).filter((child) => child.kind !== "artifact").length,
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
    const parentNode = parent === null ? undefined : byId.get(parent);
    const offsetY = parentNode === undefined ? 0 : headerOf(parentNode);
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

  const headerOf = (node: LayoutNode) => BOX_HEADER + (isBigLoop(node) ? LOOP_SUMMARY_HEIGHT : 0);

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

/** How deep a node sits: its boxes, not counting the iterations that open with their loop. */
export function depthOf(id: string, byId: ReadonlyMap<string, LayoutNode>): number {
  return boxesToOpen(id, byId).filter((box) => byId.get(box)?.kind !== "iteration").length;
}

/** The deepest level of tasks (1: the top level only). */
export function maxDepth(nodes: readonly LayoutNode[]): number {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  return nodes.reduce((deepest, node) => Math.max(deepest, depthOf(node.id, byId) + 1), 1);
}

/** Open the boxes so that `depth` levels show (1: the top level only). A big loop's
 * iterations stay picks. */
export function expandToDepth(nodes: readonly LayoutNode[], depth: number): Expansion {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  return new Set(
    nodes.filter((node) => isBox(node) && node.kind !== "iteration" && depthOf(node.id, byId) + 1 < depth).map((node) => node.id),
  );
}

/** The nodes whose name or path holds `query` (any case): names that start with it first. */
export function findNodes(nodes: readonly LayoutNode[], query: string, limit = 30): LayoutNode[] {
  const wanted = query.trim().toLowerCase();
  if (wanted === "") return [];
  const hits = nodes.filter((node) => node.display_name.toLowerCase().includes(wanted) || node.id.toLowerCase().includes(wanted));
  const rank = (node: LayoutNode) => (node.display_name.toLowerCase().startsWith(wanted) ? 0 : node.display_name.toLowerCase().includes(wanted) ? 1 : 2);
  return hits.sort((a, b) => rank(a) - rank(b) || a.id.length - b.id.length || a.id.localeCompare(b.id)).slice(0, limit);
}
