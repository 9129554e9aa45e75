// Pipelines: KFP's list, and uploading a compiled package by dropping it on the page (or
// through the file input) — as `kfp.Client().upload_pipeline` does.
import { useQueryClient } from "@tanstack/react-query";
import { useState, type DragEvent, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";
import { when } from "../format";
import { uploadPackage, usePipelines, type Pipeline, type PipelineVersion } from "../forms/kfp";
import "../forms/forms.css";

/** A drop target for one package file, with a file input for the keyboard. */
export function DropZone({ label, onFile, children }: { label: string; onFile: (file: File) => Promise<void>; children?: ReactNode }) {
  const [over, setOver] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const take = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      await onFile(file);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setOver(false);
    void take(event.dataTransfer.files[0]);
  };
  return (
    <div
      className={`dropzone${over ? " over" : ""}`}
      data-testid="dropzone"
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <span>{busy ? "Uploading…" : `Drop a compiled pipeline (.yaml) here, or`}</span>{" "}
      <input
        type="file"
        aria-label={label}
        accept=".yaml,.yml,.json"
        onChange={(event) => {
          void take(event.target.files?.[0]);
          event.target.value = "";
        }}
      />
      {children}
      {error ? (
        <div role="alert" className="error">
          {error}
        </div>
      ) : null}
    </div>
  );
}

export function Pipelines() {
  const pipelines = usePipelines();
  const client = useQueryClient();
  const navigate = useNavigate();
  const rows: Pipeline[] = pipelines.data?.pipelines ?? [];
  const upload = async (file: File) => {
    const made = (await uploadPackage(file)) as Pipeline | PipelineVersion;
    await client.invalidateQueries({ queryKey: ["pipelines"] });
    await navigate(`/pipelines/${made.pipeline_id}`);
  };
  return (
    <section className="page">
      <h1>Pipelines</h1>
      <DropZone label="Upload pipeline" onFile={upload} />
      {pipelines.error ? (
        <p role="alert" className="error">
          {pipelines.error.message}
        </p>
      ) : null}
      <table className="grid" aria-label="Pipelines">
        <thead>
          <tr>
            <th>Name</th>
            <th>Description</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((pipeline) => (
            <tr key={pipeline.pipeline_id} data-pipeline-id={pipeline.pipeline_id}>
              <td>
                <Link to={`/pipelines/${pipeline.pipeline_id}`}>{pipeline.display_name}</Link>
              </td>
              <td>{pipeline.description ?? ""}</td>
              <td>{when(pipeline.created_at)}</td>
              <td>
                <Link to={`/runs/new?pipeline=${encodeURIComponent(pipeline.pipeline_id)}`}>Create run</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pipelines.data && rows.length === 0 ? <p className="muted">No pipelines yet: drop a compiled package above.</p> : null}
    </section>
  );
}
