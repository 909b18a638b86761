/**
 * The one ingest entry point: a file (or a stream for mbox) in, normalized
 * documents or per-file errors out. Pure: it reads only what it is handed.
 */
import { extname } from 'node:path';
import { ParsedDocument, type ParseErrorCode } from '../schemas/document.js';
import { sha256Hex } from './decode.js';
import { asParseError, ParseError, SourceAborted } from './errors.js';
import { healthDocuments, isHealthExport } from './formats/apple-health.js';
import { BY_EXTENSION, PARSERS, type StreamedFormat, type WholeFormat } from './formats/index.js';
import { splitMbox } from './mbox.js';
import { checkMatches } from './sniff.js';
import type { ParsedBody } from './types.js';

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

/** The format a name claims, or undefined when PRAG does not read that kind of file. */
export function formatOf(path: string): WholeFormat | 'mbox' | undefined {
  return BY_EXTENSION[extname(path).toLowerCase()];
}

/**
 * Files read as a stream, never whole: an mbox, and XML (an Apple Health export is hundreds of MB; a C-CDA
 * document is collected from the stream up to the file size limit). Callers check no size limit for these.
 */
export function isStreamed(path: string): boolean {
  const format = formatOf(path);
  return format === 'mbox' || format === 'ccda';
}

/** Longest title or section heading kept. A heading is copied into every chunk of its section: uncapped, one
 * long heading line would multiply what a section stores by its number of chunks. */
const MAX_LABEL = 500;

/** A title or heading as one line: blank space (line breaks included) collapsed, trimmed, at most MAX_LABEL long. */
function label(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_LABEL).trimEnd();
}

/**
 * Spans are bounded: a file's dates are its author's, and a span as wide as its earliest and latest dates allow
 * would put a crafted attachment (or a contact list's birth dates) into every date-filtered search.
 */
const MAX_SPAN_MS = 400 * 86_400_000;

/**
 * The records' span, kept when it runs forwards over at most MAX_SPAN_MS (a statement, a year's table);
 * otherwise none, and date filters see the document's own date alone, as for any other document.
 */
function span({ dateStart, dateEnd }: ParsedBody): { dateStart?: string; dateEnd?: string } {
  if (!dateStart || !dateEnd) return {};
  const width = Date.parse(dateEnd) - Date.parse(dateStart);
  return width >= 0 && width <= MAX_SPAN_MS ? { dateStart, dateEnd } : {};
}

function finish(body: ParsedBody, id: string, source: string, size: number, parentId?: string): ParsedDocument {
  const sections = body.sections
    .filter((s) => s.text.trim().length > 0)
    .map((s) => (s.heading === undefined ? s : { ...s, heading: label(s.heading) || undefined }));
  if (!sections.length) throw new ParseError('no_text', 'no extractable text');
  return ParsedDocument.parse({
    id,
    parentId,
    source,
    title: label(body.title) || label(source),
    mediaType: body.mediaType,
    format: body.format,
    date: body.date,
    ...span(body),
    meta: body.meta,
    sections,
    size,
  });
}

const fail = (source: string, err: unknown): ParseOutcome => {
  const e = asParseError(err, 'parse failed');
  return { ok: false, source, code: e.code, message: e.message };
};

/** What every parse job names: the file, where it came from, the limits. */
interface JobBase {
  name: string;
  source: string;
  options: Required<ParseOptions>;
}
/** One file's (or message's) bytes, whole, to parse with its attachments. */
export interface WholeJob extends JobBase {
  format: WholeFormat;
  bytes: Uint8Array;
}
/** A file read as it streams (an Apple Health export); `size` is the file's. */
export interface StreamJob extends JobBase {
  format: StreamedFormat;
  stream: AsyncIterable<Uint8Array>;
  size: number;
}
export type ParseJob = WholeJob | StreamJob;

/** Parses a job: in-process (parseBytes), or elsewhere (a worker that runs parseBytes under limits). */
export type BytesParser = (job: ParseJob) => AsyncIterable<ParseOutcome>;

/** Parses bytes of a known format, then its attachments (to `maxDepth`); or a streamed file. */
export function parseBytes(job: ParseJob): AsyncIterable<ParseOutcome> {
  if (job.format === 'health') return parseStreamed(job);
  return parseNested(job.bytes, job.name, job.source, job.format, 0, job.options);
}

/** An Apple Health export: one document per kind of record, once the whole stream has been read. */
async function* parseStreamed(job: StreamJob): AsyncGenerator<ParseOutcome> {
  let docs: ParsedDocument[];
  try {
    docs = (await healthDocuments(job.stream)).map(({ id, key, size, body }) =>
      finish(body, id, `${job.source}#${key}`, size),
    );
  } catch (err) {
    if (err instanceof SourceAborted) throw err;
    yield fail(job.source, err);
    return;
  }
  for (const doc of docs) yield { ok: true, doc };
}

async function* parseNested(
  bytes: Uint8Array,
  name: string,
  source: string,
  format: WholeFormat,
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
  if (format === 'ccda') {
    let job: ParseJob;
    try {
      job = await xmlJob(file, name, opts);
    } catch (err) {
      if (err instanceof SourceAborted) throw err;
      yield fail(file.path, err instanceof ParseError ? err : cannotRead(err));
      return;
    }
    yield* parse(job);
    return;
  }
  if (file.size > opts.maxFileBytes) {
    yield fail(file.path, tooLarge(file.size, opts.maxFileBytes));
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = await file.readBytes();
  } catch (err) {
    if (err instanceof SourceAborted) throw err;
    yield fail(file.path, cannotRead(err));
    return;
  }
  yield* parse({ bytes, name, source: file.path, format, options: opts });
}

const cannotRead = (err: unknown) => new ParseError('corrupt', `cannot read file: ${(err as Error).message}`);
const tooLarge = (size: number, limit: number) => new ParseError('too_large', `file is ${size} bytes (limit ${limit})`);

/** Bytes of an XML file's start that tell an Apple Health export (its DOCTYPE or root element) from C-CDA. */
const XML_SNIFF_BYTES = 4096;

/** An XML file's job: an Apple Health export streams; anything else is collected whole, up to the size limit. */
async function xmlJob(file: SourceFile, name: string, options: Required<ParseOptions>): Promise<ParseJob> {
  const it = file.stream()[Symbol.asyncIterator]();
  const first: Uint8Array[] = [];
  let have = 0;
  let ended = false;
  while (have < XML_SNIFF_BYTES && !ended) {
    const r = await it.next();
    if (r.done) ended = true;
    else {
      first.push(r.value);
      have += r.value.length;
    }
  }
  const rest = async function* () {
    yield* first;
    for (let r = ended ? undefined : await it.next(); r && !r.done; r = await it.next()) yield r.value;
  };
  const base = { name, source: file.path, options };
  if (isHealthExport(Buffer.concat(first).subarray(0, XML_SNIFF_BYTES)))
    return { ...base, format: 'health', stream: rest(), size: file.size };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of rest()) {
    size += chunk.length;
    if (size > options.maxFileBytes) throw tooLarge(Math.max(size, file.size), options.maxFileBytes);
    chunks.push(chunk);
  }
  return { ...base, format: 'ccda', bytes: Buffer.concat(chunks) };
}
