/**
 * Sealed requests built by hand, as an attacker or a buggy client would send
 * them: the same envelope and request signature a real client makes, with
 * any part of the metadata overridable.
 */
import { requestMeta, type Credentials } from '../../src/client/credentials.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { sealEnvelope, type EnvelopeAddress } from '../../src/crypto/envelope.js';

export interface RawRequest {
  type: string;
  name?: string;
  payload: Uint8Array;
  /** Route options in the header (an upload's collection, wait). */
  extra?: Record<string, unknown>;
  /** The client clock to sign with (a stale or future request). */
  ts?: number;
  /** Replaces fields of the signed metadata after signing (a foreign permit, no signature…). */
  override?: Record<string, unknown>;
}

/** The metadata a real client would send, signed for this envelope's address. */
export const signedMeta =
  (credentials: Credentials, request: RawRequest) =>
  (address: EnvelopeAddress): Record<string, unknown> => {
    const fields = { type: request.type, name: request.name ?? '', size: request.payload.length };
    return { ...requestMeta(credentials, fields, address, request.extra, request.ts), ...request.override };
  };

export async function sealRaw(
  recipient: Uint8Array,
  credentials: Credentials,
  request: RawRequest,
): Promise<Uint8Array> {
  const meta = signedMeta(credentials, request);
  const sealed = sealEnvelope(
    recipient,
    (address) => ({ type: request.type, name: request.name ?? '', size: request.payload.length, meta: meta(address) }),
    request.payload,
  );
  const parts: Uint8Array[] = [];
  for await (const p of sealed.stream) parts.push(p);
  return concatBytes(...parts);
}
