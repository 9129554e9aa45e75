import { describe, expect, it } from "vitest";
import { dayStart, metricCell, metricNames, nextSort, parameterChips, parsePinned, pinnedKey, sortArrow, togglePinned } from "./runListState";

describe("pinned metric columns", () => {
  it("are kept per experiment, or for all runs", () => {
    expect(pinnedKey("")).toBe("sluice.pinnedMetrics.all");
    expect(pinnedKey("e1")).toBe("sluice.pinnedMetrics.e1");
  });
  it("read back only names, without repeats, at most 3", () => {
    expect(parsePinned(null)).toEqual([]);
    expect(parsePinned("not json")).toEqual([]);
    expect(parsePinned('{"a":1}')).toEqual([]);
    expect(parsePinned('["a", 2, "a", "b", "", "c", "d"]')).toEqual(["a", "b", "c"]);
  });
  it("toggle, never past 3", () => {
    expect(togglePinned([], "a")).toEqual(["a"]);
    expect(togglePinned(["a", "b"], "a")).toEqual(["b"]);
    expect(togglePinned(["a", "b", "c"], "d")).toEqual(["a", "b", "c"]);
  });
  it("offer the page's metrics and the pinned ones", () => {
    expect(metricNames([{ metrics: { loss: 1, accuracy: 0.5 } }, { metrics: {} }], ["f1"])).toEqual(["accuracy", "f1", "loss"]);
  });
});

describe("sorting on a column", () => {
  it("cycles descending, ascending, default", () => {
    expect(nextSort("", "metrics.a")).toBe("-metrics.a");
    expect(nextSort("-metrics.a", "metrics.a")).toBe("metrics.a");
    expect(nextSort("metrics.a", "metrics.a")).toBe("");
    expect(nextSort("-metrics.b", "metrics.a")).toBe("-metrics.a");
    expect(sortArrow("-metrics.a", "metrics.a")).toBe("▼");
    expect(sortArrow("metrics.a", "metrics.a")).toBe("▲");
    expect(sortArrow("", "metrics.a")).toBe("");
  });
});

describe("cells", () => {
  it("send a day as the instant it starts in the browser's zone", () => {
    expect(dayStart("2026-03-01")).toBe(new Date(2026, 2, 1).toISOString());
    expect(dayStart("2026-02-28", 1)).toBe(new Date(2026, 2, 1).toISOString());
    expect(dayStart("")).toBeUndefined();
    expect(dayStart("03/01/2026")).toBeUndefined();
  });
  it("show metrics and parameters short", () => {
    expect(metricCell(0.123456789)).toBe("0.123457");
    expect(metricCell(undefined)).toBe("");
    expect(parameterChips({ b: "x", a: 1, c: [1], d: true })).toEqual({ chips: ["a=1", "b=x", "c=[1]"], more: 1 });
    expect(parameterChips({ s: "y".repeat(30) }).chips[0]).toBe(`s=${"y".repeat(23)}…`);
    expect(parameterChips(undefined)).toEqual({ chips: [], more: 0 });
  });
});
