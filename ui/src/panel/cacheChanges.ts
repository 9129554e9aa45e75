// The Cache tab's words for a cache miss: what each differing part of the key is, its old
// and new values, and the one-line "why" that names them. Pure; unit-tested in
// cacheChanges.test.ts.
import type { CacheInfo } from "../api/client";

export type CacheChange = CacheInfo["changes"][number];

// Longer values are cut (a list of URIs, a struct): the table stays readable.
const VALUE_CHARS = 160;

/** What changed, in words: "input parameter times", "the component's code", … */
export function changeTitle(change: CacheChange): string {
  switch (change.part) {
    case "parameter":
      return `input parameter ${change.name ?? ""}`;
    case "artifact":
      return `input artifact ${change.name ?? ""}`;
    case "image":
      return "image";
    case "command":
      return "the component's code (command and args)";
    case "output_artifact":
      return `output artifact ${change.name ?? ""} (its spec)`;
    case "output_parameter":
      return `output parameter ${change.name ?? ""} (its type)`;
    case "cache_key":
      return "the custom cache key";
    default:
      return change.part;
  }
}

/** A value as the table shows it: JSON, strings quoted, "(none)" when absent, cut long. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}

/** One change as a phrase: "input parameter times changed: 3 → 4". A command has no
 * values worth inlining (its diff is shown below). */
export function changePhrase(change: CacheChange): string {
  const title = changeTitle(change);
  if (change.part === "command") return `${title} changed`;
  if (change.old === null || change.old === undefined) return `${title} is new: ${showValue(change.new)}`;
  if (change.new === null || change.new === undefined) return `${title} was removed (was ${showValue(change.old)})`;
  return `${title} changed: ${showValue(change.old)} → ${showValue(change.new)}`;
}

/** The miss's reason in one line, naming up to `most` changes: "Missed because input
 * parameter times changed: 3 → 4." (null when nothing differs: the reason says why). */
export function missSummary(changes: CacheChange[], most = 3): string | null {
  if (!changes.length) return null;
  const named = changes.slice(0, most).map(changePhrase);
  const rest = changes.length - named.length;
  const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join("; ")} and ${named[named.length - 1]}`;
  return `Missed because ${list}${rest > 0 ? ` (and ${rest} more)` : ""}.`;
}

/** How a diff line is drawn: added, removed, or a hunk header / context. */
export function diffLineKind(line: string): "add" | "del" | "hunk" | "same" {
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  if (line.startsWith("@@")) return "hunk";
  return "same";
}
