// ROC curves in uPlot (one or several, overlaid), with a threshold slider that picks a point
// of the first curve and a "view as table" toggle listing every (fpr, tpr, threshold).
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatNumber, type CurvePoint } from "./logic";

export interface Curve {
  label: string;
  points: CurvePoint[];
}

const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

function Chart({ curves, label }: { curves: Curve[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = box.current;
    if (!target) return;
    // uPlot wants one x axis: join the curves on their fpr values (gaps are spanned).
    const data = uPlot.join(curves.map((curve) => [curve.points.map((p) => p.fpr), curve.points.map((p) => p.tpr)] as uPlot.AlignedData));
    const plot = new uPlot(
      {
        width: Math.max(240, Math.min(520, target.clientWidth || 420)),
        height: 280,
        scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
        axes: [{ label: "false positive rate", stroke: "currentColor" }, { label: "true positive rate", stroke: "currentColor" }],
        series: [
          { label: "FPR" },
          ...curves.map((curve, i) => ({ label: curve.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true })),
        ],
      },
      data,
      target,
    );
    return () => plot.destroy();
  }, [curves]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}

export function RocChart({ curves, label }: { curves: Curve[]; label: string }) {
  const [asTable, setAsTable] = useState(false);
  const first = curves[0]?.points ?? [];
  const [index, setIndex] = useState(0);
  const point = first[Math.min(index, first.length - 1)];
  if (first.length === 0) return <p className="muted">No ROC curve was logged.</p>;
  return (
    <figure className="roc">
      <Chart curves={curves} label={label} />
      <div className="toolbar">
        <label>
          Threshold{" "}
          <input
            type="range"
            aria-label="Threshold"
            min={0}
            max={first.length - 1}
            step={1}
            value={Math.min(index, first.length - 1)}
            onChange={(event) => setIndex(Number(event.target.value))}
          />
        </label>
        {point ? (
          <span data-testid="roc-point">
            threshold {formatNumber(point.threshold)}: FPR {formatNumber(point.fpr)}, TPR {formatNumber(point.tpr)}
            {curves.length > 1 ? ` (${curves[0]?.label ?? ""})` : ""}
          </span>
        ) : null}
        <button type="button" aria-pressed={asTable} onClick={() => setAsTable(!asTable)}>
          {asTable ? "Hide the table" : "View as table"}
        </button>
      </div>
      {asTable ? (
        <table className="grid compact" aria-label={`${label} points`}>
          <thead>
            <tr>
              {curves.length > 1 ? <th>Curve</th> : null}
              <th>FPR</th>
              <th>TPR</th>
              <th>Threshold</th>
            </tr>
          </thead>
          <tbody>
            {curves.flatMap((curve, c) =>
              curve.points.map((p, i) => (
                <tr key={`${c}-${i}`} className={c === 0 && i === index ? "focused" : ""}>
                  {curves.length > 1 ? <td>{curve.label}</td> : null}
                  <td>{formatNumber(p.fpr)}</td>
                  <td>{formatNumber(p.tpr)}</td>
                  <td>{formatNumber(p.threshold)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      ) : null}
    </figure>
  );
}
