// HTML and Markdown artifacts. HTML runs in an iframe sandboxed without allow-same-origin:
// its scripts run, but in an opaque origin, so they reach neither this page nor the API
// (the cookie is not sent). Its background is white whatever the theme, as reports expect.
import { renderMarkdown } from "./markdown";

export function HtmlView({ html, title }: { html: string; title: string }) {
  return <iframe className="html-artifact" title={title} sandbox="allow-scripts" srcDoc={html} referrerPolicy="no-referrer" />;
}

export function MarkdownView({ text, label }: { text: string; label: string }) {
  // renderMarkdown escapes raw HTML: what it returns holds only markdown-it's own tags.
  return <div className="markdown" aria-label={label} dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />;
}
