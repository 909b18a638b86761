/**
 * What `GET /v1/attestation` returns and what a client pins: the service's
 * key statement, the TEE evidence binding it, and the measurement policy a
 * client applies. Signing rules are in schemas/attestation.md.
 */
import { z } from 'zod';
import { SERVICE_ID } from './permit.js';

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes as lower-case hex`);
const hexAny = z.string().regex(/^(?:[0-9a-f]{2})+$/, 'expected lower-case hex');

export const TEE_PROVIDERS = ['secretvm', 'tdx', 'dev'] as const;
export const TeeProviderName = z.enum(TEE_PROVIDERS);
export type TeeProviderName = z.infer<typeof TeeProviderName>;

/** Domain-separation prefixes for PRAG's Ed25519 signatures. */
export const STATEMENT_CONTEXT = 'prag-key-statement-v1\n';
export const NONCE_CONTEXT = 'prag-attestation-nonce-v1\n';
export const EPOCH_KEY_CONTEXT = 'prag-epoch-key-v1\n';

export const NONCE_MIN_BYTES = 16;
export const NONCE_MAX_BYTES = 64;
export const Nonce = z
  .string()
  .regex(/^(?:[0-9a-f]{2}){16,64}$/, `nonce must be ${NONCE_MIN_BYTES}-${NONCE_MAX_BYTES} bytes of lower-case hex`);

/** `prag-` + the first 16 hex of SHA-256(statement Ed25519 key): recomputed by clients, never address-shaped. */
export const ServiceId = z.string().regex(SERVICE_ID, 'service ids are "prag-" and 16 lower-case hex characters');

/**
 * Who could know the service's keys. `enclave`: every key (service signing
 * key, epoch keys, at-rest master key, owners' data keys) was drawn inside
 * the TEE and never left it. `operator-escrow`: the at-rest master key was
 * supplied by the operator (named escrow mode), so the operator can read
 * stored data given the volume. `operator-migrated`: the master key was born
 * here, but the owners' data keys were once wrapped under an operator's key,
 * so that key and an old copy of the volume still open them. Clients refuse
 * both unless their policy lists them.
 */
export const KEY_ORIGINS = ['enclave', 'operator-escrow', 'operator-migrated'] as const;
export const KeyOrigin = z.enum(KEY_ORIGINS);
export type KeyOrigin = z.infer<typeof KeyOrigin>;

/** Binds the service's signing key to its identity; signed by that key, and bound to the TEE by the evidence. */
export const KeyStatement = z
  .object({
    v: z.literal(2),
    service_id: ServiceId,
    provider: TeeProviderName,
    /** Ed25519 public key that signs statements, epoch keys, nonces and answer receipts. */
    ed25519: hex(32),
    key_origin: KeyOrigin,
    /** How long each epoch key is offered (it is accepted for as long again, then erased). */
    epoch_key_period_s: z.number().int().positive(),
    created_at: z.iso.datetime(),
    /** SHA-256 of the web client bundle in the image (src/server/web.ts defines it); absent when none is built in. */
    web_sha256: hex(32).optional(),
  })
  .strict();
export type KeyStatement = z.infer<typeof KeyStatement>;

/**
 * The short-lived X25519 key requests are sealed to (forward secrecy: see
 * src/crypto/epoch-keys.ts), signed by the statement's Ed25519 key.
 */
export const EpochKeyStatement = z
  .object({
    v: z.literal(1),
    service_id: ServiceId,
    x25519: hex(32),
    /** Its envelope key id (schemas/envelope-v1.md). */
    kid: hex(16),
    /** Offered until then; accepted until `accept_until`, then erased. */
    not_after: z.iso.datetime(),
    accept_until: z.iso.datetime(),
  })
  .strict();
export type EpochKeyStatement = z.infer<typeof EpochKeyStatement>;

export const DevEvidence = z
  .object({ provider: z.literal('dev'), insecure: z.literal(true), warning: z.string() })
  .strict();

/** Generic TDX guest: a fresh quote whose report_data = SHA-512(statement bytes ‖ nonce bytes). */
export const TdxEvidence = z.object({ provider: z.literal('tdx'), quote: hexAny }).strict();

/**
 * SecretVM: the VM's own Ed25519 signing key, attested by a quote with
 * report_data[0:32] = that key, signs the statement bytes; the compose the VM
 * serves is the RTMR3 replay input.
 */
export const SecretVmEvidence = z
  .object({
    provider: z.literal('secretvm'),
    quote: hexAny,
    vm_public_key: hex(32),
    vm_signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64'),
    docker_compose: z.string().max(1024 * 1024),
  })
  .strict();

export const Evidence = z.discriminatedUnion('provider', [DevEvidence, TdxEvidence, SecretVmEvidence]);
export type Evidence = z.infer<typeof Evidence>;

export const AttestationResponse = z
  .object({
    statement: KeyStatement,
    statement_signature: hex(64),
    epoch_key: EpochKeyStatement,
    epoch_key_signature: hex(64),
    nonce: Nonce,
    nonce_signature: hex(64),
    evidence: Evidence,
  })
  .strict();
export type AttestationResponse = z.infer<typeof AttestationResponse>;

/**
 * `GET /v1/attestation/collateral`: Intel-signed collateral for the service's
 * quote (dcap-qvl's Collateral), relayed for browsers, which cannot reach a
 * PCCS across origins. Intel's signatures make the relay harmless: the quote
 * verifier checks them. Hex or byte-array fields, bounded.
 */
const pem = z.string().max(64 * 1024);
const bytesField = z.union([
  z
    .string()
    .regex(/^(?:[0-9a-f]{2})*$/i)
    .max(256 * 1024),
  z.array(z.number().int().min(0).max(255)).max(128 * 1024),
]);
export const QuoteCollateral = z
  .object({
    pck_crl_issuer_chain: pem,
    root_ca_crl: bytesField,
    pck_crl: bytesField,
    tcb_info_issuer_chain: pem,
    tcb_info: z.string().max(256 * 1024),
    tcb_info_signature: bytesField,
    qe_identity_issuer_chain: pem,
    qe_identity: z.string().max(64 * 1024),
    qe_identity_signature: bytesField,
  })
  .strict();
export type QuoteCollateral = z.infer<typeof QuoteCollateral>;

export const TCB_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
  'Unknown',
] as const;
export const TcbStatus = z.enum(TCB_STATUSES);
export type TcbStatus = z.infer<typeof TcbStatus>;

/** One accepted platform: firmware, its configuration, kernel and initramfs, and the rootfs that RTMR3 replays. */
export const MeasurementEntry = z
  .object({
    label: z.string().max(200).optional(),
    mrtd: hex(48),
    rtmr0: hex(48),
    rtmr1: hex(48),
    rtmr2: hex(48),
    /** SecretVM: the rootfs hash (tdx.csv `rootfs_data`) extended into RTMR3 after the compose hash. */
    rootfs_data: hex(32).optional(),
    /** Generic TDX: the expected RTMR3 itself. */
    rtmr3: hex(48).optional(),
  })
  .strict();
export type MeasurementEntry = z.infer<typeof MeasurementEntry>;

/** What a client accepts. `deploy/measure` writes one for a compose file. */
export const AttestationPolicy = z
  .object({
    v: z.literal(1),
    /** TCB statuses accepted from quote verification (Revoked is never accepted). */
    tcb_status: z
      .array(TcbStatus.exclude(['Revoked']))
      .min(1)
      .default(['UpToDate']),
    measurements: z.array(MeasurementEntry).min(1),
    /** SHA-256 of each accepted docker-compose (exact bytes). Required for SecretVM evidence. */
    compose_sha256: z.array(hex(32)).default([]),
    /** RTMR3 event scheme: SecretVM's attest-tool (KMS "contract") or dstack (KMS "dstack", with the app id). */
    rtmr3_scheme: z.enum(['attest-tool', 'dstack']).default('attest-tool'),
    dstack_app_id: hexAny.optional(),
    /** SecretVM: SHA-256 of the extra-files archive (docker-files.tar, unpacked into usr/), extended into RTMR3 after the rootfs. */
    docker_files_sha256: hex(32).optional(),
    /** Only this service id is accepted, when set. */
    service_id: ServiceId.optional(),
    /** Key origins accepted: `operator-escrow` only when listed (the operator could then read stored data). */
    key_origins: z.array(KeyOrigin).min(1).default(['enclave']),
    /** Refuse a key statement older than this (a service that has not restarted for longer is refused). */
    max_statement_age_s: z.number().int().positive().optional(),
    /** Collateral source (a PCCS or Intel PCS). */
    pccs_url: z.url().optional(),
  })
  .strict();
export type AttestationPolicy = z.infer<typeof AttestationPolicy>;
