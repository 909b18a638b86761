/**
 * Replies to an envelope (spec: schemas/envelope-v1.md §5). They are sealed
 * under keys derived from the request's own key exchange (k_reply, np_reply)
 * and a fresh 32-byte salt the service draws for every reply and sends first,
 * so only the holder of that request's ephemeral key reads them (not the
 * host, not another user, not a replayer), and no two replies ever share a
 * key and nonce, even for the same request received twice. A reply is
 * `salt ‖ frames`, each frame `u32be(ciphertext length) ‖
 * XChaCha20-Poly1305(k_frame, np_frame ‖ u32be(i) ‖ last, frame,
 * "prag-reply-v1")`; the final frame carries last = 1.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  MAX_REPLY_FRAME_BYTES,
  REPLY_AAD,
  REPLY_KDF_INFO,
  REPLY_SALT_BYTES,
  TAG_BYTES,
} from '../../schemas/envelope.js';
import { ByteReader } from './byte-reader.js';
import { concatBytes, readU32be, u32be, utf8, utf8ToBytes } from './bytes.js';

export class ReplyError extends Error {
  constructor(
    readonly code: 'reply_invalid' | 'reply_truncated',
    message: string,
  ) {
    super(message);
    this.name = 'ReplyError';
  }
}

const AAD = utf8ToBytes(REPLY_AAD);

interface FrameKeys {
  key: Uint8Array;
  noncePrefix: Uint8Array;
}

/** (k_frame, np_frame) = HKDF-SHA256(ikm = k_reply ‖ np_reply, salt, info = "prag-reply-salted-v1", 51 bytes). */
function frameKeys(keys: ReplyKeys, salt: Uint8Array): FrameKeys {
  const okm = hkdf(sha256, concatBytes(keys.key, keys.noncePrefix), salt, utf8ToBytes(REPLY_KDF_INFO), 32 + 19);
  return { key: okm.slice(0, 32), noncePrefix: okm.slice(32, 51) };
}

function frameNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  return concatBytes(prefix, u32be(index), new Uint8Array([last ? 1 : 0]));
}

export class ReplyKeys {
  constructor(
    readonly key: Uint8Array,
    readonly noncePrefix: Uint8Array,
  ) {}

  /**
   * A writer for one reply, under a fresh random salt. Frames must be sealed
   * in order; exactly one is last. `salt` is for test vectors only.
   */
  writer(salt: Uint8Array = randomBytes(REPLY_SALT_BYTES)): ReplyWriter {
    return new ReplyWriter(salt, frameKeys(this, salt));
  }

  /** Opens the frames of a reply stream in order; throws if it is cut short or altered. */
  async *frames(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const reader = new ByteReader(source);
    try {
      const salt = await reader.exactly(REPLY_SALT_BYTES);
      if (!salt) throw new ReplyError('reply_truncated', 'reply ended before its salt');
      const keys = frameKeys(this, salt);
      for (let index = 0; ; index++) {
        const len = await reader.exactly(4);
        if (!len) throw new ReplyError('reply_truncated', `reply ended before its last frame (after ${index} frames)`);
        const n = readU32be(len);
        if (n < TAG_BYTES || n > MAX_REPLY_FRAME_BYTES + TAG_BYTES)
          throw new ReplyError('reply_invalid', `frame ${index} length ${n} is out of range`);
        const ct = await reader.exactly(n);
        if (!ct) throw new ReplyError('reply_truncated', `reply ends inside frame ${index}`);
        let last = true;
        let plain: Uint8Array;
        try {
          plain = xchacha20poly1305(keys.key, frameNonce(keys.noncePrefix, index, true), AAD).decrypt(ct);
        } catch {
          last = false;
          try {
            plain = xchacha20poly1305(keys.key, frameNonce(keys.noncePrefix, index, false), AAD).decrypt(ct);
          } catch {
            throw new ReplyError('reply_invalid', `frame ${index} failed authentication`);
          }
        }
        yield plain;
        if (last) {
          if ((await reader.exactly(1)) !== null) throw new ReplyError('reply_invalid', 'bytes after the last frame');
          return;
        }
      }
    } finally {
      await reader.cancel();
    }
  }

  /** Opens a reply made of JSON frames. */
  async *jsonFrames<T = unknown>(source: AsyncIterable<Uint8Array>): AsyncIterable<T> {
    for await (const frame of this.frames(source)) yield JSON.parse(utf8(frame)) as T;
  }
}

export class ReplyWriter {
  private index = 0;
  private finished = false;

  constructor(
    private salt: Uint8Array | undefined,
    private readonly keys: FrameKeys,
  ) {}

  /** The next frame's bytes (the first carries the salt in front). */
  frame(plain: Uint8Array, last: boolean): Uint8Array {
    if (this.finished) throw new Error('reply already finished');
    if (plain.length > MAX_REPLY_FRAME_BYTES) throw new Error(`reply frame of ${plain.length} bytes is too large`);
    const ct = xchacha20poly1305(this.keys.key, frameNonce(this.keys.noncePrefix, this.index++, last), AAD).encrypt(
      plain,
    );
    this.finished = last;
    const salt = this.salt ?? new Uint8Array();
    this.salt = undefined;
    return concatBytes(salt, u32be(ct.length), ct);
  }

  json(value: unknown, last: boolean): Uint8Array {
    return this.frame(utf8ToBytes(JSON.stringify(value)), last);
  }
}
