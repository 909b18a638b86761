/**
 * What the model reads for a document: its chunks, each prefixed with the
 * document title (cut to a quarter of the window) so that a chunk deep inside
 * a long email or statement still says what it belongs to.
 */
import type { ParsedDocument } from '../../schemas/document.js';
import { chunkDocument, type Chunk } from '../../ingest/index.js';
import type { Embedder } from '../embed/embedder.js';

const TITLE_TOKEN_SHARE = 0.25;
const OVERLAP_SHARE = 0.15;

function titlePrefix(title: string, embedder: Embedder): string {
  const cap = Math.floor(embedder.maxTokens * TITLE_TOKEN_SHARE);
  const tokens = embedder.count(title);
  return tokens <= cap ? title : title.slice(0, Math.max(1, Math.floor((title.length * cap) / tokens)));
}

export function prepareChunks(doc: ParsedDocument, embedder: Embedder): { chunks: Chunk[]; texts: string[] } {
  const prefix = titlePrefix(doc.title, embedder);
  const maxTokens = embedder.maxTokens - embedder.count(prefix) - 1;
  const chunks = chunkDocument(doc, embedder, { maxTokens, overlapTokens: Math.round(maxTokens * OVERLAP_SHARE) });
  return { chunks, texts: chunks.map((c) => `${prefix}\n${c.text}`) };
}
