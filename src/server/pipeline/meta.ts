/** The sealed header's metadata: permit, timestamp, nonce, and a route's own options. */
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { RequestMeta } from '../../../schemas/api.js';
import { PragError } from '../../errors.js';
import type { SealedEnv } from '../env.js';

export const parseMeta =
  (schema: z.ZodType<RequestMeta>): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    const parsed = schema.safeParse(c.var.envelope.header.meta);
    // zod's issues can quote what was sent (an unknown key): the message names none of it.
    if (!parsed.success) throw new PragError('request_meta_invalid', 'the request metadata does not match its schema');
    c.set('meta', parsed.data);
    await next();
  };
