/** Verifies the SNIP-24 permit's signature and PRAG's rules, and leaves the caller in the context. */
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

/** After the request signature: the permit has not expired and neither it nor its device was revoked. */
export const requireLivePermit =
  (permits: PermitVerifier): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    permits.refuseIfDead(c.var.caller.identity);
    await next();
  };
