import { describe, expect, it } from "vitest";
import { contextTarget, memberFilter, runName } from "./Contexts";

describe("contexts", () => {
  it("links a run's context to its run, other known types to their pages", () => {
    expect(contextTarget({ schema_title: "system.PipelineRun", name: "abc 1" })).toEqual({ to: "/runs/abc%201", label: "Open the run" });
    expect(contextTarget({ schema_title: "system.Experiment", name: "e" })?.to).toBe("/experiments");
    expect(contextTarget({ schema_title: "system.Pipeline", name: "p" })?.to).toBe("/pipelines");
    expect(contextTarget({ schema_title: "my.Custom", name: "x" })).toBeNull();
  });

  it("names a run's context after its run", () => {
    expect(runName({ schema_title: "system.PipelineRun", properties: { name: "train-1" } })).toBe("train-1");
    expect(runName({ schema_title: "system.PipelineRun", properties: {} })).toBeNull();
    expect(runName({ schema_title: "system.Pipeline", properties: { name: "p" } })).toBeNull();
  });

  it("filters the lists on a context's members by its id", () => {
    expect(memberFilter(42)).toBe('in_context("42")');
  });
});
