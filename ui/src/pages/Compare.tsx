// The Compare page: /compare?runs=a,b,c&only_diff=1&tab=params|metrics|roc|cm|html&baseline=<run>.
// Parameters (differences only by default), scalar metrics with the best value marked and
// deltas against a baseline run, ROC or precision-recall curves overlaid (`curve=pr`; KFP's
// and Vertex's classification artifacts), confusion matrices and HTML/Markdown side by
// side. Up to 50 runs (KFP stops at 10).
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { StateBadge } from "../StateBadge";
import { DocumentView } from "../viewers/ArtifactViewer";
import { ConfusionMatrixView } from "../viewers/ConfusionMatrix";
import { classificationMetadata, prPoints, rocPoints } from "../viewers/curves";
import { confusionMatrix, parseRunIds } from "../viewers/logic";
import { PrChart, RocChart } from "../viewers/RocChart";
import { useComparison, type Comparison } from "../viewers/RunOutputs";
import { byKey, CLASSIFICATION, curveGroups } from "./compareCurves";
import { CompareTables } from "./CompareTables";

type CompareTab = "params" | "metrics" | "roc" | "cm" | "html";
const TABS: [CompareTab, string][] = [
  ["params", "Parameters"],
  ["metrics", "Metrics"],
  ["roc", "ROC and PR curves"],
  ["cm", "Confusion matrices"],
  ["html", "HTML and Markdown"],
];

type CurveName = "roc" | "pr";

export function Compare() {
  const [params, setParams] = useSearchParams();
  const runIds = parseRunIds(params.get("runs"));
  const onlyDiff = params.get("only_diff") !== "0";
  const tabName = params.get("tab");
  const tab: CompareTab = TABS.some(([name]) => name === tabName) ? (tabName as CompareTab) : "params";
  const baseline = params.get("baseline");
  const curve: CurveName = params.get("curve") === "pr" ? "pr" : "roc";
  const comparison = useComparison(runIds);
  const [adding, setAdding] = useState("");

  const update = (changes: Record<string, string | null>) =>
    setParams((old) => {
      const next = new URLSearchParams(old);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null || value === "") next.delete(key);
        else next.set(key, value);
      }
      return next;
    });
  const setRuns = (ids: string[]) => update({ runs: ids.join(","), baseline: baseline && ids.includes(baseline) ? baseline : null });

  const data = comparison.data;
  const names = useMemo(() => new Map(data?.runs.map((run) => [run.run_id, run.display_name]) ?? []), [data]);
  return (
    <section className="page compare-page">
      <h1>Compare runs</h1>
      <div className="toolbar" aria-label="Compared runs">
        {runIds.map((id) => {
          const run = data?.runs.find((r) => r.run_id === id);
          return (
            <span key={id} className="run-chip">
              <StateBadge state={run?.state} /> <Link to={`/runs/${encodeURIComponent(id)}`}>{names.get(id) ?? id}</Link>
              <button type="button" className="ghost" aria-label={`Remove ${names.get(id) ?? id}`} onClick={() => setRuns(runIds.filter((other) => other !== id))}>
                ✕
              </button>
            </span>
          );
        })}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (adding.trim()) setRuns([...runIds, ...parseRunIds(adding)]);
            setAdding("");
          }}
        >
          <input aria-label="Add a run by id" placeholder="Add a run id" value={adding} onChange={(event) => setAdding(event.target.value)} />
        </form>
        <span className="muted">{runIds.length} runs</span>
      </div>
      {runIds.length === 0 ? <p className="muted">No runs chosen: open a run and use “Compare with previous run”, or add run ids here.</p> : null}
      {comparison.error ? (
        <p role="alert" className="error">
          {comparison.error.message}
        </p>
      ) : null}
      <div role="tablist" className="tabs" aria-label="Comparison views">
        {TABS.map(([name, title]) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name} onClick={() => update({ tab: name === "params" ? null : name })}>
            {title}
          </button>
        ))}
      </div>
      {!data ? (
        runIds.length ? <p className="muted">Loading…</p> : null
      ) : tab === "params" || tab === "metrics" ? (
        <CompareTables
          comparison={data}
          tab={tab}
          onlyDiff={onlyDiff}
          baseline={baseline}
          onOnlyDiff={(only) => update({ only_diff: only ? null : "0" })}
          onBaseline={(id) => update({ baseline: id })}
        />
      ) : tab === "roc" ? (
        <Curves comparison={data} names={names} curve={curve} onCurve={(name) => update({ curve: name === "roc" ? null : name })} />
      ) : tab === "cm" ? (
        <SideBySide comparison={data} names={names} titles={CLASSIFICATION} />
      ) : (
        <SideBySide comparison={data} names={names} titles={["system.HTML", "system.Markdown"]} />
      )}
    </section>
  );
}

