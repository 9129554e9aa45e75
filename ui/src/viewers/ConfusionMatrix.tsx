// A confusion matrix as a <table> heatmap: actual classes down, predicted across; every
// cell says what it counts (aria-label), so it reads without the colours.
import { shade, type ConfusionMatrix } from "./logic";

export function ConfusionMatrixView({ matrix, label }: { matrix: ConfusionMatrix; label: string }) {
  return (
    <table className="confusion" aria-label={label}>
      <thead>
        <tr>
          <th scope="col" className="corner">
            actual \ predicted
          </th>
          {matrix.labels.map((name) => (
            <th key={name} scope="col">
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.rows.map((row, r) => (
          <tr key={matrix.labels[r] ?? r}>
            <th scope="row">{matrix.labels[r] ?? r}</th>
            {row.map((value, c) => {
              const strength = shade(matrix.rows, r, c);
              return (
                <td
                  key={c}
                  aria-label={`actual ${matrix.labels[r] ?? r}, predicted ${matrix.labels[c] ?? c}: ${value}`}
                  style={{ background: `rgba(37, 99, 235, ${(0.08 + 0.8 * strength).toFixed(3)})`, color: strength > 0.55 ? "#fff" : undefined }}
                >
                  {value}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
