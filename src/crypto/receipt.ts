/**
 * Answer receipts (schemas/chat.md): the service's attested Ed25519 key
 * (RFC 8032) signs RECEIPT_CONTEXT ‖ canonical JSON of the receipt body,
 * which binds the request, the answer, the cited passages, the model and the
 * worker attestation. Web-standard only: clients verify with this file.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { RECEIPT_CONTEXT, Receipt, ReceiptBody, type Citation } from '../../schemas/chat.js';
import { bytesToHex, canonicalJson, concatBytes, hexToBytes, utf8ToBytes } from './bytes.js';

const message = (body: ReceiptBody) => concatBytes(utf8ToBytes(RECEIPT_CONTEXT), utf8ToBytes(canonicalJson(body)));

export const sha256Hex = (data: Uint8Array | string): string =>
  bytesToHex(sha256(typeof data === 'string' ? utf8ToBytes(data) : data));

export function signReceipt(body: ReceiptBody, secretKey: Uint8Array): Receipt {
  const parsed = ReceiptBody.parse(body);
  return { ...parsed, signature: bytesToHex(ed25519.sign(message(parsed), secretKey)) };
}

export type ReceiptProblem = 'receipt_invalid' | 'signer' | 'signature' | 'answer' | 'citations' | 'request';

export class ReceiptError extends Error {
  constructor(
    readonly problem: ReceiptProblem,
    message: string,
  ) {
    super(`receipt check "${problem}" failed: ${message}`);
    this.name = 'ReceiptError';
  }
}

export interface ReceiptSubject {
  answer: string;
  citations: readonly Pick<Citation, 'chunk_hash'>[];
  /** The request payload bytes, when the verifier kept them. */
  request?: Uint8Array;
}

/**
 * Checks a receipt against the key the verifier attested (and, optionally,
 * its service id) and against the answer and citations it came with.
 */
export function verifyReceipt(
  raw: unknown,
  subject: ReceiptSubject,
  signer: { ed25519: Uint8Array; serviceId?: string },
): Receipt {
  const parsed = Receipt.safeParse(raw);
  if (!parsed.success) throw new ReceiptError('receipt_invalid', parsed.error.issues[0]?.message ?? 'not a receipt');
  const { signature, ...body } = parsed.data;
  if (body.signer !== bytesToHex(signer.ed25519) || (signer.serviceId && body.service_id !== signer.serviceId)) {
    throw new ReceiptError(
      'signer',
      `signed by ${body.signer.slice(0, 16)}… of ${body.service_id}, not by the attested service key`,
    );
  }
  if (!ed25519.verify(hexToBytes(signature), message(body), signer.ed25519))
    throw new ReceiptError('signature', 'the signature does not verify');
  if (body.answer_sha256 !== sha256Hex(subject.answer))
    throw new ReceiptError('answer', 'the answer is not the one the service signed');
  const cited = subject.citations.map((c) => c.chunk_hash);
  if (cited.length !== body.cited_chunks.length || cited.some((h, i) => h !== body.cited_chunks[i])) {
    throw new ReceiptError('citations', 'the citations are not the ones the service signed');
  }
  if (subject.request && body.request_sha256 !== sha256Hex(subject.request))
    throw new ReceiptError('request', 'the receipt answers another request');
  return parsed.data;
}