function Curves({ comparison, names, curve, onCurve }: { comparison: Comparison; names: Map<string, string>; curve: CurveName; onCurve: (name: CurveName) => void }) {
  // Memoized: a new curves array would draw the charts again.
  const roc = useMemo(() => curveGroups(comparison.artifacts, names, rocPoints), [comparison, names]);
  const pr = useMemo(() => curveGroups(comparison.artifacts, names, prPoints), [comparison, names]);
  return (
    <>
      <div className="toolbar" role="group" aria-label="Curve">
        {(
          [
            ["roc", "ROC"],
            ["pr", "Precision-recall"],
          ] as const
        ).map(([name, title]) => (
          <button key={name} type="button" aria-pressed={curve === name} onClick={() => onCurve(name)}>
            {title}
          </button>
        ))}
      </div>
      {curve === "roc" ? (
        roc.length === 0 ? (
          <p className="muted">None of these runs logged a ROC curve.</p>
        ) : (
          roc.map(([key, curves]) => (
            <section key={key} aria-label={`ROC ${key}`}>
              <h2>{key}</h2>
              <RocChart curves={curves} label={`ROC curves ${key}`} />
            </section>
          ))
        )
      ) : pr.length === 0 ? (
        <p className="muted">None of these runs logged a precision-recall curve (KFP’s log_roc_curve writes no precision; Vertex’s evaluation does).</p>
      ) : (
        pr.map(([key, curves]) => (
          <section key={key} aria-label={`PR ${key}`}>
            <h2>{key}</h2>
            <PrChart curves={curves} label={`Precision-recall curves ${key}`} />
          </section>
        ))
      )}
    </>
  );
}

function SideBySide({ comparison, names, titles }: { comparison: Comparison; names: Map<string, string>; titles: string[] }) {
  const groups = byKey(comparison.artifacts, titles);
  if (groups.length === 0) return <p className="muted">None of these runs has such an output.</p>;
  return (
    <>
      {groups.map(([key, artifacts]) => (
        <section key={key} aria-label={`Outputs ${key}`}>
          <h2>{key}</h2>
          <div className="side-by-side">
            {artifacts.map((artifact) => {
              const name = names.get(artifact.run_id) ?? artifact.run_id;
              const matrix = confusionMatrix(classificationMetadata(artifact.metadata));
              return (
                <figure key={`${artifact.run_id}-${artifact.artifact_id ?? ""}`} className="side">
                  <figcaption>{name}</figcaption>
                  {CLASSIFICATION.includes(artifact.schema_title) ? (
                    matrix ? (
                      <ConfusionMatrixView matrix={matrix} label={`Confusion matrix ${name}`} />
                    ) : (
                      <p className="muted">No confusion matrix.</p>
                    )
                  ) : (
                    <DocumentView artifact={{ ...artifact, id: artifact.artifact_id }} label={`${key} ${name}`} />
                  )}
                </figure>
              );
            })}
          </div>
        </section>
      ))}
    </>
  );
}
