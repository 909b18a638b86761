/**
 * Structure-aware chunking bounded by the embedding model's own token count.
 *
 * - A chunk never crosses a section (a page, a heading, an email): sections are
 *   the pointers citations use. An `aside` section (an e-mail's quoted text or
 *   signature) gets no chunks.
 * - Inside a section, text is cut at the largest boundary that fits: paragraph,
 *   then line, then sentence, then whitespace, and only for a run with no
 *   whitespace at all, at a character.
 * - Consecutive chunks of a section overlap by about `overlapTokens`.
 * - Offsets are UTF-16 offsets into the section's text, so `text ===
 *   section.text.slice(charStart, charEnd)` always holds.
 */
import type { ParsedDocument } from '../schemas/document.js';

export interface TokenCounter {
  /** Tokens the model sees for this text, special tokens excluded. */
  count(text: string): number;
}

export interface ChunkerOptions {
  maxTokens: number;
  overlapTokens: number;
}

export interface Chunk {
  ordinal: number;
  section: number;
  heading?: string;
  page?: number;
  /** The section's text was recognised by OCR. */
  ocr?: boolean;
  charStart: number;
  charEnd: number;
  text: string;
  tokens: number;
}

interface Span {
  start: number;
  end: number;
  tokens: number;
}

const SPLITTERS: RegExp[] = [
  /\n\s*\n/g, // paragraphs
  /\n/g, // lines
  /(?<=[.!?;])\s+/g, // sentences
];

/** Cuts [start,end) at the matches of `re`, keeping separators out of the pieces. */
function cut(text: string, start: number, end: number, re: RegExp): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const slice = text.slice(start, end);
  let last = 0;
  for (const m of slice.matchAll(re)) {
    if (m.index > last) out.push([start + last, start + m.index]);
    last = m.index + m[0].length;
  }
  if (last < slice.length) out.push([start + last, end]);
  return out;
}

/** Trims blank space off both ends of a span. */
function trimSpan(text: string, start: number, end: number): [number, number] {
  while (start < end && /\s/.test(text.charAt(start))) start++;
  while (end > start && /\s/.test(text.charAt(end - 1))) end--;
  return [start, end];
}

/**
 * Characters per token beyond any real text: a span longer than this many per token of budget is split
 * without being counted whole, and no window asks the counter about more than this many per token.
 */
const CHARS_PER_TOKEN_CEILING = 8;

/**
 * The last space or newline in (from, to], or -1. Bounded below on purpose: lastIndexOf would search on
 * to the start of the text, and for a long run without blank space that is every window over again (quadratic).
 */
function lastBreak(text: string, from: number, to: number): number {
  for (let i = to; i > from; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a) return i;
  }
  return -1;
}

/**
 * Splits a span that fits no boundary into windows of at most `max` tokens,
 * preferring to end each window at whitespace. Token counts are found by
 * estimating a length from the running chars-per-token ratio and shrinking.
 */
function windows(text: string, start: number, end: number, max: number, counter: TokenCounter): Span[] {
  const out: Span[] = [];
  let charsPerToken = 4;
  while (start < end) {
    let len = Math.min(end - start, Math.max(1, Math.floor(max * charsPerToken)));
    for (;;) {
      let stop = start + len;
      if (stop < end) {
        const at = lastBreak(text, start + len / 2, stop);
        if (at >= 0) stop = at;
      }
      const [s, e] = trimSpan(text, start, stop);
      const tokens = e > s ? counter.count(text.slice(s, e)) : 0;
      if (tokens <= max || stop - start <= 1) {
        if (e > s) out.push({ start: s, end: e, tokens });
        // Capped: after a window of mostly blank space (few tokens) the next one, and its count, stay small.
        if (tokens > 0) charsPerToken = Math.min(CHARS_PER_TOKEN_CEILING, Math.max(1, (e - s) / tokens));
        start = stop;
        break;
      }
      len = Math.max(1, Math.floor((stop - start) * (max / tokens) * 0.95));
    }
  }
  return out;
}

/**
 * Units of at most `max` tokens, each at the largest boundary that allows it.
 * A span is counted once: its count is handed down when a split leaves it whole,
 * and a span too long to possibly fit is split without counting it at all.
 */
function units(
  text: string,
  start: number,
  end: number,
  max: number,
  counter: TokenCounter,
  level = 0,
  known?: number,
): Span[] {
  const [s, e] = trimSpan(text, start, end);
  if (e <= s) return [];
  const tokens = known ?? (e - s <= max * CHARS_PER_TOKEN_CEILING ? counter.count(text.slice(s, e)) : Infinity);
  if (tokens <= max) return [{ start: s, end: e, tokens }];
  const splitter = SPLITTERS[level];
  if (!splitter) return windows(text, s, e, max, counter);
  const pieces = cut(text, s, e, splitter);
  if (pieces.length <= 1) return units(text, s, e, max, counter, level + 1, tokens);
  return pieces.flatMap(([a, b]) => units(text, a, b, max, counter, level + 1));
}

