/**
 * Adversarial inputs for every parser and for the chunker, about 1 MiB each:
 * long runs of what a pattern or loop repeats over (spaces, `#`, `<`, `>`,
 * quotes, nested brackets) and constructs left unterminated, so that a
 * super-linear step shows as seconds or minutes instead of milliseconds.
 * Used by test/unit/adversarial-parsers.test.ts (each case under a time limit
 * a super-linear step cannot meet) and by `npm run bench:parsers` (times).
 */
import { decodeText, tidyText } from '../../ingest/decode.js';
import type { TokenCounter } from '../../ingest/chunker.js';
import { chunkDocument, parseSource, type SourceFile } from '../../ingest/index.js';
import type { ParsedDocument } from '../../schemas/document.js';

export const MIB = 1 << 20;

type FileTarget = 'txt' | 'md' | 'html' | 'csv' | 'eml' | 'mbox' | 'ofx' | 'fhir' | 'ccda' | 'ics' | 'vcf' | 'health';

export type AdversarialCase =
  /** A file, parsed by the parser its extension selects (then chunked). */
  | { target: FileTarget; what: string; file: string; content: () => string }
  /** A section's text, chunked as it is. */
  | { target: 'chunker'; what: string; text: () => string }
  /** Bytes decoded and tidied as text files are. */
  | { target: 'decode'; what: string; bytes: () => Uint8Array };

const file = (target: FileTarget, what: string, name: string, content: () => string): AdversarialCase => ({
  target,
  what,
  file: name,
  content,
});

const EML_HEAD = 'From: a@example.org\r\nTo: b@example.org\r\nSubject: s\r\n';
const eml = (headers: string, body = 'body') => `${EML_HEAD}${headers}\r\n${body}\r\n`;
const POSTMARK = 'From sender@example.org Mon Jan  1 00:00:00 2024\n';
const CDA_HEAD =
  '<ClinicalDocument><title>t</title><component><structuredBody><component><section><title>s</title><text>';
const CDA_TAIL = '</text></section></component></structuredBody></component></ClinicalDocument>';
const ICS_HEAD = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART:20240101T090000Z\r\n';
const ICS_TAIL = '\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
const VCF_HEAD = 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n';
const VCF_TAIL = '\r\nEND:VCARD\r\n';
const HEALTH_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData>\n<HealthData locale="en_US">\n';
const HEALTH_RECORD =
  '<Record type="HKQuantityTypeIdentifierHeartRate" unit="count/min" value="71" sourceName="w" startDate="2024-01-01 08:00:00 +0100" endDate="2024-01-01 08:00:00 +0100"/>\n';
