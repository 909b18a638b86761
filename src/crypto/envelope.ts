/**
 * Envelope v1 (spec: schemas/envelope-v1.md). Ephemeral-static X25519
 * (RFC 7748) → HKDF-SHA256 (RFC 5869) → XChaCha20-Poly1305
 * (draft-irtf-cfrg-xchacha), with the payload cut into fixed segments whose
 * nonces carry a counter and a last-segment flag (the STREAM construction of
 * Hoang, Reyhanitabar, Rogaway and Vizár), so a stream of any length is
 * sealed and opened in constant memory, and truncation, reordering and
 * splicing all fail authentication.
 *
 * Web-standard only (no Node Buffer, no node: imports): the browser client
 * uses this file as it is.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  EnvelopeHeader,
  HKDF_INFO,
  KEY_ID_BYTES,
  KEY_ID_LABEL,
  MAX_HEADER_BYTES,
  PREAMBLE_BYTES,
  SEGMENT_BYTES,
  TAG_BYTES,
  type EnvelopeErrorCode,
} from '../../schemas/envelope.js';
import { ByteReader } from './byte-reader.js';
import { concatBytes, equalBytes, readU32be, u32be, utf8, utf8ToBytes } from './bytes.js';
import { ReplyKeys } from './reply.js';

export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

/** The recipient key id: SHA-256("prag-kid-v1" ‖ public key), first 16 bytes. */
export function keyId(recipientPublicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8ToBytes(KEY_ID_LABEL), recipientPublicKey)).subarray(0, KEY_ID_BYTES);
}

/** What one envelope's key exchange derives (schemas/envelope-v1.md §1). */
export interface ExchangeKeys {
  header: Uint8Array;
  payload: Uint8Array;
  payloadNonce: Uint8Array;
  reply: ReplyKeys;
}

/** ss = X25519(e, R); okm = HKDF-SHA256(ss, salt = E ‖ R, info = "prag-envelope-v1", 134 bytes). */
export function deriveExchangeKeys(
  sharedSecret: Uint8Array,
  ephemeralPublic: Uint8Array,
  recipientPublic: Uint8Array,
): ExchangeKeys {
  // RFC 7748 §6.1: an all-zero output means a low-order public key; refuse it.
  if (sharedSecret.every((b) => b === 0))
    throw new EnvelopeError('envelope_malformed', 'ephemeral key is a low-order point');
  const okm = hkdf(
    sha256,
    sharedSecret,
    concatBytes(ephemeralPublic, recipientPublic),
    utf8ToBytes(HKDF_INFO),
    32 + 32 + 19 + 32 + 19,
  );
  return {
    header: okm.slice(0, 32),
    payload: okm.slice(32, 64),
    payloadNonce: okm.slice(64, 83),
    reply: new ReplyKeys(okm.slice(83, 115), okm.slice(115, 134)),
  };
}

/** Segment nonce: 19-byte prefix ‖ u32be(index) ‖ 0x01 if last else 0x00. */
function segmentNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  if (index > 0xffffffff) throw new EnvelopeError('envelope_too_large', 'more than 2^32 segments');
  return concatBytes(prefix, u32be(index), new Uint8Array([last ? 1 : 0]));
}

const HEADER_NONCE = new Uint8Array(24); // k_header seals exactly one message

function preamble(recipientPublic: Uint8Array, ephemeralPublic: Uint8Array): Uint8Array {
  return concatBytes(ENVELOPE_MAGIC, new Uint8Array([ENVELOPE_VERSION]), keyId(recipientPublic), ephemeralPublic);
}

export interface SealOptions {
  /** Only for test vectors: a fixed ephemeral key. Never reuse one. */
  ephemeralSecretKey?: Uint8Array;
}

export interface Sealed {
  /** The envelope bytes, produced as the payload is read. */
  stream: AsyncIterable<Uint8Array>;
  /** Opens the replies to this request. */
  reply: ReplyKeys;
}

async function* asChunks(
  payload: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  if (payload instanceof Uint8Array) yield payload;
  else yield* payload;
}

/** What a header may depend on: the envelope's recipient key id and ephemeral key (a request signs them). */
export interface EnvelopeAddress {
  kid: Uint8Array;
  ephemeral: Uint8Array;
}

/**
 * Seals `payload` (exactly `header.size` bytes) to a recipient's X25519
 * public key. The header may be made from the envelope's address.
 */
