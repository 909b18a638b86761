/** Answer receipts against the written vector (schemas/chat.vectors.json, key from RFC 8032 §7.1 TEST 1). */
import { ed25519 } from '@noble/curves/ed25519.js';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { RECEIPT_CONTEXT, type Receipt } from '../../schemas/chat.js';
import { bytesToHex, canonicalJson, hexToBytes, utf8ToBytes } from '../../src/crypto/bytes.js';
import { sha256Hex, signReceipt, verifyReceipt } from '../../src/crypto/receipt.js';

const V = JSON.parse(readFileSync(new URL('../../schemas/chat.vectors.json', import.meta.url), 'utf8')) as {
  secret_key: string;
  public_key: string;
  request: string;
  answer: string;
  cited_chunk_texts: string[];
  signed_message: string;
  receipt: Receipt;
};

test('the vector: hashes, signed message and signature are reproduced exactly', () => {
  const { signature, ...body } = V.receipt;
  expect(bytesToHex(ed25519.getPublicKey(hexToBytes(V.secret_key)))).toBe(V.public_key);
  expect(body.request_sha256).toBe(sha256Hex(V.request));
  expect(body.answer_sha256).toBe(sha256Hex(V.answer));
  expect(body.cited_chunks).toEqual(V.cited_chunk_texts.map((t) => sha256Hex(t)));
  expect(RECEIPT_CONTEXT + canonicalJson(body)).toBe(V.signed_message);
  expect(signReceipt(body, hexToBytes(V.secret_key)).signature).toBe(signature); // Ed25519 is deterministic
  expect(ed25519.verify(hexToBytes(signature), utf8ToBytes(V.signed_message), hexToBytes(V.public_key))).toBe(true);
  const citations = V.cited_chunk_texts.map((t) => ({ chunk_hash: sha256Hex(t) }));
  expect(
    verifyReceipt(
      V.receipt,
      { answer: V.answer, citations, request: utf8ToBytes(V.request) },
      { ed25519: hexToBytes(V.public_key), serviceId: 'prag-example' },
    ),
  ).toEqual(V.receipt);
  expect(() =>
    verifyReceipt(
      V.receipt,
      { answer: V.answer, citations },
      { ed25519: hexToBytes(V.public_key), serviceId: 'prag-other' },
    ),
  ).toThrow(/signer/);
  expect(() =>
    verifyReceipt({ ...V.receipt, extra: 1 }, { answer: V.answer, citations }, { ed25519: hexToBytes(V.public_key) }),
  ).toThrow(/receipt_invalid/);
});
