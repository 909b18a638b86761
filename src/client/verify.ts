/**
 * Attestation verification as a page shows it: the same checks as `connect`
 * (src/attest/attestation.ts), with what was proven — or, on refusal, which
 * check failed and what the service claimed — laid out for a verification
 * panel. Web-standard only.
 */
import {
  AttestationPolicy,
  AttestationResponse,
  QuoteCollateral,
  type KeyOrigin,
  type TcbStatus,
  type TeeProviderName,
} from '../../schemas/attestation.js';
import { verifyAttestation, type VerifiedService } from '../attest/attestation.js';
import { AttestationError, type AttestationCheck } from '../attest/errors.js';
import { parseTdQuote } from '../attest/quote.js';
import { hexToBytes } from '../crypto/bytes.js';
import { PinMismatchError, type Pins } from './pins.js';
import { fetchAttestation, readAtMost, ServiceError, type ConnectOptions } from './session.js';

/** What the panel shows. `verified: false` means the fields are the service's claims: a check failed. */
export interface AttestationDetails {
  verified: boolean;
  provider: TeeProviderName;
  serviceId: string;
  keyOrigin: KeyOrigin;
  /** When the service signed its key statement (its start). */
  createdAt: string;
  /** Dev evidence: no hardware proves anything (the page shows a red banner). */
  insecure: boolean;
  /** The web bundle hash the attested image states (compare with the page's own). */
  webSha256?: string;
  /** Until when requests are sealed to the current epoch key. */
  epochKeyUntil: string;
  /** Hardware evidence: Intel's verdict on the platform's TCB level. */
  tcb?: { status: TcbStatus; advisoryIds: string[] };
  /** Hardware evidence: the TD's measurement registers, hex. */
  measurements?: { mrtd: string; rtmr0: string; rtmr1: string; rtmr2: string; rtmr3: string };
  /** The policy entry the measurements matched (its label), when verified against a policy. */
  policyMatch?: { label?: string };
  /** SecretVM: SHA-256 of the docker-compose the VM runs (the policy pins it). */
  composeSha256?: string;
}

export type Verification =
  | { ok: true; details: AttestationDetails; service: VerifiedService }
  | { ok: false; failed: { check: AttestationCheck | 'pin'; message: string }; details?: AttestationDetails };

/** One sentence per check, for the panel: what it proves when it passes. */
export const CHECK_MEANING: Record<AttestationCheck | 'pin', string> = {
  response: 'The service answered with a well-formed attestation.',
  nonce: 'The answer is fresh: it signs the random nonce this page just sent, so it is not a recording.',
  statement_signature: "The key statement is signed by the service's own Ed25519 key.",
  nonce_signature: 'That same key signed this page’s nonce: the service holds it now.',
  epoch_key: 'The key your requests are encrypted to is signed by the service key and still current.',
  key_origin: 'Every key was born inside the TEE (no operator escrow), as the policy requires.',
  statement_age: 'The key statement is recent enough for the policy.',
  service_id: 'The service id is derived from its key (and is the pinned one, if pinned).',
  dev_evidence: 'Hardware evidence is present; dev evidence proves nothing and is refused unless you accept it.',
  policy: 'A measurement policy was given to check hardware evidence against.',
  collateral: 'Intel’s signed collateral (TCB info, QE identity, CRLs) was obtained.',
  quote: 'The TDX quote is signed by genuine Intel hardware (certificate chain to Intel’s root).',
  tcb_status: 'The platform’s firmware and microcode are at a TCB level the policy accepts.',
  measurements: 'The TD’s firmware, kernel and initrd (MRTD, RTMR0-2) are an allowed platform.',
  compose: 'The docker-compose the VM runs is one the policy allows.',
  rtmr3: 'RTMR3 replays to the allowed workload: this exact image runs inside.',
  binding: 'The quote’s report data binds the service’s signing key to this TD.',
  vm_signature: 'The VM’s attested key signed the service’s key statement.',
  transport: 'The service could be reached.',
  pin: 'The service is the one this browser pinned on first use (same id and measurements).',
};

