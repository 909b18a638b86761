/**
 * What the model reads and the keyword index holds for a document: each chunk behind its context — the
 * document's title, its sender and date when it has them, and the chunk's section heading — so that a chunk deep
 * inside a long e-mail or record still says what it belongs to. The chunk's own text is what is stored and cited.
 * Without `contextual`, the context is the title alone.
 */
import type { ParsedDocument } from '../../schemas/document.js';
import { chunkDocument, type Chunk } from '../../ingest/index.js';
import type { Embedder } from '../embed/embedder.js';

/** The context's share of the model's window, at most. */
const CONTEXT_TOKEN_SHARE = 0.25;
const OVERLAP_SHARE = 0.15;

function capped(text: string, embedder: Embedder): string {
  const cap = Math.floor(embedder.maxTokens * CONTEXT_TOKEN_SHARE);
  const tokens = embedder.count(text);
  return tokens <= cap ? text : text.slice(0, Math.max(1, Math.floor((text.length * cap) / tokens)));
}

const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** The document's own context lines: title, sender, date (a date in words, as questions name it). */
function documentContext(doc: ParsedDocument): string[] {
  const sender = doc.meta.kind === 'email' ? doc.meta.from[0] : undefined;
  const date = doc.date === undefined ? undefined : new Date(doc.date);
  return [doc.title, sender && `From: ${sender}`, date && !Number.isNaN(date.getTime()) && DAY.format(date)].filter(
    (l): l is string => Boolean(l),
  );
}

export function prepareChunks(
  doc: ParsedDocument,
  embedder: Embedder,
  contextual = true,
): { chunks: Chunk[]; texts: string[] } {
  const own = contextual ? documentContext(doc) : [doc.title];
  const contextOf = (heading: string | undefined) =>
    capped([...own, ...(contextual && heading && heading !== doc.title ? [heading] : [])].join('\n'), embedder);
  const headings = [undefined, ...new Set(doc.sections.map((s) => s.heading))];
  const longest = Math.max(...headings.map((h) => embedder.count(contextOf(h))));
  const maxTokens = embedder.maxTokens - longest - 1;
  const chunks = chunkDocument(doc, embedder, { maxTokens, overlapTokens: Math.round(maxTokens * OVERLAP_SHARE) });
  return { chunks, texts: chunks.map((c) => `${contextOf(c.heading)}\n${c.text}`) };
}
