// Pure logic of the Compare page's curves and matrices: the compared runs' artifacts lined
// up by key (`<task path>.<output>`), and per key each run's curve of one kind.

/** KFP's classification type and Vertex's (GCPC's evaluation): curves and a matrix. */
export const CLASSIFICATION = ["system.ClassificationMetrics", "google.ClassificationMetrics"];

/** What the grouping needs of a compared artifact. */
export interface KeyedArtifact {
  key: string;
  run_id: string;
  schema_title: string;
  metadata: Record<string, unknown>;
}

/** One run's curve (its label is the run's name). */
export interface RunCurve<P> {
  label: string;
  points: P[];
}

/** The artifacts of these schema titles, grouped by key, keys and runs in their first order. */
export function byKey<A extends KeyedArtifact>(artifacts: readonly A[], titles: readonly string[]): [string, A[]][] {
  const groups = new Map<string, A[]>();
  for (const artifact of artifacts) {
    if (!titles.includes(artifact.schema_title)) continue;
    groups.set(artifact.key, [...(groups.get(artifact.key) ?? []), artifact]);
  }
  return [...groups.entries()];
}

/**
 * Per classification output, each run's curve of one kind (`points` reads it from the
 * metadata), labelled with the run's name (its id when unnamed); runs without such a curve
 * are left out, and outputs where no run has one.
 */
export function curveGroups<P>(
  artifacts: readonly KeyedArtifact[],
  names: ReadonlyMap<string, string>,
  points: (metadata: Record<string, unknown>) => P[],
): [string, RunCurve<P>[]][] {
  return byKey(artifacts, CLASSIFICATION)
    .map(([key, group]): [string, RunCurve<P>[]] => [key, group.map((a) => ({ label: names.get(a.run_id) ?? a.run_id, points: points(a.metadata) })).filter((c) => c.points.length > 0)])
    .filter(([, curves]) => curves.length > 0);
}
