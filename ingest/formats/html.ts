import { convert, type FormatCallback } from 'html-to-text';
import type { Section } from '../../schemas/document.js';
import { decodeText, tidyText } from '../decode.js';
import type { FormatParser } from '../types.js';
import { checkNesting } from './html-nesting.js';

/** Marks a heading line in html-to-text's output so sections can be cut there. */
const HEADING_MARK = '\u0001';

const heading: FormatCallback = (elem, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(HEADING_MARK);
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2 });
};

/**
 * A table row on a line of its own, cells joined by ` | ` (as C-CDA narrative tables read). Not html-to-text's
 * `dataTable`: its layout transposes a rows × columns matrix, quadratic in the larger, and fills `rowspan ×
 * colspan` slots, which one cell's attributes can set to billions.
 */
const row: FormatCallback = (elem, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 1 });
  let cells = 0;
  for (const child of elem.children ?? []) {
    if (child.type === 'tag' && (child.name === 'td' || child.name === 'th') && cells++ > 0) builder.addLiteral(' | ');
    walk([child], builder);
  }
  builder.closeBlock({ trailingLineBreaks: 1 });
};

const BODY_OPTIONS = {
  wordwrap: false as const,
  formatters: { prag_heading: heading, prag_row: row },
  selectors: [
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, format: 'prag_heading' })),
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'nav', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'noscript', format: 'skip' },
    { selector: 'template', format: 'skip' },
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'prag_row' },
  ],
};

/** Readable text of an HTML fragment or page, cut into sections at headings. */
export function htmlSections(html: string): Section[] {
  checkNesting(html);
  const text = convert(html, BODY_OPTIONS);
  const sections: Section[] = [];
  let current: Section = { text: '' };
  const lines: string[] = [];
  const flush = () => {
    current.text = tidyText(lines.join('\n'));
    if (current.text || current.heading)
      sections.push(current.text ? current : { ...current, text: current.heading ?? '' });
    lines.length = 0;
  };
  for (const line of text.split('\n')) {
    const at = line.indexOf(HEADING_MARK);
    if (at >= 0) {
      flush();
      current = { heading: tidyText(line.replaceAll(HEADING_MARK, '')) || undefined, text: '' };
    } else {
      lines.push(line);
    }
  }
  flush();
  return sections.filter((s) => s.text);
}

/** Plain text of HTML with no section structure (email bodies). */
export function htmlToPlain(html: string): string {
  return tidyText(
    htmlSections(html)
      .map((s) => (s.heading && s.heading !== s.text ? `${s.heading}\n${s.text}` : s.text))
      .join('\n\n'),
  );
}

/** The `<title>`, or undefined (not the whole body: html-to-text falls back to it by default); call after htmlSections, which checks the nesting. */
function htmlTitle(html: string): string | undefined {
  const t = tidyText(
    convert(html, { wordwrap: false, baseElements: { selectors: ['title'], returnDomByDefault: false } }),
  );
  return t || undefined;
}

export const parseHtml: FormatParser = async ({ bytes, name }) => {
  const html = decodeText(bytes);
  const sections = htmlSections(html);
  return {
    title: htmlTitle(html) ?? sections.find((s) => s.heading)?.heading ?? name,
    mediaType: 'text/html',
    format: 'html',
    meta: { kind: 'plain' },
    sections,
  };
};
