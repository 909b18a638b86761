/**
 * `prag open`: read what was cited. A chunk (a citation's or hit's id) is
 * printed in its section with the passage marked; a page prints that page;
 * nothing more prints the whole text. `--out` saves the kept original.
 */
import { open as openFile } from 'node:fs/promises';
import type { DocumentGetReply } from '../../schemas/api.js';
import { ROUTES } from '../../schemas/routes.js';
import { checked, out, session, type IdentityFlags } from './client-commands.js';
import { UsageError } from './errors.js';
import { printable } from './printable.js';

/** Characters of the section printed on each side of a located chunk. */
const CONTEXT_CHARS = 600;

export interface OpenFlags extends IdentityFlags {
  page?: number;
  chunk?: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export async function openCommand(docId: string, opts: OpenFlags): Promise<void> {
  if (opts.out && (opts.page !== undefined || opts.chunk !== undefined))
    throw new UsageError('--out saves the whole original; leave out --page and --chunk');
  const body = checked(ROUTES.documentGet, {
    doc_id: docId,
    page: opts.page,
    chunk_id: opts.chunk,
    original: opts.out !== undefined,
  });
  const s = await session(opts);
  const doc = await s.client.call(ROUTES.documentGet, s.permit, body);
  if (opts.out !== undefined) return saveOriginal(doc, opts.out, opts.force ?? false);
  if (opts.json) return out(doc);
  if (opts.page !== undefined && !doc.sections.length)
    throw new UsageError(`"${doc.title}" has no page ${opts.page} (it has ${doc.pages}); pick one of 1–${doc.pages}`);
  const text = doc.chunk ? inContext(doc, process.stdout.isTTY) : wholeText(doc);
  process.stdout.write(`${printable(heading(doc))}\n\n${text}\n`);
}

function heading(doc: DocumentGetReply): string {
  const where = [
    doc.format,
    doc.date?.slice(0, 10),
    doc.collection && `collection ${doc.collection}`,
    doc.shared ? `shared by ${doc.owner}` : undefined,
    doc.pages ? `${doc.pages} page${doc.pages === 1 ? '' : 's'}` : undefined,
  ].filter(Boolean);
  return `${doc.title}\n${where.join(' · ')}`;
}

const sectionLabel = (s: DocumentGetReply['sections'][number]) =>
  [s.page === undefined ? undefined : `page ${s.page}`, s.heading].filter(Boolean).join(' — ');

function wholeText(doc: DocumentGetReply): string {
  let page: number | undefined;
  return doc.sections
    .map((s) => {
      const label = s.page !== page || s.heading ? sectionLabel(s) : '';
      page = s.page;
      return printable(label ? `── ${label}\n${s.text}` : s.text);
    })
    .join('\n\n');
}

/** The chunk's section around it, the passage marked (reverse video on a terminal, `>>> … <<<` otherwise). */
function inContext(doc: DocumentGetReply, tty: boolean): string {
  const chunk = doc.chunk;
  const section = chunk && doc.sections.find((s) => s.index === chunk.section);
  if (!chunk || !section) return wholeText(doc);
  const text = printable(section.text);
  const from = Math.max(0, chunk.char_start - CONTEXT_CHARS);
  const to = Math.min(text.length, chunk.char_end + CONTEXT_CHARS);
  const [open, close] = tty ? ['\x1b[7m', '\x1b[27m'] : ['>>> ', ' <<<'];
  const label = printable(sectionLabel(section));
  return [
    label && `── ${label}`,
    `${from > 0 ? '…' : ''}${text.slice(from, chunk.char_start)}${open}${text.slice(chunk.char_start, chunk.char_end)}${close}${text.slice(chunk.char_end, to)}${to < text.length ? '…' : ''}`,
  ]
    .filter(Boolean)
    .join('\n');
}

async function saveOriginal(doc: DocumentGetReply, path: string, force: boolean): Promise<void> {
  if (!doc.original)
    throw new UsageError(
      `the original of "${doc.title}" is not kept (only single files up to 32 MiB are); \`prag open ${doc.doc_id}\` prints its text`,
    );
  const bytes = Buffer.from(doc.original, 'base64');
  // 'wx' refuses to replace an existing file unless --force; 0600: it is the user's own record.
  const file = await openFile(path, force ? 'w' : 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EEXIST') throw new UsageError(`${path} exists; pass --force to replace it or pick another path`);
    throw e;
  });
  try {
    await file.writeFile(bytes);
  } finally {
    await file.close();
  }
  process.stderr.write(`saved ${bytes.length} bytes of "${doc.title}" to ${path}\n`);
}
