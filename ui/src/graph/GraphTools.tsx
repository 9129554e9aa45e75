// The Graph tab's toolbar (Expand all, Collapse all, the depth control, Find, the Artifacts
// toggle) and the node finder (`f`): type part of a task's (or a shown artifact's) name or
// path, Enter or a click selects it, which opens the boxes it is in and centres the graph
// on it.
import { useEffect, useMemo, useRef, useState } from "react";
import { findNodes, maxDepth, type LayoutNode } from "./layout";

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export function GraphToolbar({
  nodes,
  onExpandAll,
  onCollapseAll,
  onDepth,
  onFind,
  artifacts,
  onArtifacts,
}: {
  nodes: readonly LayoutNode[];
  onExpandAll: () => void;
  onCollapseAll: () => void;
  onDepth: (depth: number) => void;
  onFind: (id: string) => void;
  /** Whether artifact nodes are drawn, and how to switch them (no toggle without it). */
  artifacts?: boolean;
  onArtifacts?: (on: boolean) => void;
}) {
  const [finding, setFinding] = useState(false);
  const deepest = useMemo(() => maxDepth(nodes), [nodes]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "f" || isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      setFinding(true);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <div className="toolbar graph-toolbar">
      <button type="button" onClick={onExpandAll}>
        Expand all
      </button>
      <button type="button" onClick={onCollapseAll}>
        Collapse all
      </button>
      <label>
        Depth{" "}
        {/* Always shows "open to…": it is an action, and the boxes change in other ways too. */}
        <select aria-label="Depth" value="" onChange={(event) => event.target.value && onDepth(Number(event.target.value))}>
          <option value="" disabled>
            open to…
          </option>
          {Array.from({ length: deepest }, (_, index) => index + 1).map((depth) => (
            <option key={depth} value={depth}>
              {depth === 1 ? "1 (top level)" : depth}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => setFinding(true)} title="Find a task (f)">
        Find
      </button>
      {onArtifacts ? (
        <label className="artifacts-toggle" title="Draw each task's output artifacts between it and the tasks that read them">
          <input type="checkbox" checked={artifacts ?? false} onChange={(event) => onArtifacts(event.target.checked)} />
          Artifacts
        </label>
      ) : null}
      {finding ? (
        <NodeFinder
          nodes={nodes}
          onPick={(id) => {
            setFinding(false);
            onFind(id);
          }}
          onClose={() => setFinding(false)}
        />
      ) : null}
    </div>
  );
}

function NodeFinder({ nodes, onPick, onClose }: { nodes: readonly LayoutNode[]; onPick: (id: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const hits = useMemo(() => findNodes(nodes, query), [nodes, query]);
  useEffect(() => input.current?.focus(), []);
  return (
    <div className="node-finder" role="dialog" aria-label="Find a task">
      <input
        ref={input}
        role="combobox"
        aria-expanded={hits.length > 0}
        aria-controls="node-finder-hits"
        aria-label="Find a task"
        placeholder="Task name or path"
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
          setActive(0);
        }}
        onKeyDown={(event) => {
          if (event.key === "Escape") {
            // Close the finder only, not the side panel too.
            event.stopPropagation();
            event.nativeEvent.stopImmediatePropagation();
            onClose();
          } else if (event.key === "ArrowDown") {
            event.preventDefault();
            setActive((index) => Math.min(index + 1, hits.length - 1));
          } else if (event.key === "ArrowUp") {
            event.preventDefault();
            setActive((index) => Math.max(index - 1, 0));
          } else if (event.key === "Enter" && hits[active]) {
            event.preventDefault();
            onPick(hits[active].id);
          }
        }}
        onBlur={(event) => {
          if (!event.currentTarget.parentElement?.contains(event.relatedTarget as Node | null)) onClose();
        }}
      />
      {query.trim() && hits.length === 0 ? <p className="muted">No task matches.</p> : null}
      <ul role="listbox" id="node-finder-hits" aria-label="Matching tasks">
        {hits.map((node, index) => (
          <li
            key={node.id}
            role="option"
            aria-selected={index === active}
            tabIndex={-1}
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => onPick(node.id)}
          >
            <span>{node.display_name}</span>
            <span className="muted" title={node.id}>
              {node.id}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
