import { describe, expect, it } from "vitest";
import { byteSize, duration, parameterTypeName, valueText } from "./format";

describe("duration", () => {
  it("formats short, minute and hour spans", () => {
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T00:00:04.2Z")).toBe("4.2s");
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T00:03:05Z")).toBe("3m 05s");
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T01:02:00Z")).toBe("1h 02m");
  });
  it("runs to now while unfinished, and is empty without a start", () => {
    expect(duration("2026-01-01T00:00:00Z", null, Date.parse("2026-01-01T00:00:30Z"))).toBe("30s");
    expect(duration(null, null)).toBe("");
  });
});

describe("valueText", () => {
  it("keeps strings and writes other values as JSON", () => {
    expect(valueText("a")).toBe("a");
    expect(valueText([1, 2])).toBe("[1,2]");
    expect(valueText({ k: true })).toBe('{"k":true}');
  });
});

describe("byteSize", () => {
  it("writes bytes, then binary units with one decimal", () => {
    expect(byteSize(512)).toBe("512 B");
    expect(byteSize(1536)).toBe("1.5 KiB");
    expect(byteSize(3 * 1024 * 1024)).toBe("3.0 MiB");
    expect(byteSize(null)).toBe("");
  });
});

describe("parameterTypeName", () => {
  it("names the declared type in Python's words", () => {
    expect(parameterTypeName("NUMBER_DOUBLE", 1)).toBe("float");
    expect(parameterTypeName("STRUCT", {})).toBe("dict");
  });
  it("guesses from the value without a declaration", () => {
    expect(parameterTypeName(undefined, 2)).toBe("int");
    expect(parameterTypeName(undefined, 0.5)).toBe("float");
    expect(parameterTypeName(undefined, [1])).toBe("list");
    expect(parameterTypeName(undefined, { a: 1 })).toBe("dict");
    expect(parameterTypeName(undefined, true)).toBe("bool");
    expect(parameterTypeName(undefined, "x")).toBe("string");
  });
});
