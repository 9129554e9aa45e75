// Reading the curves of a classification artifact. KFP's `log_roc_curve` writes
// `confidenceMetrics` as {confidenceThreshold, falsePositiveRate, recall}; Vertex's
// evaluation (`google.ClassificationMetrics` from Google Cloud Pipeline Components, the
// ClassificationEvaluationMetrics schema) writes the same list with `precision` too (and
// f1Score, counts...), so one list gives a ROC curve (fpr, recall) and a precision-recall
// curve (recall, precision) whenever its points carry those fields.
import { curvePoints, type CurvePoint } from "./logic";

/** One point of a precision-recall curve. */
export interface PrPoint {
  threshold: number;
  recall: number;
  precision: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * The object holding `confidenceMetrics` (and `confusionMatrix`): the metadata itself, or
 * the evaluation metrics nested under `metrics` or `evaluationMetrics` (a ModelEvaluation
 * resource as the Vertex API returns it).
 */
export function classificationMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(metadata.confidenceMetrics) || isRecord(metadata.confusionMatrix)) return metadata;
  for (const key of ["metrics", "evaluationMetrics"]) {
    const nested = metadata[key];
    if (isRecord(nested) && (Array.isArray(nested.confidenceMetrics) || isRecord(nested.confusionMatrix))) return nested;
  }
  return metadata;
}

/** The precision-recall points (those with both), by rising recall then falling precision. */
export function prPoints(metadata: Record<string, unknown>): PrPoint[] {
  const metrics = classificationMetadata(metadata).confidenceMetrics;
  if (!Array.isArray(metrics)) return [];
  const points: PrPoint[] = [];
  for (const item of metrics) {
    if (!isRecord(item)) continue;
    const recall = num(item.recall);
    const precision = num(item.precision);
    if (recall === null || precision === null) continue;
    points.push({ threshold: num(item.confidenceThreshold) ?? 0, recall, precision });
  }
  return points.sort((a, b) => a.recall - b.recall || b.precision - a.precision);
}

/** The ROC points (those with a false positive rate and a recall), by rising FPR. */
export function rocPoints(metadata: Record<string, unknown>): CurvePoint[] {
  return curvePoints(classificationMetadata(metadata));
}

/** Whether an artifact of any type carries a curve to draw (so it gets the classification viewer). */
export function hasCurves(metadata: Record<string, unknown>): boolean {
  return rocPoints(metadata).length > 0 || prPoints(metadata).length > 0;
}
