// One artifact in the viewer its type calls for, with its download link: Metrics as a
// sortable table, ClassificationMetrics (KFP's or Vertex's) as a confusion matrix and ROC
// and precision-recall curves, HTML in a sandboxed iframe, Markdown rendered safely,
// anything else as a preview of its head.
import { useMemo } from "react";
import { ConfusionMatrixView } from "./ConfusionMatrix";
import { DatasetPreview, usePreview } from "./DatasetPreview";
import { HtmlView, MarkdownView } from "./Documents";
import { classificationMetadata, hasCurves, prPoints, rocPoints } from "./curves";
import { confusionMatrix } from "./logic";
import { MetricsTable } from "./MetricsTable";
import { PrChart, RocChart } from "./RocChart";
import { contentUrl, type ViewerArtifact } from "./types";

/** The text of an HTML or Markdown artifact (its head: a megabyte at most). */
export function DocumentView({ artifact, label }: { artifact: ViewerArtifact; label: string }) {
  const preview = usePreview(artifact.id);
  if (preview.error) {
    return (
      <p role="alert" className="error">
        {preview.error.message}
      </p>
    );
  }
  if (!preview.data) return <p className="muted">Loading…</p>;
  const text = preview.data.text ?? "";
  return (
    <>
      {preview.data.truncated ? <p className="notice">Showing the first megabyte only; download the artifact for all of it.</p> : null}
      {artifact.schema_title === "system.HTML" ? <HtmlView html={text} title={label} /> : <MarkdownView text={text} label={label} />}
    </>
  );
}

export function ClassificationView({ artifact, label }: { artifact: ViewerArtifact; label: string }) {
  const matrix = useMemo(() => confusionMatrix(classificationMetadata(artifact.metadata)), [artifact.metadata]);
  // Memoized: a new curves array would draw the chart again.
  const roc = useMemo(() => [{ label, points: rocPoints(artifact.metadata) }], [artifact.metadata, label]);
  const pr = useMemo(() => [{ label, points: prPoints(artifact.metadata) }], [artifact.metadata, label]);
  const hasRoc = (roc[0]?.points.length ?? 0) > 0;
  const hasPr = (pr[0]?.points.length ?? 0) > 0;
  return (
    <div className="classification">
      {matrix ? <ConfusionMatrixView matrix={matrix} label={`Confusion matrix ${label}`} /> : null}
      {hasRoc ? <RocChart curves={roc} label={`ROC curve ${label}`} /> : null}
      {hasPr ? <PrChart curves={pr} label={`Precision-recall curve ${label}`} /> : null}
      {!matrix && !hasRoc && !hasPr ? <p className="muted">No confusion matrix or curve was logged.</p> : null}
    </div>
  );
}

/** Whether an artifact gets the classification viewer: KFP's and Vertex's classification
 * types, and any other type whose metadata carries a curve. */
export function isClassification(artifact: ViewerArtifact): boolean {
  return ["system.ClassificationMetrics", "google.ClassificationMetrics"].includes(artifact.schema_title) || hasCurves(artifact.metadata);
}

/** One artifact in its viewer; `download={false}` where the page has its own Download link
 * (the artifact details page). */
export function ArtifactViewer({ artifact, label, download = true }: { artifact: ViewerArtifact; label: string; download?: boolean }) {
  let body;
  switch (isClassification(artifact) ? "classification" : artifact.schema_title) {
    case "system.Metrics":
      body = <MetricsTable metadata={artifact.metadata} label={`Metrics ${label}`} />;
      break;
    case "classification":
      body = <ClassificationView artifact={artifact} label={label} />;
      break;
    case "system.HTML":
    case "system.Markdown":
      body = artifact.id === null ? null : <DocumentView artifact={artifact} label={label} />;
      break;
    default:
      body = artifact.id === null ? null : <DatasetPreview id={artifact.id} label={`Preview ${label}`} />;
  }
  // KFP's metrics artifacts live in their metadata only; Vertex's evaluation writes a file.
  const hasFile = !["system.Metrics", "system.ClassificationMetrics"].includes(artifact.schema_title);
  return (
    <section className="viewer" aria-label={`Artifact ${label}`}>
      <header className="viewer-header">
        <strong>{label}</strong> <span className="chip">{artifact.schema_title}</span>
        <span className="spacer" />
        {artifact.id !== null && hasFile && download ? (
          <a href={contentUrl(artifact.id)} download>
            Download
          </a>
        ) : null}
      </header>
      <p className="muted uri">
        <code>{artifact.uri}</code>
      </p>
      {body}
    </section>
  );
}
