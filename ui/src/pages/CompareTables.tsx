// The Compare page's tables: parameters (differences only unless asked) and scalar metrics
// (the best value of each row marked, deltas against a chosen baseline run).
import { valueText } from "../format";
import { bestIndexes, delta, formatNumber, lowerIsBetter } from "../viewers/logic";
import { ParallelCoordinates } from "../viewers/ParallelCoordinates";
import { useDraft } from "../useDraft";
import type { Comparison } from "../viewers/RunOutputs";

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "number" ? formatNumber(value) : valueText(value);
}

export function CompareTables({
  comparison,
  tab,
  onlyDiff,
  baseline,
  onOnlyDiff,
  onBaseline,
}: {
  comparison: Comparison;
  tab: "params" | "metrics";
  onlyDiff: boolean;
  baseline: string | null;
  onOnlyDiff: (only: boolean) => void;
  onBaseline: (runId: string | null) => void;
}) {
  const runs = comparison.runs;
  const base = baseline ? runs.findIndex((run) => run.run_id === baseline) : -1;
  const all = tab === "params" ? comparison.parameters : comparison.metrics;
  const [onlyDiffDraft, setOnlyDiffDraft] = useDraft(onlyDiff);
  const rows = tab === "params" && onlyDiffDraft ? all.filter((row) => row.differs) : all;
  return (
    <div>
      <div className="toolbar">
        {tab === "params" ? (
          <label>
            <input
              type="checkbox"
              checked={onlyDiffDraft}
              onChange={(event) => {
                setOnlyDiffDraft(event.target.checked);
                onOnlyDiff(event.target.checked);
              }}
            />{" "}
            Only differences
          </label>
        ) : (
          <label>
            Baseline{" "}
            <select aria-label="Baseline" value={base >= 0 ? baseline ?? "" : ""} onChange={(event) => onBaseline(event.target.value || null)}>
              <option value="">none</option>
              {runs.map((run) => (
                <option key={run.run_id} value={run.run_id}>
                  {run.display_name}
                </option>
              ))}
            </select>
          </label>
        )}
        <span className="muted">
          {tab === "params" && onlyDiffDraft ? `${rows.length} of ${all.length} parameters differ` : `${rows.length} ${tab === "params" ? "parameters" : "metrics"}`}
        </span>
      </div>
      {rows.length === 0 ? (
        <p className="muted">{all.length === 0 ? `These runs have no ${tab === "params" ? "parameters" : "scalar metrics"}.` : "No parameter differs."}</p>
      ) : (
        <div className="scroll-x">
          <table className="grid compact compare" aria-label={tab === "params" ? "Parameters" : "Metrics"}>
            <thead>
              <tr>
                <th>{tab === "params" ? "Parameter" : "Metric"}</th>
                {runs.map((run) => (
                  <th key={run.run_id} scope="col" title={run.run_id} className="num">
                    {run.display_name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const best = tab === "metrics" ? bestIndexes(row.name, row.values) : [];
                return (
                  <tr key={row.name} className={row.differs ? "differs" : ""}>
                    <th scope="row" title={tab === "metrics" ? (lowerIsBetter(row.name) ? "lower is better" : "higher is better") : undefined}>
                      {row.name}
                    </th>
                    {row.values.map((value, i) => {
                      const isBest = best.includes(i);
                      const change = base >= 0 && i !== base ? delta(value, row.values[base]) : "";
                      return (
                        <td key={runs[i]?.run_id ?? i} className={`num${isBest ? " best" : ""}`} data-best={isBest ? "true" : undefined} aria-label={isBest ? `${cellText(value)} (best)` : undefined}>
                          {cellText(value)}
                          {change ? <span className="delta"> ({change})</span> : null}
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {tab === "metrics" ? <ParallelCoordinates rows={comparison.metrics} runs={runs} /> : null}
    </div>
  );
}
