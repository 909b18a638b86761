/**
 * Opens the request envelope (schemas/envelope-v1.md): the sealed header is
 * authenticated here; payload segments are authenticated as they are read.
 */
import type { MiddlewareHandler } from 'hono';
import { ENVELOPE_MEDIA_TYPE } from '../../../schemas/api.js';
import { chunksOf } from '../../crypto/byte-reader.js';
import { EnvelopeError, openEnvelope, type RecipientKeys } from '../../crypto/envelope.js';
import { PragError } from '../../errors.js';
import type { SealedEnv } from '../env.js';

/**
 * Envelope failures are refusals with the envelope's own code; its message
 * can quote the sealed size, so it stays in the cause.
 */
export function envelopeFailure(e: unknown): never {
  if (e instanceof EnvelopeError) throw new PragError(e.code, 'the envelope was refused', { cause: e });
  throw e;
}

/** The raw body as bytes, once the media type says it is an envelope. */
export const envelopeSource: MiddlewareHandler<SealedEnv> = async (c, next) => {
  const type = c.req.header('content-type')?.split(';')[0]?.trim();
  if (type !== ENVELOPE_MEDIA_TYPE) {
    throw new PragError('unsupported_media_type', `send the envelope as ${ENVELOPE_MEDIA_TYPE}`);
  }
  const body = c.req.raw.body;
  if (!body) throw new PragError('envelope_malformed', 'request has no body');
  c.set('source', chunksOf(body));
  await next();
};

export const openSealed =
  (keys: RecipientKeys, maxPayloadBytes: number): MiddlewareHandler<SealedEnv> =>
  async (c, next) => {
    const envelope = await openEnvelope(keys, c.var.source, { maxPayloadBytes }).catch(envelopeFailure);
    c.set('envelope', envelope);
    await next();
  };
