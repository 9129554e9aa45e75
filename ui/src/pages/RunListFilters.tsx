// The run list's filters, every one in the URL and applied by the server (so paging stays
// right): state, experiment, pipeline and version, recurring run, created range, name,
// metric predicate, archived. A predicate the server refuses shows its message here.
import { useId } from "react";
import { RUN_STATES } from "../format";
import { usePipelines, useVersions } from "../forms/kfp";
import { useDraft } from "../useDraft";
import { useExperiments } from "./Experiments";
import { useRecurringRuns } from "./Recurring";

/** The URL parameters the filters own. */
export const FILTER_PARAMS = ["state", "experiment", "pipeline", "version", "recurring", "from", "to", "q", "metric", "archived"] as const;
export type Filters = Record<(typeof FILTER_PARAMS)[number], string>;

export function filtersOf(params: URLSearchParams): Filters {
  return Object.fromEntries(FILTER_PARAMS.map((name) => [name, params.get(name) ?? ""])) as Filters;
}

interface Props {
  filters: Filters;
  update: (changes: Record<string, string>) => void;
  /** The server's answer to a bad metric predicate, shown under the box. */
  metricError: string | null;
  total: number | undefined;
}

function Select({ label, value, options, onChange }: { label: string; value: string; options: { value: string; text: string }[]; onChange: (value: string) => void }) {
  return (
    <label>
      {label}{" "}
      <select aria-label={`${label} filter`} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">any</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.text}
          </option>
        ))}
        {value && !options.some((option) => option.value === value) ? <option value={value}>{value}</option> : null}
      </select>
    </label>
  );
}

export function RunListFilters({ filters, update, metricError, total }: Props) {
  const experiments = useExperiments();
  const pipelines = usePipelines();
  const versions = useVersions(filters.pipeline);
  const recurring = useRecurringRuns();
  const [name, setName] = useDraft(filters.q);
  const [metric, setMetric] = useDraft(filters.metric);
  const [from, setFrom] = useDraft(filters.from);
  const [to, setTo] = useDraft(filters.to);
  const [archived, setArchived] = useDraft(filters.archived === "1");
  const metricHelp = useId();
  return (
    <>
      <div className="toolbar">
        <Select
          label="State"
          value={filters.state}
          options={RUN_STATES.map((state) => ({ value: state, text: state.toLowerCase() }))}
          onChange={(state) => update({ state })}
        />
        <Select
          label="Experiment"
          value={filters.experiment}
          options={(experiments.data?.experiments ?? []).map((item) => ({ value: item.experiment_id, text: item.display_name }))}
          onChange={(experiment) => update({ experiment })}
        />
        <Select
          label="Pipeline"
          value={filters.pipeline}
          options={(pipelines.data?.pipelines ?? []).map((item) => ({ value: item.pipeline_id, text: item.display_name }))}
          onChange={(pipeline) => update({ pipeline, version: "" })}
        />
        {filters.pipeline ? (
          <Select
            label="Version"
            value={filters.version}
            options={(versions.data?.pipeline_versions ?? []).map((item) => ({ value: item.pipeline_version_id, text: item.display_name }))}
            onChange={(version) => update({ version })}
          />
        ) : null}
        <Select
          label="Recurring run"
          value={filters.recurring}
          options={(recurring.data ?? []).map((item) => ({ value: item.recurring_run_id, text: item.display_name }))}
          onChange={(value) => update({ recurring: value })}
        />
        <label>
          Created from{" "}
          <input
            type="date"
            aria-label="Created from"
            value={from}
            max={to || undefined}
            onChange={(event) => {
              setFrom(event.target.value);
              update({ from: event.target.value });
            }}
          />
        </label>
        <label>
          to{" "}
          <input
            type="date"
            aria-label="Created to"
            value={to}
            min={from || undefined}
            onChange={(event) => {
              setTo(event.target.value);
              update({ to: event.target.value });
            }}
          />
        </label>
      </div>
      <div className="toolbar">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            update({ q: name });
          }}
        >
          <input type="search" aria-label="Filter by name" placeholder="Filter by name" value={name} onChange={(event) => setName(event.target.value)} />
        </form>
        <form
          className="metric-filter"
          onSubmit={(event) => {
            event.preventDefault();
            update({ metric: metric.trim() });
          }}
        >
          <input
            type="search"
            aria-label="Metric filter"
            aria-describedby={metricHelp}
            aria-invalid={metricError ? true : undefined}
            placeholder="accuracy > 0.5 AND loss < 0.2"
            value={metric}
            onChange={(event) => setMetric(event.target.value)}
          />
          <span id={metricHelp} className={metricError ? "error" : "muted"} role={metricError ? "alert" : undefined} data-testid="metric-help">
            {metricError ?? "> >= < <= = !=, joined by AND (Enter applies)"}
          </span>
        </form>
        <label>
          <input
            type="checkbox"
            checked={archived}
            onChange={(event) => {
              setArchived(event.target.checked);
              update({ archived: event.target.checked ? "1" : "" });
            }}
          />{" "}
          Archived
        </label>
        <span className="muted" data-testid="run-total">
          {total !== undefined ? `${total} runs` : ""}
        </span>
      </div>
    </>
  );
}
