// A recurring run's trigger in words ("09:00 on weekdays, Europe/Paris"), for the list and
// the details page. The dialects are the scheduler's (src/sluice/server/cron.py): 6 fields
// are Kubeflow's (seconds first), 5 are Unix cron; a TZ= prefix names the zone. Anything
// this cannot put in words is shown as written. Unit-tested in cron.test.ts.

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** A KFP trigger as the recurring-run API returns it. */
export interface Trigger {
  cron_schedule?: { cron?: string; time_zone?: string; start_time?: string; end_time?: string };
  periodic_schedule?: { interval_second?: string | number; start_time?: string; end_time?: string };
}

function any(field: string): boolean {
  return field === "*" || field === "?";
}

function number(field: string, names: readonly string[] = [], offset = 0): number | null {
  if (/^\d+$/.test(field)) return Number(field);
  const index = names.indexOf(field.toLowerCase());
  return index >= 0 ? index + offset : null;
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

function list(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** The days of a weekday field ("1-5" → "on weekdays"), or null when not plain. */
function weekdays(field: string): string | null {
  const days = new Set<number>();
  for (const part of field.split(",")) {
    const range = part.split("-");
    const low = number(range[0] ?? "", DAY_NAMES);
    const high = range.length === 2 ? number(range[1] ?? "", DAY_NAMES) : low;
    if (low === null || high === null || range.length > 2 || low > high || high > 7) return null;
    for (let day = low; day <= high; day += 1) days.add(day % 7);
  }
  const sorted = [...days].sort();
  if (sorted.join() === "1,2,3,4,5") return "on weekdays";
  if (sorted.join() === "0,6") return "on weekends";
  if (sorted.length === 7) return "every day";
  return `on ${list(sorted.map((day) => `${DAYS[day]}s`))}`;
}

function timeOfDay(second: string, minute: string, hour: string): string | null {
  const s = number(second);
  const m = number(minute);
  if (s === null || m === null) return null;
  const tail = s === 0 ? "" : `:${pad(s)}`;
  if (any(hour)) return `every hour at :${pad(m)}${tail}`;
  const hours = hour.split(",").map((part) => number(part));
  if (hours.some((h) => h === null || h > 23)) return null;
  return list(hours.map((h) => `${pad(h ?? 0)}:${pad(m)}${tail}`));
}

/** A cron expression (5 or 6 fields, a descriptor or @every) in words, with its zone. */
export function cronInWords(expression: string, zone?: string | null): string {
  let text = expression.trim();
  let tz = zone ?? null;
  const prefix = /^(?:CRON_)?TZ=(\S+)\s+/.exec(text);
  if (prefix) {
    tz = prefix[1] ?? null;
    text = text.slice(prefix[0].length);
  }
  const where = tz ? `, ${tz}` : ", UTC";
  const lowered = text.toLowerCase();
  if (lowered.startsWith("@every")) return `every ${text.slice(6).trim()}`;
  const fields = (DESCRIPTORS[lowered] ?? text).split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return text;
  const [second, minute, hour, dom, month, dow] = fields.length === 6 ? fields : ["0", ...fields];
  if (second === undefined || minute === undefined || hour === undefined || dom === undefined || month === undefined || dow === undefined) return text;
  let time = timeOfDay(second, minute, hour);
  const step = /^\*\/(\d+)$/.exec(minute);
  if (time === null && step && any(hour) && number(second) === 0) time = `every ${step[1]} minutes`;
  if (time === null && minute === "*" && any(hour) && number(second) === 0) time = "every minute";
  if (time === null) return `${text}${where}`;
  let days: string | null;
  if (any(dom) && any(dow)) days = "every day";
  else if (any(dom)) days = weekdays(dow);
  else if (any(dow) && number(dom) !== null) days = `on day ${dom} of the month`;
  else days = null;
  if (days === null) return `${text}${where}`;
  let months = "";
  if (!any(month)) {
    const index = number(month, MONTH_NAMES, 1);
    if (index === null || index < 1 || index > 12) return `${text}${where}`;
    months = ` in ${MONTHS[index - 1]}`;
    if (days === "on day 1 of the month") days = `on ${MONTHS[index - 1]} 1`;
    if (days.startsWith("on ") && months.includes(days.slice(3).split(" ")[0] ?? "")) months = "";
  }
  const daily = days === "every day" && time.startsWith("every ") ? "" : ` ${days}`;
  return `${time}${daily}${months}${where}`;
}

/** A number of seconds as "every 1 hour 30 minutes". */
export function intervalInWords(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "never";
  const parts: string[] = [];
  let rest = Math.floor(seconds);
  for (const [unit, size] of [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ] as const) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
  }
  return `every ${parts.join(" ")}`;
}

/** A trigger in words: its cron or its interval. */
export function triggerInWords(trigger: Trigger | undefined): string {
  if (trigger?.cron_schedule?.cron) return cronInWords(trigger.cron_schedule.cron, trigger.cron_schedule.time_zone);
  if (trigger?.periodic_schedule?.interval_second !== undefined) return intervalInWords(Number(trigger.periodic_schedule.interval_second));
  return "no trigger";
}
