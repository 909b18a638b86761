import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SEGMENT_BYTES, TAG_BYTES } from '../../schemas/envelope.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '../../src/crypto/bytes.js';
import {
  deriveExchangeKeys,
  keyId,
  openEnvelope,
  recipient as opener,
  sealEnvelope,
  type EnvelopeError,
} from '../../src/crypto/envelope.js';
import { ReplyError } from '../../src/crypto/reply.js';
import { flipBits } from '../helpers/must.js';

const recipient = x25519.utils.randomSecretKey();
const R = x25519.getPublicKey(recipient);
const other = x25519.utils.randomSecretKey();
const O = x25519.getPublicKey(other);
const pattern = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i + seed) % 251);
const LIMITS = { maxPayloadBytes: 1 << 30 };

async function seal(payload: Uint8Array, opts: { to?: Uint8Array; name?: string; pieces?: number } = {}) {
  const header = { type: 'application/octet-stream', name: opts.name ?? 'f.bin', size: payload.length, meta: { n: 1 } };
  const step = Math.max(1, Math.ceil(payload.length / (opts.pieces ?? 1)));
  const pieces = [];
  for (let i = 0; i < payload.length; i += step) pieces.push(payload.subarray(i, i + step));
  const sealed = sealEnvelope(opts.to ?? R, header, pieces);
  const parts: Uint8Array[] = [];
  for await (const p of sealed.stream) parts.push(p);
  return { bytes: concatBytes(...parts), reply: sealed.reply };
}

/** Feeds bytes in awkward pieces, as a network would. */
async function* drip(bytes: Uint8Array, size = 7919): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function open(bytes: Uint8Array, key = recipient, pub = R) {
  const env = await openEnvelope(opener(key, pub), drip(bytes), LIMITS);
  return { env, payload: await env.readAll() };
}

async function failure(bytes: Uint8Array, key = recipient, pub = R): Promise<string> {
  try {
    await open(bytes, key, pub);
  } catch (e) {
    return (e as EnvelopeError).code;
  }
  return 'opened';
}

const HEADER_END = (bytes: Uint8Array) => 53 + 4 + new DataView(bytes.buffer, bytes.byteOffset + 53, 4).getUint32(0);
const segmentAt = (bytes: Uint8Array, i: number) => HEADER_END(bytes) + i * (SEGMENT_BYTES + TAG_BYTES);

