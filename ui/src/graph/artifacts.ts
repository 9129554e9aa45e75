// The run graph's artifact nodes (the toolbar's Artifacts toggle, `artifacts=1` in the
// URL): each task's output artifacts become nodes in the producer's box, and the data
// edges that carried them go through them: producer → artifact (the output's name) →
// each reader (the input's name). Parameters stay on the task → task edge; an edge that
// carried only artifacts goes. Pure (no React): unit-tested in artifacts.test.ts.
import type { GraphArtifact, GraphEdge, GraphNode } from "../api/client";
import type { LayoutNode } from "./layout";

/** How an artifact node is drawn: a colour class and a glyph per artifact type. */
export interface ArtifactLook {
  kind: "dataset" | "model" | "metrics" | "report" | "other";
  icon: string;
}

const LOOKS: [RegExp, ArtifactLook][] = [
  [/Dataset$/, { kind: "dataset", icon: "▤" }],
  [/Model$/, { kind: "model", icon: "◆" }],
  [/Metrics$/, { kind: "metrics", icon: "▲" }],
  [/(HTML|Markdown)$/, { kind: "report", icon: "¶" }],
];

/** The look of an artifact type (`system.Model`, `google.VertexDataset`...). */
export function artifactLook(schemaTitle: string): ArtifactLook {
  return LOOKS.find(([pattern]) => pattern.test(schemaTitle))?.[1] ?? { kind: "other", icon: "●" };
}

/** Whether an artifact node stands for a list of artifacts (a `dsl.Collected` fan-in, a
 * nested pipeline returning `List[Dataset]`): declared so, or holding more than one. */
export function isArtifactList(artifact: GraphArtifact): boolean {
  return artifact.is_list || artifact.items.length > 1;
}

/** An artifact node's second line: its type, how many items a list holds, and "pending"
 * until its producer writes it. */
export function artifactCaption(artifact: GraphArtifact): string {
  const parts = [artifact.schema_title.replace(/^system\./, "")];
  const count = artifact.items.length;
  if (isArtifactList(artifact)) parts.push(count === 0 ? "list" : `${count} ${count === 1 ? "item" : "items"}`);
  if (artifact.artifact_id === null) parts.push("pending");
  return parts.join(" · ");
}

/** Whether a layout node is an artifact (not a task or a box). */
export function isArtifact(node: LayoutNode | undefined): boolean {
  return node?.kind === "artifact";
}

/** An artifact as a node of the layout: in its producer's box, with no state of its own. */
export function artifactNode(artifact: GraphArtifact): LayoutNode {
  return {
    id: artifact.id,
    task_id: null,
    name: artifact.output_key,
    display_name: artifact.name ?? artifact.output_key,
    kind: "artifact",
    parent: artifact.parent,
    iteration_index: null,
    state: null,
    attempts: 0,
    cached_from_task_id: null,
    component: artifact.schema_title,
    started_at: null,
    finished_at: null,
    error: null,
    iterations: null,
    iteration_total: null,
    created_at: null,
    attempt_spans: [],
    artifact,
  };
}

/** The graph to lay out: the tasks with their artifacts (none: the graph as it is). */
export function withArtifacts(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  artifacts: readonly GraphArtifact[] = [],
): { nodes: LayoutNode[]; edges: GraphEdge[] } {
  if (artifacts.length === 0) return { nodes: [...nodes], edges: [...edges] };
  const ids = new Set(nodes.map((node) => node.id));
  const shown = artifacts.filter((artifact) => ids.has(artifact.producer));
  // The inputs each (producer, reader) pair passes as artifacts: they leave the task edge.
  const viaArtifact = new Map<string, Set<string>>();
  for (const artifact of shown) {
    for (const use of artifact.consumers) {
      const key = `${artifact.producer}\n${use.task}`;
      const names = viaArtifact.get(key) ?? new Set<string>();
      names.add(use.input);
      viaArtifact.set(key, names);
    }
  }
  const taskEdges: GraphEdge[] = [];
  for (const edge of edges) {
    const moved = viaArtifact.get(`${edge.source}\n${edge.target}`);
    if (!moved || edge.kind !== "data") {
      taskEdges.push(edge);
      continue;
    }
    const names = edge.names.filter((name) => !moved.has(name));
    if (names.length > 0) taskEdges.push({ ...edge, names });
  }
  const artifactEdges: GraphEdge[] = [];
  for (const artifact of shown) {
    artifactEdges.push({ source: artifact.producer, target: artifact.id, kind: "data", names: [artifact.output_key] });
    for (const use of artifact.consumers) {
      if (ids.has(use.task)) artifactEdges.push({ source: artifact.id, target: use.task, kind: "data", names: [use.input] });
    }
  }
  return { nodes: [...nodes, ...shown.map(artifactNode)], edges: [...taskEdges, ...artifactEdges] };
}

/** The URL's `artifacts` value: on only when it says so (off by default: big graphs stay light). */
export function parseArtifacts(value: string | null): boolean {
  return value === "1";
}
