import { describe, expect, it } from "vitest";
import { collect, initialTexts, paramFields, parseValue, withoutCaching } from "./params";

const SPEC = {
  root: {
    inputDefinitions: {
      parameters: {
        count: { parameterType: "NUMBER_INTEGER", defaultValue: 3 },
        rate: { parameterType: "NUMBER_DOUBLE" },
        flag: { parameterType: "BOOLEAN", defaultValue: true, isOptional: true },
        items: { parameterType: "LIST", defaultValue: [1, 2] },
        config: { parameterType: "STRUCT", defaultValue: { a: 1 } },
        name: { parameterType: "STRING", defaultValue: "x" },
      },
    },
    dag: { tasks: { a: { componentRef: { name: "comp-a" } } } },
  },
  components: { "comp-inner": { dag: { tasks: { b: { cachingOptions: { enableCache: true } } } } } },
};

describe("paramFields", () => {
  it("reads types and defaults from root.inputDefinitions, either spec form", () => {
    const fields = paramFields(SPEC);
    expect(fields.map((f) => f.name)).toEqual(["config", "count", "flag", "items", "name", "rate"]);
    expect(fields.find((f) => f.name === "count")).toMatchObject({ type: "NUMBER_INTEGER", hasDefault: true, defaultValue: 3 });
    expect(fields.find((f) => f.name === "rate")).toMatchObject({ hasDefault: false, optional: false });
    expect(paramFields({ pipeline_spec: SPEC, platform_spec: {} })).toHaveLength(6);
    expect(paramFields({})).toEqual([]);
  });
  it("starts from the defaults, or from a clone's values", () => {
    const fields = paramFields(SPEC);
    expect(initialTexts(fields)).toMatchObject({ count: "3", flag: "true", items: "[\n  1,\n  2\n]", name: "x", rate: "" });
    expect(initialTexts(fields, { count: 7, name: "y" })).toMatchObject({ count: "7", name: "y" });
  });
});

describe("parseValue", () => {
  it("rejects wrong types with one line", () => {
    expect(parseValue("NUMBER_INTEGER", "abc")).toEqual({ ok: false, error: 'not a whole number: "abc"' });
    expect(parseValue("NUMBER_INTEGER", "1.5").ok).toBe(false);
    expect(parseValue("NUMBER_INTEGER", " 42 ")).toEqual({ ok: true, value: 42 });
    expect(parseValue("NUMBER_DOUBLE", "0.25")).toEqual({ ok: true, value: 0.25 });
    expect(parseValue("NUMBER_DOUBLE", "1e400").ok).toBe(false);
    expect(parseValue("BOOLEAN", "yes").ok).toBe(false);
    const bad = parseValue("LIST", "[1, 2");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.startsWith("not JSON")).toBe(true);
    expect(parseValue("LIST", '{"a": 1}')).toEqual({ ok: false, error: "a list must be a JSON array, e.g. [1, 2]" });
    expect(parseValue("STRUCT", "[1]").ok).toBe(false);
    expect(parseValue("STRUCT", '{"a": [1]}')).toEqual({ ok: true, value: { a: [1] } });
    expect(parseValue("STRING", " keep spaces ")).toEqual({ ok: true, value: " keep spaces " });
  });
});

describe("collect", () => {
  it("gives typed values and errors per field; empty fields with defaults are left out", () => {
    const fields = paramFields(SPEC);
    const texts = { ...initialTexts(fields), count: "", rate: "x" };
    expect(collect(fields, texts)).toEqual({
      values: { config: { a: 1 }, flag: true, items: [1, 2], name: "x" },
      errors: { rate: 'not a number: "x"' },
    });
    expect(collect(fields, { ...texts, rate: "" }).errors).toEqual({ rate: "required" });
  });
});

describe("withoutCaching", () => {
  it("turns caching off for every task of every DAG, leaving the input alone", () => {
    const off = withoutCaching(SPEC) as typeof SPEC;
    expect(off.root.dag.tasks.a).toMatchObject({ cachingOptions: { enableCache: false } });
    expect(off.components["comp-inner"].dag.tasks.b.cachingOptions.enableCache).toBe(false);
    expect(SPEC.components["comp-inner"].dag.tasks.b.cachingOptions.enableCache).toBe(true);
  });
});
