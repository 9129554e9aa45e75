// Pure helpers of the metadata filter box (unit-tested in filter.test.ts): field
// autocomplete, facet clauses, and which metadata keys become columns.

/** The word being typed at the end of `text` (a field name in progress). */
export function currentWord(text: string): string {
  const match = /[A-Za-z_][A-Za-z0-9_.]*$/.exec(text);
  return match ? match[0] : "";
}

/** Fields that complete the word being typed (none when it is already a whole field). */
export function suggest(text: string, fields: readonly string[], max = 8): string[] {
  const word = currentWord(text);
  if (word === "" && text.trim() !== "" && !/(\(|\s)$/.test(text)) return [];
  const lower = word.toLowerCase();
  return fields.filter((field) => field.toLowerCase().startsWith(lower) && field !== word).slice(0, max);
}

/** `text` with the word being typed replaced by `field`. */
export function complete(text: string, field: string): string {
  const word = currentWord(text);
  return text.slice(0, text.length - word.length) + field;
}

function quoted(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The value of a `field="value"` clause in `filter`, or null. */
export function facetValue(filter: string, field: string): string | null {
  const match = new RegExp(`(?:^|\\s)${escapeRegExp(field)}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(filter);
  return match?.[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : null;
}

/** Toggle a facet: add `field="value"` (replacing another value of that field), or remove
 * it when it is the one already chosen. Other clauses are kept as written, joined by AND. */
export function toggleFacet(filter: string, field: string, value: string): string {
  const current = facetValue(filter, field);
  const isClause = new RegExp(`^${escapeRegExp(field)}\\s*=\\s*"`);
  const parts = filter.trim() === "" ? [] : filter.trim().split(/\s+AND\s+/);
  const rest = parts.filter((part) => !isClause.test(part.trim()));
  if (current === value) return rest.join(" AND ");
  return [`${field}=${quoted(value)}`, ...rest].join(" AND ");
}

/** Up to `max` metadata keys with scalar values in `rows`, the most common first. */
export function metadataColumns(rows: readonly { metadata: Record<string, unknown> }[], max = 4): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row.metadata)) {
      if (["number", "string", "boolean"].includes(typeof value)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([key]) => key);
}

/** A metadata value as a short cell. */
export function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (typeof value === "string") return value.length > 40 ? `${value.slice(0, 39)}…` : value;
  return JSON.stringify(value);
}
