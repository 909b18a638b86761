/**
 * PRAG's conventions on top of SNIP-24 query permits (SecretFoundation/SNIPs
 * SNIP-24.md). The wallet signs the standard amino sign doc, so Keplr and
 * Leap sign it as they sign any permit; what makes it PRAG's:
 *
 * - `allowed_tokens` names the service id (`prag-` + 16 hex), never a
 *   `secret1…` contract address;
 * - `permissions` is `["prag"]`: SNIP-20 and SNIP-721 contracts know only
 *   allowance/balance/history/owner, so no token contract accepts the permit
 *   (their permission enum does not parse it, and secretjs' validatePermit
 *   finds none of its permissions);
 * - `permit_name` = `prag1.<device>.<expires>.<session key>`: a device label
 *   (revocable on its own), an expiry (unix seconds), and the Ed25519 public
 *   key (base64url, 43 characters) of a session key the client keeps. Every
 *   request is signed by that key (src/crypto/request-signature.ts), so a
 *   permit without its session key opens nothing: it is not a bearer token.
 */
import { base64urlnopad } from '@scure/base';

export const PRAG_PERMISSION = 'prag';

/** The id a service derives from its attested signing key: never address-shaped. */
export const SERVICE_ID = /^prag-[0-9a-f]{16}$/;

export const DEVICE_LABEL = /^[A-Za-z0-9_-]{1,32}$/;
const PERMIT_NAME = /^prag1\.([A-Za-z0-9_-]{1,32})\.([0-9]{10})\.([A-Za-z0-9_-]{43})$/;

/** The longest a permit may live: a lost device's permit dies on its own within this. */
export const MAX_PERMIT_LIFETIME_S = 90 * 24 * 3600;

export interface PermitBinding {
  device: string;
  /** Unix seconds. */
  expiresAt: number;
  /** Ed25519 public key, 32 bytes. */
  sessionKey: Uint8Array;
}

export function formatPermitName(b: PermitBinding): string {
  if (!DEVICE_LABEL.test(b.device))
    throw new RangeError('device labels are 1-32 letters, digits, dashes or underscores');
  if (b.sessionKey.length !== 32) throw new RangeError('session keys are 32-byte Ed25519 public keys');
  return `prag1.${b.device}.${String(b.expiresAt).padStart(10, '0')}.${base64urlnopad.encode(b.sessionKey)}`;
}

export function parsePermitName(name: string): PermitBinding | undefined {
  const m = PERMIT_NAME.exec(name);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  const sessionKey = base64urlnopad.decode(m[3]);
  return sessionKey.length === 32 ? { device: m[1], expiresAt: Number(m[2]), sessionKey } : undefined;
}
