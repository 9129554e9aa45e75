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

/** The page's text colour (canvas cannot use currentColor), following theme changes. */
function useInk(): string {
  const read = () => getComputedStyle(document.documentElement).getPropertyValue("--fg").trim() || "#1b1f24";
  const [ink, setInk] = useState(read);
  useEffect(() => {
    const update = () => setInk(read());
    const observer = new MutationObserver(update);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    const media = window.matchMedia("(prefers-color-scheme: dark)");
    media.addEventListener("change", update);
    return () => {
      observer.disconnect();
      media.removeEventListener("change", update);
    };
  }, []);
  return ink;
}

function Chart({ curves, label, marker }: { curves: Curve[]; label: string; marker: CurvePoint | undefined }) {
  const box = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const markerRef = useRef(marker);
  const ink = useInk();
  useEffect(() => {
    const target = box.current;
    if (!target) return;
    // uPlot wants one x axis: join the curves on their fpr values (gaps are spanned).
    const data = uPlot.join(curves.map((curve) => [curve.points.map((p) => p.fpr), curve.points.map((p) => p.tpr)] as uPlot.AlignedData));
    const grid = { stroke: `${ink}22`, width: 1 };
    const plot = new uPlot(
      {
        width: Math.max(240, Math.min(520, target.clientWidth || 420)),
        height: 280,
        scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
        axes: [
          { label: "false positive rate", stroke: ink, grid, ticks: grid },
          { label: "true positive rate", stroke: ink, grid, ticks: grid },
        ],
        series: [
          { label: "FPR" },
          ...curves.map((curve, i) => ({ label: curve.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true })),
        ],
        hooks: {
          // The point the threshold slider picked, as a ring on the first curve.
          draw: [
            (u: uPlot) => {
              const point = markerRef.current;
              if (!point) return;
              const x = u.valToPos(point.fpr, "x", true);
              const y = u.valToPos(point.tpr, "y", true);
              u.ctx.save();
              u.ctx.strokeStyle = ink;
              u.ctx.lineWidth = 2 * devicePixelRatio;
              u.ctx.beginPath();
              u.ctx.arc(x, y, 6 * devicePixelRatio, 0, 2 * Math.PI);
              u.ctx.stroke();
              u.ctx.restore();
            },
          ],
        },
      },
      data,
      target,
    );
    plotRef.current = plot;
    return () => {
      plotRef.current = null;
      plot.destroy();
    };
  }, [curves, ink]);
  useEffect(() => {
    markerRef.current = marker;
    plotRef.current?.redraw(false);
  }, [marker]);
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
      <Chart curves={curves} label={label} marker={point} />
      <div className="toolbar">
        <label className="inline">
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
