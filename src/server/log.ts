/**
 * The service's logger (pino, JSON lines). Nothing a user sends is ever a log
 * field: requests are logged by route pattern, status and duration, errors by
 * code. `redact` is a second line of defence for field names that must never
 * appear even by mistake.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

/** Field names that hold what users send, or secrets; censored wherever they appear (top level or one level down). */
export const REDACTED = [
  'permit',
  'signature',
  'text',
  'query',
  'question',
  'messages',
  'content',
  'answer',
  'title',
  'source',
  'name',
  'address',
  'requester',
  'collection',
  'filters',
  'doc_id',
  'doc_ids',
  'chunk_id',
  'authorization',
  'apiKey',
  'api_key',
  'key',
  'mnemonic',
  'secret',
  'password',
];

export function createLogger(destination?: DestinationStream, level = process.env.PRAG_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'prag' },
      redact: { paths: REDACTED.flatMap((k) => [k, `*.${k}`]), censor: '[redacted]' },
    },
    destination,
  );
}
