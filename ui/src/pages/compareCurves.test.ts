import { describe, expect, it } from "vitest";
import { prPoints, rocPoints } from "../viewers/curves";
import { byKey, curveGroups, type KeyedArtifact } from "./compareCurves";

const vertex = {
  confidenceMetrics: [
    { confidenceThreshold: 1.0, recall: 0.0, precision: 1.0, falsePositiveRate: 0.0 },
    { confidenceThreshold: 0.5, recall: 0.8, precision: 0.85, falsePositiveRate: 0.15 },
  ],
};
// KFP's log_roc_curve: no precision.
const kfp = { confidenceMetrics: [{ confidenceThreshold: 1.0, recall: 0.0, falsePositiveRate: 0.0 }, { confidenceThreshold: 0.4, recall: 0.9, falsePositiveRate: 0.5 }] };

const artifacts: KeyedArtifact[] = [
  { key: "eval.metrics", run_id: "a", schema_title: "google.ClassificationMetrics", metadata: vertex },
  { key: "train.classes", run_id: "a", schema_title: "system.ClassificationMetrics", metadata: kfp },
  { key: "report.page", run_id: "a", schema_title: "system.HTML", metadata: {} },
  { key: "eval.metrics", run_id: "b", schema_title: "google.ClassificationMetrics", metadata: vertex },
  { key: "train.classes", run_id: "b", schema_title: "system.ClassificationMetrics", metadata: {} },
];
const names = new Map([["a", "run A"]]);

describe("byKey", () => {
  it("groups the chosen types by key, in first order", () => {
    const groups = byKey(artifacts, ["google.ClassificationMetrics", "system.ClassificationMetrics"]);
    expect(groups.map(([key, group]) => [key, group.map((a) => a.run_id)])).toEqual([
      ["eval.metrics", ["a", "b"]],
      ["train.classes", ["a", "b"]],
    ]);
    expect(byKey(artifacts, ["system.HTML"]).map(([key]) => key)).toEqual(["report.page"]);
  });
});

describe("curveGroups", () => {
  it("overlays every run's ROC curve of both classification types, named by run", () => {
    const roc = curveGroups(artifacts, names, rocPoints);
    expect(roc.map(([key, curves]) => [key, curves.map((c) => c.label)])).toEqual([
      ["eval.metrics", ["run A", "b"]],
      ["train.classes", ["run A"]], // run b logged no curve there
    ]);
    expect(roc[0]?.[1][0]?.points.map((p) => p.fpr)).toEqual([0, 0.15]);
  });
  it("has a PR curve only where the points carry precision (Vertex's, not KFP's)", () => {
    const pr = curveGroups(artifacts, names, prPoints);
    expect(pr.map(([key]) => key)).toEqual(["eval.metrics"]);
    expect(pr[0]?.[1][1]?.points).toEqual([
      { threshold: 1, recall: 0, precision: 1 },
      { threshold: 0.5, recall: 0.8, precision: 0.85 },
    ]);
  });
  it("is empty when no run logged a curve", () => {
    expect(curveGroups(artifacts.slice(2, 3), names, rocPoints)).toEqual([]);
  });
});
