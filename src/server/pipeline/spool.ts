/**
 * Tees an upload's body into a spool file while it is authenticated, so a
 * queued upload survives a restart. A request refused at any step before its
 * upload is queued leaves nothing behind.
 */
import type { MiddlewareHandler } from 'hono';
import type { SealedEnv } from '../env.js';
import type { Spool } from '../uploads.js';

export const spoolUpload =
  (open: () => Spool): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    const spool = open();
    c.set('spool', spool);
    c.set('source', spool.tee(c.var.source));
    await next();
    // hono turns an error thrown further down into c.error; the queue owns the spool once it holds it.
    if (c.error && !spool.queued) await spool.discard();
  };
