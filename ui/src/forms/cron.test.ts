import { describe, expect, it } from "vitest";
import { cronInWords, intervalInWords, triggerInWords } from "./cron";

describe("cronInWords", () => {
  it("reads Unix cron with a zone", () => {
    expect(cronInWords("0 9 * * 1-5", "Europe/Paris")).toBe("09:00 on weekdays, Europe/Paris");
    expect(cronInWords("TZ=America/New_York 30 17 * * *")).toBe("17:30 every day, America/New_York");
    expect(cronInWords("0 9 * * 0,6")).toBe("09:00 on weekends, UTC");
    expect(cronInWords("15 8 * * mon,fri")).toBe("08:15 on Mondays and Fridays, UTC");
  });
  it("reads Kubeflow's six fields, seconds first", () => {
    expect(cronInWords("0 0 9 ? * 2-6")).toBe("09:00 on Tuesdays, Wednesdays, Thursdays, Fridays and Saturdays, UTC");
    expect(cronInWords("30 0 * * * *")).toBe("every hour at :00:30, UTC");
  });
  it("reads descriptors, steps, days of the month and months", () => {
    expect(cronInWords("@daily")).toBe("00:00 every day, UTC");
    expect(cronInWords("@hourly")).toBe("every hour at :00, UTC");
    expect(cronInWords("@every 1h30m")).toBe("every 1h30m");
    expect(cronInWords("*/15 * * * *")).toBe("every 15 minutes, UTC");
    expect(cronInWords("0 6 1 * *")).toBe("06:00 on day 1 of the month, UTC");
    expect(cronInWords("@yearly")).toBe("00:00 on January 1, UTC");
    expect(cronInWords("0 9,17 * * *")).toBe("09:00 and 17:00 every day, UTC");
  });
  it("shows what it cannot put in words as written", () => {
    expect(cronInWords("0 9-17/2 * * *")).toBe("0 9-17/2 * * *, UTC");
    expect(cronInWords("nonsense")).toBe("nonsense");
  });
});

describe("triggers", () => {
  it("reads intervals and either kind of trigger", () => {
    expect(intervalInWords(5400)).toBe("every 1 hour 30 minutes");
    expect(intervalInWords(1)).toBe("every 1 second");
    expect(triggerInWords({ periodic_schedule: { interval_second: "86400" } })).toBe("every 1 day");
    expect(triggerInWords({ cron_schedule: { cron: "0 9 * * 1-5", time_zone: "Europe/Paris" } })).toBe("09:00 on weekdays, Europe/Paris");
    expect(triggerInWords(undefined)).toBe("no trigger");
  });
});
