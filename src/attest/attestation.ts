/**
 * The client's verification of `GET /v1/attestation` — what must hold before
 * anything is encrypted to the service. Every check throws AttestationError
 * naming itself. No Node-only APIs: a browser client uses this module with
 * a collateral getter of its own.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Collateral } from '@phala/dcap-qvl';
import {
  AttestationResponse,
  type AttestationPolicy,
  type Evidence,
  type EpochKeyStatement,
  type KeyStatement,
  type MeasurementEntry,
  type TcbStatus,
} from '../../schemas/attestation.js';
import { bytesToHex, equalBytes, hexToBytes, utf8ToBytes } from '../crypto/bytes.js';
import { keyId } from '../crypto/envelope.js';
import {
  serviceIdOf,
  statementBytes,
  tdxReportData,
  verifyEpochKeySignature,
  verifyNonceSignature,
  verifyStatementSignature,
} from '../crypto/statement.js';
import { AttestationError } from './errors.js';
import { verifyTdQuote, type TdMeasurements } from './quote.js';
import { expectedRtmr3 } from './rtmr.js';

export interface VerifyOptions {
  /** The nonce this client sent. */
  nonce: Uint8Array;
  /** Required for hardware evidence. */
  policy?: AttestationPolicy;
  /** Accept `dev` evidence (no hardware; nothing is proven). */
  allowInsecureDev?: boolean;
  /** Collateral for a quote (a PCCS, a cache). */
  collateral?: (quote: Uint8Array) => Promise<Collateral>;
  /** Verification time, ms since the epoch (tests pin it to the collateral's window). */
  now?: () => number;
}

export interface VerifiedService {
  statement: KeyStatement;
  /** The epoch key to seal requests to, and until when the service offers it (ms since the epoch). */
  x25519: Uint8Array;
  epochKeyNotAfter: number;
  ed25519: Uint8Array;
  insecure: boolean;
  tcb?: { status: TcbStatus; advisoryIds: string[] };
  measurement?: { label?: string; mrtd: string; rtmr3: string };
  composeSha256?: string;
}

// A function declaration (not an arrow) so that calling it narrows like a throw does.
function fail(check: ConstructorParameters<typeof AttestationError>[0], message: string): never {
  throw new AttestationError(check, message);
}

/**
 * Policy entries matching MRTD and RTMR0-2. Several images can share them
 * (the SecretVM registry has prod/dev and beta builds with one firmware and
 * kernel); RTMR3 decides between them.
 */
export function matchMeasurements(td: TdMeasurements, policy: AttestationPolicy): MeasurementEntry[] {
  const found = policy.measurements.filter(
    (m) => m.mrtd === td.mrtd && m.rtmr0 === td.rtmr0 && m.rtmr1 === td.rtmr1 && m.rtmr2 === td.rtmr2,
  );
  if (!found.length)
    fail('measurements', `MRTD/RTMR0-2 (${td.mrtd.slice(0, 16)}…) match no allowed platform in the policy`);
  return found;
}

/**
 * SecretVM: the served compose is an allowed one, and it, with the rootfs of
 * one of the candidate images, replays to the quote's RTMR3. Returns that image.
 */
export function checkSecretVmWorkload(
  td: TdMeasurements,
  candidates: MeasurementEntry[],
  compose: Uint8Array,
  policy: AttestationPolicy,
): { entry: MeasurementEntry; composeSha256: string } {
  const composeSha256 = bytesToHex(sha256(compose));
  if (!policy.compose_sha256.includes(composeSha256))
    fail('compose', `docker-compose sha256 ${composeSha256} is not in the policy`);
  const withRootfs = candidates.filter((c) => c.rootfs_data);
  if (!withRootfs.length) fail('measurements', 'no matching policy entry has rootfs_data for the RTMR3 replay');
  const entry = withRootfs.find(
    (c) =>
      c.rootfs_data &&
      bytesToHex(
        expectedRtmr3({
          compose,
          rootfsData: hexToBytes(c.rootfs_data),
          scheme: policy.rtmr3_scheme,
          dstackAppId: policy.dstack_app_id ? hexToBytes(policy.dstack_app_id) : undefined,
          dockerFilesSha256: policy.docker_files_sha256 ? hexToBytes(policy.docker_files_sha256) : undefined,
        }),
      ) === td.rtmr3,
  );
  if (!entry)
    fail('rtmr3', `RTMR3 (${td.rtmr3.slice(0, 16)}…) is not what the compose replays to on any allowed image`);
  return { entry, composeSha256 };
}

/** SecretVM: the VM signing key is the one the quote attests, and it signed this statement. */
export function checkSecretVmBinding(
  reportData: Uint8Array,
  evidence: Extract<Evidence, { provider: 'secretvm' }>,
  statement: Uint8Array,
): void {
  const vmKey = hexToBytes(evidence.vm_public_key);
  if (!equalBytes(reportData.subarray(0, 32), vmKey))
    fail('binding', 'report_data[0:32] is not the VM signing key that signed the statement');
  const signature = Uint8Array.from(atob(evidence.vm_signature), (c) => c.charCodeAt(0));
  if (signature.length !== 64 || !ed25519.verify(signature, statement, vmKey))
    fail('vm_signature', 'the VM signing key did not sign this key statement');
}

