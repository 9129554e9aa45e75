// Markdown artifacts rendered to HTML with raw HTML off (markdown-it escapes it), so a
// <script> or an onerror= attribute in the artifact stays text; links open in a new tab
// with rel="noopener noreferrer" and markdown-it's own check refuses javascript: URLs.
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

md.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  const token = tokens[index];
  if (token) {
    token.attrSet("target", "_blank");
    token.attrSet("rel", "noopener noreferrer");
  }
  return self.renderToken(tokens, index, options);
};

/** The HTML of a Markdown text, safe to put into the page. */
export function renderMarkdown(text: string): string {
  return md.render(text);
}
