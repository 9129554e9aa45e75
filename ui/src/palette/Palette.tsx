// The search and command palette (`/` or Ctrl-K): runs, pipelines, experiments and
// artifacts by name or id (GET /apis/sluice/v1/search), and actions. Arrows move, Enter
// opens, Esc closes.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { api, UI_API } from "../api/client";
import type { SearchResult } from "../pages/metadataApi";
import "../pages/metadata.css";
import { paletteItems, type Action, type PaletteItem } from "./items";
import { compareUrl, useSelectedRuns } from "./selection";

function useDebounced(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function Palette({ onClose, onToggleTheme }: { onClose: () => void; onToggleTheme: () => void }) {
  const [q, setQ] = useState("");
  const [active, setActive] = useState(0);
  const navigate = useNavigate();
  const input = useRef<HTMLInputElement>(null);
  const selected = useSelectedRuns();
  const query = useDebounced(q.trim(), 120);
  const search = useQuery({
    queryKey: ["search", query],
    queryFn: () => api<SearchResult>(`${UI_API}/search`, {}, { q: query, limit: 20 }),
    enabled: query !== "",
    retry: false,
    staleTime: 2_000,
  });
  useEffect(() => input.current?.focus(), []);
  const actions: Action[] = [
    { id: "theme", label: "Toggle theme", detail: "light → dark → system", enabled: true },
    { id: "compare", label: "Compare selected runs", detail: `${selected.length} selected in the run list`, enabled: selected.length >= 2 },
    { id: "runs", label: "Go to runs", enabled: true },
    { id: "artifacts", label: "Go to artifacts", enabled: true },
    { id: "executions", label: "Go to executions", enabled: true },
  ];
  // The hits of an older query are not shown for a newer one.
  const hits = query !== "" && query === q.trim() ? (search.data?.hits ?? []) : [];
  const items = paletteItems(q, hits, actions);
  useEffect(() => setActive(0), [q, hits.length]);

  const run = (item: PaletteItem | undefined) => {
    if (!item) return;
    onClose();
    if (item.url) void navigate(item.url);
    else if (item.action === "theme") onToggleTheme();
    else if (item.action === "compare") void navigate(compareUrl(selected));
    else if (item.action) void navigate(`/${item.action}`);
  };

  return (
    <div className="overlay" onClick={onClose}>
      <div role="dialog" aria-modal="true" aria-label="Search" className="palette" onClick={(event) => event.stopPropagation()}>
        <input
          ref={input}
          type="search"
          role="combobox"
          aria-label="Search runs, pipelines, experiments, artifacts"
          aria-expanded={items.length > 0}
          aria-controls="palette-items"
          placeholder="Search by name or id, or type an action"
          value={q}
          onChange={(event) => setQ(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "ArrowDown") {
              event.preventDefault();
              setActive((index) => Math.min(index + 1, items.length - 1));
            } else if (event.key === "ArrowUp") {
              event.preventDefault();
              setActive((index) => Math.max(index - 1, 0));
            } else if (event.key === "Enter") {
              event.preventDefault();
              run(items[active]);
            } else if (event.key === "Escape") {
              // Only the palette closes, not the side panel under it.
              event.preventDefault();
              event.stopPropagation();
              onClose();
            }
          }}
        />
        {search.error ? <p className="error">{search.error.message}</p> : null}
        <ul id="palette-items" role="listbox" aria-label="Results">
          {items.map((item, index) => (
            <li key={item.id} role="option" aria-selected={index === active} className={index === active ? "active" : ""} onMouseEnter={() => setActive(index)} onClick={() => run(item)}>
              <span className="kind">{item.kind}</span>
              <span>{item.label}</span>
              {item.detail ? <span className="muted">{item.detail}</span> : null}
            </li>
          ))}
        </ul>
        {q.trim() !== "" && query === q.trim() && search.isSuccess && hits.length === 0 ? <p className="muted">Nothing found by that name or id.</p> : null}
      </div>
    </div>
  );
}
