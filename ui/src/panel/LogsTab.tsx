// The task panel's Logs tab: the live tail of one attempt (N5) with follow, search, ANSI
// colours, download, the attempt picker and the 4 MiB truncation notice; a cached task
// says where its log is instead.
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import { api, apiUrl, KFP_API, UI_API, type TaskDetail } from "../api/client";
import { ansiSegments, splitMatches, type AnsiState } from "./ansi";
import { sourceLink, useCache } from "./CacheTab";
import { appendLog, START, type LogChunk } from "./logBlocks";

// The blocks at the end that are always laid out (more than a screen of lines).
const EAGER_BLOCKS = 2;
// How many times (a second apart) to ask again for the log of a task that runs but has
// not written one yet.
const LOG_WAIT_TRIES = 60;
// The states after which a task writes no more log.
const FINAL_STATES = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED", "CACHED"]);

/** The log of one attempt over the log stream (N5): whole file (or its last 4 MiB), then
 * live lines while the attempt runs, until `end`. What arrives within one animation frame
 * is added at once, in blocks of BLOCK_LINES lines (logBlocks.ts): a 4 MiB tail is 64
 * events, and drawing the whole text again for each made the last lines of a 50 MB log
 * take seconds to show (benchmarks/ui.py --log-mb). */
function useLogStream(runId: string, taskId: string, attempt: number | null, live: boolean) {
  const [chunks, setChunks] = useState<LogChunk[]>([]);
  const [skipped, setSkipped] = useState(0);
  const [ended, setEnded] = useState<{ state: string; attempt: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [waiting, setWaiting] = useState(false);
  // Read when a stream is refused, not a reason to open it again.
  const liveNow = useRef(live);
  liveNow.current = live;
  useEffect(() => {
    setChunks([]);
    setSkipped(0);
    setEnded(null);
    setError(null);
    setWaiting(false);
    const url = apiUrl(`${UI_API}/runs/${encodeURIComponent(runId)}/logs:stream`, { task: taskId, attempt: attempt ?? undefined });
    let source: EventSource | null = null;
    let retry = 0;
    let tries = 0;
    let pending = "";
    let frame = 0;
    let cursor = START;
    const flush = () => {
      frame = 0;
      if (!pending) return;
      const { cursor: after, added, replaceLast } = appendLog(cursor, pending);
      cursor = after;
      pending = "";
      setChunks((old) => [...(replaceLast ? old.slice(0, -1) : old), ...added]);
    };
    const open = () => {
      const stream = new EventSource(url);
      source = stream;
      let opened = false;
      stream.onopen = () => {
        opened = true;
        setWaiting(false);
      };
      stream.addEventListener("log", (event) => {
        pending += (JSON.parse((event as MessageEvent<string>).data) as { text: string }).text;
        if (!frame) frame = window.requestAnimationFrame(flush);
      });
      stream.addEventListener("truncated", (event) => {
        setSkipped((JSON.parse((event as MessageEvent<string>).data) as { skipped: number }).skipped);
      });
      stream.addEventListener("end", (event) => {
        window.cancelAnimationFrame(frame);
        flush();
        setEnded(JSON.parse((event as MessageEvent<string>).data) as { state: string; attempt: number });
        stream.close();
      });
      stream.onerror = () => {
        // An open stream that drops reconnects by itself, resuming at its Last-Event-ID.
        if (opened) return;
        stream.close();
        // A task that has just started may not have written its log yet: try again
        // for a while rather than say it has none.
        if (liveNow.current && tries++ < LOG_WAIT_TRIES) {
          setWaiting(true);
          retry = window.setTimeout(open, 1000);
          return;
        }
        setWaiting(false);
        // A stream that never opened was refused (no log yet, no such attempt): say why.
        api<unknown>(`${KFP_API}/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(taskId)}/logs`, {}, { attempt: attempt ?? undefined }).then(
          () => setError("The log is not available yet."),
          (caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)),
        );
      };
    };
    open();
    return () => {
      window.cancelAnimationFrame(frame);
      window.clearTimeout(retry);
      source?.close();
    };
  }, [runId, taskId, attempt]);
  return { chunks, skipped, ended, error, waiting };
}

/** A cache hit ran nothing, so it has no log of its own: say so (never an error) and link
 * to the log of the task it reused, in that task's run. */
