import type { Section } from '../../schemas/document.js';
import { decodeText, tidyText } from '../decode.js';
import type { FormatParser } from '../types.js';

/**
 * An ATX heading's opening (CommonMark 0.31 §4.2): up to three spaces, one to six `#`, then a space, a tab or
 * the end of the line. The rest of the line is taken apart by `headingText`, not by a pattern: one like
 * `\s+(.*?)\s*#*\s*$` tries every way of sharing a run of spaces among its three blank-space parts, cubic in
 * the run's length when the line does not match (2,000 spaces: seconds).
 */
const OPENING = /^ {0,3}#{1,6}(?=[ \t]|$)/;
const FENCE = /^ {0,3}(```|~~~)/;

const isBlank = (c: number) => c === 0x20 || c === 0x09;

/**
 * The heading's text, or undefined when the line is not a heading: spaces and tabs trimmed, and the optional
 * closing run of `#` (a run preceded by a space or tab, or the whole content) dropped. Each loop moves its
 * index one way only, so the line is read at most twice.
 */
function headingText(line: string): string | undefined {
  const opening = OPENING.exec(line);
  if (!opening) return undefined;
  let start = opening[0].length;
  let end = line.length;
  while (end > start && isBlank(line.charCodeAt(end - 1))) end--;
  let closing = end;
  while (closing > start && line.charCodeAt(closing - 1) === 0x23) closing--;
  if (closing === start || isBlank(line.charCodeAt(closing - 1))) end = closing;
  while (end > start && isBlank(line.charCodeAt(end - 1))) end--;
  while (start < end && isBlank(line.charCodeAt(start))) start++;
  return line.slice(start, end);
}

/** Splits Markdown at ATX headings (outside code fences); each heading starts a section. */
function markdownSections(source: string): Section[] {
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
    const found = inFence ? undefined : headingText(line);
    if (found === undefined) {
      lines.push(line);
    } else {
      flush();
      heading = found || undefined; // an empty heading (`#` alone) still ends the section before it
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
