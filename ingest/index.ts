/**
 * The one ingest entry point: a file (or a stream for mbox) in, normalized
 * documents or per-file errors out. Pure: it reads only what it is handed.
 */
import { extname } from 'node:path';
import { ParsedDocument, type Format, type ParseErrorCode } from '../schemas/document.js';
import { looksBinary, sha256Hex } from './decode.js';
import { asParseError, ParseError, SourceAborted } from './errors.js';
import { parseCcda } from './formats/ccda.js';
import { parseCsv } from './formats/csv.js';
import { parseDocx } from './formats/docx.js';
import { parseEmail } from './formats/email.js';
import { parseFhir } from './formats/fhir.js';
import { parseHtml } from './formats/html.js';
import { parseMarkdown } from './formats/markdown.js';
import { parseOfx } from './formats/ofx.js';
import { parsePdf, startsWithPdfMagic } from './formats/pdf.js';
import { parseText } from './formats/text.js';
import { splitMbox } from './mbox.js';
import type { FormatParser, ParsedBody } from './types.js';

export { SourceAborted } from './errors.js';
export { chunkDocument, type Chunk } from './chunker.js';

/** What the caller hands in: a name and two ways to read the bytes. */
export interface SourceFile {
  /** Where it came from; becomes the document's `source`. */
  path: string;
  size: number;
  readBytes(): Promise<Uint8Array>;
  stream(): AsyncIterable<Uint8Array>;
}

export type ParseOutcome =
  { ok: true; doc: ParsedDocument } | { ok: false; source: string; code: ParseErrorCode; message: string };

export interface ParseOptions {
  /** Largest file read whole (everything but mbox, which streams). */
  maxFileBytes?: number;
  /** Largest single message inside an mbox. */
  maxMessageBytes?: number;
  /** How deep attachments inside attachments are followed. */
  maxDepth?: number;
}

const PARSERS: Record<Format, FormatParser> = {
  txt: parseText,
  md: parseMarkdown,
  html: parseHtml,
  pdf: parsePdf,
  docx: parseDocx,
  eml: parseEmail,
  csv: parseCsv,
  fhir: parseFhir,
  ccda: parseCcda,
  ofx: parseOfx,
};

const BY_EXTENSION: Record<string, Format | 'mbox'> = {
  '.txt': 'txt',
  '.text': 'txt',
  '.log': 'txt',
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.eml': 'eml',
  '.mbox': 'mbox',
  '.mbx': 'mbox',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.json': 'fhir',
  '.xml': 'ccda',
  '.ofx': 'ofx',
  '.qfx': 'ofx',
};

const BINARY_FORMATS: ReadonlySet<Format> = new Set(['pdf', 'docx']);

/** The format a name claims, or undefined when PRAG does not read that kind of file. */
export function formatOf(path: string): Format | 'mbox' | undefined {
  return BY_EXTENSION[extname(path).toLowerCase()];
}

/** What the first bytes say the content is, whatever the name claims. */
function sniff(bytes: Uint8Array): 'pdf' | 'zip' | 'binary' | 'text' {
  if (startsWithPdfMagic(bytes.subarray(0, 1024))) return 'pdf';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return 'text'; // UTF-16 with BOM
  return looksBinary(bytes) ? 'binary' : 'text';
}

/** Refuses content that plainly is not what its extension says (a PDF named .txt, an image named .csv). */
function checkMatches(format: Format, bytes: Uint8Array): void {
  if (BINARY_FORMATS.has(format)) return; // their parsers check their own magic
  const kind = sniff(bytes);
  if (kind !== 'text')
    throw new ParseError(
      'format_mismatch',
      `content is ${kind === 'binary' ? 'binary data' : `a ${kind.toUpperCase()} file`}, not ${format}`,
    );
}

/** Longest title or section heading kept. A heading is copied into every chunk of its section: uncapped, one
 * long heading line would multiply what a section stores by its number of chunks. */
const MAX_LABEL = 500;

function finish(body: ParsedBody, id: string, source: string, size: number, parentId?: string): ParsedDocument {
  const sections = body.sections
    .filter((s) => s.text.trim().length > 0)
    .map((s) => (s.heading && s.heading.length > MAX_LABEL ? { ...s, heading: s.heading.slice(0, MAX_LABEL) } : s));
  if (!sections.length) throw new ParseError('no_text', 'no extractable text');
  return ParsedDocument.parse({
    id,
    parentId,
    source,
    title: body.title.trim().slice(0, MAX_LABEL) || source,
    mediaType: body.mediaType,
    format: body.format,
    date: body.date,
    meta: body.meta,
    sections,
    size,
  });
}

