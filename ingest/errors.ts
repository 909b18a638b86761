import type { ParseErrorCode } from '../schemas/document.js';

/** A per-file failure: reported, never fatal to the batch. */
export class ParseError extends Error {
  constructor(
    readonly code: ParseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

/** Wraps a third-party parser's throw as `corrupt`, keeping our own errors as they are. */
export function asParseError(err: unknown, what: string): ParseError {
  if (err instanceof ParseError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new ParseError('corrupt', `${what}: ${detail.slice(0, 200)}`);
}

/**
 * Thrown by a source (not by content): its bytes can no longer be trusted,
 * e.g. an encrypted upload failed authentication part-way. It stops the whole
 * ingest instead of becoming a per-file error.
 */
export class SourceAborted extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
    this.name = 'SourceAborted';
  }
}
