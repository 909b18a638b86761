/**
 * Identity: a SNIP-24 query permit signed by the user's Secret wallet,
 * verified offline with secretjs' validatePermit, plus PRAG's own rules that
 * SNIP-24 contracts leave out (docs: ../shared/docs/secret-platform.md §4):
 * the chain id must be ours, the permit must name this service in
 * allowed_tokens, follow PRAG's naming convention, grant "owner", and not be
 * revoked.
 */
import { base64PubkeyToAddress, validatePermit, type Permission } from './secretjs.js';
import { Permit, PRAG_PERMISSION, PRAG_PERMIT_NAME } from '../../schemas/api.js';
import { canonicalJson } from '../crypto/bytes.js';
import { PragError } from '../errors.js';

export interface PermitRules {
  chainId: string;
  serviceId: string;
  isRevoked(address: string, permitName: string): boolean;
}

export interface Identity {
  address: string;
  permitName: string;
}

function parsePermit(input: unknown): Permit {
  const parsed = Permit.safeParse(input);
  if (!parsed.success)
    throw new PragError(
      'permit_malformed',
      `permit is not a SNIP-24 permit: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  return parsed.data;
}

/** Everything but revocation: a pure function of the permit and the service's fixed rules. */
function verifySigned(permit: Permit, rules: Omit<PermitRules, 'isRevoked'>): Identity {
  const { params } = permit;
  if (!PRAG_PERMIT_NAME.test(params.permit_name)) {
    throw new PragError(
      'permit_name_invalid',
      'PRAG permit names start with "prag-" and hold 1-59 letters, digits, dots, dashes or underscores',
    );
  }
  if (params.chain_id !== rules.chainId)
    throw new PragError(
      'permit_wrong_chain',
      `permit is for chain "${params.chain_id}", this service accepts "${rules.chainId}"`,
    );
  if (!params.allowed_tokens.includes(rules.serviceId)) {
    throw new PragError(
      'permit_wrong_service',
      `permit does not name this service (${rules.serviceId}) in allowed_tokens`,
    );
  }
  if (!params.permissions.includes(PRAG_PERMISSION))
    throw new PragError('permit_permission_missing', `permit does not grant "${PRAG_PERMISSION}"`);
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
  return { address, permitName: params.permit_name };
}

/**
 * Verifies permits, with the signature check remembered: a client sends the same
 * permit with every request, and a secp256k1 verification costs ~1 ms of CPU.
 * Only permits that verified are remembered (keyed by their exact content);
 * revocation is checked on every request.
 */
export class PermitVerifier {
  private readonly verified = new Map<string, Identity>();

  constructor(
    private readonly rules: PermitRules,
    private readonly capacity = 4096,
  ) {}

  verify(input: unknown): Identity {
    const permit = parsePermit(input);
    const key = canonicalJson(permit);
    let identity = this.verified.get(key);
    if (identity)
      this.verified.delete(key); // re-inserted below: most recently used last
    else identity = verifySigned(permit, this.rules);
    this.verified.set(key, identity);
    if (this.verified.size > this.capacity) this.verified.delete(this.verified.keys().next().value!);
    if (this.rules.isRevoked(identity.address, identity.permitName)) {
      throw new PragError('permit_revoked', `permit "${identity.permitName}" was revoked by its owner`);
    }
    return identity;
  }
}
