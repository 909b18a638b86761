/** Reads the sealed JSON payload (authenticated segment by segment) and checks it against the route's schema. */
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { PragError } from '../../errors.js';
import type { SealedEnv } from '../env.js';
import { envelopeFailure } from './envelope.js';

/** Largest JSON request payload. */
export const MAX_JSON_REQUEST_BYTES = 1024 * 1024;

export const parseBody =
  (schema: z.ZodType): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    const { envelope } = c.var;
    if (envelope.header.size > MAX_JSON_REQUEST_BYTES) {
      throw new PragError('request_too_large', `requests are at most ${MAX_JSON_REQUEST_BYTES} bytes`);
    }
    const bytes = await envelope.readAll().catch(envelopeFailure);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new PragError('request_invalid', 'request payload is not UTF-8 JSON');
    }
    const parsed = schema.safeParse(value);
    // zod's issues can quote what was sent (an unknown key): the message names none of it.
    if (!parsed.success) throw new PragError('request_invalid', "the request does not match the route's schema");
    c.set('body', parsed.data);
    c.set('bodyBytes', bytes);
    await next();
  };
