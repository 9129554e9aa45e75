// The recurring-run form's trigger fields, to and from KFP's trigger JSON (unit-tested in
// trigger.test.ts). Start and end are edited as the browser's local time.
import type { Trigger } from "./cron";

export interface TriggerDraft {
  kind: "cron" | "interval";
  cron: string;
  timeZone: string;
  intervalSeconds: string;
  start: string; // datetime-local text, "" when unset
  end: string;
  maxConcurrency: string;
  noCatchup: boolean;
  maxRunCount: string; // "" for no limit
}

export const EMPTY_TRIGGER: TriggerDraft = {
  kind: "cron",
  cron: "0 9 * * 1-5",
  timeZone: "UTC",
  intervalSeconds: "3600",
  start: "",
  end: "",
  maxConcurrency: "1",
  noCatchup: false,
  maxRunCount: "",
};

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** An RFC 3339 time as a datetime-local input's text (the browser's zone). */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local input's text as RFC 3339 UTC (undefined when empty or invalid). */
export function fromLocalInput(text: string): string | undefined {
  if (!text) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** What is wrong with the draft's numbers (one line per field), before asking the server. */
export function draftErrors(draft: TriggerDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  const whole = (text: string) => /^\d+$/.test(text.trim()) && Number(text) >= 1;
  if (draft.kind === "interval" && !whole(draft.intervalSeconds)) errors.intervalSeconds = "a whole number of seconds, at least 1";
  if (draft.kind === "cron" && draft.cron.trim() === "") errors.cron = "write a cron expression, e.g. 0 9 * * 1-5";
  if (!whole(draft.maxConcurrency)) errors.maxConcurrency = "a whole number, at least 1";
  if (draft.maxRunCount.trim() !== "" && !whole(draft.maxRunCount)) errors.maxRunCount = "a whole number, at least 1, or empty for no limit";
  const start = fromLocalInput(draft.start);
  const end = fromLocalInput(draft.end);
  if (start && end && end <= start) errors.end = "the end must be after the start";
  return errors;
}

/** KFP's trigger JSON for the draft. */
export function triggerOf(draft: TriggerDraft): Trigger {
  const window: { start_time?: string; end_time?: string } = {};
  const start = fromLocalInput(draft.start);
  const end = fromLocalInput(draft.end);
  if (start) window.start_time = start;
  if (end) window.end_time = end;
  if (draft.kind === "interval") return { periodic_schedule: { interval_second: draft.intervalSeconds.trim(), ...window } };
  const zone = draft.timeZone.trim();
  return { cron_schedule: { cron: draft.cron.trim(), ...(zone && zone !== "UTC" ? { time_zone: zone } : {}), ...window } };
}

/** The draft of a stored recurring run's trigger and limits. */
export function draftOf(
  trigger: Trigger | undefined,
  limits: { max_concurrency?: string; no_catchup?: boolean; max_run_count?: string },
): TriggerDraft {
  const cron = trigger?.cron_schedule;
  const periodic = trigger?.periodic_schedule;
  return {
    kind: periodic ? "interval" : "cron",
    cron: cron?.cron ?? EMPTY_TRIGGER.cron,
    timeZone: cron?.time_zone ?? "UTC",
    intervalSeconds: periodic?.interval_second !== undefined ? String(periodic.interval_second) : EMPTY_TRIGGER.intervalSeconds,
    start: toLocalInput(cron?.start_time ?? periodic?.start_time),
    end: toLocalInput(cron?.end_time ?? periodic?.end_time),
    maxConcurrency: limits.max_concurrency ?? "1",
    noCatchup: limits.no_catchup ?? false,
    maxRunCount: limits.max_run_count ?? "",
  };
}
