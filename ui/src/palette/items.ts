// What the palette lists for a query (unit-tested in items.test.ts): the server's search
// hits, then the actions whose label matches.
import type { SearchHit } from "../pages/metadataApi";

export interface PaletteItem {
  id: string;
  kind: SearchHit["kind"] | "action";
  label: string;
  detail: string | null;
  /** Where Enter goes (a route), or the action to run. */
  url: string | null;
  action: string | null;
}

export interface Action {
  id: string;
  label: string;
  detail?: string;
  enabled: boolean;
}

/** Hits first (as the server ranked them), then enabled actions matching every word of `q`. */
export function paletteItems(q: string, hits: readonly SearchHit[], actions: readonly Action[]): PaletteItem[] {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = actions.filter((action) => action.enabled && words.every((word) => action.label.toLowerCase().includes(word)));
  return [
    ...hits.map((hit) => ({ id: `${hit.kind}:${hit.id}`, kind: hit.kind, label: hit.name, detail: hit.detail ?? null, url: hit.url, action: null })),
    ...matching.map((action) => ({ id: `action:${action.id}`, kind: "action" as const, label: action.label, detail: action.detail ?? null, url: null, action: action.id })),
  ];
}
