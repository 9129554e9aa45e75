import { describe, expect, it } from "vitest";
import { paletteItems } from "./items";
import { compareUrl } from "./selection";

describe("palette items", () => {
  const actions = [
    { id: "theme", label: "Toggle theme", enabled: true },
    { id: "compare", label: "Compare selected runs", enabled: false },
  ];
  it("puts hits first, then matching enabled actions", () => {
    const hits = [{ kind: "run" as const, id: "r1", name: "toggle-run", detail: "SUCCEEDED", url: "/runs/r1" }];
    const items = paletteItems("toggle", hits, actions);
    expect(items.map((item) => item.id)).toEqual(["run:r1", "action:theme"]);
    expect(items[0]?.url).toBe("/runs/r1");
  });
  it("lists every enabled action for an empty query and hides disabled ones", () => {
    expect(paletteItems("", [], actions).map((item) => item.action)).toEqual(["theme"]);
    expect(paletteItems("compare", [], [{ ...actions[1]!, enabled: true }]).map((item) => item.action)).toEqual(["compare"]);
  });
  it("links the compare page", () => {
    expect(compareUrl(["a", "b"])).toBe("/compare?runs=a,b");
  });
});
