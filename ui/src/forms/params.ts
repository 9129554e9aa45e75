// The New run form's parameters: read from the compiled IR's root.inputDefinitions, shown
// as text, parsed back to typed values before submit (unit-tested in params.test.ts).

/** The IR's parameter types (kfp's ParameterType enum names). */
export type ParameterType = "STRING" | "NUMBER_INTEGER" | "NUMBER_DOUBLE" | "BOOLEAN" | "LIST" | "STRUCT" | "TASK_FINAL_STATUS";

export interface ParamField {
  name: string;
  type: ParameterType;
  optional: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
  description: string;
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** The pipeline spec itself, from either a plain IR or KFP's {pipeline_spec, platform_spec}. */
export function irOf(spec: unknown): Json {
  const outer = asObject(spec);
  return "root" in outer ? outer : asObject(outer.pipeline_spec);
}

/** The pipeline's parameters in name order, with their types and defaults. */
export function paramFields(spec: unknown): ParamField[] {
  const root = asObject(irOf(spec).root);
  const parameters = asObject(asObject(root.inputDefinitions).parameters);
  return Object.keys(parameters)
    .sort()
    .map((name) => {
      const definition = asObject(parameters[name]);
      const type = (typeof definition.parameterType === "string" ? definition.parameterType : "STRING") as ParameterType;
      return {
        name,
        type,
        optional: definition.isOptional === true,
        hasDefault: "defaultValue" in definition,
        defaultValue: definition.defaultValue,
        description: typeof definition.description === "string" ? definition.description : "",
      };
    })
    .filter((field) => field.type !== "TASK_FINAL_STATUS");
}

/** A value as the form's text box shows it (JSON for lists and structs). */
export function formatValue(type: ParameterType, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (type === "LIST" || type === "STRUCT") return JSON.stringify(value, null, 2);
  if (type === "STRING" && typeof value === "string") return value;
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** The typed value of a form field's text, or what is wrong with it (one line). */
export function parseValue(type: ParameterType, text: string): Parsed {
  const trimmed = text.trim();
  switch (type) {
    case "STRING":
      return { ok: true, value: text };
    case "NUMBER_INTEGER":
      if (!/^[+-]?\d+$/.test(trimmed)) return { ok: false, error: `not a whole number: ${JSON.stringify(text)}` };
      if (!Number.isSafeInteger(Number(trimmed))) return { ok: false, error: "too large for an integer" };
      return { ok: true, value: Number(trimmed) };
    case "NUMBER_DOUBLE": {
      const number = Number(trimmed);
      if (trimmed === "" || !Number.isFinite(number)) return { ok: false, error: `not a number: ${JSON.stringify(text)}` };
      return { ok: true, value: number };
    }
    case "BOOLEAN":
      if (trimmed === "true" || trimmed === "false") return { ok: true, value: trimmed === "true" };
      return { ok: false, error: "choose true or false" };
    case "LIST":
    case "STRUCT": {
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (caught) {
        return { ok: false, error: `not JSON: ${caught instanceof Error ? caught.message : String(caught)}` };
      }
      if (type === "LIST" && !Array.isArray(value)) return { ok: false, error: "a list must be a JSON array, e.g. [1, 2]" };
      if (type === "STRUCT" && (typeof value !== "object" || value === null || Array.isArray(value))) {
        return { ok: false, error: 'a struct must be a JSON object, e.g. {"a": 1}' };
      }
      return { ok: true, value };
    }
    default:
      return { ok: true, value: text };
  }
}

/** The texts a form starts with: the given values (a clone's), else the spec's defaults. */
export function initialTexts(fields: readonly ParamField[], values: Record<string, unknown> = {}): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const field of fields) {
    const value = field.name in values ? values[field.name] : field.defaultValue;
    texts[field.name] = formatValue(field.type, value);
  }
  return texts;
}

export interface Collected {
  values: Record<string, unknown>;
  errors: Record<string, string>;
}

/** The parameters to submit and the errors per field. An empty field with a default (or an
 * optional one) is left out, so the server applies the spec's default. */
export function collect(fields: readonly ParamField[], texts: Record<string, string>): Collected {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const text = texts[field.name] ?? "";
    if (text.trim() === "" && field.type !== "STRING") {
      if (!field.hasDefault && !field.optional) errors[field.name] = "required";
      continue;
    }
    if (text === "" && field.type === "STRING" && (field.hasDefault || field.optional)) continue;
    const parsed = parseValue(field.type, text);
    if (parsed.ok) values[field.name] = parsed.value;
    else errors[field.name] = parsed.error;
  }
  return { values, errors };
}

/** A copy of ``spec`` with caching turned off for every task of every DAG, as
 * kfp.Client(enable_caching=False) does before it submits a package. */
export function withoutCaching(spec: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(spec)) as unknown;
  const ir = irOf(copy);
  const dags = [asObject(asObject(ir.root).dag)];
  for (const component of Object.values(asObject(ir.components))) dags.push(asObject(asObject(component).dag));
  for (const dag of dags) {
    for (const task of Object.values(asObject(dag.tasks))) {
      const body = task as Json;
      body.cachingOptions = { ...asObject(body.cachingOptions), enableCache: false };
    }
  }
  return copy;
}
