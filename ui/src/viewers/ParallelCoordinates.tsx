// Parallel coordinates for three or more runs: one vertical axis per differing metric, one
// line per run (hover a line for its run), so trade-offs between metrics show at a glance.
import { formatNumber, parallelCoordinates } from "./logic";

const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];
const STEP = 140;
const TOP = 28;
const HEIGHT = 180;

export function ParallelCoordinates({ rows, runs }: { rows: { name: string; values: unknown[]; differs: boolean }[]; runs: { run_id: string; display_name: string }[] }) {
  const { axes, lines } = parallelCoordinates(rows);
  if (axes.length < 2 || runs.length < 3) return null;
  const width = STEP * (axes.length - 1) + 80;
  const y = (v: number) => TOP + (1 - v) * HEIGHT;
  return (
    <figure className="parallel">
      <svg role="img" aria-label="Parallel coordinates" width={width} height={TOP + HEIGHT + 30} viewBox={`0 0 ${width} ${TOP + HEIGHT + 30}`}>
        {axes.map((axis, a) => (
          <g key={axis.name} transform={`translate(${40 + a * STEP},0)`}>
            <line x1={0} x2={0} y1={TOP} y2={TOP + HEIGHT} stroke="currentColor" opacity={0.5} />
            <text x={0} y={14} textAnchor="middle" fontSize={11} fill="currentColor">
              {axis.name.split(".").pop()}
            </text>
            <text x={4} y={TOP + 4} fontSize={10} fill="currentColor" opacity={0.7}>
              {formatNumber(axis.max)}
            </text>
            <text x={4} y={TOP + HEIGHT} fontSize={10} fill="currentColor" opacity={0.7}>
              {formatNumber(axis.min)}
            </text>
          </g>
        ))}
        {lines.map((line, r) => {
          const points = line.flatMap((v, a) => (v === null ? [] : [`${40 + a * STEP},${y(v)}`]));
          return (
            <polyline key={runs[r]?.run_id ?? r} points={points.join(" ")} fill="none" stroke={COLOURS[r % COLOURS.length]} strokeWidth={1.5} opacity={0.8}>
              <title>{runs[r]?.display_name ?? ""}</title>
            </polyline>
          );
        })}
      </svg>
      <figcaption className="legend">
        {runs.map((run, r) => (
          <span key={run.run_id}>
            <span className="swatch" style={{ background: COLOURS[r % COLOURS.length] }} /> {run.display_name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
