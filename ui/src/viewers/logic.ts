// Pure logic of the artifact viewers and the Compare page: reading KFP's metrics metadata,
// sorting, picking the best value, deltas against a baseline, heatmap shades.

/** A confusion matrix: class labels and rows[actual][predicted] counts. */
export interface ConfusionMatrix {
  labels: string[];
  rows: number[][];
}

/** One point of a ROC (or PR) curve. */
export interface CurvePoint {
  threshold: number;
  fpr: number;
  tpr: number;
  precision: number | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The confusion matrix KFP's `log_confusion_matrix` (or a Vertex evaluation) wrote into an artifact's metadata. */
export function confusionMatrix(metadata: Record<string, unknown>): ConfusionMatrix | null {
  const matrix = metadata.confusionMatrix;
  if (!isRecord(matrix) || !Array.isArray(matrix.annotationSpecs) || !Array.isArray(matrix.rows)) return null;
  const labels = matrix.annotationSpecs.map((spec, i) => (isRecord(spec) && typeof spec.displayName === "string" ? spec.displayName : String(i)));
  // KFP writes a row as {row: [...]}; Vertex's ConfusionMatrix schema as a bare list.
  const cells = (row: unknown): unknown[] => (Array.isArray(row) ? row : isRecord(row) && Array.isArray(row.row) ? row.row : []);
  const rows = matrix.rows.map((row) => cells(row).map((cell) => num(cell) ?? 0));
  return { labels, rows };
}

/** The curve points KFP's `log_roc_curve` wrote (`confidenceMetrics`), by rising FPR. */
export function curvePoints(metadata: Record<string, unknown>): CurvePoint[] {
  const metrics = metadata.confidenceMetrics;
  if (!Array.isArray(metrics)) return [];
  const points: CurvePoint[] = [];
  for (const item of metrics) {
    if (!isRecord(item)) continue;
    const fpr = num(item.falsePositiveRate);
    const tpr = num(item.recall);
    if (fpr === null || tpr === null) continue;
    points.push({ threshold: num(item.confidenceThreshold) ?? 0, fpr, tpr, precision: num(item.precision) });
  }
  return points.sort((a, b) => a.fpr - b.fpr || a.tpr - b.tpr);
}

/** The scalar metrics of a `system.Metrics` artifact (everything numeric in its metadata). */
export function scalarMetrics(metadata: Record<string, unknown>): [string, number][] {
  return Object.entries(metadata).flatMap(([name, value]): [string, number][] => {
    const n = num(value);
    return n === null ? [] : [[name, n]];
  });
}

export type SortKey = "name" | "value";

/** Metric rows sorted by name or value, ascending or not (stable, names break ties). */
export function sortMetrics(rows: [string, number][], key: SortKey, ascending: boolean): [string, number][] {
  const sign = ascending ? 1 : -1;
  return [...rows].sort((a, b) => {
    const byKey = key === "name" ? a[0].localeCompare(b[0]) : a[1] - b[1];
    return sign * byKey || a[0].localeCompare(b[0]);
  });
}

const LOWER_IS_BETTER = /(loss|error|err$|mse|rmse|mae|mape|perplexity|latency|duration|time|fpr|false)/i;

/** Whether a smaller value of the metric `name` is the better one (loss, error, ...). */
export function lowerIsBetter(name: string): boolean {
  return LOWER_IS_BETTER.test(name.split(".").pop() ?? name);
}

/** The indexes of the best numeric values (all ties), or none when fewer than 2 differ. */
export function bestIndexes(name: string, values: unknown[]): number[] {
  const numbers = values.map(num);
  const present = numbers.filter((n): n is number => n !== null);
  if (present.length < 2 || new Set(present).size < 2) return [];
  const best = lowerIsBetter(name) ? Math.min(...present) : Math.max(...present);
  return numbers.flatMap((n, i) => (n === best ? [i] : []));
}

/** `value - baseline` as a signed text ("+0.02", "-1", "±0"), or "" when not both numbers. */
export function delta(value: unknown, baseline: unknown): string {
  const a = num(value);
  const b = num(baseline);
  if (a === null || b === null) return "";
  const d = a - b;
  if (d === 0) return "±0";
  return `${d > 0 ? "+" : "−"}${formatNumber(Math.abs(d))}`;
}

/** A number with at most 4 decimals, no trailing zeros. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(4)));
}

/** How strong a heatmap cell is: its share of its row's largest count (0..1). */
export function shade(rows: number[][], row: number, column: number): number {
  const max = Math.max(0, ...(rows[row] ?? []));
  const value = rows[row]?.[column] ?? 0;
  return max > 0 ? value / max : 0;
}

/** A list of run ids from the `runs` URL parameter: trimmed, no blanks or repeats. */
export function parseRunIds(text: string | null): string[] {
  const seen: string[] = [];
  for (const part of (text ?? "").split(",")) {
    const id = part.trim();
    if (id && !seen.includes(id)) seen.push(id);
  }
  return seen;
}

/** One axis of a parallel-coordinates chart: a metric and the range of its values. */
export interface Axis {
  name: string;
  min: number;
  max: number;
}

/**
 * Parallel coordinates of the runs over the metrics that differ: each run's value on each
 * axis scaled to 0..1 (null where the run lacks it; 0.5 when an axis has one value).
 * At most `limit` axes, in the rows' order.
 */
export function parallelCoordinates(rows: { name: string; values: unknown[]; differs: boolean }[], limit = 12): { axes: Axis[]; lines: (number | null)[][] } {
  const axes: Axis[] = [];
  const columns: (number | null)[][] = [];
  for (const row of rows) {
    if (axes.length === limit) break;
    const values = row.values.map(num);
    const present = values.filter((v): v is number => v !== null);
    if (!row.differs || present.length < 2) continue;
    const min = Math.min(...present);
    const max = Math.max(...present);
    axes.push({ name: row.name, min, max });
    columns.push(values.map((v) => (v === null ? null : max === min ? 0.5 : (v - min) / (max - min))));
  }
  const runs = rows[0]?.values.length ?? 0;
  const lines = Array.from({ length: runs }, (_, r) => columns.map((column) => column[r] ?? null));
  return { axes, lines };
}
