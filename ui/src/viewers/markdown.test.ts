import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

describe("renderMarkdown", () => {
  it("renders headings, tables and code", () => {
    const html = renderMarkdown("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```\n");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<table>");
    expect(html).toContain("<code>code\n</code>");
  });

  it("keeps raw HTML as text", () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
  });

  it("opens links safely and refuses javascript: ones", () => {
    expect(renderMarkdown("[x](https://example.invalid)")).toContain('rel="noopener noreferrer"');
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("href=");
  });
});