export interface VerifyServiceOptions extends Omit<ConnectOptions, 'collateral'> {
  /** Where quote collateral comes from (default: the same origin's `GET /v1/attestation/collateral`). */
  collateral?: ConnectOptions['collateral'];
  /** Trust on first use: a verified service is pinned, or checked against its pin (failing check `pin`). */
  pins?: Pins;
}

/** The most a client reads of relayed collateral. */
const MAX_COLLATERAL_BYTES = 2 * 1024 * 1024;

/** Collateral relayed by the service (`GET /v1/attestation/collateral`); Intel's signatures are checked by the quote verifier. */
export function relayedCollateral(
  url: string,
  doFetch: typeof fetch = fetch,
): NonNullable<ConnectOptions['collateral']> {
  return async () => {
    const res = await doFetch(`${url}/v1/attestation/collateral`);
    if (!res.ok) throw new Error(`the collateral relay answered HTTP ${res.status}`);
    const bytes = await readAtMost(res, MAX_COLLATERAL_BYTES);
    if (!bytes) throw new Error(`the relayed collateral is larger than ${MAX_COLLATERAL_BYTES} bytes`);
    const parsed = QuoteCollateral.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (!parsed.success) throw new Error('the relayed collateral is not collateral');
    return parsed.data;
  };
}

function claimed(json: unknown): AttestationDetails | undefined {
  const parsed = AttestationResponse.safeParse(json);
  if (!parsed.success) return undefined;
  const { statement, evidence, epoch_key } = parsed.data;
  let measurements: AttestationDetails['measurements'];
  if ('quote' in evidence) {
    try {
      const { mrtd, rtmr0, rtmr1, rtmr2, rtmr3 } = parseTdQuote(hexToBytes(evidence.quote));
      measurements = { mrtd, rtmr0, rtmr1, rtmr2, rtmr3 };
    } catch {
      // not a TD quote: the quote check says so
    }
  }
  return {
    verified: false,
    provider: statement.provider,
    serviceId: statement.service_id,
    keyOrigin: statement.key_origin,
    createdAt: statement.created_at,
    insecure: evidence.provider === 'dev',
    webSha256: statement.web_sha256,
    epochKeyUntil: epoch_key.not_after,
    measurements,
  };
}

/**
 * Fetches the attestation of the service at `url` with a fresh nonce and
 * verifies it with the CLI's code. Never throws for a failed check: the
 * result names it. Dev evidence fails `dev_evidence` unless
 * `allowInsecureDev` (after the user acknowledged the warning).
 */
export async function verify(url: string, options: VerifyServiceOptions = {}): Promise<Verification> {
  const doFetch = options.fetch ?? ((...args) => fetch(...args));
  let json: unknown;
  let nonce: Uint8Array;
  try {
    ({ json, nonce } = await fetchAttestation(url, doFetch));
  } catch (e) {
    if (e instanceof AttestationError) return { ok: false, failed: { check: e.check, message: e.message } };
    const message = e instanceof ServiceError ? e.message : `the service at ${url} cannot be reached`;
    return { ok: false, failed: { check: 'transport', message } };
  }
  const details = claimed(json);
  try {
    const service = await verifyAttestation(json, {
      ...options,
      collateral: options.collateral ?? relayedCollateral(url, doFetch),
      nonce,
    });
    const verified: AttestationDetails = {
      ...(details as AttestationDetails),
      verified: true,
      insecure: service.insecure,
      tcb: service.tcb,
      policyMatch: service.measurement ? { label: service.measurement.label } : undefined,
      composeSha256: service.composeSha256,
    };
    options.pins?.check(url, verified);
    return { ok: true, service, details: verified };
  } catch (e) {
    if (e instanceof PinMismatchError) return { ok: false, failed: { check: 'pin', message: e.message }, details };
    if (e instanceof AttestationError) return { ok: false, failed: { check: e.check, message: e.message }, details };
    throw e;
  }
}

/** Reads a policy file's text (`deploy/measure` writes them): throws a readable message when it is not one. */
export function parsePolicy(text: string): AttestationPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('the policy is not JSON');
  }
  const parsed = AttestationPolicy.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `the policy is invalid: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}