export function sealEnvelope(
  recipientPublic: Uint8Array,
  header: EnvelopeHeader | ((address: EnvelopeAddress) => EnvelopeHeader),
  payload: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: SealOptions = {},
): Sealed {
  const esk = options.ephemeralSecretKey ?? x25519.utils.randomSecretKey();
  const epk = x25519.getPublicKey(esk);
  const parsed = EnvelopeHeader.parse(
    typeof header === 'function' ? header({ kid: keyId(recipientPublic), ephemeral: epk }) : header,
  );
  const keys = deriveExchangeKeys(x25519.getSharedSecret(esk, recipientPublic), epk, recipientPublic);
  const pre = preamble(recipientPublic, epk);
  const headerJson = utf8ToBytes(JSON.stringify(parsed));
  const headerCt = xchacha20poly1305(keys.header, HEADER_NONCE, pre).encrypt(headerJson);
  if (headerCt.length > MAX_HEADER_BYTES) throw new EnvelopeError('envelope_too_large', 'header too large');
  const aad = sha256(concatBytes(pre, headerJson));

  async function* stream(): AsyncIterable<Uint8Array> {
    yield concatBytes(pre, u32be(headerCt.length), headerCt);
    let index = 0;
    let total = 0;
    let buffer: Uint8Array = new Uint8Array(0);
    const seal = (plain: Uint8Array, last: boolean) =>
      xchacha20poly1305(keys.payload, segmentNonce(keys.payloadNonce, index++, last), aad).encrypt(plain);
    for await (const piece of asChunks(payload)) {
      total += piece.length;
      if (total > parsed.size)
        throw new EnvelopeError('envelope_size_mismatch', `payload is longer than the declared ${parsed.size} bytes`);
      buffer = buffer.length ? concatBytes(buffer, piece) : piece;
      // Emit a segment only once more data is known to follow it: the last one must carry the flag.
      let at = 0;
      while (buffer.length - at > SEGMENT_BYTES) {
        yield seal(buffer.subarray(at, at + SEGMENT_BYTES), false);
        at += SEGMENT_BYTES;
      }
      buffer = at ? buffer.slice(at) : buffer;
    }
    if (total !== parsed.size)
      throw new EnvelopeError('envelope_size_mismatch', `payload is ${total} bytes, header says ${parsed.size}`);
    yield seal(buffer, true);
  }
  return { stream: stream(), reply: keys.reply };
}

export interface OpenLimits {
  /** Largest payload accepted (the declared size is checked before any segment is read). */
  maxPayloadBytes: number;
}

export interface OpenedEnvelope {
  header: EnvelopeHeader & { meta: Record<string, unknown> };
  /** The recipient key id and the sender's ephemeral X25519 key, from the preamble. */
  kid: Uint8Array;
  ephemeral: Uint8Array;
  /** The exchange's keys: what a spooled upload keeps to be opened again after a restart. */
  exchange: ExchangeKeys;
  /** SHA-256 of preamble ‖ header: names this request (replay checks) without revealing it. */
  digest: Uint8Array;
  reply: ReplyKeys;
  /** The authenticated payload, segment by segment. Single use. */
  payload: AsyncIterable<Uint8Array>;
  /** The whole payload (for requests small enough to hold). */
  readAll(): Promise<Uint8Array>;
}

function wrongRecipient(): never {
  throw new EnvelopeError(
    'envelope_wrong_recipient',
    'envelope is addressed to another key; fetch the current attestation and re-encrypt',
  );
}

/**
 * Finds the exchange keys for an envelope from its preamble's key id and
 * ephemeral key, or answers undefined when the envelope is not addressed to
 * a key this opener holds.
 */
export type RecipientKeys = (kid: Uint8Array, ephemeralPublic: Uint8Array) => ExchangeKeys | undefined;

/** The opener of one X25519 key pair. */
export function recipient(secret: Uint8Array, publicKey: Uint8Array): RecipientKeys {
  const kid = keyId(publicKey);
  return (wanted, epk) =>
    equalBytes(wanted, kid) ? deriveExchangeKeys(x25519.getSharedSecret(secret, epk), epk, publicKey) : undefined;
}

/**
 * Opens an envelope addressed to a key `keys` resolves. The header is
 * authenticated before this returns; each payload segment is authenticated
 * before it is yielded, and the iteration throws on the first segment that
 * fails, on truncation and on trailing bytes.
 */
