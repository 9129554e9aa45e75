// The summary row of a loop over more than BIG_LOOP iterations (inside its open box):
// counts by state, and a picker that opens chosen iterations in place (type or pick an
// index; failed iterations are listed first, and "Next failed" steps through them).
import { useState } from "react";
import type { LoopSummary } from "./layout";

export function LoopPicker({
  loopName,
  summary,
  picked,
  started,
  onPick,
}: {
  loopName: string;
  summary: LoopSummary;
  /** The indexes of the iterations shown now. */
  picked: readonly number[];
  /** The indexes of the iterations that have started (have a box to open). */
  started: ReadonlySet<number>;
  onPick: (index: number) => void;
}) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const listId = `iterations-${loopName}`;
  const open = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= summary.total) {
      setProblem(`no iteration ${Number.isNaN(index) ? text : index}: pick 0 to ${summary.total - 1}`);
    } else if (!started.has(index)) {
      setProblem(`iteration ${index} has not started yet`);
    } else {
      setProblem(null);
      setText("");
      onPick(index);
    }
  };
  const last = picked.length ? Math.max(...picked) : -1;
  const nextFailed = summary.failed.find((index) => index > last) ?? summary.failed[0];
  // Failed first, then the rest in order (a datalist the browser offers while typing).
  const failedSet = new Set(summary.failed);
  const options = [...summary.failed, ...[...started].filter((index) => !failedSet.has(index)).sort((a, b) => a - b)];
  return (
    // nodrag/nopan/nowheel: typing and clicking here must not pan the graph or select the loop.
    <div className="loop-summary nodrag nopan nowheel" onClick={(event) => event.stopPropagation()} onDoubleClick={(event) => event.stopPropagation()}>
      <div className="loop-counts" aria-label={`Iterations of ${loopName} by state`}>
        {summary.counts.map(([state, count]) => (
          <span key={state} className={`count-chip state-${state.toLowerCase()}`} data-testid={`loop-count-${state}`}>
            {count} {state.toLowerCase()}
          </span>
        ))}
      </div>
      <form
        className="loop-pick"
        noValidate // the message below says what is wrong, not the browser's bubble
        onSubmit={(event) => {
          event.preventDefault();
          open(text.trim() === "" ? Number.NaN : Number(text));
        }}
      >
        <input
          type="number"
          min={0}
          max={Math.max(summary.total - 1, 0)}
          list={listId}
          value={text}
          placeholder={`0–${Math.max(summary.total - 1, 0)}`}
          aria-label={`Iteration of ${loopName}`}
          onChange={(event) => setText(event.target.value)}
        />
        <datalist id={listId}>
          {options.slice(0, 1000).map((index) => (
            <option key={index} value={index} label={failedSet.has(index) ? "failed" : undefined} />
          ))}
        </datalist>
        <button type="submit">Open</button>
        <button type="button" disabled={nextFailed === undefined} onClick={() => nextFailed !== undefined && open(nextFailed)}>
          Next failed{summary.failed.length ? ` (${summary.failed.length})` : ""}
        </button>
        {problem ? (
          <span role="alert" className="error">
            {problem}
          </span>
        ) : null}
      </form>
    </div>
  );
}
