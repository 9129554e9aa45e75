import { describe, expect, it } from "vitest";
import { bestIndexes, confusionMatrix, curvePoints, delta, lowerIsBetter, parallelCoordinates, parseRunIds, scalarMetrics, shade, sortMetrics } from "./logic";

const classification = {
  confusionMatrix: {
    annotationSpecs: [{ displayName: "cat" }, { displayName: "dog" }],
    rows: [{ row: [5, 1] }, { row: [2, 8] }],
  },
  confidenceMetrics: [
    { confidenceThreshold: 0.2, recall: 0.9, falsePositiveRate: 0.5 },
    { confidenceThreshold: 0.8, recall: 0.4, falsePositiveRate: 0.1 },
    { confidenceThreshold: 0.5 },
  ],
};

describe("viewer logic", () => {
  it("reads a confusion matrix", () => {
    expect(confusionMatrix(classification)).toEqual({ labels: ["cat", "dog"], rows: [[5, 1], [2, 8]] });
    expect(confusionMatrix({})).toBeNull();
  });

  it("reads curve points sorted by fpr, skipping incomplete ones", () => {
    expect(curvePoints(classification).map((p) => [p.fpr, p.tpr, p.threshold])).toEqual([
      [0.1, 0.4, 0.8],
      [0.5, 0.9, 0.2],
    ]);
  });

  it("keeps only numeric metrics and sorts them", () => {
    const rows = scalarMetrics({ b: 2, a: 3, note: "x", c: 1 });
    expect(rows).toEqual([["b", 2], ["a", 3], ["c", 1]]);
    expect(sortMetrics(rows, "name", true).map(([n]) => n)).toEqual(["a", "b", "c"]);
    expect(sortMetrics(rows, "value", false).map(([n]) => n)).toEqual(["a", "b", "c"]);
    expect(sortMetrics(rows, "value", true).map(([n]) => n)).toEqual(["c", "b", "a"]);
  });

  it("knows which way is better", () => {
    expect(lowerIsBetter("train.metrics.loss")).toBe(true);
    expect(lowerIsBetter("evaluate.accuracy")).toBe(false);
    expect(bestIndexes("acc", [0.5, 0.9, null, 0.9])).toEqual([1, 3]);
    expect(bestIndexes("val_loss", [0.5, 0.2, 0.7])).toEqual([1]);
    expect(bestIndexes("acc", [1, 1])).toEqual([]);
    expect(bestIndexes("acc", ["a", 2])).toEqual([]);
  });

  it("writes deltas with a sign", () => {
    expect(delta(0.53, 0.51)).toBe("+0.02");
    expect(delta(1, 3)).toBe("−2");
    expect(delta(2, 2)).toBe("±0");
    expect(delta("x", 1)).toBe("");
  });

  it("shades cells by their row's largest count", () => {
    expect(shade([[5, 1], [0, 0]], 0, 0)).toBe(1);
    expect(shade([[5, 1], [0, 0]], 0, 1)).toBe(0.2);
    expect(shade([[5, 1], [0, 0]], 1, 1)).toBe(0);
  });

  it("parses the runs parameter", () => {
    expect(parseRunIds(" a,b,,a , c")).toEqual(["a", "b", "c"]);
    expect(parseRunIds(null)).toEqual([]);
  });
});

describe("parallelCoordinates", () => {
  it("scales the differing numeric metrics per axis", () => {
    const rows = [
      { name: "acc", values: [0.5, 0.7, 0.9], differs: true },
      { name: "epochs", values: [3, 3, 3], differs: false },
      { name: "loss", values: [2, null, 1], differs: true },
      { name: "tag", values: ["a", "b", "c"], differs: true },
    ];
    const { axes, lines } = parallelCoordinates(rows);
    expect(axes.map((a) => [a.name, a.min, a.max])).toEqual([
      ["acc", 0.5, 0.9],
      ["loss", 1, 2],
    ]);
    expect(lines.map((line) => line.map((v) => (v === null ? null : Number(v.toFixed(2)))))).toEqual([
      [0, 1],
      [0.5, null],
      [1, 0],
    ]);
  });
});
