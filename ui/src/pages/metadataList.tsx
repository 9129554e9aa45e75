// What the artifacts, executions and contexts lists share: the AIP-160 filter and the page
// token in the URL, the list call (N10), and the page around each one's own table (title,
// filter box, facets, the server's error, the empty line, First page / Next page).
import { keepPreviousData, useQuery, type UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useSearchParams } from "react-router";
import { api, UI_API } from "../api/client";
import { Facets, MetadataFilter } from "./MetadataFilter";

/** Paging state in the URL: `page` is the token of the shown page. */
export function usePaging(): { token: string; next: (token: string) => void; first: () => void } {
  const [params, setParams] = useSearchParams();
  const token = params.get("page") ?? "";
  return {
    token,
    next: (value) => {
      const nextParams = new URLSearchParams(params);
      nextParams.set("page", value);
      setParams(nextParams);
    },
    first: () => {
      const nextParams = new URLSearchParams(params);
      nextParams.delete("page");
      setParams(nextParams);
    },
  };
}

/** The `filter` parameter in the URL; applying a new one goes back to the first page. */
export function useFilterParam(): [string, (filter: string) => void] {
  const [params, setParams] = useSearchParams();
  const filter = params.get("filter") ?? "";
  const apply = (value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set("filter", value);
    else next.delete("filter");
    next.delete("page");
    setParams(next);
  };
  return [filter, apply];
}

/** The fields every metadata list page has (ArtifactPage, ExecutionPage, ContextPage). */
export interface MetadataListPage {
  facets: Record<string, number>;
  filter_fields: string[];
  next_page_token: string | null;
}

export type MetadataKind = "artifacts" | "executions" | "contexts";

export interface MetadataList<P extends MetadataListPage> {
  filter: string;
  apply: (filter: string) => void;
  paging: ReturnType<typeof usePaging>;
  page: UseQueryResult<P, Error>;
}

/** One page of a metadata list, for the filter and page token in the URL. */
export function useMetadataList<P extends MetadataListPage>(kind: MetadataKind): MetadataList<P> {
  const [filter, apply] = useFilterParam();
  const paging = usePaging();
  const page = useQuery({
    queryKey: [kind, filter, paging.token],
    queryFn: () => api<P>(`${UI_API}/${kind}`, {}, { filter, page_token: paging.token, page_size: 50 }),
    placeholderData: keepPreviousData,
    retry: false,
  });
  return { filter, apply, paging, page };
}

interface ShellProps<P extends MetadataListPage> {
  title: string;
  /** The singular noun of the filter box's label ("Artifact filter"). */
  noun: string;
  facets: { label: string; field: string };
  list: MetadataList<P>;
  /** How many rows the page shows (for the "No … match." line). */
  rowCount: number;
  children: ReactNode;
}

/** The page around a metadata list's table. */
export function MetadataListShell<P extends MetadataListPage>({ title, noun, facets, list, rowCount, children }: ShellProps<P>) {
  const { filter, apply, paging, page } = list;
  return (
    <section className="page">
      <h1>{title}</h1>
      <MetadataFilter label={`${noun} filter`} value={filter} fields={page.data?.filter_fields ?? []} onApply={apply} />
      <Facets label={facets.label} field={facets.field} facets={page.data?.facets ?? {}} filter={filter} onApply={apply} />
      {page.error ? (
        <p role="alert" className="error">
          {page.error.message}
        </p>
      ) : null}
      {children}
      {page.data && !page.error && rowCount === 0 ? <p className="muted">No {title.toLowerCase()} match.</p> : null}
      <div className="toolbar">
        {paging.token ? (
          <button type="button" onClick={paging.first}>
            First page
          </button>
        ) : null}
        {page.data?.next_page_token && !page.error ? (
          <button type="button" onClick={() => paging.next(page.data?.next_page_token ?? "")}>
            Next page
          </button>
        ) : null}
      </div>
    </section>
  );
}