/** The end of `span` worth at most `max` tokens, starting at a word boundary; undefined if none fits. */
function tail(text: string, span: Span, max: number, counter: TokenCounter): Span | undefined {
  const charsPerToken = Math.max(1, (span.end - span.start) / Math.max(1, span.tokens));
  let from = Math.max(span.start, Math.floor(span.end - max * charsPerToken));
  for (let tries = 0; tries < 8 && from < span.end; tries++) {
    const ws = text.slice(from, span.end).search(/\s/);
    if (ws < 0) return undefined;
    const [s, e] = trimSpan(text, from + ws, span.end);
    if (e <= s) return undefined;
    const tokens = counter.count(text.slice(s, e));
    if (tokens <= max) return { start: s, end: e, tokens };
    from = s + Math.ceil((e - s) * (1 - max / tokens));
  }
  return undefined;
}

/**
 * Packs units greedily into chunks of at most `maxTokens`. Each chunk after the
 * first starts with about `overlapTokens` of the previous one: its trailing
 * units when they are small enough, otherwise the tail of its last unit.
 */
function pack(
  text: string,
  spans: Span[],
  { maxTokens, overlapTokens }: ChunkerOptions,
  counter: TokenCounter,
): Span[] {
  /** spans[k], for the indices below, which the loop bounds keep in range. */
  const span = (k: number): Span => {
    const found = spans[k];
    if (!found) throw new RangeError(`chunker: span ${k} of ${spans.length}`);
    return found;
  };
  // A chunk spans at most this many characters (a unit alone never does more): the blank space between units
  // is in no unit's count, and without this a run of it would be joined into one chunk and counted whole.
  const maxChars = maxTokens * CHARS_PER_TOKEN_CEILING;
  // And the units it shares with the next at most this many: chunks cut short by maxChars hold few tokens, and
  // an overlap of overlapTokens would make each start one unit after the last, every unit in a dozen chunks.
  const maxOverlapChars = overlapTokens * CHARS_PER_TOKEN_CEILING;
  /** The tokens of the text from `start` to the end of unit k - 1. */
  const countTo = (start: number, k: number) => counter.count(text.slice(start, span(k - 1).end));
  const chunks: Span[] = [];
  let i = 0;
  let lead: Span | undefined;
  while (i < spans.length) {
    const start = lead?.start ?? span(i).start;
    let j = i;
    let sum = lead?.tokens ?? 0;
    while (j < spans.length && sum + span(j).tokens <= maxTokens && span(j).end - start <= maxChars)
      sum += span(j++).tokens;
    if (j === i) {
      if (lead) {
        lead = undefined;
        continue;
      } // the overlap does not fit beside the next unit: drop it
      j = i + 1;
    }
    // Sums of parts can undercount the joined text by a token or two at every seam: verify, and when over, find
    // the most units that fit by bisection (one count per unit shed cost a chunk's text per unit: ~120 counts of
    // a chunk each, for lines that each lose a token to the join).
    let tokens = countTo(start, j);
    if (tokens > maxTokens && j - i > 1) {
      let fit = i + 1;
      tokens = countTo(start, fit);
      for (let lo = i + 2, hi = j - 1; tokens <= maxTokens && lo <= hi;) {
        const mid = (lo + hi) >> 1;
        const midTokens = countTo(start, mid);
        if (midTokens <= maxTokens) [fit, tokens, lo] = [mid, midTokens, mid + 1];
        else hi = mid - 1;
      }
      j = fit;
    }
    if (tokens > maxTokens && lead) {
      lead = undefined;
      continue;
    }
    const end = span(j - 1).end;
    chunks.push({ start, end, tokens });
    if (j >= spans.length) break;
    let back = j;
    let overlap = 0;
    while (
      back - 1 > i &&
      overlap + span(back - 1).tokens <= overlapTokens &&
      end - span(back - 1).start <= maxOverlapChars
    )
      overlap += span(--back).tokens;
    if (back < j) {
      lead = undefined;
      i = back;
    } else {
      lead = overlapTokens > 0 ? tail(text, span(j - 1), overlapTokens, counter) : undefined;
      i = j;
    }
  }
  return chunks;
}

export function chunkDocument(
  doc: Pick<ParsedDocument, 'sections'>,
  counter: TokenCounter,
  options: ChunkerOptions,
): Chunk[] {
  if (options.maxTokens < 8) throw new Error('maxTokens must be at least 8');
  const out: Chunk[] = [];
  doc.sections.forEach((section, index) => {
    if (section.aside) return; // kept with the document, not indexed (an e-mail's quotes and signature)
    const spans = units(section.text, 0, section.text.length, options.maxTokens, counter);
    for (const span of pack(section.text, spans, options, counter)) {
      out.push({
        ordinal: out.length,
        section: index,
        heading: section.heading,
        page: section.page,
        ...(section.ocr ? { ocr: true } : {}),
        charStart: span.start,
        charEnd: span.end,
        text: section.text.slice(span.start, span.end),
        tokens: span.tokens,
      });
    }
  });
  return out;
}
