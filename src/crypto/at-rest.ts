/**
 * Encryption at rest (server side). Key hierarchy:
 *
 *   master key (32 B, from the KMS: PRAG_MASTER_KEY / PRAG_MASTER_KEY_FILE)
 *     ├─ k_wrap      = HKDF(master, "prag-at-rest-v1 wrap")       wraps each owner's data key
 *     ├─ k_owner_tag = HKDF(first master, "prag-at-rest-v1 owner-tag")  owner id on disk = HMAC(k_owner_tag, address);
 *     │                after a rotation it is kept, wrapped under the new master (owner ids cannot be
 *     │                recomputed without the addresses, which the volume does not hold)
 *     ├─ check       = HMAC(master, "prag-at-rest-v1 check")      recorded, so a wrong key fails at start
 *     └─ service keys (when derived): X25519 and Ed25519 seeds
 *   owner data key (32 B, random, stored wrapped: XChaCha20-Poly1305, AAD = owner id)
 *     ├─ k_text  sealed fields (random 24-byte nonce)
 *     ├─ k_det / k_det_iv  deterministic fields (SIV-style nonce = HMAC(k_det_iv, context ‖ value))
 *     ├─ k_id    keyed document ids
 *     └─ k_kw    blind keyword tokens
 *
 * Destroying an owner's wrapped data key makes every field sealed under it
 * unreadable (crypto-shredding).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { createHmac } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToHex, concatBytes, equalBytes, hexToBytes, utf8, utf8ToBytes } from './bytes.js';

export const MASTER_KEY_BYTES = 32;
const LABEL = 'prag-at-rest-v1 ';
/** AAD of the wrapped owner tag key (owner ids are 40 hex characters, so it cannot collide with one). */
const OWNER_TAG_CONTEXT = 'owner-tag-key';

const derive = (key: Uint8Array, label: string, length = 32) =>
  hkdf(sha256, key, undefined, utf8ToBytes(LABEL + label), length);
const mac = (key: Uint8Array, ...parts: string[]) => hmac(sha256, key, utf8ToBytes(parts.join('\0')));

export class KeyError extends Error {
  constructor(
    readonly code: 'master_key_missing' | 'master_key_invalid' | 'master_key_mismatch' | 'data_key_invalid',
    message: string,
  ) {
    super(message);
    this.name = 'KeyError';
  }
}

export class MasterKey {
  private readonly wrapKey: Uint8Array;
  private readonly ownerTagKey: Uint8Array;

  constructor(
    private readonly key: Uint8Array,
    ownerTagKey?: Uint8Array,
  ) {
    if (key.length !== MASTER_KEY_BYTES)
      throw new KeyError('master_key_invalid', `master key must be ${MASTER_KEY_BYTES} bytes, got ${key.length}`);
    this.wrapKey = derive(key, 'wrap');
    this.ownerTagKey = ownerTagKey ?? derive(key, 'owner-tag');
  }

  /** This key, naming owners with a tag key carried over from before a rotation. */
  withOwnerTagKey(wrapped: string): MasterKey {
    return new MasterKey(this.key, this.unwrap(wrapped, OWNER_TAG_CONTEXT));
  }

  /** The owner tag key, wrapped under `next`: what a rotation records so owner ids stay the same. */
  ownerTagKeyFor(next: MasterKey): string {
    return next.wrap(this.ownerTagKey, OWNER_TAG_CONTEXT);
  }

  /** An owner's data key, re-wrapped under `next`. */
  rewrap(wrapped: string, ownerId: string, next: MasterKey): string {
    return next.wrap(this.unwrap(wrapped, ownerId), ownerId);
  }

  /** A check value recorded with the data, so that a wrong key is refused before anything is read or written. */
  check(): string {
    return bytesToHex(mac(this.key, LABEL + 'check'));
  }

  matches(recordedCheck: string): boolean {
    return equalBytes(utf8ToBytes(this.check()), utf8ToBytes(recordedCheck));
  }

  /** What the stores call an owner: a keyed hash of the address, so the volume holds no addresses. */
  ownerId(address: string): string {
    return bytesToHex(mac(this.ownerTagKey, address)).slice(0, 40);
  }

