// The run list's state beyond the URL's filters: pinned metric columns (kept per experiment,
// or for all runs, in localStorage), the sort a column header toggles, the created range as
// the times the server filters on, parameter chips, and the one batched call behind the
// experiments' and recurring runs' "last runs". The pure parts are unit-tested in
// runListState.test.ts.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, UI_API, type RunSummary } from "../api/client";
import type { components } from "../api/schema";

export type RunGroupSummary = components["schemas"]["RunGroupSummary"];
type RunGroupSummaryPage = components["schemas"]["RunGroupSummaryPage"];

/** How many metric columns a run list can pin. */
export const MAX_PINNED = 3;

/** The localStorage key of the pinned columns of an experiment ("" for all runs). */
export function pinnedKey(experimentId: string): string {
  return `sluice.pinnedMetrics.${experimentId || "all"}`;
}

/** Pinned column names read back from storage: strings only, no repeats, at most 3. */
export function parsePinned(raw: string | null): string[] {
  if (!raw) return [];
  try {
    const value: unknown = JSON.parse(raw);
    if (!Array.isArray(value)) return [];
    const names = value.filter((item): item is string => typeof item === "string" && item !== "");
    return [...new Set(names)].slice(0, MAX_PINNED);
  } catch {
    return [];
  }
}

/** Unpin ``name`` if pinned, else pin it at the end (when fewer than 3 are pinned). */
export function togglePinned(pinned: readonly string[], name: string): string[] {
  if (pinned.includes(name)) return pinned.filter((item) => item !== name);
  return pinned.length < MAX_PINNED ? [...pinned, name] : [...pinned];
}

/** The metric names a picker offers: those the page's runs logged, and the pinned ones. */
export function metricNames(runs: readonly Pick<RunSummary, "metrics">[], pinned: readonly string[]): string[] {
  const names = new Set(pinned);
  for (const run of runs) for (const name of Object.keys(run.metrics ?? {})) names.add(name);
  return [...names].sort((a, b) => a.localeCompare(b));
}

/** The sort a header click gives: descending first, then ascending, then the default. */
export function nextSort(current: string, key: string): string {
  if (current === `-${key}`) return key;
  if (current === key) return "";
  return `-${key}`;
}

/** The arrow a header shows for ``key`` under ``current`` ("" when not sorted on it). */
export function sortArrow(current: string, key: string): string {
  if (current === `-${key}`) return "▼";
  if (current === key) return "▲";
  return "";
}

/** A day (YYYY-MM-DD, the browser's calendar) as the instant it starts, plus ``days`` days,
 * in RFC 3339: the ``to`` day is inclusive, so it is sent as the start of the next. */
export function dayStart(day: string, days = 0): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A metric value as a cell: six significant digits. */
export function metricCell(value: number | undefined): string {
  return value === undefined ? "" : String(Number(value.toPrecision(6)));
}

/** Up to ``max`` ``name=value`` chips of a run's parameters, and how many are left out. */
export function parameterChips(parameters: Record<string, unknown> | undefined, max = 3): { chips: string[]; more: number } {
  const entries = Object.entries(parameters ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const text = (value: unknown) => {
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    return shown.length > 24 ? `${shown.slice(0, 23)}…` : shown;
  };
  return { chips: entries.slice(0, max).map(([name, value]) => `${name}=${text(value)}`), more: Math.max(entries.length - max, 0) };
}

/** The pinned metric columns of an experiment's run list ("" for all runs), kept in
 * localStorage; re-read when the experiment changes. */
export function usePinnedMetrics(experimentId: string): [string[], (next: string[]) => void] {
  const key = pinnedKey(experimentId);
  const [pinned, setPinned] = useState(() => parsePinned(localStorage.getItem(key)));
  useEffect(() => setPinned(parsePinned(localStorage.getItem(key))), [key]);
  const save = (next: string[]) => {
    localStorage.setItem(key, JSON.stringify(next));
    setPinned(next);
  };
  return [pinned, save];
}

/** Each experiment's or recurring run's run count and ``perGroup`` newest runs, in one call
 * (GET /runs:latest) for a whole list instead of one per row; by id. */
export function useLatestRuns(groupBy: "experiment" | "recurring_run", ids: readonly string[], perGroup: number, archived = false) {
  const key = [...ids].sort().join(",");
  return useQuery({
    queryKey: ["runs", "latest", groupBy, key, perGroup, archived],
    enabled: ids.length > 0,
    queryFn: () =>
      api<RunGroupSummaryPage>(`${UI_API}/runs:latest`, {}, { group_by: groupBy, ids: key, per_group: perGroup, archived: archived ? "true" : undefined }),
    select: (page) => new Map(page.groups.map((group) => [group.id, group])),
  });
}
