/** A failed attestation check, named so a user (or a log) knows which one. */
export type AttestationCheck =
  | 'response'
  | 'nonce'
  | 'statement_signature'
  | 'nonce_signature'
  | 'epoch_key'
  | 'key_origin'
  | 'statement_age'
  | 'service_id'
  | 'dev_evidence'
  | 'policy'
  | 'collateral'
  | 'quote'
  | 'tcb_status'
  | 'measurements'
  | 'compose'
  | 'rtmr3'
  | 'binding'
  | 'vm_signature'
  | 'transport';

export class AttestationError extends Error {
  constructor(
    readonly check: AttestationCheck,
    message: string,
  ) {
    super(`attestation check "${check}" failed: ${message}`);
    this.name = 'AttestationError';
  }
}
