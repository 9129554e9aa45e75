import { describe, expect, it } from "vitest";
import { duration, valueText } from "./format";

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
