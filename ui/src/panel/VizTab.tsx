// The task panel's Visualizations tab.
import type { TaskDetail } from "../api/client";
import { ArtifactViewer } from "../viewers/ArtifactViewer";

/** The Visualizations tab: every output artifact of the task in its viewer. */
export function TaskViewers({ task }: { task: TaskDetail }) {
  const outputs = task.artifacts.filter((artifact) => artifact.direction === "output");
  if (outputs.length === 0) return <p className="muted">This task has no output artifacts.</p>;
  return (
    <div className="viewers">
      {outputs.map((artifact) => (
        <ArtifactViewer key={`${artifact.output_key}-${artifact.id}`} artifact={artifact} label={artifact.output_key} />
      ))}
    </div>
  );
}
