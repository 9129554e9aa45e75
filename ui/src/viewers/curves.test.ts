import { describe, expect, it } from "vitest";
import { classificationMetadata, hasCurves, prPoints, rocPoints } from "./curves";
import { confusionMatrix } from "./logic";

// What a Google Cloud Pipeline Components evaluation puts in a google.ClassificationMetrics
// artifact (Vertex's ClassificationEvaluationMetrics): precision per threshold too, and a
// confusion matrix whose rows are bare lists.
const vertex = {
  auPrc: 0.91,
  auRoc: 0.93,
  logLoss: 0.21,
  confidenceMetrics: [
    { confidenceThreshold: 0.5, recall: 0.8, precision: 0.85, falsePositiveRate: 0.15, f1Score: 0.82 },
    { confidenceThreshold: 0.0, recall: 1.0, precision: 0.5, falsePositiveRate: 1.0 },
    { confidenceThreshold: 1.0, recall: 0.0, precision: 1.0, falsePositiveRate: 0.0 },
    { confidenceThreshold: 0.9, recall: 0.0, precision: 0.95 },
  ],
  confusionMatrix: { annotationSpecs: [{ displayName: "spam", id: "1" }, { displayName: "ham", id: "2" }], rows: [[40, 10], [5, 45]] },
};

// KFP's log_roc_curve: no precision.
const kfp = {
  confidenceMetrics: [
    { confidenceThreshold: 0.2, recall: 0.9, falsePositiveRate: 0.5 },
    { confidenceThreshold: 0.8, recall: 0.4, falsePositiveRate: 0.1 },
  ],
};

describe("classification curves", () => {
  it("reads a precision-recall curve by rising recall, precision falling on ties", () => {
    expect(prPoints(vertex).map((p) => [p.recall, p.precision, p.threshold])).toEqual([
      [0.0, 1.0, 1.0],
      [0.0, 0.95, 0.9],
      [0.8, 0.85, 0.5],
      [1.0, 0.5, 0.0],
    ]);
  });

  it("reads the ROC curve from the same points (those with a false positive rate)", () => {
    expect(rocPoints(vertex).map((p) => [p.fpr, p.tpr, p.precision])).toEqual([
      [0.0, 0.0, 1.0],
      [0.15, 0.8, 0.85],
      [1.0, 1.0, 0.5],
    ]);
  });

  it("draws no PR curve for KFP's ROC-only metrics, and nothing from other metadata", () => {
    expect(prPoints(kfp)).toEqual([]);
    expect(rocPoints(kfp)).toHaveLength(2);
    expect(hasCurves(kfp)).toBe(true);
    expect(hasCurves({ accuracy: 0.9 })).toBe(false);
    expect(prPoints({ confidenceMetrics: "nope" })).toEqual([]);
    expect(prPoints({ confidenceMetrics: [null, 3, { recall: "1", precision: 1 }] })).toEqual([]);
  });

  it("finds the metrics nested in a ModelEvaluation and reads a bare-row confusion matrix", () => {
    const evaluation = { metricsSchemaUri: "gs://schema/classification_metrics_1.0.0.yaml", metrics: vertex };
    expect(classificationMetadata(evaluation)).toBe(vertex);
    expect(prPoints(evaluation)).toHaveLength(4);
    expect(classificationMetadata({ metrics: 1 })).toEqual({ metrics: 1 });
    expect(confusionMatrix(classificationMetadata(evaluation))).toEqual({ labels: ["spam", "ham"], rows: [[40, 10], [5, 45]] });
  });
});
