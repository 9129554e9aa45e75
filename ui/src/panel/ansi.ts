// Logs with ANSI colours: SGR sequences (ESC [ ... m) become styled segments; every other
// control sequence is dropped. Pure; unit-tested in ansi.test.ts.

export interface Segment {
  text: string;
  fg: string | null; // a colour name: "red", "bright-green", ...
  bold: boolean;
}

const NAMES = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
const CSI = new RegExp(String.raw`\u001b\[([0-9;?]*)([A-Za-z])`, "g");

/** The colour and weight in effect at a point of a log. */
export interface AnsiState {
  fg: string | null;
  bold: boolean;
}

export const PLAIN: AnsiState = { fg: null, bold: false };

/** Walk `text` from the state `start`: each run of text goes to `push` with the state it
 * is drawn in; answers the state at the end (where the next chunk of the log starts). */
function scan(text: string, start: AnsiState, push: (part: string, fg: string | null, bold: boolean) => void): AnsiState {
  let fg = start.fg;
  let bold = start.bold;
  let last = 0;
  for (const match of text.matchAll(CSI)) {
    const index = match.index ?? 0;
    push(text.slice(last, index), fg, bold);
    last = index + match[0].length;
    if (match[2] !== "m") continue;
    const codes = (match[1] ?? "") === "" ? [0] : (match[1] ?? "").split(";").map(Number);
    for (const code of codes) {
      if (code === 0) {
        fg = null;
        bold = false;
      } else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code >= 30 && code <= 37) fg = NAMES[code - 30] ?? null;
      else if (code >= 90 && code <= 97) fg = `bright-${NAMES[code - 90] ?? "white"}`;
      else if (code === 39) fg = null;
    }
  }
  push(text.slice(last), fg, bold);
  return { fg, bold };
}

/** `text` as styled segments, starting in the state `start` (plain unless a previous
 * chunk of the same log left a colour on). */
export function ansiSegments(text: string, start: AnsiState = PLAIN): Segment[] {
  const out: Segment[] = [];
  scan(text, start, (part, fg, bold) => {
    if (!part) return;
    const previous = out[out.length - 1];
    if (previous && previous.fg === fg && previous.bold === bold) previous.text += part;
    else out.push({ text: part, fg, bold });
  });
  return out;
}

/** The state in effect after `text`, read from the state `start`. */
export function ansiEndState(text: string, start: AnsiState = PLAIN): AnsiState {
  return scan(text, start, () => undefined);
}

/** Split `text` around the case-insensitive matches of `query` (odd indices match). */
export function splitMatches(text: string, query: string): string[] {
  if (!query) return [text];
  const parts: string[] = [];
  const lower = text.toLowerCase();
  const needle = query.toLowerCase();
  let from = 0;
  for (;;) {
    const at = lower.indexOf(needle, from);
    if (at < 0) break;
    parts.push(text.slice(from, at), text.slice(at, at + needle.length));
    from = at + needle.length;
  }
  parts.push(text.slice(from));
  return parts;
}
