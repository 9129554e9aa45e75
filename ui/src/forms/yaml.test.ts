import { describe, expect, it } from "vitest";
import { toYaml } from "./yaml";

describe("toYaml", () => {
  it("writes nested maps and lists in block style", () => {
    const spec = { pipelineInfo: { name: "my-pipe" }, root: { dag: { tasks: {} } }, steps: [{ name: "a", args: ["--x", 1] }, "b"], on: true };
    expect(toYaml(spec)).toBe(
      ["pipelineInfo:", "  name: my-pipe", "root:", "  dag:", "    tasks: {}", "steps:", "  - name: a", "    args:", '      - "--x"', "      - 1", "  - b", "\"on\": true", ""].join("\n"),
    );
  });
  it("quotes strings YAML would read as something else", () => {
    expect(toYaml({ a: "true", b: "12", c: "x: y", d: "" })).toBe('a: "true"\nb: "12"\nc: "x: y"\nd: ""\n');
  });
});
