// A run's page: header, the Graph tab, and the task side panel. All view state is in the
// URL (?task=<path>&tab=overview|logs&attempt=N&expand=all|<box ids>&artifacts=1&artifact=<id>);
// the graph follows the run's events live.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { api, UI_API, type RunDetail, type RunGraph, type RunSpec } from "../api/client";
import { throttle, useEvents } from "../api/events";
import { duration, valueText, when } from "../format";
import { ArtifactPanel } from "../graph/ArtifactPanel";
import { parseArtifacts, withArtifacts } from "../graph/artifacts";
import { GraphToolbar } from "../graph/GraphTools";
import { ancestors, boxesToOpen, expandToDepth, formatExpansion, iterationId, parseExpansion, pickIteration, toggleBox, type Expansion, type LayoutNode } from "../graph/layout";
import { RunGraphView } from "../graph/RunGraphView";
import { TimelineView } from "../graph/TimelineView";
import { PANEL_TABS, TaskPanel, type PanelTab } from "../panel/TaskPanel";
import { StateBadge } from "../StateBadge";
import { RunOutputs } from "../viewers/RunOutputs";
import { RunActions } from "./RunActions";

export function RunDetails() {
  const { runId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const client = useQueryClient();
  const task = params.get("task");
  const tabName = params.get("tab");
  const tab: PanelTab = PANEL_TABS.find((name) => name === tabName) ?? "overview";
  const attemptText = params.get("attempt");
  const attempt = attemptText && /^\d+$/.test(attemptText) ? Number(attemptText) : null;
  const expansion = useMemo(() => parseExpansion(params.get("expand")), [params]);
  const viewName = params.get("view");
  const view: RunView = VIEWS.some(([name]) => name === viewName) ? (viewName as RunView) : "graph";
  const showArtifacts = parseArtifacts(params.get("artifacts"));
  const artifactParam = params.get("artifact");

  const summary = useQuery({
    queryKey: ["run", runId],
    queryFn: () => api<RunDetail>(`${UI_API}/runs/${encodeURIComponent(runId)}`),
  });
  // The artifacts come with the graph only when shown (one more query on the server).
  const graphKey = useMemo(() => ["graph", runId, showArtifacts], [runId, showArtifacts]);
  const graph = useQuery({
    queryKey: graphKey,
    queryFn: () => api<RunGraph>(`${UI_API}/runs/${encodeURIComponent(runId)}/graph${showArtifacts ? "?artifacts=true" : ""}`),
    // Toggling artifacts keeps this run's graph drawn while the other shape loads.
    placeholderData: (previous) => (previous?.run_id === runId ? previous : undefined),
  });

  const refetch = useMemo(
    () =>
      throttle(() => {
        void client.invalidateQueries({ queryKey: ["graph", runId] });
        void client.invalidateQueries({ queryKey: ["run", runId] });
      }, 250),
    [client, runId],
  );
  useEvents(runId, graph.data?.event_id, (event) => {
    if (event.type === "task_state") {
      // Patch the node at once; a node the graph does not have yet (a new loop
      // iteration) needs the graph read again.
      let known = false;
      client.setQueryData<RunGraph>(graphKey, (old) => {
        if (!old) return old;
        const nodes = old.nodes.map((node) => {
          if (node.id !== event.path) return node;
          known = true;
          return { ...node, state: event.state, attempts: Math.max(node.attempts, event.attempt), task_id: event.task_id };
        });
        return known ? { ...old, nodes } : old;
      });
      // The Timeline draws attempts' times, which events do not carry: read them again.
      // A task that has ended has written its artifacts: their placeholders fill in (only
      // a task with one to fill makes the graph be read again).
      const written =
        showArtifacts &&
        ["SUCCEEDED", "CACHED"].includes(event.state) &&
        (client.getQueryData<RunGraph>(graphKey)?.artifacts ?? []).some((item) => item.producer === event.path && item.artifact_id === null);
      if (!known || view === "timeline" || written) refetch();
      void client.invalidateQueries({ queryKey: ["task", runId, event.path] });
      void client.invalidateQueries({ queryKey: ["run", runId] });
    } else if (event.type === "run_state") {
      refetch();
    } else if (event.type === "task_log") {
      void client.invalidateQueries({ queryKey: ["log", runId, event.task_id] });
    }
  });

  const byId = useMemo(() => new Map((graph.data?.nodes ?? []).map((node) => [node.id, node])), [graph.data]);
  // What the graph draws: the tasks, and their artifacts when shown (the finder finds both).
  const drawn = useMemo(
    () => withArtifacts(graph.data?.nodes ?? [], graph.data?.edges ?? [], showArtifacts ? graph.data?.artifacts : []),
    [graph.data, showArtifacts],
  );
  const drawnById = useMemo(() => new Map(drawn.nodes.map((node) => [node.id, node])), [drawn]);
  const artifact = showArtifacts && artifactParam ? graph.data?.artifacts?.find((item) => item.id === artifactParam) : undefined;
  const target = task ?? (artifact ? artifact.id : null);

  const update = useCallback(
    (changes: Record<string, string | null>, replace = false) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [name, value] of Object.entries(changes)) {
            if (value) next.set(name, value);
            else next.delete(name);
          }
          return next;
        },
        { replace },
      );
    },
    [setParams],
  );

  // A failed run opens on its first failed task, so the error is one look away (also
  // when it fails while watched); once per run: closing the panel must not reopen it, nor
  // may it override a task the user chose.
  const openedOn = useRef<string | null>(null);
  useEffect(() => {
    if (!graph.data || openedOn.current === runId) return;
    if (task || ["SUCCEEDED", "CANCELED", "FAILED"].includes(graph.data.state)) openedOn.current = runId;
    if (task || graph.data.state !== "FAILED") return;
    const failed = graph.data.nodes.find((node) => node.state === "FAILED" && (node.kind === "container" || node.kind === "importer"));
    if (failed) update({ task: failed.id, expand: openFor(expansion, failed.id, byId) }, true);
  }, [graph.data, task, expansion, byId, update, runId]);

  // A deep-linked task (or artifact) inside closed boxes opens them (a big loop's iteration
  // is picked).
  useEffect(() => {
    if (!target || !drawnById.has(target) || expansion === "all") return;
    const missing = boxesToOpen(target, drawnById).filter((id) => !expansion.has(id));
    if (missing.length) update({ expand: openFor(expansion, target, drawnById) }, true);
  }, [target, drawnById, expansion, update]);
  // The boxes the selected task is in stay drawn (under "all", a big loop's iteration is
  // shown only when picked: this shows the selected task's).
  const pinned = useMemo(() => new Set(target && drawnById.has(target) ? ancestors(target, drawnById) : []), [target, drawnById]);
  const [focus, setFocus] = useState<string | null>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape" && (task || artifactParam)) update({ task: null, tab: null, attempt: null, artifact: null });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [task, artifactParam, update]);

  const onToggle = useCallback(
    (id: string) => {
      setFocus(null);
      update({ expand: formatExpansion(toggleBox(expansion, id, graph.data?.nodes ?? [])) });
    },
    [expansion, graph.data, update],
  );
  const onPick = useCallback(
    (loop: string, index: number) => {
      const id = iterationId(loop, index);
      setFocus(id);
      update({ expand: formatExpansion(pickIteration(expansion, id, graph.data?.nodes ?? [])) });
    },
    [expansion, graph.data, update],
  );
  const onSelect = useCallback((id: string) => update({ task: id, attempt: null, artifact: null }), [update]);
  const onSelectArtifact = useCallback((id: string) => update({ artifact: id, task: null, tab: null, attempt: null }), [update]);

  const run = summary.data;
  const selected = task ? byId.get(task) : undefined;
  const error = summary.error ?? graph.error;
  return (
    <section className="page run-page">
      <nav aria-label="Breadcrumb" className="muted">
        <Link to="/runs">Runs</Link> / {run?.display_name ?? runId}
      </nav>
      <header className="run-header">
        <h1>{run?.display_name ?? runId}</h1>
        <StateBadge state={run?.state} />
        {run ? (
          <span className="muted">
            {run.pipeline_name} · created {when(run.created_at)} · {duration(run.started_at, run.finished_at)}
          </span>
        ) : null}
        <span className="spacer" />
        {run ? <RunActions run={run} /> : null}
      </header>
      {run?.error ? (
        <p role="alert" className="error">
          {run.error}
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error.message}
        </p>
      ) : null}
      <div role="tablist" className="tabs" aria-label="Run views">
        {VIEWS.map(([name, title]) => (
          <button key={name} type="button" role="tab" aria-selected={view === name} onClick={() => update({ view: name === "graph" ? null : name })}>
            {title}
          </button>
        ))}
      </div>
      {view === "graph" ? (
        <GraphToolbar
          nodes={drawn.nodes}
          artifacts={showArtifacts}
          onArtifacts={(on) => update({ artifacts: on ? "1" : null, artifact: null }, true)}
          onExpandAll={() => {
            setFocus(null);
            update({ expand: "all" });
          }}
          onCollapseAll={() => {
            setFocus(null);
            update({ expand: null });
          }}
          onDepth={(depth) => {
            setFocus(null);
            update({ expand: formatExpansion(expandToDepth(graph.data?.nodes ?? [], depth)) });
          }}
          onFind={(id) => {
            setFocus(id);
            const expand = openFor(expansion, id, drawnById);
            if (drawnById.get(id)?.kind === "artifact") update({ artifact: id, task: null, tab: null, attempt: null, expand });
            else update({ task: id, attempt: null, artifact: null, expand });
          }}
        />
      ) : null}
      <div className="run-body">
        {view === "timeline" && graph.data ? (
          <TimelineView graph={graph.data} selected={task} onSelect={onSelect} />
        ) : view === "outputs" ? (
          <RunOutputs runId={runId} />
        ) : view === "parameters" && run ? (
          <ParametersView run={run} />
        ) : view === "spec" ? (
          <SpecView runId={runId} />
        ) : graph.data ? (
          <RunGraphView
            graph={graph.data}
            expansion={expansion}
            selected={target}
            onSelect={onSelect}
            onToggle={onToggle}
            onPick={onPick}
            pinned={pinned}
            focus={focus}
            showArtifacts={showArtifacts}
            onSelectArtifact={onSelectArtifact}
          />
        ) : (
          <div className="graph muted">Loading the graph…</div>
        )}
        {selected ? (
          <TaskPanel
            runId={runId}
            node={selected}
            tab={tab}
            attempt={attempt}
            onTab={(name) => update({ tab: name === "overview" ? null : name })}
            onAttempt={(chosen) => update({ attempt: chosen === null ? null : String(chosen) })}
            onClose={() => update({ task: null, tab: null, attempt: null })}
          />
        ) : artifact && view === "graph" ? (
          <ArtifactPanel artifact={artifact} onTask={onSelect} onClose={() => update({ artifact: null })} />
        ) : null}
      </div>
    </section>
  );
}