const base64Lines = (text: string) =>
  (
    Buffer.from(text)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');

/** An e-mail with `parts` MIME parts (attachments that are not parsed). */
function manyParts(parts: number): string {
  let out = `${EML_HEAD}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n--p\r\nContent-Type: text/plain\r\n\r\nbody\r\n`;
  for (let i = 0; i < parts; i++)
    out += `--p\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="p${i}.bin"\r\n\r\npart ${i}\r\n`;
  return `${out}--p--\r\n`;
}

/** An e-mail nested `multipart/mixed` in `multipart/mixed` until it is `size` long. */
function nestedMultipart(size: number): string {
  let body = 'Content-Type: text/plain\r\n\r\ninner\r\n';
  for (let i = 0; body.length < size - 100; i++)
    body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
  return `${EML_HEAD}MIME-Version: 1.0\r\n${body}`;
}

/** 100 multiparts nested (the most a message may declare), then parts in the innermost. */
function manyBoundaries(size: number): string {
  let head = '';
  let tail = '';
  for (let i = 0; i < 100; i++) {
    head += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
    tail = `--b${i}--\r\n${tail}`;
  }
  const part = '--b99\r\n\r\nx\r\n';
  const parts = part.repeat(Math.max(1, Math.floor((size - head.length - tail.length - 200) / part.length)));
  return `${EML_HEAD}MIME-Version: 1.0\r\n${head}Content-Type: text/plain\r\n\r\ninner\r\n${parts}${tail}`;
}

/** An mbox of `messages` messages, each with a Markdown attachment (base64) of `markdown`. */
function mboxWithAttachments(messages: number, markdown: string): string {
  let out = '';
  for (let i = 0; i < messages; i++)
    out +=
      `${POSTMARK}${EML_HEAD}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n` +
      `Content-Type: text/plain\r\n\r\nmessage ${i}\r\n--b\r\nContent-Type: text/markdown\r\n` +
      `Content-Disposition: attachment; filename="notes${i}.md"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      `${base64Lines(markdown)}\r\n--b--\r\n\n`;
  return out;
}

/** A bundle of `size / 100` FHIR observations. */
function observations(size: number): string {
  const entry = JSON.stringify({
    resource: { resourceType: 'Observation', code: { text: 'HbA1c' }, valueQuantity: { value: 6.1, unit: '%' } },
  });
  return `{"resourceType":"Bundle","entry":[${Array(Math.floor(size / (entry.length + 1)))
    .fill(entry)
    .join(',')}]}`;
}

/** Every case, each built (when called) to about `size` bytes: 1 MiB, or half that for the bench's growth figure. */
export function adversarialCases(size = MIB): AdversarialCase[] {
  /** `head`, then `unit` repeated to about `size`, then `tail`. */
  const fill = (head: string, unit: string, tail = '') =>
    head + unit.repeat(Math.max(1, Math.floor((size - head.length - tail.length) / unit.length))) + tail;
  /** `open` repeated, then `close` as often: nesting as deep as `size` allows. */
  const nest = (open: string, close: string, inner = 'x') => {
    const depth = Math.floor((size - inner.length) / (open.length + close.length));
    return open.repeat(depth) + inner + close.repeat(depth);
  };
  /** A C-CDA document whose one section's narrative is `head`, `unit` repeated, then `tail`. */
  const cda = (head: string, unit: string, tail: string) => fill(CDA_HEAD + head, unit, tail + CDA_TAIL);
  const bytes = (text: string) => new TextEncoder().encode(text);

  return [
    file('txt', 'a run of spaces', 'a.txt', () => fill('a', ' ', 'b')),
    file('txt', 'space-newline pairs', 'a.txt', () => fill('', ' \n')),
    file('txt', 'a run of CRs', 'a.txt', () => fill('', '\r', 'x')),
    file('txt', 'one word', 'a.txt', () => fill('x ', 'a')),

    file('md', 'a heading line: spaces, then a CR before its end', 'a.md', () => fill('# a', ' ', '\rx')),
    file('md', 'a run of #', 'a.md', () => fill('', '#')),
    file('md', 'a heading of # and spaces', 'a.md', () => fill('# x', ' #', ' y')),
    file('md', 'heading lines with runs of spaces', 'a.md', () => fill('', `#${' '.repeat(1000)}\rx\n`)),
    file('md', 'an unterminated code fence', 'a.md', () => fill('```\n', '# x   \n')),
    file('md', 'fence markers only', 'a.md', () => fill('', '~~~\n')),

    file('html', 'a run of <', 'a.html', () => fill('', '<')),
    file('html', 'nested <div>', 'a.html', () => nest('<div>', '</div>')),
    file('html', 'foreign elements left on their stack', 'a.html', () => fill('', '<div><svg></div>')),
    file('html', 'stray end tags under a deep stack', 'a.html', () => fill('<div>'.repeat(500), '</span>')),
    file('html', 'an unterminated attribute', 'a.html', () => fill('<a href="', 'x')),
    file('html', 'an unterminated comment', 'a.html', () => fill('<!--', 'x')),
    file('html', 'a heading of spaces', 'a.html', () => fill('<h1>', ' ', '</h1>')),
    file('html', 'table rows with cells left open', 'a.html', () => fill('<table>', '<tr><td>x')),
    file('html', 'a cell spanning billions of slots', 'a.html', () =>
      fill('<table><tr><td colspan="100000" rowspan="100000">x</td></tr></table>', ' '),
    ),
    file('html', 'entities, some unterminated', 'a.html', () => fill('<p>', '&amp;&#x')),
    file('html', 'an unterminated script', 'a.html', () => fill('<script>', '<')),

    file('csv', 'an unterminated quote', 'a.csv', () => fill('a,b\n"', 'a,')),
    file('csv', 'a header of delimiters', 'a.csv', () => fill('', ',', '\nx,y\n')),
    file('csv', 'quote characters only', 'a.csv', () => fill('a,b\n', '"')),
    file('csv', 'escaped quotes', 'a.csv', () => fill('a,b\n"', '""', '",x\n')),
    file('csv', 'blank lines', 'a.csv', () => fill('a,b\n', '\n', '1,2\n')),
    file('csv', 'a date column of odd dates', 'a.csv', () => fill('date,amount\n', '1/1/1/1/1,2\n')),

    file('eml', 'a subject of spaces', 'a.eml', () => eml(fill('Subject: ', ' '))),
    file('eml', 'an address field of <', 'a.eml', () => eml(fill('Cc: ', '<'))),
    file('eml', 'an address field of nested comments', 'a.eml', () => eml(fill('Cc: ', '('))),
    file('eml', 'address fields of tens of thousands of addresses', 'a.eml', () =>
      eml(Array.from({ length: 4 }, () => `Cc: ${'a@b.c,'.repeat(Math.floor(size / 30))}`).join('\r\n')),
    ),
    file('eml', 'unterminated encoded words', 'a.eml', () => eml(fill('Subject: ', '=?utf-8?q?'))),
    file('eml', 'many header lines', 'a.eml', () => eml(fill('', 'X-H: v\r\n'))),
    file('eml', 'a folded header', 'a.eml', () => eml(fill('X-H: a\r\n', ' x\r\n'))),
    file('eml', 'content-type parameters', 'a.eml', () => eml(fill('Content-Type: text/plain', '; a=b'))),
    file('eml', 'an HTML-only body of <', 'a.eml', () => eml('Content-Type: text/html\r\n', fill('', '<'))),
    file('eml', 'an HTML-only body nested deep', 'a.eml', () =>
      eml('Content-Type: text/html\r\n', nest('<div>', '</div>')),
    ),
    file('eml', 'thousands of MIME parts', 'a.eml', () => manyParts(Math.floor(size / 130))),
    file('eml', 'boundary-like lines, no boundary', 'a.eml', () => eml('', fill('', '--x\r\n'))),
    file('eml', 'nested multiparts', 'a.eml', () => nestedMultipart(size)),
    file('eml', 'parts under a hundred boundaries', 'a.eml', () => manyBoundaries(size)),
    file('eml', 'a body of reply intros without an outro', 'a.eml', () => eml('', fill('', 'On x\r\n'))),
    file('eml', 'a body of sign-offs between blank lines', 'a.eml', () => eml('', fill('', 'Thanks,\r\n\r\n'))),

    file('mbox', 'many empty messages', 'a.mbox', () => fill('', POSTMARK)),
    file('mbox', 'many >From lines', 'a.mbox', () => fill(`${POSTMARK}${EML_HEAD}\n`, '>From x\n')),
    file('mbox', 'one line of >', 'a.mbox', () => fill(`${POSTMARK}${EML_HEAD}\n`, '>')),
    file('mbox', 'a separator line of spaces, no newline', 'a.mbox', () => fill('From ', ' ')),
    file('mbox', 'messages with Markdown attachments (the shared-queue stall)', 'a.mbox', () =>
      mboxWithAttachments(20, `# a${' '.repeat(Math.floor(size / 28))}\rx\n`),
    ),

    file('ofx', 'unterminated CDATA sections', 'a.ofx', () => fill('<OFX>', '<![CDATA[')),
    file('ofx', 'a run of <', 'a.ofx', () => fill('<OFX>', '<')),
    file('ofx', 'an unterminated tag', 'a.ofx', () => fill('<OFX><A', ' ')),
    file('ofx', 'nesting', 'a.ofx', () => fill('<OFX>', '<A>')),
    file('ofx', 'end tags', 'a.ofx', () => fill('<OFX><STMTRS><A>', '</B>')),
    file('ofx', 'SGML leaves', 'a.ofx', () => fill('<OFX><STMTRS>', '<A>x')),
    file('ofx', 'many transactions', 'a.ofx', () =>
      fill('<OFX><STMTRS><CURDEF>EUR<BANKTRANLIST>', '<STMTTRN><TRNTYPE>DEBIT<TRNAMT>-1<NAME>x</STMTTRN>'),
    ),
    file('ofx', 'entities', 'a.ofx', () => fill('<OFX><STMTRS><A>', '&amp;')),

    file('fhir', 'nested arrays', 'a.json', () => nest('[', ']', '1')),
    file('fhir', 'a bundle of observations', 'a.json', () => observations(size)),
    file('fhir', 'an HTML narrative of <', 'a.json', () =>
      JSON.stringify({ resourceType: 'Basic', text: { div: fill('<div>', '<') } }),
    ),
    file('fhir', 'a date of spaces', 'a.json', () =>
      JSON.stringify({ resourceType: 'Condition', code: { text: 'x' }, onsetDateTime: fill('2020', ' ', 'x') }),
    ),
    file('fhir', 'a base64 HTML note nested deep', 'a.json', () =>
      JSON.stringify({
        resourceType: 'DocumentReference',
        content: [
          { attachment: { contentType: 'text/html', data: Buffer.from(nest('<div>', '</div>')).toString('base64') } },
        ],
      }),
    ),

    file('ccda', 'a run of <', 'a.xml', () => fill('', '<')),

    file('ics', 'a folded line of spaces', 'a.ics', () => fill(`${ICS_HEAD}SUMMARY:x`, '\r\n  ', ICS_TAIL)),
    file('ics', 'many events', 'a.ics', () =>
      fill('BEGIN:VCALENDAR\r\n', 'BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n', 'END:VCALENDAR\r\n'),
    ),
    file('ics', 'components left open', 'a.ics', () => fill('BEGIN:VCALENDAR\r\n', 'BEGIN:VEVENT\r\n')),
    file('ics', 'a property of parameters', 'a.ics', () => fill(`${ICS_HEAD}X-A`, ';P=v', `:x${ICS_TAIL}`)),
    file('ics', 'a value of escapes', 'a.ics', () => fill(`${ICS_HEAD}DESCRIPTION:`, '\\,', ICS_TAIL)),
    file('ics', 'a recurrence rule of parts', 'a.ics', () =>
      fill(`${ICS_HEAD}RRULE:FREQ=DAILY`, ';BYHOUR=1', ICS_TAIL),
    ),
    file('ics', 'a quoted parameter left open', 'a.ics', () => fill(`${ICS_HEAD}X-A;P="`, 'x')),

    file('vcf', 'many cards', 'a.vcf', () => fill('', 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n')),
    file('vcf', 'a structured name of separators', 'a.vcf', () => fill(`${VCF_HEAD}N:`, ';', VCF_TAIL)),
    file('vcf', 'an address of separators and commas', 'a.vcf', () => fill(`${VCF_HEAD}ADR:`, ';,', VCF_TAIL)),
    file('vcf', 'cards left open', 'a.vcf', () => fill('', 'BEGIN:VCARD\r\n')),
    file('vcf', 'a folded line', 'a.vcf', () => fill(`${VCF_HEAD}NOTE:x`, '\r\n x', VCF_TAIL)),
    file('vcf', 'vCard 2.1: a quoted-printable value of soft line breaks', 'a.vcf', () =>
      fill('BEGIN:VCARD\r\nVERSION:2.1\r\nFN:x\r\nNOTE;ENCODING=QUOTED-PRINTABLE:', '=3D=\r\n', `x${VCF_TAIL}`),
    ),
    file('vcf', 'vCard 2.1: bare parameters', 'a.vcf', () =>
      fill('BEGIN:VCARD\r\nVERSION:2.1\r\nFN:x\r\n', 'TEL;CELL;PREF:1\r\n', 'END:VCARD\r\n'),
    ),

    file('health', 'many records', 'export.xml', () => fill(HEALTH_HEAD, HEALTH_RECORD, '</HealthData>\n')),
    file('health', 'an attribute of spaces', 'export.xml', () =>
      fill(`${HEALTH_HEAD}<Record type="HKQuantityTypeIdentifierStepCount" value="`, ' ', '"/></HealthData>'),
    ),
    file('health', 'nested elements', 'export.xml', () => HEALTH_HEAD + nest('<a>', '</a>') + '</HealthData>'),
    file('health', 'a run of <', 'export.xml', () => fill(HEALTH_HEAD, '<')),
    file('health', 'a record kind per record', 'export.xml', () => {
      let out = HEALTH_HEAD;
      for (let i = 0; out.length < size; i++) out += HEALTH_RECORD.replace('HeartRate', `Kind${i}`);
      return `${out}</HealthData>`;
    }),
    file('health', 'a day per record', 'export.xml', () => {
      let out = HEALTH_HEAD;
      for (let i = 0; out.length < size; i++)
        out += HEALTH_RECORD.replaceAll('2024-01-01', new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10));
      return `${out}</HealthData>`;
    }),
    file('ccda', 'blank elements in a paragraph', 'a.xml', () =>
      cda('<paragraph>', '<content> </content>', '</paragraph>'),
    ),
    file('ccda', 'table rows', 'a.xml', () => cda('<table>', '<tr><td>a </td><td> b</td></tr>', '</table>')),
    file('ccda', 'pipes and spaces at paragraph ends', 'a.xml', () => cda('', '<paragraph>x |   | </paragraph>', '')),
    file('ccda', 'nested paragraphs', 'a.xml', () => CDA_HEAD + nest('<paragraph>', '</paragraph>') + CDA_TAIL),
    file('ccda', 'an unterminated attribute', 'a.xml', () => fill('<ClinicalDocument a="', 'x')),
    file('ccda', 'an unterminated comment', 'a.xml', () => fill('<ClinicalDocument><!--', 'x')),
    file('ccda', 'an unterminated CDATA section', 'a.xml', () => fill('<ClinicalDocument><![CDATA[', 'x')),
    file('ccda', 'an unterminated processing instruction', 'a.xml', () => fill('<?xml', ' ')),
    file('ccda', 'many attributes', 'a.xml', () => {
      let attrs = '';
      for (let i = 0; attrs.length < size - 100; i++) attrs += ` a${i}="x"`;
      return `<ClinicalDocument${attrs}/>`;
    }),

    { target: 'chunker', what: 'one word after a space', text: () => fill('x ', 'a') },
    { target: 'chunker', what: 'a run of spaces between two words', text: () => fill('a', ' ', 'b') },
    { target: 'chunker', what: 'a newline, then spaces', text: () => fill('\n', ' ', 'x') },
    { target: 'chunker', what: 'newlines each followed by spaces', text: () => fill('', `\n${' '.repeat(100)}x`) },
    { target: 'chunker', what: 'a run of periods', text: () => fill('', '.') },
    { target: 'chunker', what: 'one-word sentences', text: () => fill('', 'a. ') },
    { target: 'chunker', what: 'paragraph breaks only', text: () => fill('x', '\n\n', 'y') },
    { target: 'chunker', what: 'astral characters without spaces', text: () => fill('', '😀') },

    { target: 'decode', what: 'invalid UTF-8', bytes: () => new Uint8Array(size).fill(0xff) },
    {
      target: 'decode',
      what: 'UTF-16 (BOM) of an odd length',
      bytes: () =>
        bytes(fill('', ' ', 'x'))
          .fill(0xff, 0, 1)
          .fill(0xfe, 1, 2),
    },
    { target: 'decode', what: 'mixed blank space', bytes: () => bytes(fill('', ' \t\u00a0\r\n\f\v')) },
  ];
}

/** What became of a case: documents, chunks and failure codes, and the time parsing and chunking took. */
export interface CaseResult {
  documents: number;
  chunks: number;
  failed: string[];
  parseMs: number;
  chunkMs: number;
}

/** A chunk budget like the service's (USE-Lite reads 128 tokens). */
const CHUNKING = { maxTokens: 120, overlapTokens: 18 };

function source(name: string, content: string): SourceFile {
  const bytes = new TextEncoder().encode(content);
  return {
    path: name,
    size: bytes.length,
    readBytes: async () => bytes,
    stream: async function* () {
      yield bytes;
    },
  };
}

/**
 * Parses (in-process, as a parse worker does) and chunks (as the engine does next) a case; a failure is a
 * result, not a throw. The input is built before the clock starts.
 */
export async function runCase(c: AdversarialCase, counter: TokenCounter): Promise<CaseResult> {
  const result: CaseResult = { documents: 0, chunks: 0, failed: [], parseMs: 0, chunkMs: 0 };
  const sections: Array<Pick<ParsedDocument, 'sections'>> = [];
  let started: number;
  if (c.target === 'decode') {
    const bytes = c.bytes();
    started = performance.now();
    if (tidyText(decodeText(bytes))) result.documents++;
  } else if (c.target === 'chunker') {
    sections.push({ sections: [{ text: c.text() }] });
    started = performance.now();
  } else {
    const file = source(c.file, c.content());
    started = performance.now();
    for await (const outcome of parseSource(file)) {
      if (outcome.ok) sections.push(outcome.doc);
      else result.failed.push(outcome.code);
    }
    result.documents = sections.length;
  }
  const parsed = performance.now();
  for (const doc of sections) result.chunks += chunkDocument(doc, counter, CHUNKING).length;
  result.parseMs = parsed - started;
  result.chunkMs = performance.now() - parsed;
  return result;
}