const fail = (source: string, err: unknown): ParseOutcome => {
  const e = asParseError(err, 'parse failed');
  return { ok: false, source, code: e.code, message: e.message };
};

/** One file's (or message's) bytes to parse, attachments included. */
export interface ParseJob {
  bytes: Uint8Array;
  name: string;
  source: string;
  format: Format;
  options: Required<ParseOptions>;
}

/** Parses a job's bytes: in-process (parseBytes), or elsewhere (a worker that runs parseBytes under limits). */
export type BytesParser = (job: ParseJob) => AsyncIterable<ParseOutcome>;

/** Parses bytes of a known format, then its attachments (to `maxDepth`). */
export function parseBytes(job: ParseJob): AsyncIterable<ParseOutcome> {
  return parseNested(job.bytes, job.name, job.source, job.format, 0, job.options);
}

async function* parseNested(
  bytes: Uint8Array,
  name: string,
  source: string,
  format: Format,
  depth: number,
  opts: Required<ParseOptions>,
  parentId?: string,
): AsyncGenerator<ParseOutcome> {
  let body: ParsedBody;
  const id = sha256Hex(bytes);
  try {
    if (bytes.length === 0) throw new ParseError('empty', 'file is empty');
    checkMatches(format, bytes);
    body = await PARSERS[format]({ bytes, name });
    yield { ok: true, doc: finish(body, id, source, bytes.length, parentId) };
  } catch (err) {
    yield fail(source, err);
    return;
  }
  for (const child of body.children ?? []) {
    const childFormat = formatOf(child.name);
    if (!childFormat || childFormat === 'mbox') continue; // kept as metadata only
    const childSource = `${source}/${child.name}`;
    if (depth + 1 > opts.maxDepth) {
      yield fail(childSource, new ParseError('too_deep', `attachments nested deeper than ${opts.maxDepth} levels`));
      continue;
    }
    yield* parseNested(child.bytes, child.name, childSource, childFormat, depth + 1, opts, id);
  }
}

const DEFAULTS: Required<ParseOptions> = {
  maxFileBytes: 256 * 1024 * 1024,
  maxMessageBytes: 64 * 1024 * 1024,
  maxDepth: 3,
};

/**
 * Parses one file. Never throws for bad content: every failure is an outcome
 * with a code, and one message of an mbox failing does not stop the rest.
 * Only a source that aborts (SourceAborted) stops it.
 */
export async function* parseSource(
  file: SourceFile,
  options: ParseOptions = {},
  parse: BytesParser = parseBytes,
): AsyncGenerator<ParseOutcome> {
  const opts = { ...DEFAULTS, ...options };
  const name = file.path.split(/[\\/]/).pop() ?? file.path;
  const format = formatOf(name);
  if (file.size === 0) {
    yield fail(file.path, new ParseError('empty', 'file is empty'));
    return;
  }
  if (!format) {
    yield fail(
      file.path,
      new ParseError('unsupported_format', `no parser for ${extname(name) || 'files without an extension'}`),
    );
    return;
  }
  if (format === 'mbox') {
    try {
      for await (const item of splitMbox(file.stream(), { maxMessageBytes: opts.maxMessageBytes })) {
        const source = `${file.path}#${item.index + 1}`;
        if ('error' in item) yield fail(source, item.error);
        else
          yield* parse({
            bytes: item.bytes,
            name: `message-${item.index + 1}.eml`,
            source,
            format: 'eml',
            options: opts,
          });
      }
    } catch (err) {
      if (err instanceof SourceAborted) throw err;
      yield fail(file.path, err);
    }
    return;
  }
  if (file.size > opts.maxFileBytes) {
    yield fail(file.path, new ParseError('too_large', `file is ${file.size} bytes (limit ${opts.maxFileBytes})`));
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = await file.readBytes();
  } catch (err) {
    if (err instanceof SourceAborted) throw err;
    yield fail(file.path, new ParseError('corrupt', `cannot read file: ${(err as Error).message}`));
    return;
  }
  yield* parse({ bytes, name, source: file.path, format, options: opts });
}
