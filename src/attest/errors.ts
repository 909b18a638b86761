/** A failed attestation check, named so a user (or a log) knows which one. */
export const ATTESTATION_CHECKS = [
  'response',
  'nonce',
  'statement_signature',
  'nonce_signature',
  'key_id',
  'service_id',
  'dev_evidence',
  'policy',
  'collateral',
  'quote',
  'tcb_status',
  'measurements',
  'compose',
  'rtmr3',
  'binding',
  'vm_signature',
  'transport',
] as const;
export type AttestationCheck = (typeof ATTESTATION_CHECKS)[number];

export class AttestationError extends Error {
  constructor(
    readonly check: AttestationCheck,
    message: string,
  ) {
    super(`attestation check "${check}" failed: ${message}`);
    this.name = 'AttestationError';
  }
}