export async function openEnvelope(
  keysFor: RecipientKeys,
  source: AsyncIterable<Uint8Array>,
  limits: OpenLimits,
): Promise<OpenedEnvelope> {
  const reader = new ByteReader(source);
  const pre = await reader.exactly(PREAMBLE_BYTES);
  if (!pre) throw new EnvelopeError('envelope_malformed', 'body is shorter than an envelope preamble');
  if (!equalBytes(pre.subarray(0, 4), ENVELOPE_MAGIC))
    throw new EnvelopeError('envelope_malformed', 'not a PRAG envelope (bad magic)');
  if (pre[4] !== ENVELOPE_VERSION)
    throw new EnvelopeError(
      'envelope_version',
      `envelope version ${pre[4]} is not supported (expected ${ENVELOPE_VERSION})`,
    );
  const kid = pre.slice(5, 21);
  const epk = pre.slice(21, 53);
  const keys = keysFor(kid, epk) ?? wrongRecipient();
  const lenBytes = await reader.exactly(4);
  if (!lenBytes) throw new EnvelopeError('envelope_truncated', 'envelope ends inside its header');
  const headerLen = readU32be(lenBytes);
  if (headerLen < TAG_BYTES || headerLen > MAX_HEADER_BYTES)
    throw new EnvelopeError('envelope_malformed', `header length ${headerLen} is out of range`);
  const headerCt = await reader.exactly(headerLen);
  if (!headerCt) throw new EnvelopeError('envelope_truncated', 'envelope ends inside its header');
  let headerJson: Uint8Array;
  try {
    headerJson = xchacha20poly1305(keys.header, HEADER_NONCE, pre).decrypt(headerCt);
  } catch {
    throw new EnvelopeError(
      'envelope_header_invalid',
      'header failed authentication (tampered, or sealed to another key)',
    );
  }
  let header: OpenedEnvelope['header'];
  try {
    header = EnvelopeHeader.parse(JSON.parse(utf8(headerJson)));
  } catch (e) {
    throw new EnvelopeError(
      'envelope_header_invalid',
      `header is not a valid envelope header: ${(e as Error).message.slice(0, 200)}`,
    );
  }
  if (header.size > limits.maxPayloadBytes) {
    throw new EnvelopeError(
      'envelope_too_large',
      `payload of ${header.size} bytes exceeds the limit of ${limits.maxPayloadBytes}`,
    );
  }
  const aad = sha256(concatBytes(pre, headerJson));
  const digest = sha256(concatBytes(pre, lenBytes, headerCt));

  async function* payload(): AsyncIterable<Uint8Array> {
    let index = 0;
    let total = 0;
    try {
      for (;;) {
        const { bytes, last } = await reader.upTo(SEGMENT_BYTES + TAG_BYTES);
        if (bytes.length < TAG_BYTES)
          throw new EnvelopeError('envelope_truncated', `envelope ends inside segment ${index}`);
        const open = (flag: boolean) => {
          try {
            return xchacha20poly1305(keys.payload, segmentNonce(keys.payloadNonce, index, flag), aad).decrypt(bytes);
          } catch {
            return null;
          }
        };
        const plain = open(last);
        if (!plain) {
          // A middle segment where the last should be: the stream was cut at a segment boundary.
          if (last && open(false))
            throw new EnvelopeError('envelope_truncated', `envelope was cut after segment ${index}`);
          throw new EnvelopeError(
            'envelope_segment_invalid',
            `segment ${index} failed authentication (tampered, reordered or spliced)`,
          );
        }
        if (!last && plain.length !== SEGMENT_BYTES)
          throw new EnvelopeError('envelope_malformed', `segment ${index} is short but not last`);
        total += plain.length;
        if (total > header.size)
          throw new EnvelopeError('envelope_size_mismatch', `payload is longer than the declared ${header.size} bytes`);
        index++;
        if (last) {
          if (total !== header.size)
            throw new EnvelopeError('envelope_size_mismatch', `payload is ${total} bytes, header says ${header.size}`);
          if (plain.length) yield plain;
          return;
        }
        yield plain;
      }
    } finally {
      await reader.cancel();
    }
  }

  const iterable = payload();
  return {
    header,
    kid,
    ephemeral: epk,
    exchange: keys,
    digest,
    reply: keys.reply,
    payload: iterable,
    async readAll() {
      const parts: Uint8Array[] = [];
      for await (const p of iterable) parts.push(p);
      return concatBytes(...parts);
    },
  };
}
