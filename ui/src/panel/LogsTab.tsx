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

/** The log of one attempt over the log stream (N5): whole file (or its last 4 MiB), then
 * live lines while the attempt runs, until `end`. What arrives within one animation frame
 * is added at once, in blocks of BLOCK_LINES lines (logBlocks.ts): a 4 MiB tail is 64
 * events, and drawing the whole text again for each made the last lines of a 50 MB log
 * take seconds to show (benchmarks/ui.py --log-mb). */
function useLogStream(runId: string, taskId: string, attempt: number | null) {
  const [chunks, setChunks] = useState<LogChunk[]>([]);
  const [skipped, setSkipped] = useState(0);
  const [ended, setEnded] = useState<{ state: string; attempt: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setChunks([]);
    setSkipped(0);
    setEnded(null);
    setError(null);
    const url = apiUrl(`${UI_API}/runs/${encodeURIComponent(runId)}/logs:stream`, { task: taskId, attempt: attempt ?? undefined });
    const source = new EventSource(url);
    let opened = false;
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
    source.onopen = () => {
      opened = true;
    };
    source.addEventListener("log", (event) => {
      pending += (JSON.parse((event as MessageEvent<string>).data) as { text: string }).text;
      if (!frame) frame = window.requestAnimationFrame(flush);
    });
    source.addEventListener("truncated", (event) => {
      setSkipped((JSON.parse((event as MessageEvent<string>).data) as { skipped: number }).skipped);
    });
    source.addEventListener("end", (event) => {
      window.cancelAnimationFrame(frame);
      flush();
      setEnded(JSON.parse((event as MessageEvent<string>).data) as { state: string; attempt: number });
      source.close();
    });
    source.onerror = () => {
      // A stream that never opened was refused (no log yet, no such attempt): say why.
      if (!opened) {
        source.close();
        api<unknown>(`${KFP_API}/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(taskId)}/logs`, {}, { attempt: attempt ?? undefined }).then(
          () => setError("The log is not available yet."),
          (caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)),
        );
      }
    };
    return () => {
      window.cancelAnimationFrame(frame);
      source.close();
    };
  }, [runId, taskId, attempt]);
  return { chunks, skipped, ended, error };
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
  const log = useLogStream(task.run_id, task.task_id, attempt);
  const [query, setQuery] = useState("");
  // Follow: keep the end in view as lines arrive; scrolling up pauses it, back down resumes.
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  useLayoutEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [log.chunks, follow]);
  const download = apiUrl(`${UI_API}/runs/${encodeURIComponent(task.run_id)}/logs:download`, {
    task: task.task_id,
    attempt: attempt ?? undefined,
  });
  const matches = useMemo(() => (query ? log.chunks.reduce((sum, chunk) => sum + (splitMatches(chunk.text, query).length >> 1), 0) : 0), [log.chunks, query]);
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
      <p className="muted">
        {log.ended ? `Attempt ${log.ended.attempt} ended (${log.ended.state.toLowerCase()}).` : "Following the log…"}
      </p>
      <div className="toolbar">
        <input type="search" aria-label="Search the log" placeholder="Search the log" value={query} onChange={(event) => setQuery(event.target.value)} />
        {query ? <span className="muted" data-testid="log-matches">{matches === 1 ? "1 match" : `${matches} matches`}</span> : null}
        <label>
          <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} /> Follow
        </label>
        <a href={download} download>
          Download
        </a>
      </div>
      <pre
        ref={pre}
        className="log"
        aria-label="Log"
        data-testid="log"
        data-ended={log.ended !== null}
        onScroll={(event) => {
          const box = event.currentTarget;
          const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
          if (atEnd !== follow) setFollow(atEnd);
        }}
      >
        {log.chunks.map((chunk, index) => (
          <LogChunkText key={chunk.key} text={chunk.text} lines={chunk.lines} start={chunk.start} query={query} lazy={index < log.chunks.length - EAGER_BLOCKS} />
        ))}
      </pre>
    </div>
  );
}
