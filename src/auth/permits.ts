/**
 * Identity: a SNIP-24 query permit signed by the user's Secret wallet,
 * verified offline with secretjs' validatePermit, plus PRAG's own rules
 * (schemas/permit.ts; docs: ../shared/docs/secret-platform.md §4): the chain
 * id must be ours, the permit must name this service in allowed_tokens and
 * grant PRAG's permission (which no token contract accepts), its name must
 * bind a session key and an expiry that has not passed, and neither it nor
 * its device may be revoked. The session key it names then has to sign each
 * request (pipeline/request-signature.ts).
 */
import { base64PubkeyToAddress, validatePermit, type Permission } from './secretjs.js';
import { Permit } from '../../schemas/api.js';
import { MAX_PERMIT_LIFETIME_S, parsePermitName, PRAG_PERMISSION, SERVICE_ID } from '../../schemas/permit.js';
import { canonicalJson } from '../crypto/bytes.js';
import { PragError } from '../errors.js';

export interface PermitRules {
  chainId: string;
  serviceId: string;
  isRevoked(address: string, identity: Identity): boolean;
  now?: () => number;
}

export interface Identity {
  address: string;
  permitName: string;
  device: string;
  /** Ed25519 public key of the session key that signs this permit's requests. */
  sessionKey: Uint8Array;
  /** ms since the epoch. */
  expiresAt: number;
}

function parsePermit(input: unknown): Permit {
  const parsed = Permit.safeParse(input);
  if (!parsed.success) throw new PragError('permit_malformed', 'permit is not a SNIP-24 permit');
  return parsed.data;
}

/** Everything but expiry and revocation: a pure function of the permit and the service's fixed rules. */
function verifySigned(permit: Permit, rules: PermitRules): Identity {
  const { params } = permit;
  const binding = parsePermitName(params.permit_name);
  if (!binding) {
    throw new PragError(
      'permit_name_invalid',
      'PRAG permit names are prag1.<device>.<expiry>.<session key>: the permit must bind a session key',
    );
  }
  if (params.chain_id !== rules.chainId)
    throw new PragError('permit_wrong_chain', `this service accepts permits for chain "${rules.chainId}" only`);
  // Address-shaped ids never name a PRAG service: a permit for one could be used on that contract.
  if (
    !SERVICE_ID.test(rules.serviceId) ||
    params.allowed_tokens.length !== 1 ||
    params.allowed_tokens[0] !== rules.serviceId
  ) {
    throw new PragError(
      'permit_wrong_service',
      `permit must name only this service (${rules.serviceId}) in allowed_tokens`,
    );
  }
  if (params.permissions.length !== 1 || params.permissions[0] !== PRAG_PERMISSION)
    throw new PragError('permit_permission_missing', `permit must grant exactly "${PRAG_PERMISSION}"`);
  let address: string;
  try {
    address = base64PubkeyToAddress(permit.signature.pub_key.value, 'secret');
  } catch {
    throw new PragError('permit_malformed', 'permit public key is not a compressed secp256k1 key');
  }
  try {
    validatePermit(permit, address, rules.serviceId, [PRAG_PERMISSION as Permission], true);
  } catch (e) {
    throw new PragError('permit_signature_invalid', `permit signature does not verify (${(e as Error).name})`);
  }
  return {
    address,
    permitName: params.permit_name,
    device: binding.device,
    sessionKey: binding.sessionKey,
    expiresAt: binding.expiresAt * 1000,
  };
}

/**
 * Verifies permits, with the signature check remembered: a client sends the same
 * permit with every request, and a secp256k1 verification costs ~1 ms of CPU.
 * Only permits that verified are remembered (keyed by their exact content).
 */
export class PermitVerifier {
  private readonly verified = new Map<string, Identity>();

  constructor(
    private readonly rules: PermitRules,
    private readonly capacity = 4096,
  ) {}

  /**
   * The permit's signature and PRAG's fixed rules. Liveness (expiry,
   * revocation) is `refuseIfDead`, checked only once the request proved
   * possession of the session key: a permit thief must not learn whether it
   * was revoked.
   */
  verify(input: unknown): Identity {
    const permit = parsePermit(input);
    const key = canonicalJson(permit);
    let identity = this.verified.get(key);
    if (identity)
      this.verified.delete(key); // re-inserted below: most recently used last
    else identity = verifySigned(permit, this.rules);
    this.verified.set(key, identity);
    const oldest = this.verified.keys().next();
    if (this.verified.size > this.capacity && !oldest.done) this.verified.delete(oldest.value);
    return identity;
  }

  /** Expiry, lifetime and revocation (by name or device), on every request. */
  refuseIfDead(identity: Identity): void {
    const now = (this.rules.now ?? Date.now)();
    if (identity.expiresAt <= now) throw new PragError('permit_expired', 'the permit has expired; sign a new one');
    if (identity.expiresAt > now + MAX_PERMIT_LIFETIME_S * 1000)
      throw new PragError('permit_name_invalid', `permits live at most ${MAX_PERMIT_LIFETIME_S / 86_400} days`);
    if (this.rules.isRevoked(identity.address, identity)) {
      throw new PragError('permit_revoked', 'the permit (or its device) was revoked by its owner');
    }
  }
}
