/** Refuses a request whose (address, nonce) was seen, or whose timestamp is outside the window. */
import type { MiddlewareHandler } from 'hono';
import type { ReplayGuard } from '../../auth/replay.js';
import type { SealedEnv } from '../env.js';

export const refuseReplay =
  (guard: ReplayGuard): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    guard.check(c.var.caller.identity.address, c.var.meta.nonce, c.var.meta.ts);
    await next();
  };
