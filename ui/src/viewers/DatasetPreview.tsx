// Any other artifact: the head of its file (a table, text, an image, a directory's files),
// from :preview, which never reads more than the head.
import { useQuery } from "@tanstack/react-query";
import { api, UI_API } from "../api/client";
import { byteSize } from "../format";
import type { components } from "../api/schema";
import { contentUrl } from "./types";

type Preview = components["schemas"]["ArtifactPreview"];

export function usePreview(id: number | null) {
  return useQuery({
    queryKey: ["preview", id],
    queryFn: () => api<Preview>(`${UI_API}/artifacts/${id ?? 0}:preview`),
    enabled: id !== null,
    staleTime: 60_000,
  });
}

export function DatasetPreview({ id, label }: { id: number; label: string }) {
  const preview = usePreview(id);
  if (preview.error) {
    return (
      <p role="alert" className="error">
        {preview.error.message}
      </p>
    );
  }
  const shown = preview.data;
  if (!shown) return <p className="muted">Loading the preview…</p>;
  return (
    <div className="preview">
      <p className="muted">
        {shown.content_type} {byteSize(shown.size)}
        {shown.truncated ? (shown.kind === "table" ? ` · first ${shown.rows.length} rows` : " · the head only") : ""}
        {shown.note ? ` · ${shown.note}` : ""}
      </p>
      {shown.kind === "table" ? (
        <div className="scroll-x">
          <table className="grid compact" aria-label={label}>
            <thead>
              <tr>
                {shown.columns.map((column, i) => (
                  <th key={column} className={shown.column_types[i] === "number" ? "num" : ""} title={shown.column_types[i]}>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, c) => (
                    <td key={c} className={shown.column_types[c] === "number" ? "num" : ""}>
                      {cell === null ? "" : typeof cell === "object" ? JSON.stringify(cell) : String(cell)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : shown.kind === "image" ? (
        <img className="artifact-image" src={contentUrl(id)} alt={label} />
      ) : shown.kind === "text" ? (
        <pre className="artifact-text">{shown.text}</pre>
      ) : shown.kind === "directory" ? (
        <ul className="files" aria-label={label}>
          {shown.entries.map((entry) => (
            <li key={entry.path}>
              <code>{entry.path}{entry.is_dir ? "/" : ""}</code> <span className="muted">{byteSize(entry.size)}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
