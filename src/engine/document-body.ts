/**
 * A document's body: its parsed sections and, for a single file, the
 * uploaded bytes — sealed beside the document's row so a citation can be
 * opened in context and the original downloaded, and removed with the row.
 */
import { z } from 'zod';
import { Section, type ParsedDocument } from '../../schemas/document.js';
import { formatOf, type SourceFile } from '../../ingest/index.js';
import * as contexts from '../store/contexts.js';
import type { OwnerSealer } from '../store/sealer.js';
import type { ChunkPointer, DocumentBody, DocumentRow } from '../store/sqlite/documents.js';

/**
 * Uploaded bytes are kept up to this size. Larger files (and mbox archives,
 * which stream) keep only their text: the original would double what a
 * large upload costs in storage and in every reply that carries it.
 */
export const KEEP_ORIGINAL_MAX_BYTES = 32 * 1024 * 1024;

/**
 * `file`, remembering the bytes its parser reads (whole, or streamed as XML
 * is) when it is small enough, so the one document the file itself becomes
 * (not a message of an archive, not an attachment) can keep them.
 */
export function keepOriginal(file: SourceFile): {
  file: SourceFile;
  originalOf(doc: ParsedDocument): Uint8Array | undefined;
} {
  if (file.size > KEEP_ORIGINAL_MAX_BYTES || formatOf(file.path) === 'mbox')
    return { file, originalOf: () => undefined };
  let bytes: Uint8Array | undefined;
  let given = false;
  const kept: SourceFile = {
    ...file,
    readBytes: async () => {
      const read = await file.readBytes();
      if (read.length <= KEEP_ORIGINAL_MAX_BYTES) bytes = read;
      return read;
    },
    stream: async function* () {
      const parts: Uint8Array[] = [];
      let size = 0;
      for await (const part of file.stream()) {
        size += part.length;
        if (size <= KEEP_ORIGINAL_MAX_BYTES) parts.push(part);
        yield part;
      }
      if (size <= KEEP_ORIGINAL_MAX_BYTES) bytes = Buffer.concat(parts);
    },
  };
  const originalOf = (doc: ParsedDocument) => {
    if (given || doc.source !== file.path || doc.parentId) return undefined;
    given = bytes !== undefined; // a file that becomes several documents keeps its bytes with the first
    return bytes;
  };
  return { file: kept, originalOf };
}

export function sealBody(sealer: OwnerSealer, doc: ParsedDocument, original: Uint8Array | undefined): DocumentBody {
  return {
    sections: sealer.seal(JSON.stringify(doc.sections), contexts.documentSections(doc.id)),
    original:
      original === undefined
        ? null
        : sealer.seal(Buffer.from(original).toString('base64'), contexts.documentOriginal(doc.id)),
  };
}

export interface OpenedSection extends Section {
  /** Position in the document's sections, from 0 (what a chunk's `section` counts). */
  index: number;
}

export interface OpenedDocument {
  row: Pick<DocumentRow, 'id' | 'parentId' | 'format' | 'mediaType' | 'date' | 'collection'> & {
    title: string;
    source: string;
  };
  /** The highest page number of any section (0: a document without pages). */
  pages: number;
  sections: OpenedSection[];
  chunk?: { id: string; section: number; charStart: number; charEnd: number; page: number | null };
  originalKept: boolean;
  /** Base64, when asked for and kept. */
  original?: string;
}

const Sections = z.array(Section);

export function openBody(
  sealer: OwnerSealer,
  row: DocumentRow,
  body: { sections: string; original: string | null; kept: boolean },
  want: { page?: number; chunk?: ChunkPointer & { id: string } },
): OpenedDocument {
  const all = Sections.parse(JSON.parse(sealer.open(body.sections, contexts.documentSections(row.id))));
  const sections = all
    .map((s, index) => ({ ...s, index }))
    .filter((s) => want.page === undefined || s.page === want.page);
  const { chunk } = want;
  return {
    row: {
      id: row.id,
      parentId: row.parentId,
      format: row.format,
      mediaType: row.mediaType,
      date: row.date,
      collection: row.collection,
      title: sealer.open(row.title, contexts.documentTitle(row.id)),
      source: sealer.open(row.source, contexts.documentSource(row.id)),
    },
    pages: all.reduce((n, s) => Math.max(n, s.page ?? 0), 0),
    sections,
    chunk: chunk && {
      id: chunk.id,
      section: chunk.section,
      charStart: chunk.charStart,
      charEnd: chunk.charEnd,
      page: chunk.page,
    },
    originalKept: body.kept,
    original: body.original === null ? undefined : sealer.open(body.original, contexts.documentOriginal(row.id)),
  };
}
