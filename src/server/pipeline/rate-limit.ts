/** Per-address token buckets: counted after the permit, so only a verified address spends its own budget. */
import type { MiddlewareHandler } from 'hono';
import type { SealedEnv } from '../env.js';
import type { RateLimiter } from '../limits.js';

export const rateLimit =
  (limiter: RateLimiter): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    limiter.take(c.var.caller.identity.address);
    await next();
  };
