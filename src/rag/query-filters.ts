/**
 * The structured part of a question, read without an LLM: dates and ranges ("last March", "in 2023", "since
 * June", "between May and July"), senders and recipients ("from Alice", "emails to the landlord") and kinds of
 * document ("in my bank statements", "lab results"). Each becomes a search filter; the rest of the question is
 * what is searched. Conservative: a name becomes a sender filter only when it matches one of the owner's
 * correspondents, and a date only when it names a month, a year or a relative period.
 */
import * as chrono from 'chrono-node';
import type { Format } from '../../schemas/document.js';
import { EmailAddress, type QueryFilters, type SearchFilters } from '../../schemas/search.js';

/** Finds the address a name stands for among the owner's correspondents (senders or recipients). */
export type Correspondents = (words: readonly string[], role: 'from' | 'to') => string | undefined;

interface Found {
  start: number;
  end: number;
}

const DAY = 86_400_000;
/** Questions longer than this (in words) are searched as written. */
const MAX_WORDS = 24;
/** How a question or a request opens; a text ending in a full stop that opens otherwise is a copied sentence. */
const ASKING =
  /^\W*(?:what|which|when|where|who|whom|whose|why|how|is|are|was|were|do|does|did|can|could|have|has|had|any|anything|all|show|find|list|give|get|search|look|tell|e-?mails?|mails?|messages?)\b/i;

/**
 * A passage looked for, not a question with conditions: a long text, or a sentence that ends in a full stop and
 * does not open as a question or request ("Last year, we cut taxes." names no date to filter by).
 */