describe('envelope v1', () => {
  test.each([0, 1, 100, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES + 5])(
    'round trip of %i bytes, fed in odd pieces',
    async (n) => {
      const data = pattern(n);
      const { bytes } = await seal(data, { pieces: 3 });
      const { env, payload } = await open(bytes);
      expect(bytesToHex(payload)).toBe(bytesToHex(data));
      expect(env.header).toMatchObject({ name: 'f.bin', size: n, meta: { n: 1 } });
      expect(bytes.length).toBe(HEADER_END(bytes) + Math.max(1, Math.ceil(n / SEGMENT_BYTES)) * TAG_BYTES + n);
    },
  );

  test('matches the published test vectors (RFC 7748 §6.1 keys)', async () => {
    const v = JSON.parse(readFileSync(new URL('../../schemas/envelope-v1.vectors.json', import.meta.url), 'utf8'));
    const rsk = hexToBytes(v.recipient_secret_key);
    const esk = hexToBytes(v.ephemeral_secret_key);
    const rpk = x25519.getPublicKey(rsk);
    expect(bytesToHex(rpk)).toBe(v.recipient_public_key);
    expect(v.shared_secret).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'); // RFC 7748 §6.1
    expect(bytesToHex(x25519.getSharedSecret(esk, rpk))).toBe(v.shared_secret);
    expect(bytesToHex(keyId(rpk))).toBe(v.kid);
    const k = deriveExchangeKeys(hexToBytes(v.shared_secret), hexToBytes(v.ephemeral_public_key), rpk);
    expect([
      bytesToHex(k.header),
      bytesToHex(k.payload),
      bytesToHex(k.payloadNonce),
      bytesToHex(k.reply.key),
      bytesToHex(k.reply.noncePrefix),
    ]).toEqual([v.k_header, v.k_payload, v.payload_nonce_prefix, v.k_reply, v.reply_nonce_prefix]);
    for (const c of v.cases) {
      const payload = c.payload_hex !== undefined ? hexToBytes(c.payload_hex) : pattern(c.header.size);
      const sealed = sealEnvelope(rpk, c.header, payload, { ephemeralSecretKey: esk });
      const parts: Uint8Array[] = [];
      for await (const p of sealed.stream) parts.push(p);
      const bytes = concatBytes(...parts);
      expect(bytes.length).toBe(c.envelope_length);
      expect(bytesToHex(sha256(bytes))).toBe(c.envelope_sha256);
      if (c.envelope_hex) expect(bytesToHex(bytes)).toBe(c.envelope_hex);
      expect(bytesToHex(sealed.reply.writer(hexToBytes(v.reply_salt)).json({ ok: true }, true))).toBe(c.reply_hex);
      const opened = await openEnvelope(opener(rsk, rpk), drip(bytes), LIMITS);
      expect(bytesToHex(await opened.readAll())).toBe(bytesToHex(payload));
    }
  });

  test('a flipped byte anywhere is detected, with the part that failed named', async () => {
    const { bytes } = await seal(pattern(2 * SEGMENT_BYTES + 10));
    const flip = (at: number) => {
      const b = bytes.slice();
      flipBits(b, at);
      return b;
    };
    expect(await failure(flip(0))).toBe('envelope_malformed'); // magic
    expect(await failure(flip(4))).toBe('envelope_version');
    expect(await failure(flip(5))).toBe('envelope_wrong_recipient'); // kid
    expect(await failure(flip(30))).toBe('envelope_header_invalid'); // ephemeral key
    expect(await failure(flip(60))).toBe('envelope_header_invalid'); // header ciphertext
    for (const i of [0, 1, 2])
      expect(await failure(flip(segmentAt(bytes, i) + (100 % (i === 2 ? 20 : SEGMENT_BYTES))))).toBe(
        'envelope_segment_invalid',
      );
  });

  test('truncation, reordering, duplication and splicing are detected', async () => {
    const { bytes } = await seal(pattern(3 * SEGMENT_BYTES + 10));
    const s = (i: number) => bytes.subarray(segmentAt(bytes, i), i === 3 ? bytes.length : segmentAt(bytes, i + 1));
    const head = bytes.subarray(0, HEADER_END(bytes));
    expect(await failure(concatBytes(head, s(0), s(1), s(2)))).toBe('envelope_truncated'); // cut at a boundary
    expect(await failure(bytes.subarray(0, bytes.length - 5))).toBe('envelope_segment_invalid'); // cut inside the last
    expect(await failure(head)).toBe('envelope_truncated');
    expect(await failure(bytes.subarray(0, 40))).toBe('envelope_malformed');
    expect(await failure(concatBytes(head, s(1), s(0), s(2), s(3)))).toBe('envelope_segment_invalid');
    expect(await failure(concatBytes(head, s(0), s(0), s(2), s(3)))).toBe('envelope_segment_invalid');
    expect(await failure(concatBytes(bytes, new Uint8Array([1, 2, 3])))).toBe('envelope_segment_invalid');
    const second = await seal(pattern(3 * SEGMENT_BYTES + 10));
    const t = second.bytes.subarray(segmentAt(second.bytes, 1), segmentAt(second.bytes, 2));
    expect(await failure(concatBytes(head, s(0), t, s(2), s(3)))).toBe('envelope_segment_invalid');
  });

  test("re-addressed envelopes are refused: another kid, or our kid pasted onto another key's envelope", async () => {
    const { bytes } = await seal(utf8ToBytes('for someone else'), { to: O });
    expect(await failure(bytes)).toBe('envelope_wrong_recipient');
    const pasted = bytes.slice();
    pasted.set(keyId(R), 5);
    expect(await failure(pasted)).toBe('envelope_header_invalid');
    expect((await open(bytes, other, O)).payload.length).toBe(16);
  });

  test('declared size is enforced before reading and against the content', async () => {
    const { bytes } = await seal(pattern(1000));
    await expect(openEnvelope(opener(recipient, R), drip(bytes), { maxPayloadBytes: 999 })).rejects.toMatchObject({
      code: 'envelope_too_large',
    });
    const lying = sealEnvelope(R, { type: 'x', name: '', size: 10, meta: {} }, pattern(11));
    await expect(
      (async () => {
        for await (const _ of lying.stream) void _;
      })(),
    ).rejects.toMatchObject({ code: 'envelope_size_mismatch' });
  });

  test("replies open only with the request's keys, and cut or altered replies are refused", async () => {
    const a = await seal(utf8ToBytes('q'));
    const b = await seal(utf8ToBytes('q'));
    const { env } = await open(a.bytes);
    const w = env.reply.writer();
    const frames = concatBytes(w.json({ part: 1 }, false), w.json({ part: 2 }, true));
    const read = async (keys: typeof a.reply, data: Uint8Array) => {
      const out = [];
      for await (const f of keys.jsonFrames(drip(data, 5))) out.push(f);
      return out;
    };
    expect(await read(a.reply, frames)).toEqual([{ part: 1 }, { part: 2 }]);
    await expect(read(b.reply, frames)).rejects.toBeInstanceOf(ReplyError);
    await expect(read(a.reply, frames.subarray(0, frames.length - 30))).rejects.toMatchObject({
      code: 'reply_truncated',
    });
    const SALT = 32; // a reply starts with the service's salt
    const firstOnly = frames.subarray(0, SALT + 4 + new DataView(frames.buffer, frames.byteOffset).getUint32(SALT));
    await expect(read(a.reply, firstOnly)).rejects.toMatchObject({ code: 'reply_truncated' });
    const flipped = frames.slice();
    flipBits(flipped, 10);
    await expect(read(a.reply, flipped)).rejects.toMatchObject({ code: 'reply_invalid' });
    await expect(read(a.reply, frames.subarray(0, SALT - 1))).rejects.toMatchObject({ code: 'reply_truncated' });
  });

  test('the same request answered twice is sealed under different keys: no key and nonce reuse', async () => {
    const { bytes } = await seal(utf8ToBytes('q'));
    const first = (await open(bytes)).env.reply.writer().json({ same: 'answer' }, true);
    const second = (await open(bytes)).env.reply.writer().json({ same: 'answer' }, true);
    expect(bytesToHex(first.subarray(0, 32))).not.toBe(bytesToHex(second.subarray(0, 32)));
    // Equal plaintexts under one key and nonce would give equal ciphertexts; here they differ past the salt too.
    expect(bytesToHex(first.subarray(36))).not.toBe(bytesToHex(second.subarray(36)));
  });
});
