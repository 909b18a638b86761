/**
 * The service's attested identity: its long-term Ed25519 key, the signed key
 * statement (schemas/attestation.md) bound by the TEE, the epoch keys
 * requests are sealed to, and fresh evidence for a client's nonce.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import {
  KeyStatement,
  type AttestationResponse,
  type EpochKeyStatement,
  type KeyOrigin,
} from '../../schemas/attestation.js';
import { bytesToHex, hexToBytes } from '../crypto/bytes.js';
import { deriveExchangeKeys, type RecipientKeys } from '../crypto/envelope.js';
import { EpochKeys, type EpochKey } from '../crypto/epoch-keys.js';
import { serviceIdOf, signEpochKey, signNonce, signStatement, statementBytes } from '../crypto/statement.js';
import type { SigningKey } from '../tee/service-key.js';
import type { TeeProvider } from '../tee/provider.js';

export class ServiceIdentity {
  readonly statement: KeyStatement;
  /** The statement's canonical bytes: what is signed and what the TEE binds. */
  readonly statementBytes: Uint8Array;
  readonly epochKeys: EpochKeys;
  private readonly statementSignature: string;
  /** Erases expired epoch keys even while no request comes (lookups also purge). */
  private readonly purger: NodeJS.Timeout;
  /** The signed statement of the epoch key on offer, made once per key. */
  private offered: { key: EpochKey; statement: EpochKeyStatement; signature: string } | undefined;

  constructor(
    readonly signing: SigningKey,
    readonly tee: TeeProvider,
    keyOrigin: KeyOrigin,
    epochKeyPeriodS: number,
    /** The served web bundle's hash (src/server/web.ts), stated so clients can compare the page they run. */
    webSha256?: string,
  ) {
    this.epochKeys = new EpochKeys(epochKeyPeriodS * 1000);
    this.purger = setInterval(() => this.epochKeys.purge(), Math.min(epochKeyPeriodS, 60) * 1000).unref();
    this.statement = KeyStatement.parse({
      v: 2,
      service_id: serviceIdOf(signing.public),
      provider: tee.name,
      ed25519: bytesToHex(signing.public),
      key_origin: keyOrigin,
      epoch_key_period_s: epochKeyPeriodS,
      created_at: new Date().toISOString(),
      ...(webSha256 ? { web_sha256: webSha256 } : {}),
    });
    this.statementBytes = statementBytes(this.statement);
    this.statementSignature = bytesToHex(signStatement(this.statementBytes, signing.secret));
  }

  /** Has the TEE bind the statement (the secretvm provider has the VM sign it once). */
  bind(): Promise<void> {
    return this.tee.bind(this.statementBytes);
  }

  /** Opens envelopes sealed to an epoch key still accepted; anything else is misaddressed. */
  readonly recipientKeys: RecipientKeys = (kid, ephemeral) => {
    const key = this.epochKeys.forKid(kid);
    return key && deriveExchangeKeys(x25519.getSharedSecret(key.secret, ephemeral), ephemeral, key.public);
  };

  async attestation(nonceHex: string): Promise<AttestationResponse> {
    const nonce = hexToBytes(nonceHex);
    const epoch = this.offer();
    return {
      statement: this.statement,
      statement_signature: this.statementSignature,
      epoch_key: epoch.statement,
      epoch_key_signature: epoch.signature,
      nonce: nonceHex,
      nonce_signature: bytesToHex(signNonce(this.statementBytes, nonce, this.signing.secret)),
      evidence: await this.tee.evidence(this.statementBytes, nonce),
    };
  }

  /** Overwrites the epoch keys' secrets (shutdown). */
  close(): void {
    clearInterval(this.purger);
    this.epochKeys.clear();
  }

  private offer() {
    const key = this.epochKeys.current();
    if (this.offered?.key !== key) {
      const statement: EpochKeyStatement = {
        v: 1,
        service_id: this.statement.service_id,
        x25519: bytesToHex(key.public),
        kid: bytesToHex(key.kid),
        not_after: new Date(key.notAfter).toISOString(),
        accept_until: new Date(key.acceptUntil).toISOString(),
      };
      this.offered = { key, statement, signature: bytesToHex(signEpochKey(statement, this.signing.secret)) };
    }
    return this.offered;
  }
}