function isPassage(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.split(/\s+/).length > MAX_WORDS || (/[.!]["'”’)]*$/.test(trimmed) && !ASKING.test(trimmed));
}
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
const utc = (y: number, m = 0, d = 1) => Date.UTC(y, m, d);

/** [start, end] (ms, whole days, inclusive) of what a parsed date names: its day, else its month, else its year. */
function span(c: chrono.ParsedComponents): [number, number] {
  const y = c.get('year') ?? new Date().getUTCFullYear();
  const m = (c.get('month') ?? 1) - 1;
  if (c.isCertain('day')) {
    const d = utc(y, m, c.get('day') ?? 1);
    return [d, d];
  }
  if (c.isCertain('month')) return [utc(y, m), utc(y, m + 1) - DAY];
  return [utc(y), utc(y + 1) - DAY];
}

/** What a date must say to count: a month's name, a year, a numeric date or a period ("now", "tonight" do not). */
const DATE_WORDS =
  /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\b(?:19|20)\d{2}\b|\d{1,2}[/.-]\d{1,2}|\b(?:yesterday|today|weeks?|months?|years?|days?)\b/i;

/** A chrono result counts only when it names a month, a year or a period, not a bare number, a time or "now". */
function meaningful(r: chrono.ParsedResult): boolean {
  return (
    (r.start.isCertain('month') || r.start.isCertain('year') || r.start.isCertain('day')) && DATE_WORDS.test(r.text)
  );
}

const BEFORE = /\b(?:before|until|till|prior to|up to)\s+$/i;
/** "since June", "from June": from its start; "after June": from the day after it. */
const SINCE = /\b(?:since|from)\s+$/i;
const AFTER = /\bafter\s+$/i;
const LEAD = /\b(?:in|on|during|of|for|from|since|after|before|until|till|prior to|up to)\s+$/i;
const BETWEEN = /\bbetween\s+(\S+(?:\s\d{4})?)\s+and\s+(\S+(?:\s\d{4})?)/i;
const YEAR = /\b(?:19|20)\d{2}\b/g;

interface DateRange extends Found {
  from?: number;
  to?: number;
}

/** One date expression at `at` in `text` (chrono, or a bare year), as the days it covers. */
function dateAt(
  text: string,
  now: Date,
): Array<{ index: number; length: number; range: [number, number]; relative: boolean }> {
  const out: Array<{ index: number; length: number; range: [number, number]; relative: boolean }> = [];
  for (const r of chrono.parse(text, { instant: now, timezone: 'UTC' }, { forwardDate: false })) {
    if (!meaningful(r)) continue;
    let [start, end] = span(r.start);
    if (r.end) end = span(r.end)[1];
    const relative = /\b(?:last|past|this|ago|yesterday|today)\b/i.test(r.text);
    // A month or day without a year means the latest one not in the future: questions are about records.
    if (!r.start.isCertain('year') && start > now.getTime()) {
      const back = (t: number) => {
        const d = new Date(t);
        d.setUTCFullYear(d.getUTCFullYear() - 1);
        return d.getTime();
      };
      [start, end] = [back(start), back(end)];
    }
    // Questions are about records: a date wholly in the future ("in 8 years") is no filter.
    if (start > now.getTime()) continue;
    // "last week", "the last 30 days", "the past 7 years": from then until now.
    if (relative && /\b(?:weeks?|days|months|years)\b/i.test(r.text)) end = Math.max(end, now.getTime());
    if (relative && /\blast\b/i.test(r.text) && r.start.isCertain('month') && !r.start.isCertain('day'))
      [start, end] = span(r.start);
    const prefix = /\b(?:last|this|past|the last|the past)\s+$/i.exec(text.slice(Math.max(0, r.index - 12), r.index));
    const lead = prefix ? prefix[0].length : 0;
    out.push({ index: r.index - lead, length: r.text.length + lead, range: [start, end], relative });
  }
  const taken = (i: number) => out.some((d) => i >= d.index && i < d.index + d.length);
  for (const m of text.matchAll(YEAR)) {
    // A bare year is a date only after a preposition ("in 2023", "since 2020"): "State of the Union 2001" is a title.
    if (taken(m.index) || !LEAD.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
    const y = Number(m[0]);
    out.push({ index: m.index, length: m[0].length, range: [utc(y), utc(y + 1) - DAY], relative: false });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Date filters: the expressions found, each widened to take its preposition, and the range they make. */
function dates(text: string, now: Date): DateRange[] {
  const between = BETWEEN.exec(text);
  if (between) {
    const [a, b] = [dateAt(between[1] ?? '', now)[0], dateAt(between[2] ?? '', now)[0]];
    if (a && b) {
      let [from, to] = [a.range[0], b.range[1]];
      // "between May and July 2024": the first side takes the second's year.
      if (!/\d{4}/.test(between[1] ?? '') && /\d{4}/.test(between[2] ?? '')) {
        const start = new Date(from);
        start.setUTCFullYear(new Date(to).getUTCFullYear());
        from = start.getTime();
      }
      if (from > to) [from, to] = [b.range[0], a.range[1]];
      return [{ start: between.index, end: between.index + between[0].length, from, to }];
    }
  }
  const found: DateRange[] = [];
  for (const d of dateAt(text, now)) {
    const before = text.slice(Math.max(0, d.index - 12), d.index);
    const lead = LEAD.exec(before);
    const start = d.index - (lead ? lead[0].length : 0);
    const end = d.index + d.length;
    if (BEFORE.test(before)) found.push({ start, end, to: d.range[0] - DAY });
    else if (SINCE.test(before) && !d.relative) found.push({ start, end, from: d.range[0] });
    else if (AFTER.test(before) && !d.relative) found.push({ start, end, from: d.range[1] + DAY });
    else found.push({ start, end, from: d.range[0], to: d.range[1] });
  }
  return found;
}

/** Kinds of document a question names, and the formats that hold them. */
const KINDS: Array<{ pattern: RegExp; formats: Format[] }> = [
  { pattern: /\b(?:e-?mails?|mails?|inbox|mailbox)\b/i, formats: ['eml'] },
  {
    pattern: /\b(?:bank|card|credit card)\s+statements?\b|\bstatements\b|\btransactions\b/i,
    formats: ['ofx', 'csv', 'xlsx', 'pdf'],
  },
  {
    pattern:
      /\b(?:lab(?:oratory)? results?|labs|medical records?|health records?|clinical notes?|discharge summar(?:y|ies))\b/i,
    formats: ['fhir', 'ccda', 'health', 'pdf'],
  },
  { pattern: /\b(?:calendar|appointments)\b/i, formats: ['ics', 'fhir', 'ccda'] },
  { pattern: /\b(?:contacts|address book)\b/i, formats: ['vcf'] },
  { pattern: /\bspreadsheets?\b/i, formats: ['csv', 'xlsx'] },
  { pattern: /\b(?:scans|scanned documents)\b/i, formats: ['image', 'pdf'] },
];
const KIND_LEAD = /\b(?:in|among|within|across|through|from)\s+(?:my|the|our|all)?\s*$/i;

/** Words after "from"/"to" that end a name. */
const NAME_STOP =
  /^(?:about|regarding|re|on|in|at|for|of|with|and|or|last|since|this|that|the|my|a|an|to|from|before|after|during|between|say|said|says|sent|wrote|asking|when|what|which|who|is|was|were|are)$/i;
const SENDER = /\b(?:from|by|sent by)\s+((?:the|my|our)\s+)?([\p{L}\p{N}@._'+-]+(?:\s+[\p{L}\p{N}@._'+-]+){0,2})/giu;
/** "to X" is a recipient only after mail words: "emails to the landlord", "what I wrote to Bob". */
const RECIPIENT =
  /\b(?:e-?mails?|mail|messages?|letters?|wrote|written|sent|replied|reply|replies|forwarded)\s+(?:\S+\s+)?to\s+((?:the|my|our)\s+)?([\p{L}\p{N}@._'+-]+(?:\s+[\p{L}\p{N}@._'+-]+){0,2})/giu;

/** A sender or recipient: an address typed out, or a name one of the owner's correspondents answers to. */
function person(
  text: string,
  pattern: RegExp,
  role: 'from' | 'to',
  correspondents: Correspondents,
  taken: readonly Found[],
): (Found & { address: string }) | undefined {
  for (const m of text.matchAll(pattern)) {
    const name = m[2] ?? '';
    const nameStart = m.index + m[0].length - name.length;
    const words = name.split(/\s+/);
    const stop = words.findIndex((w) => NAME_STOP.test(w));
    const kept = stop < 0 ? words : words.slice(0, stop);
    // "from Alice" drops "from"; "emails to Alice" drops "to Alice" and keeps "emails".
    const start =
      role === 'from' ? m.index : m.index + m[0].lastIndexOf('to ', nameStart - m.index - (m[1] ?? '').length);
    for (let n = kept.length; n > 0; n--) {
      const words = kept.slice(0, n).map((w) => w.replace(/[.,;:!?']+$/, ''));
      const end = nameStart + kept.slice(0, n).join(' ').length;
      if (taken.some((t) => start < t.end && t.start < end)) break;
      const typed = n === 1 ? EmailAddress.safeParse(words[0]) : undefined;
      const address = typed?.success ? typed.data : correspondents(words, role);
      if (address) return { start, end, address };
    }
  }
  return undefined;
}

/** Removes the found spans from the question; what is left (trimmed, spaces collapsed) is searched. */
function without(text: string, spans: readonly Found[]): string {
  let out = '';
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    out += `${text.slice(at, s.start)} `;
    at = s.end;
  }
  out += text.slice(at);
  return out
    .replace(/\s+/g, ' ')
    .replace(/\s+([?.!,])/g, '$1')
    .trim();
}

/**
 * The filters a question states and the rest of it to search. `now` is the request time (what "last March"
 * is relative to). When nothing is found, the query is the question unchanged and there are no filters.
 */
export function understandQuery(question: string, now: Date, correspondents: Correspondents): QueryFilters {
  if (isPassage(question)) return { query: question, filters: {}, phrases: [], dropped: false };
  const filters: SearchFilters = {};
  const phrases: string[] = [];
  const spans: Found[] = [];
  const take = (found: Found) => {
    spans.push(found);
    phrases.push(question.slice(found.start, found.end).trim());
  };
  for (const d of dates(question, now)) {
    if (d.from !== undefined && (filters.dateFrom === undefined || iso(d.from) > filters.dateFrom))
      filters.dateFrom = iso(d.from);
    if (d.to !== undefined && (filters.dateTo === undefined || iso(d.to) < filters.dateTo)) filters.dateTo = iso(d.to);
    take(d);
  }
  const from = person(question, SENDER, 'from', correspondents, spans);
  if (from) {
    filters.from = from.address;
    take(from);
  }
  const to = person(question, RECIPIENT, 'to', correspondents, spans);
  if (to) {
    filters.to = to.address;
    take(to);
  }
  const formats = new Set<Format>();
  for (const kind of KINDS) {
    const m = kind.pattern.exec(question);
    if (!m) continue;
    for (const f of kind.formats) formats.add(f);
    const lead = KIND_LEAD.exec(question.slice(Math.max(0, m.index - 24), m.index));
    // "in my bank statements" says where to look and is dropped; "lab results" alone is also what is asked about.
    if (lead) take({ start: m.index - lead[0].length, end: m.index + m[0].length });
    else phrases.push(m[0]);
  }
  if (formats.size) filters.formats = [...formats];
  // Dates that contradict each other ("now … the last 2 years") say nothing usable.
  if (filters.dateFrom && filters.dateTo && filters.dateFrom > filters.dateTo) {
    delete filters.dateFrom;
    delete filters.dateTo;
  }
  const query = without(question, spans);
  return { query: query || question, filters, phrases, dropped: false };
}
