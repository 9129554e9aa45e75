import { describe, expect, it } from "vitest";
import { appendLog, blocks, START } from "./logBlocks";

const ESC = "\u001b";

describe("blocks", () => {
  it("cuts whole lines into blocks of at most `size` lines", () => {
    expect(blocks("a\nb\nc\n", 2)).toEqual([
      { text: "a\nb\n", lines: 2 },
      { text: "c\n", lines: 1 },
    ]);
    expect(blocks("a\nhalf", 5)).toEqual([{ text: "a\nhalf", lines: 2 }]);
    expect(blocks("", 5)).toEqual([]);
  });
});

describe("appendLog", () => {
  it("appends blocks, the keys going on", () => {
    const first = appendLog(START, "a\nb\nc\n", 2);
    expect(first.added.map((chunk) => [chunk.key, chunk.text])).toEqual([
      [0, "a\nb\n"],
      [1, "c\n"],
    ]);
    expect(first.replaceLast).toBe(false);
    const second = appendLog(first.cursor, "d\n", 2);
    expect(second.added.map((chunk) => [chunk.key, chunk.text])).toEqual([[2, "d\n"]]);
    expect(second.replaceLast).toBe(false);
  });
  it("draws a line still being written again with its continuation", () => {
    const first = appendLog(START, "done\n50%", 10);
    expect(first.cursor.open?.text).toBe("done\n50%");
    const second = appendLog(first.cursor, " 100%\nnext\n", 10);
    expect(second.replaceLast).toBe(true);
    expect(second.added.map((chunk) => chunk.text)).toEqual(["done\n50% 100%\nnext\n"]);
    expect(second.cursor.open).toBeNull();
  });
  it("starts each block in the colour the one before it left on", () => {
    const first = appendLog(START, `${ESC}[31mred\nstill red\n`, 1);
    expect(first.added.map((chunk) => chunk.start.fg)).toEqual([null, "red"]);
    const second = appendLog(first.cursor, `more${ESC}[0m\n`, 1);
    expect(second.added[0]?.start.fg).toBe("red");
    expect(second.cursor.state.fg).toBeNull();
  });
});
