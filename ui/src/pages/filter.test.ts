import { describe, expect, it } from "vitest";
import { cell, complete, facetValue, metadataColumns, suggest, toggleFacet } from "./filter";

const FIELDS = ["create_time", "display_name", "id", "name", "schema_title", "metadata.", "in_context("];

describe("field autocomplete", () => {
  it("suggests fields for the word being typed", () => {
    expect(suggest("sch", FIELDS)).toEqual(["schema_title"]);
    expect(suggest('schema_title="system.Model" AND met', FIELDS)).toEqual(["metadata."]);
    expect(suggest("", FIELDS)).toEqual(FIELDS);
    expect(suggest("schema_title", FIELDS)).toEqual([]);
  });
  it("completes the word", () => {
    expect(complete('id>3 AND sch', "schema_title")).toBe("id>3 AND schema_title");
    expect(complete("", "name")).toBe("name");
  });
});

describe("facets", () => {
  it("adds, replaces and removes a type clause, keeping the rest", () => {
    const one = toggleFacet("", "schema_title", "system.Model");
    expect(one).toBe('schema_title="system.Model"');
    const both = toggleFacet("metadata.accuracy.number_value>0.5", "schema_title", "system.Model");
    expect(both).toBe('schema_title="system.Model" AND metadata.accuracy.number_value>0.5');
    expect(facetValue(both, "schema_title")).toBe("system.Model");
    const swapped = toggleFacet(both, "schema_title", "system.Dataset");
    expect(swapped).toBe('schema_title="system.Dataset" AND metadata.accuracy.number_value>0.5');
    expect(toggleFacet(swapped, "schema_title", "system.Dataset")).toBe("metadata.accuracy.number_value>0.5");
    expect(toggleFacet('id>1 AND state="FAILED"', "state", "FAILED")).toBe("id>1");
  });
});

describe("metadata columns", () => {
  it("keeps the most common scalar keys", () => {
    const rows = [{ metadata: { accuracy: 0.9, blob: { a: 1 } } }, { metadata: { accuracy: 0.3, framework: "x" } }];
    expect(metadataColumns(rows)).toEqual(["accuracy", "framework"]);
    expect(cell(0.912345)).toBe("0.9123");
    expect(cell(3)).toBe("3");
    expect(cell(0.9)).toBe("0.9");
  });
});
