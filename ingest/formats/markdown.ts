import type { Section } from '../../schemas/document.js';
import { decodeText, tidyText } from '../decode.js';
import type { FormatParser } from '../types.js';

const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^ {0,3}(```|~~~)/;

/** Splits Markdown at ATX headings (outside code fences); each heading starts a section. */
export function markdownSections(source: string): Section[] {
  const sections: Section[] = [];
  let heading: string | undefined;
  let lines: string[] = [];
  let inFence = false;
  const flush = () => {
    const text = tidyText(lines.join('\n'));
    if (text || heading) sections.push({ heading, text: heading && !text ? heading : text });
    lines = [];
  };
  for (const line of source.split(/\r?\n/)) {
    if (FENCE.test(line)) inFence = !inFence;
    const m = inFence ? null : HEADING.exec(line);
    if (m) {
      flush();
      heading = m[2];
    } else {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

export const parseMarkdown: FormatParser = async ({ bytes, name }) => {
  const sections = markdownSections(decodeText(bytes));
  return {
    title: sections.find((s) => s.heading)?.heading ?? name,
    mediaType: 'text/markdown',
    format: 'md',
    meta: { kind: 'plain' },
    sections,
  };
};
