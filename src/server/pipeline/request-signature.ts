/**
 * Proof of possession: the request must be signed by the session key its
 * permit names (src/crypto/request-signature.ts), so a permit alone — one a
 * look-alike server collected, or one copied from a log — opens nothing.
 */
import type { MiddlewareHandler } from 'hono';
import { bytesToHex, hexToBytes } from '../../crypto/bytes.js';
import { verifyRequestSignature } from '../../crypto/request-signature.js';
import { PragError } from '../../errors.js';
import type { SealedEnv } from '../env.js';

export const requireRequestSignature: MiddlewareHandler<SealedEnv> = async (c, next) => {
  const { envelope, meta, caller } = c.var;
  const { type, name, size } = envelope.header;
  const fields = {
    type,
    kid: bytesToHex(envelope.kid),
    ephemeral: bytesToHex(envelope.ephemeral),
    name,
    size,
    ts: meta.ts,
    nonce: meta.nonce,
  };
  if (!verifyRequestSignature(fields, hexToBytes(meta.sig), caller.identity.sessionKey))
    throw new PragError('request_signature_invalid', "the request is not signed by its permit's session key");
  await next();
};
