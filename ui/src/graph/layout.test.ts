import { describe, expect, it } from "vitest";
import type { GraphEdge, GraphNode } from "../api/client";
import {
  ancestors,
  BIG_LOOP,
  boxesToOpen,
  expandToDepth,
  findNodes,
  maxDepth,
  formatExpansion,
  isBigLoop,
  iterationId,
  layoutGraph,
  LOOP_SUMMARY_HEIGHT,
  loopSummary,
  parseExpansion,
  pickIteration,
  toggleBox,
} from "./layout";
import { graphNode } from "./testNodes";

const node = graphNode;

const nodes: GraphNode[] = [
  node("a", "container"),
  node("loop", "loop"),
  node("loop[0]", "iteration", "loop"),
  node("loop[0]/x", "container", "loop[0]"),
  node("loop[0]/y", "container", "loop[0]"),
  node("loop[1]", "iteration", "loop"),
  node("loop[1]/x", "container", "loop[1]"),
  node("loop[1]/y", "container", "loop[1]"),
  node("b", "container"),
];
const edges: GraphEdge[] = [
  { source: "a", target: "loop", kind: "control", names: [] },
  { source: "loop", target: "b", kind: "data", names: ["v"] },
  { source: "loop[0]/x", target: "loop[0]/y", kind: "data", names: ["x"] },
  { source: "loop[1]/x", target: "loop[1]/y", kind: "data", names: ["x"] },
];

describe("layoutGraph", () => {
  it("shows only the top level when nothing is expanded", () => {
    const layout = layoutGraph(nodes, edges, new Set());
    expect(layout.nodes.map((placed) => placed.node.id)).toEqual(["a", "loop", "b"]);
    expect(layout.edges).toHaveLength(2);
    const [a, loop, b] = layout.nodes;
    // Top to bottom in dependency order.
    expect(a!.y).toBeLessThan(loop!.y);
    expect(loop!.y).toBeLessThan(b!.y);
  });

  it("opens a loop in place with its iterations, parents before children", () => {
    const layout = layoutGraph(nodes, edges, new Set(["loop"]));
    const ids = layout.nodes.map((placed) => placed.node.id);
    expect(ids).toEqual(["a", "loop", "loop[0]", "loop[0]/x", "loop[0]/y", "loop[1]", "loop[1]/x", "loop[1]/y", "b"]);
    const loop = layout.nodes.find((placed) => placed.node.id === "loop")!;
    const iteration = layout.nodes.find((placed) => placed.node.id === "loop[0]")!;
    expect(loop.expanded).toBe(true);
    // The box holds its children: they fit inside it (positions are relative to it).
    expect(iteration.x + iteration.width).toBeLessThanOrEqual(loop.width);
    expect(iteration.y + iteration.height).toBeLessThanOrEqual(loop.height);
    expect(layout.edges).toHaveLength(4);
  });

  it("expands everything with 'all' and nothing overlaps in a level", () => {
    const layout = layoutGraph(nodes, edges, "all");
    expect(layout.nodes).toHaveLength(nodes.length);
    const [first, second] = layout.nodes.filter((placed) => placed.node.parent === "loop");
    const apart =
      first!.x + first!.width <= second!.x ||
      second!.x + second!.width <= first!.x ||
      first!.y + first!.height <= second!.y ||
      second!.y + second!.height <= first!.y;
    expect(apart).toBe(true);
  });
});

describe("expansion state", () => {
  it("round-trips through the URL and toggles boxes", () => {
    expect(parseExpansion("all")).toBe("all");
    expect(formatExpansion(parseExpansion("b,a"))).toBe("a,b");
    expect(formatExpansion(parseExpansion(null))).toBe("");
    const opened = toggleBox(new Set(), "loop", nodes);
    expect(formatExpansion(opened)).toBe("loop");
    expect(formatExpansion(toggleBox(opened, "loop", nodes))).toBe("");
    // Closing one box under "all" keeps the others open.
    expect(formatExpansion(toggleBox("all", "loop", nodes))).toBe("loop[0],loop[1]");
  });

  it("finds the boxes a deep-linked task is in", () => {
    const byId = new Map(nodes.map((item) => [item.id, item]));
    expect(ancestors("loop[1]/y", byId)).toEqual(["loop[1]", "loop"]);
    expect(ancestors("a", byId)).toEqual([]);
  });
});

/** A loop of `width` iterations, each holding one task; iteration 3 and 7 failed. */
function wide(width: number): GraphNode[] {
  const out: GraphNode[] = [{ ...node("big", "loop"), iterations: width, iteration_total: width }];
  for (let i = 0; i < width; i++) {
    const state = i === 3 || i === 7 ? "FAILED" : i === width - 1 ? "RUNNING" : "SUCCEEDED";
    out.push({ ...node(iterationId("big", i), "iteration", "big"), iteration_index: i, state });
    out.push({ ...node(`big[${i}]/t`, "container", `big[${i}]`), state });
  }
  return out;
}

