/**
 * Proof of possession for permits: every request is signed by the session
 * key its permit names (schemas/permit.ts). Ed25519 (RFC 8032) over
 *
 *   "prag-request-v1\n" ‖ canonical JSON {type, kid, ephemeral, name, size, ts, nonce}
 *
 * `kid` and `ephemeral` are the envelope's recipient key id and ephemeral
 * X25519 key (schemas/envelope-v1.md §1), hex. The ephemeral key decides
 * every payload key of the envelope and only the signer knows its secret, so
 * the signature covers the body as a hash of it would, and works for
 * streamed uploads of any size. A captured permit cannot make a new request
 * (no session key); a captured request cannot be re-addressed (kid) or
 * replayed (nonce).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { canonicalJson, concatBytes, utf8ToBytes } from './bytes.js';

const CONTEXT = 'prag-request-v1\n';

export interface SignedRequestFields {
  type: string;
  kid: string;
  ephemeral: string;
  name: string;
  size: number;
  ts: number;
  nonce: string;
}

export const requestSigningBytes = (f: SignedRequestFields): Uint8Array =>
  concatBytes(
    utf8ToBytes(CONTEXT),
    utf8ToBytes(
      canonicalJson({
        type: f.type,
        kid: f.kid,
        ephemeral: f.ephemeral,
        name: f.name,
        size: f.size,
        ts: f.ts,
        nonce: f.nonce,
      }),
    ),
  );

export function signRequest(fields: SignedRequestFields, sessionSecret: Uint8Array): Uint8Array {
  return ed25519.sign(requestSigningBytes(fields), sessionSecret);
}

export function verifyRequestSignature(
  fields: SignedRequestFields,
  signature: Uint8Array,
  sessionKey: Uint8Array,
): boolean {
  try {
    return ed25519.verify(signature, requestSigningBytes(fields), sessionKey);
  } catch {
    return false;
  }
}
