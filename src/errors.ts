/**
 * The one error type domain code throws for a refusal a caller can act on:
 * a stable code from schemas/errors.ts and a message that never holds user
 * content. Only the server turns it into HTTP (status from the code).
 */
import type { ErrorCode } from '../schemas/errors.js';

export interface PragErrorOptions {
  cause?: unknown;
  /** Seconds after which a retry may succeed (rate limits, busy queue, shutdown). */
  retryAfterS?: number;
}

export class PragError extends Error {
  override name = 'PragError';
  readonly retryAfterS: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: PragErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.retryAfterS = options.retryAfterS;
  }
}
