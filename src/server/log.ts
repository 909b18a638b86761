/**
 * The service's logger (pino, JSON lines). Nothing a user sends is ever a log
 * field: requests are logged by route pattern, status and duration, errors by
 * code. `redact` is a second line of defence for field names that must never
 * appear even by mistake.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export function createLogger(destination?: DestinationStream, level = process.env.PRAG_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'prag' },
    redact: { paths: ['permit', 'text', 'query', 'title', 'source', 'address', '*.permit', '*.text', '*.query', '*.address'], censor: '[redacted]' },
  }, destination);
}
