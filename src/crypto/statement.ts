/**
 * Key statement signing (schemas/attestation.ts). Ed25519 (RFC 8032) over
 * domain-separated messages:
 *   statement: "prag-key-statement-v1\n" ‖ canonical JSON of the statement
 *   nonce:     "prag-attestation-nonce-v1\n" ‖ SHA-256(statement bytes) ‖ nonce bytes
 *   epoch key: "prag-epoch-key-v1\n" ‖ canonical JSON of the epoch key statement
 * Web-standard only: the client verifier uses this file.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import {
  EPOCH_KEY_CONTEXT,
  NONCE_CONTEXT,
  STATEMENT_CONTEXT,
  type EpochKeyStatement,
  type KeyStatement,
} from '../../schemas/attestation.js';
import { bytesToHex, canonicalJson, concatBytes, utf8ToBytes } from './bytes.js';

export function statementBytes(statement: KeyStatement): Uint8Array {
  return utf8ToBytes(canonicalJson(statement));
}

const statementMessage = (bytes: Uint8Array) => concatBytes(utf8ToBytes(STATEMENT_CONTEXT), bytes);
const nonceMessage = (bytes: Uint8Array, nonce: Uint8Array) =>
  concatBytes(utf8ToBytes(NONCE_CONTEXT), sha256(bytes), nonce);

export function signStatement(bytes: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(statementMessage(bytes), secretKey);
}

export function verifyStatementSignature(bytes: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return ed25519.verify(signature, statementMessage(bytes), publicKey);
}

export function signNonce(bytes: Uint8Array, nonce: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(nonceMessage(bytes, nonce), secretKey);
}

export function verifyNonceSignature(
  bytes: Uint8Array,
  nonce: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return ed25519.verify(signature, nonceMessage(bytes, nonce), publicKey);
}

/** report_data for a generic TDX quote: SHA-512(statement bytes ‖ nonce). */
export function tdxReportData(bytes: Uint8Array, nonce: Uint8Array): Uint8Array {
  return sha512(concatBytes(bytes, nonce));
}

const epochKeyMessage = (epochKey: EpochKeyStatement) =>
  concatBytes(utf8ToBytes(EPOCH_KEY_CONTEXT), utf8ToBytes(canonicalJson(epochKey)));

/** Epoch key: Ed25519 over "prag-epoch-key-v1\n" ‖ canonical JSON of the epoch key statement. */
export function signEpochKey(epochKey: EpochKeyStatement, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(epochKeyMessage(epochKey), secretKey);
}

export function verifyEpochKeySignature(
  epochKey: EpochKeyStatement,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return ed25519.verify(signature, epochKeyMessage(epochKey), publicKey);
}

/** A service's id: "prag-" ‖ hex(SHA-256(Ed25519 public key))[0:16]. Deployments of one image differ, as their keys do. */
export const serviceIdOf = (ed25519PublicKey: Uint8Array): string =>
  `prag-${bytesToHex(sha256(ed25519PublicKey)).slice(0, 16)}`;
