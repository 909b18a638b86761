/** The sealed `type` names the endpoint: a request sealed for one endpoint is refused by every other. */
import type { MiddlewareHandler } from 'hono';
import { PragError } from '../../errors.js';
import type { SealedEnv } from '../env.js';

export const requireType =
  (expected: string): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    const actual = c.var.envelope.header.type;
    if (actual !== expected) {
      throw new PragError('request_type_mismatch', `this endpoint takes ${expected}`); // not what it got: that is sealed
    }
    await next();
  };
