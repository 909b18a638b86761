/** Verifies the SNIP-24 permit and leaves the caller in the context. */
import type { MiddlewareHandler } from 'hono';
import type { PermitVerifier } from '../../auth/permits.js';
import type { SealedEnv } from '../env.js';

export const verifyPermit =
  (permits: PermitVerifier, ownerId: (address: string) => string): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    const identity = permits.verify(c.var.meta.permit);
    c.set('caller', { identity, owner: ownerId(identity.address) });
    await next();
  };