function openFor(expansion: Expansion, id: string, byId: ReadonlyMap<string, LayoutNode>): string {
  if (expansion === "all") return "all";
  const open = new Set(expansion);
  // A small loop's iterations open with it; a big loop's is picked.
  for (const box of boxesToOpen(id, byId)) open.add(box);
  return formatExpansion(open);
}

type RunView = "graph" | "timeline" | "outputs" | "parameters" | "spec";
const VIEWS: [RunView, string][] = [
  ["graph", "Graph"],
  ["timeline", "Timeline"],
  ["outputs", "Outputs"],
  ["parameters", "Parameters"],
  ["spec", "Spec"],
];

function ValueTable({ title, values }: { title: string; values: Record<string, unknown> }) {
  const entries = Object.entries(values);
  return (
    <>
      <h3>{title}</h3>
      {entries.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="grid compact" aria-label={title}>
          <tbody>
            {entries.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>
                  <code>{valueText(value)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function ParametersView({ run }: { run: RunDetail }) {
  return (
    <div className="pad scroll">
      <ValueTable title="Run parameters" values={run.parameters} />
      <ValueTable title="Pipeline outputs" values={run.outputs} />
      <h3>Pipeline root</h3>
      <code>{run.pipeline_root}</code>
    </div>
  );
}

function SpecView({ runId }: { runId: string }) {
  const spec = useQuery({
    queryKey: ["spec", runId],
    queryFn: () => api<RunSpec>(`${UI_API}/runs/${encodeURIComponent(runId)}/spec`),
    staleTime: Infinity,
  });
  if (spec.error) return <p className="error pad">{spec.error.message}</p>;
  if (!spec.data) return <p className="muted pad">Loading the spec…</p>;
  const text = JSON.stringify(spec.data.platform_spec ? spec.data : spec.data.pipeline_spec, null, 2);
  return (
    <div className="pad scroll">
      <button type="button" onClick={() => void navigator.clipboard?.writeText(text)}>
        Copy
      </button>
      <pre className="log" aria-label="Pipeline spec">
        {text}
      </pre>
    </div>
  );
}
