import { describe, expect, it } from "vitest";
import type { GraphArtifact, GraphEdge, GraphNode } from "../api/client";
import { artifactCaption, artifactLook, isArtifactList, parseArtifacts, withArtifacts } from "./artifacts";
import { ARTIFACT_HEIGHT, ARTIFACT_WIDTH, boxesToOpen, findNodes, layoutGraph } from "./layout";
import { graphNode } from "./testNodes";

const node = (id: string, kind: GraphNode["kind"], parent: string | null = null): GraphNode => graphNode(id, kind, parent, 1);

function artifact(producer: string, key: string, parent: string | null, consumers: [string, string][], id: number | null = 1): GraphArtifact {
  return {
    id: `${producer}.${key}`,
    producer,
    output_key: key,
    parent,
    schema_title: key === "model" ? "system.Model" : "system.Dataset",
    is_list: false,
    artifact_id: id,
    name: id === null ? null : key,
    uri: id === null ? null : `/tmp/${key}`,
    items: id === null ? [] : [{ artifact_id: id, name: key, uri: `/tmp/${key}` }],
    consumers: consumers.map(([task, input]) => ({ task, input })),
  };
}

// prep → fit (data as an artifact, n as a parameter) → score (model); the same pair in a loop.
const nodes: GraphNode[] = [
  node("prep", "container"),
  node("fit", "container"),
  node("score", "container"),
  node("loop", "loop"),
  node("loop[0]", "iteration", "loop"),
  node("loop[0]/prep", "container", "loop[0]"),
  node("loop[0]/fit", "container", "loop[0]"),
];
const edges: GraphEdge[] = [
  { source: "prep", target: "fit", kind: "data", names: ["data", "n"] },
  { source: "fit", target: "score", kind: "data", names: ["model"] },
  { source: "score", target: "loop", kind: "control", names: [] },
  { source: "loop[0]/prep", target: "loop[0]/fit", kind: "data", names: ["data"] },
];
const artifacts: GraphArtifact[] = [
  artifact("prep", "data", null, [["fit", "data"]]),
  artifact("fit", "model", null, [["score", "model"]], null),
  artifact("loop[0]/prep", "data", "loop[0]", [["loop[0]/fit", "data"]]),
];

const pairs = (list: GraphEdge[]) => list.map((edge) => `${edge.source}>${edge.target}:${edge.names.join(",")}`).sort();

describe("withArtifacts", () => {
  it("leaves the graph as it is without artifacts", () => {
    const drawn = withArtifacts(nodes, edges, []);
    expect(drawn.nodes).toHaveLength(nodes.length);
    expect(pairs(drawn.edges)).toEqual(pairs(edges));
  });

  it("routes artifact inputs through artifact nodes and keeps parameters on the task edge", () => {
    const drawn = withArtifacts(nodes, edges, artifacts);
    expect(drawn.nodes.filter((item) => item.kind === "artifact").map((item) => item.id)).toEqual(["prep.data", "fit.model", "loop[0]/prep.data"]);
    expect(pairs(drawn.edges)).toEqual(
      [
        "prep>fit:n", // the parameter stays
        "score>loop:", // ordering only, untouched
        "prep>prep.data:data",
        "prep.data>fit:data",
        "fit>fit.model:model",
        "fit.model>score:model",
        "loop[0]/prep>loop[0]/prep.data:data",
        "loop[0]/prep.data>loop[0]/fit:data",
      ].sort(),
    );
  });

  it("puts an artifact in its producer's box, so it opens and closes with it", () => {
    const drawn = withArtifacts(nodes, edges, artifacts);
    const byId = new Map(drawn.nodes.map((item) => [item.id, item]));
    expect(boxesToOpen("loop[0]/prep.data", byId)).toEqual(["loop"]);
    const closed = layoutGraph(drawn.nodes, drawn.edges, new Set());
    expect(closed.nodes.map((placed) => placed.node.id)).not.toContain("loop[0]/prep.data");
    const open = layoutGraph(drawn.nodes, drawn.edges, "all");
    const inner = open.nodes.find((placed) => placed.node.id === "loop[0]/prep.data");
    expect(inner?.node.parent).toBe("loop[0]");
    expect([inner?.width, inner?.height]).toEqual([ARTIFACT_WIDTH, ARTIFACT_HEIGHT]);
    // The box still says it holds two tasks.
    expect(open.nodes.find((placed) => placed.node.id === "loop[0]")?.childCount).toBe(2);
    // Laid out between its producer and its reader (top to bottom).
    const y = (id: string) => open.nodes.find((placed) => placed.node.id === id)?.y ?? NaN;
    expect(y("prep")).toBeLessThan(y("prep.data"));
    expect(y("prep.data")).toBeLessThan(y("fit"));
    expect(open.edges.some((edge) => edge.source === "prep.data" && edge.target === "fit")).toBe(true);
  });

  it("shows a placeholder by its output's name until it is written; the finder finds it", () => {
    const drawn = withArtifacts(nodes, edges, artifacts);
    const model = drawn.nodes.find((item) => item.id === "fit.model");
    expect(model?.display_name).toBe("model");
    expect(model?.artifact?.artifact_id).toBeNull();
    expect(findNodes(drawn.nodes, "prep.da").map((item) => item.id)).toEqual(["prep.data", "loop[0]/prep.data"]);
  });

  it("skips an artifact whose producer the graph does not have", () => {
    const drawn = withArtifacts(nodes, edges, [artifact("gone", "data", null, [["fit", "data"]])]);
    expect(drawn.nodes.some((item) => item.kind === "artifact")).toBe(false);
  });
});

describe("artifact looks and the URL", () => {
  it("colours by type", () => {
    expect(artifactLook("system.Dataset").kind).toBe("dataset");
    expect(artifactLook("google.VertexModel").kind).toBe("model");
    expect(artifactLook("system.ClassificationMetrics").kind).toBe("metrics");
    expect(artifactLook("system.HTML").kind).toBe("report");
    expect(artifactLook("system.Artifact").kind).toBe("other");
  });

  it("is off unless the URL says artifacts=1", () => {
    expect(parseArtifacts(null)).toBe(false);
    expect(parseArtifacts("0")).toBe(false);
    expect(parseArtifacts("1")).toBe(true);
  });
});

describe("a list of artifacts", () => {
  const items = [0, 1, 2].map((i) => ({ artifact_id: 10 + i, name: "data", uri: `/tmp/loop-${i}/data` }));
  const list: GraphArtifact = { ...artifact("loop", "data", null, []), is_list: true, artifact_id: 10, items };

  it("says how many items it holds", () => {
    expect(isArtifactList(list)).toBe(true);
    expect(artifactCaption(list)).toBe("Dataset · 3 items");
    expect(artifactCaption({ ...list, items: items.slice(0, 1) })).toBe("Dataset · 1 item");
  });

  it("is a list before it is written, and one that holds several artifacts is one too", () => {
    expect(artifactCaption({ ...list, artifact_id: null, name: null, uri: null, items: [] })).toBe("Dataset · list · pending");
    expect(isArtifactList({ ...list, is_list: false })).toBe(true);
  });

  it("leaves a single artifact as it was", () => {
    const single = artifact("fit", "model", null, []);
    expect(isArtifactList(single)).toBe(false);
    expect(artifactCaption(single)).toBe("Model");
    expect(artifactCaption(artifact("fit", "model", null, [], null))).toBe("Model · pending");
  });
});
