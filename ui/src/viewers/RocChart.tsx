// ROC and precision-recall curves in uPlot (one or several, overlaid), with a threshold
// slider that picks a point of the first curve and a "view as table" toggle listing every
// point: (fpr, tpr, threshold) for ROC, (recall, precision, threshold) for PR.
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { PrPoint } from "./curves";
import { formatNumber, type CurvePoint } from "./logic";

export interface Curve<P = CurvePoint> {
  label: string;
  points: P[];
}

/** What a kind of curve plots: its axes (by their short and long names) and its empty text. */
interface CurveKind<P> {
  x: (point: P) => number;
  y: (point: P) => number;
  xName: string;
  yName: string;
  xLabel: string;
  yLabel: string;
  slider: string;
  testId: string;
  none: string;
}

const ROC: CurveKind<CurvePoint> = {
  x: (p) => p.fpr,
  y: (p) => p.tpr,
  xName: "FPR",
  yName: "TPR",
  xLabel: "false positive rate",
  yLabel: "true positive rate",
  slider: "Threshold",
  testId: "roc-point",
  none: "No ROC curve was logged.",
};

const PR: CurveKind<PrPoint> = {
  x: (p) => p.recall,
  y: (p) => p.precision,
  xName: "Recall",
  yName: "Precision",
  xLabel: "recall",
  yLabel: "precision",
  slider: "Precision-recall threshold",
  testId: "pr-point",
  none: "No precision-recall curve was logged.",
};

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

function Chart<P>({ kind, curves, label, marker }: { kind: CurveKind<P>; curves: Curve<P>[]; label: string; marker: P | undefined }) {
  const box = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const markerRef = useRef(marker);
  const ink = useInk();
  useEffect(() => {
    const target = box.current;
    if (!target) return;
    // uPlot wants one x axis: join the curves on their x values (gaps are spanned).
    const data = uPlot.join(curves.map((curve) => [curve.points.map(kind.x), curve.points.map(kind.y)] as uPlot.AlignedData));
    const grid = { stroke: `${ink}22`, width: 1 };
    const plot = new uPlot(
      {
        width: Math.max(240, Math.min(520, target.clientWidth || 420)),
        height: 280,
        scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
        axes: [
          { label: kind.xLabel, stroke: ink, grid, ticks: grid },
          { label: kind.yLabel, stroke: ink, grid, ticks: grid },
        ],
        series: [
          { label: kind.xName },
          ...curves.map((curve, i) => ({ label: curve.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true })),
        ],
        hooks: {
          // The point the threshold slider picked, as a ring on the first curve.
          draw: [
            (u: uPlot) => {
              const point = markerRef.current;
              if (!point) return;
              const x = u.valToPos(kind.x(point), "x", true);
              const y = u.valToPos(kind.y(point), "y", true);
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
  }, [kind, curves, ink]);
  useEffect(() => {
    markerRef.current = marker;
    plotRef.current?.redraw(false);
  }, [marker]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}

function CurveChart<P extends { threshold: number }>({ kind, curves, label }: { kind: CurveKind<P>; curves: Curve<P>[]; label: string }) {
  const [asTable, setAsTable] = useState(false);
  const first = curves[0]?.points ?? [];
  const [index, setIndex] = useState(0);
  const point = first[Math.min(index, first.length - 1)];
  if (first.length === 0) return <p className="muted">{kind.none}</p>;
  return (
    <figure className="roc">
      <Chart kind={kind} curves={curves} label={label} marker={point} />
      <div className="toolbar">
        <label className="inline">
          {kind.slider}{" "}
          <input
            type="range"
            aria-label={kind.slider}
            min={0}
            max={first.length - 1}
            step={1}
            value={Math.min(index, first.length - 1)}
            onChange={(event) => setIndex(Number(event.target.value))}
          />
        </label>
        {point ? (
          <span data-testid={kind.testId}>
            threshold {formatNumber(point.threshold)}: {kind.xName} {formatNumber(kind.x(point))}, {kind.yName} {formatNumber(kind.y(point))}
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
              <th>{kind.xName}</th>
              <th>{kind.yName}</th>
              <th>Threshold</th>
            </tr>
          </thead>
          <tbody>
            {curves.flatMap((curve, c) =>
              curve.points.map((p, i) => (
                <tr key={`${c}-${i}`} className={c === 0 && i === index ? "focused" : ""}>
                  {curves.length > 1 ? <td>{curve.label}</td> : null}
                  <td>{formatNumber(kind.x(p))}</td>
                  <td>{formatNumber(kind.y(p))}</td>
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

export function RocChart({ curves, label }: { curves: Curve[]; label: string }) {
  return <CurveChart kind={ROC} curves={curves} label={label} />;
}

export function PrChart({ curves, label }: { curves: Curve<PrPoint>[]; label: string }) {
  return <CurveChart kind={PR} curves={curves} label={label} />;
}
