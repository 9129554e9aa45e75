// The diff between two versions of a pipeline (the pipeline page's Diff view): two version
// pickers in the URL (`base`, `head`), the summary (tasks added, removed, changed; inputs
// added, removed, given another default), and the unified diff of their IR as YAML. The
// server computes it (`versions:diff`): the summary needs the IR's structure.
import { useQuery } from "@tanstack/react-query";
import { api, UI_API } from "../api/client";
import type { components } from "../api/schema";
import { when } from "../format";
import type { PipelineVersion } from "../forms/kfp";
import "./SpecDiff.css";

type VersionDiff = components["schemas"]["VersionDiff"];

/** The class of one line of a unified diff: a file header, a hunk header, added, removed. */
export function diffLineKind(line: string): "file" | "hunk" | "add" | "del" | "same" {
  if (line.startsWith("+++ ") || line.startsWith("--- ")) return "file";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  return "same";
}

/** The versions to diff: those in the URL, else the shown version against the one before it. */
export function defaultPair(versions: readonly { pipeline_version_id: string }[], shown: string, base: string | null, head: string | null): [string, string] {
  const headId = head || shown || (versions[0]?.pipeline_version_id ?? "");
  if (base) return [base, headId];
  const at = versions.findIndex((v) => v.pipeline_version_id === headId);
  const older = versions[at + 1] ?? versions.find((v) => v.pipeline_version_id !== headId);
  return [older?.pipeline_version_id ?? headId, headId];
}

/** A default as JSON (strings quoted, so `"1"` and `1` differ), or "none" when there is none. */
export function defaultText(value: unknown): string {
  return value === null || value === undefined ? "none" : JSON.stringify(value);
}

function Names({ label, names }: { label: string; names: string[] }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={`diff-${label.toLowerCase().replaceAll(" ", "-")}`}>{names.length ? names.join(", ") : <span className="muted">none</span>}</dd>
    </>
  );
}

function Picker({ label, value, versions, onPick }: { label: string; value: string; versions: PipelineVersion[]; onPick: (id: string) => void }) {
  return (
    <label>
      {label}{" "}
      <select aria-label={label} value={value} onChange={(event) => onPick(event.target.value)}>
        {versions.map((item) => (
          <option key={item.pipeline_version_id} value={item.pipeline_version_id}>
            {item.display_name} ({when(item.created_at)})
          </option>
        ))}
      </select>
    </label>
  );
}

export function SpecDiff({ pipelineId, versions, base, head, onPick }: { pipelineId: string; versions: PipelineVersion[]; base: string; head: string; onPick: (base: string, head: string) => void }) {
  const diff = useQuery({
    queryKey: ["version-diff", pipelineId, base, head],
    enabled: base !== "" && head !== "",
    staleTime: Infinity,
    retry: false,
    queryFn: () => api<VersionDiff>(`${UI_API}/pipelines/${encodeURIComponent(pipelineId)}/versions:diff`, {}, { base, head }),
  });
  const data = diff.data;
  return (
    <section aria-label="Version diff">
      <div className="spec-diff-pickers">
        <Picker label="From version" value={base} versions={versions} onPick={(id) => onPick(id, head)} />
        <Picker label="To version" value={head} versions={versions} onPick={(id) => onPick(base, id)} />
        <button type="button" onClick={() => onPick(head, base)} disabled={base === head}>
          Swap
        </button>
      </div>
      {versions.length < 2 ? <p className="muted">This pipeline has one version: upload another to compare them.</p> : null}
      {diff.error ? (
        <p role="alert" className="error">
          {diff.error.message}
        </p>
      ) : null}
      {data ? (
        <>
          {data.identical ? <p className="notice">The two versions have the same spec.</p> : null}
          <dl className="spec-diff-summary" aria-label="Diff summary">
            <Names label="Tasks added" names={data.tasks_added} />
            <Names label="Tasks removed" names={data.tasks_removed} />
            <Names label="Tasks changed" names={data.tasks_changed} />
            <Names label="Inputs added" names={data.inputs_added} />
            <Names label="Inputs removed" names={data.inputs_removed} />
            <dt>Inputs changed</dt>
            <dd data-testid="diff-inputs-changed">
              {data.inputs_changed.length === 0 ? <span className="muted">none</span> : null}
              {data.inputs_changed.map((change) => (
                <div key={change.name}>
                  <code>{change.name}</code>: default {defaultText(change.base_default)} → {defaultText(change.head_default)}
                  {change.base_type !== change.head_type ? `, type ${change.base_type ?? "none"} → ${change.head_type ?? "none"}` : ""}
                </div>
              ))}
            </dd>
          </dl>
          {data.identical ? null : (
            <pre className="spec-diff" aria-label="Spec diff">
              {data.diff.split("\n").map((line, i) => (
                <span key={i} className={diffLineKind(line)}>
                  {line || " "}
                </span>
              ))}
            </pre>
          )}
        </>
      ) : null}
    </section>
  );
}
