/** Refuses new requests once shutdown has begun (in-flight ones are drained). */
import type { MiddlewareHandler } from 'hono';
import { PragError } from '../../errors.js';

export const refuseWhileDraining =
  (isDraining: () => boolean): MiddlewareHandler =>
  async (_c, next) => {
    if (isDraining())
      throw new PragError('shutting_down', 'the service is shutting down; retry shortly', { retryAfterS: 5 });
    await next();
  };
