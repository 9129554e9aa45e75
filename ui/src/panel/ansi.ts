// Logs with ANSI colours: SGR sequences (ESC [ ... m) become styled segments; every other
// control sequence is dropped. Pure; unit-tested in ansi.test.ts.

export interface Segment {
  text: string;
  fg: string | null; // a colour name: "red", "bright-green", ...
  bold: boolean;
}

const NAMES = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
const CSI = new RegExp(String.raw`\u001b\[([0-9;?]*)([A-Za-z])`, "g");

export function ansiSegments(text: string): Segment[] {
  const out: Segment[] = [];
  let fg: string | null = null;
  let bold = false;
  let last = 0;
  const push = (part: string) => {
    if (!part) return;
    const previous = out[out.length - 1];
    if (previous && previous.fg === fg && previous.bold === bold) previous.text += part;
    else out.push({ text: part, fg, bold });
  };
  for (const match of text.matchAll(CSI)) {
    const index = match.index ?? 0;
    push(text.slice(last, index));
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
  push(text.slice(last));
  return out;
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
