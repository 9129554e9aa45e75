import { describe, expect, it } from "vitest";
import { defaultPair, defaultText, diffLineKind } from "./SpecDiff";

describe("the spec diff", () => {
  it("classes the lines of a unified diff", () => {
    expect(["--- a (1)", "+++ b (2)", "@@ -1,3 +1,3 @@", "+  new: 1", "-  old: 1", "   same: 1", ""].map(diffLineKind)).toEqual([
      "file",
      "file",
      "hunk",
      "add",
      "del",
      "same",
      "same",
    ]);
  });

  it("diffs the shown version against the one before it unless the URL says", () => {
    const versions = [{ pipeline_version_id: "v3" }, { pipeline_version_id: "v2" }, { pipeline_version_id: "v1" }];
    expect(defaultPair(versions, "v3", null, null)).toEqual(["v2", "v3"]);
    expect(defaultPair(versions, "v1", null, null)).toEqual(["v3", "v1"]);
    expect(defaultPair(versions, "", null, null)).toEqual(["v2", "v3"]);
    expect(defaultPair(versions, "v3", "v1", "v2")).toEqual(["v1", "v2"]);
    expect(defaultPair([{ pipeline_version_id: "only" }], "only", null, null)).toEqual(["only", "only"]);
  });

  it("shows defaults as JSON, a missing one as none", () => {
    expect([defaultText(1), defaultText("1"), defaultText(null), defaultText(undefined), defaultText([1])]).toEqual(["1", '"1"', "none", "none", "[1]"]);
  });
});
