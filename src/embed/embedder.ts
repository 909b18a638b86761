import type { TokenCounter } from '../../ingest/chunker.js';

/** Turns text into unit-length vectors. The engine depends on this, not on a library. */
export interface Embedder extends TokenCounter {
  /** Recorded with the index; an index built with one model is never queried with another. */
  readonly model: string;
  readonly dim: number;
  /** Tokens of content the model reads from one input (its window minus its special tokens). */
  readonly maxTokens: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Releases what the embedder holds (a worker thread, a session). */
  close?(): Promise<void>;
}

export class EmbedError extends Error {
  override name = 'EmbedError';
}
