// Pure formatting helpers (unit-tested in format.test.ts).

/** "1h 02m", "3m 05s", "4.2s" between two ISO times (end: now when null). */
export function duration(start: string | null | undefined, end: string | null | undefined, now: number = Date.now()): string {
  if (!start) return "";
  const ms = (end ? Date.parse(end) : now) - Date.parse(start);
  if (!Number.isFinite(ms) || ms < 0) return "";
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds) % 60;
  const m = Math.floor(seconds / 60) % 60;
  const h = Math.floor(seconds / 3600);
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** A time as the user's locale shows it, or "" when unset. */
export function when(value: string | null | undefined): string {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

/** A parameter value as one line of text (JSON for lists and structs). */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** A size in bytes for people: "512 B", "1.5 KiB", "3.0 MiB" ("" when unknown). */
export function byteSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? ""}`;
}

const PARAMETER_TYPE_NAMES: Record<string, string> = {
  NUMBER_INTEGER: "int",
  NUMBER_DOUBLE: "float",
  BOOLEAN: "bool",
  STRING: "string",
  LIST: "list",
  STRUCT: "dict",
  TASK_FINAL_STATUS: "task final status",
};

/** A parameter's type in Python's words: the declared one (the spec's parameterType),
 * else what the value looks like (JSON cannot tell an int from a whole float). */
export function parameterTypeName(declared: string | undefined, value: unknown): string {
  if (declared) return PARAMETER_TYPE_NAMES[declared] ?? declared;
  if (Array.isArray(value)) return "list";
  if (value === null) return "null";
  if (typeof value === "object") return "dict";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return "string";
}

export const FINAL_RUN_STATES = new Set(["SUCCEEDED", "FAILED", "CANCELED"]);
export const RUN_STATES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELING", "CANCELED"] as const;