function CachedLog({ task }: { task: TaskDetail }) {
  const cache = useCache(task, true);
  const link = cache.data ? sourceLink(cache.data, "logs") : null;
  const source = cache.data?.source;
  // The source's run can have been deleted since: the log is then gone, which is worth
  // one line, not an error.
  const gone = cache.data !== undefined && link === null;
  return (
    <div data-testid="cached-log">
      <p className="muted">
        No log: taken from the cache.{" "}
        {link ? <Link to={link}>Open the log of the task it reused.</Link> : null}
      </p>
      {link && source ? (
        <p className="muted">
          It reused task <code>{source.task_path}</code> of run {source.run_name ?? source.run_id}.
        </p>
      ) : gone ? (
        <p className="muted">The task it reused is no longer stored (its run was deleted), and its log with it.</p>
      ) : null}
    </div>
  );
}

/** One block of the log with its ANSI colours, the matches of `query` marked. Memoised, so
 * a new block renders alone. A `lazy` block has `content-visibility: auto`: the browser
 * skips laying it out while it is out of view (most of a 4 MiB tail), sizing it by its
 * line count meanwhile. The last blocks are never lazy, so the end that Follow scrolls to
 * is where the real end is, not an estimate. */
const LogChunkText = memo(function LogChunkText({ text, lines, start, query, lazy }: { text: string; lines: number; start: AnsiState; query: string; lazy: boolean }) {
  const segments = useMemo(() => ansiSegments(text, start), [text, start]);
  let key = 0;
  return (
    <span className="log-chunk" style={lazy ? { display: "block", contentVisibility: "auto", containIntrinsicSize: `auto ${(lines * 1.2).toFixed(1)}em` } : { display: "block" }}>
      {segments.map((segment) => {
        const classes = [segment.fg ? `ansi-${segment.fg}` : "", segment.bold ? "ansi-bold" : ""].filter(Boolean).join(" ");
        const parts = splitMatches(segment.text, query).map((part, index) =>
          index % 2 === 1 ? <mark key={key++}>{part}</mark> : part ? <span key={key++}>{part}</span> : null,
        );
        return classes ? (
          <span key={key++} className={classes}>
            {parts}
          </span>
        ) : (
          parts
        );
      })}
    </span>
  );
});

export function Logs({ task, attempt, onAttempt }: { task: TaskDetail; attempt: number | null; onAttempt: (attempt: number | null) => void }) {
  if (task.state === "CACHED") return <CachedLog task={task} />;
  return <LiveLog task={task} attempt={attempt} onAttempt={onAttempt} />;
}

