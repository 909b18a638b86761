/**
 * The sealed-request pipeline, one job per step (each in its own module):
 * client rate limit → drain check → envelope body → open envelope → request
 * type → metadata → permit → request signature → permit expiry and
 * revocation → rate limit → replay → body schema. The handler then gets the verified caller and the parsed request;
 * nothing is stored before it runs.
 */
import type { MiddlewareHandler } from 'hono';
import type { RequestMeta } from '../../../schemas/api.js';
import type { PermitVerifier } from '../../auth/permits.js';
import type { RecipientKeys } from '../../crypto/envelope.js';
import type { ReplayGuard } from '../../auth/replay.js';
import type { SealedEnv } from '../env.js';
import type { RateLimiter } from '../limits.js';
import type { Spool } from '../uploads.js';
import { limitClient } from './client-rate-limit.js';
import { refuseWhileDraining } from './draining.js';
import { envelopeSource, openSealed } from './envelope.js';
import { parseMeta } from './meta.js';
import { requireLivePermit, verifyPermit } from './permit.js';
import { rateLimit } from './rate-limit.js';
import { refuseReplay } from './replay.js';
import { requireRequestSignature } from './request-signature.js';
import { requireType } from './request-type.js';
import type { z } from 'zod';

export interface PipelineParts {
  isDraining: () => boolean;
  /** The attested epoch keys requests are sealed to. */
  recipientKeys: RecipientKeys;
  maxPayloadBytes: number;
  permits: PermitVerifier;
  ownerId: (address: string) => string;
  /** Per remote address, before anything is opened or verified. */
  clientLimiter: RateLimiter;
  /** Per verified signing address, after the permit. */
  limiter: RateLimiter;
  replay: ReplayGuard;
  /** A new spool file for an upload's body. */
  openSpool: () => Spool;
}

/** Up to the envelope's own body: the steps before and after the (optional) spool. */
export function sealedSteps(
  parts: PipelineParts,
  type: string,
  meta: z.ZodType<RequestMeta>,
  beforeOpen: MiddlewareHandler<SealedEnv>[] = [],
): MiddlewareHandler<SealedEnv>[] {
  return [
    limitClient(parts.clientLimiter),
    refuseWhileDraining(parts.isDraining),
    envelopeSource,
    ...beforeOpen,
    openSealed(parts.recipientKeys, parts.maxPayloadBytes),
    requireType(type),
    parseMeta(meta),
    verifyPermit(parts.permits, parts.ownerId),
    requireRequestSignature,
    requireLivePermit(parts.permits),
    rateLimit(parts.limiter),
    refuseReplay(parts.replay),
  ];
}

export { parseBody } from './body.js';
export { spoolUpload } from './spool.js';
