/** A TEE provider: the evidence that binds the service's key statement to the hardware it runs on. */
import type { Evidence, TeeProviderName } from '../../schemas/attestation.js';

export interface TeeProvider {
  readonly name: TeeProviderName;
  /** False only for `dev`: its evidence proves nothing. */
  readonly secure: boolean;
  /** Called once at start with the signed statement (SecretVM binds it here, once). */
  bind(statement: Uint8Array): Promise<void>;
  /** Evidence for one attestation request. */
  evidence(statement: Uint8Array, nonce: Uint8Array): Promise<Evidence>;
}

export class TeeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TeeError';
  }
}