  /** A 32-byte seed for a service key, stable for this master key. */
  seed(label: string): Uint8Array {
    return derive(this.key, `seed ${label}`);
  }

  newDataKey(ownerId: string): { dataKey: Uint8Array; wrapped: string } {
    const dataKey = randomBytes(32);
    return { dataKey, wrapped: this.wrap(dataKey, ownerId) };
  }

  /** Wraps a data key (context: its owner id) or the owner tag key (OWNER_TAG_CONTEXT). */
  private wrap(secret: Uint8Array, context: string): string {
    const nonce = randomBytes(24);
    return bytesToHex(concatBytes(nonce, xchacha20poly1305(this.wrapKey, nonce, utf8ToBytes(context)).encrypt(secret)));
  }

  unwrap(wrapped: string, context: string): Uint8Array {
    const bytes = hexToBytes(wrapped);
    try {
      return xchacha20poly1305(this.wrapKey, bytes.subarray(0, 24), utf8ToBytes(context)).decrypt(bytes.subarray(24));
    } catch {
      throw new KeyError('data_key_invalid', 'a data key does not open under this master key');
    }
  }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

/** Seals one owner's fields. Every value is bound to a context (field and row) as associated data. */
export class OwnerCipher {
  private readonly text: Uint8Array;
  private readonly det: Uint8Array;
  private readonly detIv: Uint8Array;
  private readonly idKey: Uint8Array;
  private readonly keywordKey: Uint8Array;

  constructor(dataKey: Uint8Array) {
    this.text = derive(dataKey, 'text');
    this.det = derive(dataKey, 'det');
    this.detIv = derive(dataKey, 'det-iv');
    this.idKey = derive(dataKey, 'doc-id');
    this.keywordKey = derive(dataKey, 'keywords');
  }

  /** "s1." ‖ base64url(nonce ‖ ciphertext). */
  seal(value: string, context: string): string {
    const nonce = randomBytes(24);
    return `s1.${b64(concatBytes(nonce, xchacha20poly1305(this.text, nonce, utf8ToBytes(context)).encrypt(utf8ToBytes(value))))}`;
  }

  open(sealed: string, context: string): string {
    if (!sealed.startsWith('s1.')) throw new KeyError('data_key_invalid', 'not a sealed field');
    const bytes = unb64(sealed.slice(3));
    return utf8(xchacha20poly1305(this.text, bytes.subarray(0, 24), utf8ToBytes(context)).decrypt(bytes.subarray(24)));
  }

  /**
   * Deterministic sealing (a SIV construction: the nonce is a MAC of the
   * input): equal values give equal strings, so stores can filter on
   * equality; the value itself stays unreadable. "d1." ‖ base64url(nonce ‖ ct).
   */
  tag(value: string, context: string): string {
    const nonce = mac(this.detIv, context, value).subarray(0, 24);
    return `d1.${b64(concatBytes(nonce, xchacha20poly1305(this.det, nonce, utf8ToBytes(context)).encrypt(utf8ToBytes(value))))}`;
  }

  untag(tagged: string, context: string): string {
    if (!tagged.startsWith('d1.')) throw new KeyError('data_key_invalid', 'not a tagged field');
    const bytes = unb64(tagged.slice(3));
    const value = utf8(
      xchacha20poly1305(this.det, bytes.subarray(0, 24), utf8ToBytes(context)).decrypt(bytes.subarray(24)),
    );
    if (!equalBytes(mac(this.detIv, context, value).subarray(0, 24), bytes.subarray(0, 24)))
      throw new KeyError('data_key_invalid', 'tagged field nonce mismatch');
    return value;
  }

  /** Document ids are content hashes; keyed, they no longer confirm that a known file is stored. */
  documentId(contentId: string): string {
    return bytesToHex(mac(this.idKey, contentId)).slice(0, 64);
  }

  /**
   * Blind keyword token: HMAC-SHA256(k_kw, word), 96 bits as hex. Node's native
   * HMAC here: a search over a hundred owners' shares computes hundreds of these.
   */
  keywordToken(word: string): string {
    return createHmac('sha256', this.keywordKey).update(word, 'utf8').digest().subarray(0, 12).toString('hex');
  }
}