/** The epoch key: signed by the statement's key, for this service, with its key id, still accepted. */
function checkEpochKey(
  epoch: EpochKeyStatement,
  signature: Uint8Array,
  statement: KeyStatement,
  signer: Uint8Array,
  now: number,
): Uint8Array {
  if (!verifyEpochKeySignature(epoch, signature, signer)) fail('epoch_key', 'epoch key signature does not verify');
  if (epoch.service_id !== statement.service_id) fail('epoch_key', 'the epoch key is for another service');
  const x25519 = hexToBytes(epoch.x25519);
  if (bytesToHex(keyId(x25519)) !== epoch.kid) fail('epoch_key', 'epoch key kid is not the key id of its X25519 key');
  if (!(Date.parse(epoch.accept_until) > now)) fail('epoch_key', 'the epoch key is no longer accepted');
  return x25519;
}

export async function verifyAttestation(raw: unknown, options: VerifyOptions): Promise<VerifiedService> {
  const parsed = AttestationResponse.safeParse(raw);
  if (!parsed.success)
    fail(
      'response',
      `not an attestation response: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    );
  const { statement, evidence, epoch_key: epoch, ...sig } = parsed.data;
  const now = options.now?.() ?? Date.now();
  const bytes = statementBytes(statement);
  const ed = hexToBytes(statement.ed25519);
  if (!equalBytes(hexToBytes(sig.nonce), options.nonce))
    fail('nonce', 'the response answers another nonce (replayed or substituted)');
  if (statement.service_id !== serviceIdOf(ed))
    fail('service_id', `service id ${statement.service_id} is not the one its signing key gives`);
  if (!verifyStatementSignature(bytes, hexToBytes(sig.statement_signature), ed))
    fail('statement_signature', 'key statement signature does not verify');
  if (!verifyNonceSignature(bytes, options.nonce, hexToBytes(sig.nonce_signature), ed))
    fail('nonce_signature', 'nonce signature does not verify');
  const x25519 = checkEpochKey(epoch, hexToBytes(sig.epoch_key_signature), statement, ed, now);
  if (evidence.provider !== statement.provider)
    fail('response', `statement says ${statement.provider}, evidence is ${evidence.provider}`);
  const policy = options.policy;
  if (policy?.service_id && policy.service_id !== statement.service_id)
    fail('service_id', `service id ${statement.service_id} is not the pinned ${policy.service_id}`);
  const base = { statement, x25519, epochKeyNotAfter: Date.parse(epoch.not_after), ed25519: ed };

  if (evidence.provider === 'dev') {
    // A policy pins hardware measurements: dev evidence can never meet it, whatever else the caller allows.
    if (policy) fail('dev_evidence', 'a measurement policy never accepts the insecure dev provider');
    if (!options.allowInsecureDev)
      fail(
        'dev_evidence',
        'the service runs the insecure dev provider (no hardware attestation); accept it only for local development (--allow-insecure-dev)',
      );
    return { ...base, insecure: true };
  }
  if (policy && !policy.key_origins.includes(statement.key_origin))
    fail(
      'key_origin',
      `keys of origin "${statement.key_origin}" are not accepted by the policy (an operator could know them)`,
    );
  if (
    policy?.max_statement_age_s !== undefined &&
    now - Date.parse(statement.created_at) > policy.max_statement_age_s * 1000
  )
    fail('statement_age', `the key statement is older than the policy's ${policy.max_statement_age_s} s`);
  if (!policy) return fail('policy', 'hardware evidence needs a measurement policy (deploy/measure writes one)');
  if (!options.collateral) return fail('collateral', 'no collateral source configured');
  const quote = hexToBytes(evidence.quote);
  const collateral = await options.collateral(quote).catch((e: Error) => fail('collateral', e.message));
  const verified = verifyTdQuote(quote, collateral, Math.floor(now / 1000));
  if (!policy.tcb_status.includes(verified.status as never))
    fail('tcb_status', `TCB status ${verified.status} is not accepted by the policy (${policy.tcb_status.join(', ')})`);
  const candidates = matchMeasurements(verified.td, policy);
  const tcb = { status: verified.status, advisoryIds: verified.advisoryIds };
  const measured = (entry: MeasurementEntry) => ({
    label: entry.label,
    mrtd: verified.td.mrtd,
    rtmr3: verified.td.rtmr3,
  });

  if (evidence.provider === 'secretvm') {
    const { entry, composeSha256 } = checkSecretVmWorkload(
      verified.td,
      candidates,
      utf8ToBytes(evidence.docker_compose),
      policy,
    );
    checkSecretVmBinding(verified.td.reportData, evidence, bytes);
    return { ...base, insecure: false, tcb, measurement: measured(entry), composeSha256 };
  }
  if (!candidates.some((c) => c.rtmr3))
    fail('measurements', 'no matching policy entry pins an RTMR3 for a generic TDX guest');
  const entry = candidates.find((c) => c.rtmr3 === verified.td.rtmr3) ?? fail('rtmr3', 'RTMR3 is not a pinned value');
  if (!equalBytes(verified.td.reportData, tdxReportData(bytes, options.nonce)))
    fail('binding', 'report_data is not SHA-512(statement ‖ nonce)');
  return { ...base, insecure: false, tcb, measurement: measured(entry) };
}