describe("big loops", () => {
  const big = wide(500);
  const byId = new Map(big.map((item) => [item.id, item]));

  it("are the loops over BIG_LOOP iterations, started or to come", () => {
    expect(isBigLoop(big[0])).toBe(true);
    expect(isBigLoop({ ...node("l", "loop"), iterations: BIG_LOOP, iteration_total: BIG_LOOP })).toBe(false);
    expect(isBigLoop({ ...node("l", "loop"), iterations: 1, iteration_total: BIG_LOOP + 1 })).toBe(true);
  });

  it("open as a summary with no iteration box, even under 'all'", () => {
    for (const expansion of [new Set(["big"]), "all" as const]) {
      const layout = layoutGraph(big, [], expansion);
      expect(layout.nodes.map((placed) => placed.node.id)).toEqual(["big"]);
      expect(layout.nodes[0]!.expanded).toBe(true);
      expect(layout.nodes[0]!.height).toBeGreaterThanOrEqual(LOOP_SUMMARY_HEIGHT);
    }
  });

  it("show the picked iterations in place, below the summary", () => {
    const picked = pickIteration(new Set(), "big[123]", big);
    expect(formatExpansion(picked)).toBe("big,big[123]");
    const layout = layoutGraph(big, [], picked);
    expect(layout.nodes.map((placed) => placed.node.id)).toEqual(["big", "big[123]", "big[123]/t"]);
    const iteration = layout.nodes[1]!;
    expect(iteration.y).toBeGreaterThanOrEqual(LOOP_SUMMARY_HEIGHT);
    // Closing the iteration takes it out again.
    expect(formatExpansion(toggleBox(picked, "big[123]", big))).toBe("big");
    // Under "all", a pick keeps every other box open, and no other iteration.
    expect(formatExpansion(pickIteration("all", "big[5]", big))).toBe("big,big[5]");
  });

  it("show the iteration a selected task is in (pinned)", () => {
    const layout = layoutGraph(big, [], "all", new Set(["big[9]", "big"]));
    expect(layout.nodes.map((placed) => placed.node.id)).toEqual(["big", "big[9]", "big[9]/t"]);
  });

  it("need their iteration opened by a deep link; small loops' iterations open with the loop", () => {
    expect(boxesToOpen("big[9]/t", byId)).toEqual(["big[9]", "big"]);
    expect(boxesToOpen("loop[1]/x", new Map(nodes.map((item) => [item.id, item])))).toEqual(["loop"]);
  });

  it("summarise progress, counts by state (failed first) and the failed indexes", () => {
    const summary = loopSummary(big[0]!, big);
    expect(summary).toEqual({
      finished: 499,
      total: 500,
      counts: [
        ["FAILED", 2],
        ["RUNNING", 1],
        ["SUCCEEDED", 497],
      ],
      failed: [3, 7],
    });
    // Iterations not started yet still count in the total.
    expect(loopSummary({ ...big[0]!, iteration_total: 600 }, big).total).toBe(600);
  });
});

describe("depth and the node finder", () => {
  // loop[0]/x is a nested pipeline holding one task.
  const nested: GraphNode[] = [
    ...nodes.map((item) => (item.id === "loop[0]/x" ? node("loop[0]/x", "dag", "loop[0]") : item)),
    node("loop[0]/x/deep", "container", "loop[0]/x"),
  ];

  it("counts levels without the iterations that open with their loop", () => {
    expect(maxDepth(nodes)).toBe(2); // a, loop, b; then x and y in the iterations
    expect(maxDepth([node("a", "container")])).toBe(1);
  });

  it("opens the boxes above the chosen depth", () => {
    expect(formatExpansion(expandToDepth(nodes, 1))).toBe("");
    expect(formatExpansion(expandToDepth(nodes, 2))).toBe("loop");
    expect(formatExpansion(expandToDepth(nested, 3))).toBe("loop,loop[0]/x");
    expect(maxDepth(nested)).toBe(3);
  });

  it("finds nodes by name or path, names that start with the text first", () => {
    const found = findNodes([...nodes, { ...node("z", "container"), display_name: "x-ray" }], "x");
    expect(found.map((item) => item.id)).toEqual(["z", "loop[0]/x", "loop[1]/x"]);
    expect(findNodes(nodes, "LOOP[1]").map((item) => item.id)).toEqual(["loop[1]", "loop[1]/x", "loop[1]/y"]);
    expect(findNodes(nodes, "  ")).toEqual([]);
  });
});
