// The Logs tab's text as blocks of at most BLOCK_LINES lines, each with the ANSI state it
// starts in, so a new piece of the log renders (and lays out) alone. Pure; unit-tested in
// logBlocks.test.ts.
import { ansiEndState, PLAIN, type AnsiState } from "./ansi";

export const BLOCK_LINES = 500;

/** A piece of the log (whole lines, at most BLOCK_LINES), with the ANSI state it starts in. */
export interface LogChunk {
  key: number;
  text: string;
  lines: number;
  start: AnsiState;
}

/** Cut `text` into pieces of at most `size` lines (the last may be a partial line). */
export function blocks(text: string, size = BLOCK_LINES): { text: string; lines: number }[] {
  const out: { text: string; lines: number }[] = [];
  let from = 0;
  while (from < text.length) {
    let at = from;
    let lines = 0;
    while (lines < size && at < text.length) {
      const newline = text.indexOf("\n", at);
      if (newline < 0) {
        at = text.length;
        lines++;
        break;
      }
      at = newline + 1;
      lines++;
    }
    out.push({ text: text.slice(from, at), lines });
    from = at;
  }
  return out;
}

/** Where the blocks of a log stand: the ANSI state at their end, the next key, and the last
 * block when it ends in a line still being written (a progress bar). */
export interface LogCursor {
  state: AnsiState;
  next: number;
  open: LogChunk | null;
}

export const START: LogCursor = { state: PLAIN, next: 0, open: null };

/** Add `text` after the blocks `cursor` describes: the blocks to append and whether they
 * replace the last one (an open line that `text` continues is drawn again with it, not
 * followed by it on a line of its own). */
export function appendLog(cursor: LogCursor, text: string, size = BLOCK_LINES): { cursor: LogCursor; added: LogChunk[]; replaceLast: boolean } {
  const reopened = cursor.open;
  let state = reopened ? reopened.start : cursor.state;
  let next = cursor.next;
  const added: LogChunk[] = [];
  for (const block of blocks(reopened ? reopened.text + text : text, size)) {
    added.push({ key: next++, text: block.text, lines: block.lines, start: state });
    state = ansiEndState(block.text, state);
  }
  const last = added[added.length - 1];
  const open = last && !last.text.endsWith("\n") ? last : null;
  return { cursor: { state, next, open }, added, replaceLast: reopened !== null };
}
