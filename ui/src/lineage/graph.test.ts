import { describe, expect, it } from "vitest";
import type { ArtifactView, EventView, ExecutionView } from "../pages/metadataApi";
import { formatExpansions, layout, merge, parseDirection, parseExpansions, shortDirection } from "./graph";

function artifact(id: number, name: string, schema_title = "system.Dataset"): ArtifactView {
  return {
    id, name, display_name: name, uri: `/tmp/${name}`, schema_title, schema_version: "0.0.1", metadata: {}, state: "LIVE",
    description: null, run_id: "r", producer_task_id: null, digest: null, created_at: null, updated_at: null,
  };
}

function execution(id: number, task: string, state = "COMPLETE"): ExecutionView {
  return {
    id, schema_title: "system.ContainerExecution", component: `comp-${task}`, state, attempt: 1, run_id: "r", task_id: "t",
    task_path: task, exit_code: 0, error: null, fingerprint: null, cached_execution_id: null, input_parameters: {},
    output_parameters: {}, started_at: null, finished_at: null,
  };
}

function event(type: "INPUT" | "OUTPUT", artifact_id: number, execution_id: number, name: string): EventView {
  return { type, artifact_id, execution_id, name, position: 0 };
}

describe("lineage graph", () => {
  const up = {
    artifacts: [artifact(2, "model", "system.Model"), artifact(1, "train_data")],
    executions: [execution(10, "train")],
    events: [event("OUTPUT", 2, 10, "model"), event("INPUT", 1, 10, "train_data")],
  };
  const down = { artifacts: [artifact(2, "model", "system.Model")], executions: [execution(11, "evaluate")], events: [event("INPUT", 2, 11, "model")] };

  it("merges expansions without duplicates", () => {
    const merged = merge(up, down, up);
    expect(merged.artifacts.map((a) => a.id)).toEqual([1, 2]);
    expect(merged.executions.map((e) => e.id)).toEqual([10, 11]);
    expect(merged.events).toHaveLength(3);
  });

  it("draws data flow left to right with labelled edges", () => {
    const { nodes, edges } = layout(merge(up, down));
    const x = Object.fromEntries(nodes.map((n) => [n.key, n.x]));
    expect(x.a1! < x.e10! && x.e10! < x.a2! && x.a2! < x.e11!).toBe(true);
    expect(edges.map((e) => [e.source, e.target, e.label])).toContainEqual(["e10", "a2", "OUTPUT model"]);
    expect(nodes.find((n) => n.key === "a2")?.className).toContain("type-model");
    expect(nodes.find((n) => n.key === "e10")?.className).toContain("state-complete");
  });

  it("drops edges to nodes cut off by the hop limit", () => {
    const { edges } = layout({ artifacts: [artifact(2, "model")], executions: [], events: [event("OUTPUT", 2, 10, "model")] });
    expect(edges).toEqual([]);
  });

  it("maps the URL's dir", () => {
    expect(parseDirection("up")).toBe("upstream");
    expect(parseDirection(null)).toBe("both");
    expect(shortDirection("downstream")).toBe("down");
  });
});

describe("expansions in the URL", () => {
  it("reads up and down hops from node keys, skipping bad parts", () => {
    expect(parseExpansions("a12:up,e5:down,x1:up,a3:sideways,")).toEqual([
      { key: "a12", side: "upstream" },
      { key: "e5", side: "downstream" },
    ]);
    expect(parseExpansions(null)).toEqual([]);
  });
  it("writes each once, in order", () => {
    const twice = [
      { key: "a12", side: "upstream" as const },
      { key: "e5", side: "downstream" as const },
      { key: "a12", side: "upstream" as const },
    ];
    expect(formatExpansions(twice)).toBe("a12:up,e5:down");
    expect(parseExpansions(formatExpansions(twice))).toEqual(twice.slice(0, 2));
  });
});
