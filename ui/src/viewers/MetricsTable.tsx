// A system.Metrics artifact: every logged scalar in a table sortable by name or value.
import { useState } from "react";
import { formatNumber, scalarMetrics, sortMetrics, type SortKey } from "./logic";

export function MetricsTable({ metadata, label }: { metadata: Record<string, unknown>; label: string }) {
  const [key, setKey] = useState<SortKey>("name");
  const [ascending, setAscending] = useState(true);
  const rows = sortMetrics(scalarMetrics(metadata), key, ascending);
  if (rows.length === 0) return <p className="muted">No scalar metrics were logged.</p>;
  const header = (name: SortKey, title: string) => (
    <th aria-sort={key === name ? (ascending ? "ascending" : "descending") : "none"}>
      <button
        type="button"
        className="ghost sort"
        onClick={() => {
          setAscending(key === name ? !ascending : true);
          setKey(name);
        }}
      >
        {title} {key === name ? (ascending ? "▲" : "▼") : ""}
      </button>
    </th>
  );
  return (
    <table className="grid compact metrics" aria-label={label}>
      <thead>
        <tr>
          {header("name", "Metric")}
          {header("value", "Value")}
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td className="num" title={String(value)}>
              {formatNumber(value)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
