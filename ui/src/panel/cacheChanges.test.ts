import { describe, expect, it } from "vitest";
import { changePhrase, changeTitle, diffLineKind, missSummary, showValue, type CacheChange } from "./cacheChanges";

const change = (part: CacheChange["part"], name: string | null, old: unknown, now: unknown): CacheChange => ({
  part,
  name,
  old,
  new: now,
  origin: null,
  origin_task: null,
  diff: [],
});

describe("cache changes", () => {
  it("names each part of the key", () => {
    expect(changeTitle(change("parameter", "times", 3, 4))).toBe("input parameter times");
    expect(changeTitle(change("artifact", "data", [], []))).toBe("input artifact data");
    expect(changeTitle(change("command", null, null, null))).toBe("the component's code (command and args)");
    expect(changeTitle(change("image", null, "a", "b"))).toBe("image");
  });

  it("shows values as JSON, absent ones as (none), long ones cut", () => {
    expect(showValue("hi")).toBe('"hi"');
    expect(showValue(3)).toBe("3");
    expect(showValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(showValue(null)).toBe("(none)");
    expect(showValue(undefined)).toBe("(none)");
    const long = showValue("x".repeat(500));
    expect(long.length).toBe(160);
    expect(long.endsWith("…")).toBe(true);
  });

  it("says how a value changed, appeared or went", () => {
    expect(changePhrase(change("parameter", "times", 3, 4))).toBe("input parameter times changed: 3 → 4");
    expect(changePhrase(change("parameter", "extra", null, true))).toBe("input parameter extra is new: true");
    expect(changePhrase(change("parameter", "old", "a", null))).toBe('input parameter old was removed (was "a")');
    expect(changePhrase(change("command", null, null, null))).toBe("the component's code (command and args) changed");
  });

  it("sums a miss up in one line naming up to three changes", () => {
    expect(missSummary([])).toBeNull();
    expect(missSummary([change("parameter", "times", 3, 4)])).toBe("Missed because input parameter times changed: 3 → 4.");
    const four = ["a", "b", "c", "d"].map((name, index) => change("parameter", name, index, index + 1));
    expect(missSummary(four.slice(0, 2))).toBe("Missed because input parameter a changed: 0 → 1 and input parameter b changed: 1 → 2.");
    expect(missSummary(four)).toBe(
      "Missed because input parameter a changed: 0 → 1; input parameter b changed: 1 → 2 and input parameter c changed: 2 → 3 (and 1 more).",
    );
  });

  it("tells diff lines apart", () => {
    expect(["+x", "-y", "@@ -1 +1 @@", " z"].map(diffLineKind)).toEqual(["add", "del", "hunk", "same"]);
  });
});
