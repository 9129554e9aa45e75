import { describe, expect, it } from "vitest";
import { ansiEndState, ansiSegments, splitMatches } from "./ansi";

const ESC = "\u001b";

describe("ansiSegments", () => {
  it("colours and resets", () => {
    expect(ansiSegments(`a ${ESC}[31mred${ESC}[0m b`)).toEqual([
      { text: "a ", fg: null, bold: false },
      { text: "red", fg: "red", bold: false },
      { text: " b", fg: null, bold: false },
    ]);
  });
  it("handles bold, bright colours and combined codes", () => {
    expect(ansiSegments(`${ESC}[1;92mok${ESC}[22;39m.`)).toEqual([
      { text: "ok", fg: "bright-green", bold: true },
      { text: ".", fg: null, bold: false },
    ]);
  });
  it("drops other control sequences and merges what is left", () => {
    expect(ansiSegments(`x${ESC}[2Ky${ESC}[?25lz`)).toEqual([{ text: "xyz", fg: null, bold: false }]);
  });
  it("carries a colour from one chunk of a log into the next", () => {
    const first = `a ${ESC}[1;31mstill `;
    const state = ansiEndState(first);
    expect(state).toEqual({ fg: "red", bold: true });
    expect(ansiSegments(`red${ESC}[0m plain`, state)).toEqual([
      { text: "red", fg: "red", bold: true },
      { text: " plain", fg: null, bold: false },
    ]);
    expect(ansiEndState(`red${ESC}[0m plain`, state)).toEqual({ fg: null, bold: false });
  });
});

describe("splitMatches", () => {
  it("splits around case-insensitive matches", () => {
    expect(splitMatches("Line 4 and line 40", "line 4")).toEqual(["", "Line 4", " and ", "line 4", "0"]);
    expect(splitMatches("abc", "")).toEqual(["abc"]);
    expect(splitMatches("abc", "z")).toEqual(["abc"]);
  });
});
