import { describe, expect, it } from "vitest";
import { draftErrors, draftOf, EMPTY_TRIGGER, fromLocalInput, toLocalInput, triggerOf } from "./trigger";

describe("trigger drafts", () => {
  it("build KFP's cron and periodic triggers", () => {
    expect(triggerOf({ ...EMPTY_TRIGGER, timeZone: "Europe/Paris" })).toEqual({ cron_schedule: { cron: "0 9 * * 1-5", time_zone: "Europe/Paris" } });
    expect(triggerOf(EMPTY_TRIGGER)).toEqual({ cron_schedule: { cron: "0 9 * * 1-5" } });
    const start = toLocalInput("2030-01-01T10:00:00Z");
    expect(triggerOf({ ...EMPTY_TRIGGER, kind: "interval", intervalSeconds: " 60 ", start })).toEqual({
      periodic_schedule: { interval_second: "60", start_time: "2030-01-01T10:00:00Z" },
    });
  });
  it("read a stored trigger back", () => {
    const draft = draftOf({ cron_schedule: { cron: "0 8 * * *", time_zone: "Asia/Tokyo" } }, { max_concurrency: "3", no_catchup: true });
    expect(draft).toMatchObject({ kind: "cron", cron: "0 8 * * *", timeZone: "Asia/Tokyo", maxConcurrency: "3", noCatchup: true, maxRunCount: "" });
    expect(draftOf({ periodic_schedule: { interval_second: "90" } }, {})).toMatchObject({ kind: "interval", intervalSeconds: "90" });
  });
  it("name bad numbers and windows", () => {
    expect(draftErrors(EMPTY_TRIGGER)).toEqual({});
    expect(draftErrors({ ...EMPTY_TRIGGER, maxConcurrency: "0", maxRunCount: "x", cron: " " })).toEqual({
      cron: "write a cron expression, e.g. 0 9 * * 1-5",
      maxConcurrency: "a whole number, at least 1",
      maxRunCount: "a whole number, at least 1, or empty for no limit",
    });
    expect(draftErrors({ ...EMPTY_TRIGGER, start: "2030-01-02T00:00", end: "2030-01-01T00:00" })).toEqual({ end: "the end must be after the start" });
    expect(fromLocalInput("")).toBeUndefined();
  });
});
