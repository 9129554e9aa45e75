// The task side panel: a header, the tabs (one file each: OverviewTab, LogsTab, CacheTab,
// VizTab) and the task's detail (N4) they share.
import { useQuery } from "@tanstack/react-query";
import { api, UI_API, type GraphNode, type TaskDetail } from "../api/client";
import { StateBadge } from "../StateBadge";
import { Cache } from "./CacheTab";
import { Logs } from "./LogsTab";
import { Overview } from "./OverviewTab";
import { PANEL_TABS, TAB_TITLES, type PanelTab } from "./tabs";
import { TaskViewers } from "./VizTab";

export { PANEL_TABS, type PanelTab } from "./tabs";

export function TaskPanel({
  runId,
  node,
  tab,
  attempt,
  onTab,
  onAttempt,
  onClose,
}: {
  runId: string;
  node: GraphNode;
  tab: PanelTab;
  attempt: number | null;
  onTab: (tab: PanelTab) => void;
  onAttempt: (attempt: number | null) => void;
  onClose: () => void;
}) {
  const detail = useQuery({
    queryKey: ["task", runId, node.id],
    queryFn: () => api<TaskDetail>(`${UI_API}/runs/${encodeURIComponent(runId)}/tasks/${node.id.split("/").map(encodeURIComponent).join("/")}`),
    enabled: node.task_id !== null,
  });
  return (
    <aside className="panel" aria-label="Task details">
      <header className="panel-header">
        <h2>{node.kind === "iteration" ? `iteration ${node.iteration_index ?? ""}` : node.display_name}</h2>
        <StateBadge state={node.state} />
        <span className="spacer" />
        <button type="button" className="ghost" aria-label="Close the panel" onClick={onClose}>
          ✕
        </button>
      </header>
      <div role="tablist" className="tabs">
        {PANEL_TABS.map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name} onClick={() => onTab(name)}>
            {TAB_TITLES[name]}
          </button>
        ))}
      </div>
      <div role="tabpanel" className="panel-body">
        {node.task_id === null ? (
          <p className="muted">Not started yet.</p>
        ) : detail.error ? (
          <p role="alert" className="error">
            {detail.error.message}
          </p>
        ) : !detail.data ? (
          <p className="muted">Loading…</p>
        ) : tab === "logs" ? (
          <Logs task={detail.data} attempt={attempt} onAttempt={onAttempt} />
        ) : tab === "viz" ? (
          <TaskViewers task={detail.data} />
        ) : tab === "cache" ? (
          detail.data.kind === "container" ? <Cache task={detail.data} /> : <p className="muted">Only container tasks use the cache.</p>
        ) : (
          <Overview task={detail.data} />
        )}
      </div>
    </aside>
  );
}