function LiveLog({ task, attempt, onAttempt }: { task: TaskDetail; attempt: number | null; onAttempt: (attempt: number | null) => void }) {
  const log = useLogStream(task.run_id, task.task_id, attempt, task.kind === "container" && !FINAL_STATES.has(task.state));
  const [query, setQuery] = useState("");
  const [wrap, setWrap] = useState(true);
  // Follow: keep the end in view as lines arrive; scrolling up pauses it, back down resumes.
  const [follow, setFollow] = useState(true);
  // The lines shown when Follow was paused: the jump button counts the ones since.
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  // The match stepped to with Enter / the arrows (its index among the marks), -1: none yet.
  const [current, setCurrent] = useState(-1);
  // Counts the steps, so stepping to the same match again (the only one) shows it again.
  const [steps, setSteps] = useState(0);
  const pre = useRef<HTMLPreElement>(null);
  const lines = useMemo(() => log.chunks.reduce((sum, chunk) => sum + chunk.lines, 0), [log.chunks]);
  const pause = (paused: boolean) => {
    setFollow(!paused);
    setPausedAt(paused ? lines : null);
  };
  useLayoutEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [log.chunks, follow, wrap]);
  const download = apiUrl(`${UI_API}/runs/${encodeURIComponent(task.run_id)}/logs:download`, {
    task: task.task_id,
    attempt: attempt ?? undefined,
  });
  const matches = useMemo(() => (query ? log.chunks.reduce((sum, chunk) => sum + (splitMatches(chunk.text, query).length >> 1), 0) : 0), [log.chunks, query]);
  // Mark the current match (the marks are the memoised blocks' own, so this touches the
  // DOM rather than drawing every block again), and bring it into view when it is a new
  // one: lines that arrive later must not pull the view back to it.
  const shown = useRef("");
  useEffect(() => {
    if (!query) return;
    const marks = pre.current?.querySelectorAll("mark");
    if (!marks) return;
    marks.forEach((mark, index) => mark.classList.toggle("current", index === current));
    const key = `${steps}\u0000${query}`;
    if (current >= 0 && shown.current !== key) {
      shown.current = key;
      marks[current]?.scrollIntoView({ block: "center" });
    }
  }, [current, steps, log.chunks, query]);
  const step = (by: number) => {
    if (!matches) return;
    pause(true);
    setSteps((count) => count + 1);
    setCurrent((at) => (at < 0 ? (by > 0 ? 0 : matches - 1) : (at + by + matches) % matches));
  };
  const picker =
    task.attempts.length > 1 ? (
      <label>
        Attempt{" "}
        <select
          aria-label="Attempt"
          value={attempt ?? task.attempts[task.attempts.length - 1]?.attempt ?? ""}
          onChange={(event) => {
            const chosen = Number(event.target.value);
            onAttempt(chosen === task.attempts[task.attempts.length - 1]?.attempt ? null : chosen);
          }}
        >
          {task.attempts.map((item) => (
            <option key={item.attempt} value={item.attempt}>
              {item.attempt} ({item.state.toLowerCase()})
            </option>
          ))}
        </select>
      </label>
    ) : null;
  const chosen = task.attempts.find((item) => item.attempt === (attempt ?? task.attempts[task.attempts.length - 1]?.attempt));
  if (log.error) return <div>{picker}<p className="muted">{log.error}</p></div>;
  const newLines = pausedAt === null ? 0 : Math.max(0, lines - pausedAt);
  return (
    <div>
      {picker}
      {chosen?.error ? (
        <p role="alert" className="error">
          {chosen.error}
        </p>
      ) : null}
      {log.skipped ? (
        <p className="notice">
          Truncated: showing the last 4 MiB ({log.skipped} bytes before them are not shown).{" "}
          <a href={download} download>
            Download the whole file
          </a>
        </p>
      ) : null}
      <p className="muted" data-testid="log-status">
        {log.ended ? `Attempt ${log.ended.attempt} ended (${log.ended.state.toLowerCase()}).` : log.waiting ? "Waiting for the task to write its log…" : "Following the log…"}{" "}
        <span data-testid="log-lines">{lines === 1 ? "1 line" : `${lines.toLocaleString("en-US")} lines`}</span>
      </p>
      <div className="toolbar">
        <input
          type="search"
          aria-label="Search the log"
          placeholder="Search the log"
          value={query}
          onChange={(event) => {
            setQuery(event.target.value);
            setCurrent(-1);
          }}
          onKeyDown={(event) => {
            if (event.key === "Enter") {
              event.preventDefault();
              step(event.shiftKey ? -1 : 1);
            }
          }}
        />
        {query ? (
          <>
            <span className="muted" data-testid="log-matches">
              {current >= 0 && matches ? `${Math.min(current, matches - 1) + 1} of ${matches}` : matches === 1 ? "1 match" : `${matches} matches`}
            </span>
            <button type="button" className="ghost" aria-label="Previous match" disabled={!matches} onClick={() => step(-1)}>
              ↑
            </button>
            <button type="button" className="ghost" aria-label="Next match" disabled={!matches} onClick={() => step(1)}>
              ↓
            </button>
          </>
        ) : null}
        <label>
          <input type="checkbox" checked={follow} onChange={(event) => pause(!event.target.checked)} /> Follow
        </label>
        <label>
          <input type="checkbox" checked={wrap} onChange={(event) => setWrap(event.target.checked)} /> Wrap
        </label>
        <a href={download} download>
          Download
        </a>
      </div>
      <div className="log-wrap">
      <pre
        ref={pre}
        className={wrap ? "log" : "log nowrap"}
        aria-label="Log"
        data-testid="log"
        data-ended={log.ended !== null}
        data-follow={follow}
        onScroll={(event) => {
          const box = event.currentTarget;
          const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
          if (atEnd !== follow) pause(!atEnd);
        }}
      >
        {log.chunks.map((chunk, index) => (
          <LogChunkText key={chunk.key} text={chunk.text} lines={chunk.lines} start={chunk.start} query={query} lazy={index < log.chunks.length - EAGER_BLOCKS} />
        ))}
      </pre>
      {!follow ? (
        <button type="button" className="log-jump" onClick={() => pause(false)}>
          {newLines ? `↓ ${newLines.toLocaleString("en-US")} new line${newLines === 1 ? "" : "s"}` : "↓ Jump to the end"}
        </button>
      ) : null}
      </div>
    </div>
  );
}
