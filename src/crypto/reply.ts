/**
 * Replies to an envelope (spec: schemas/envelope-v1.md §5). They are sealed
 * under k_reply, derived from the request's own key exchange, so only the
 * holder of that request's ephemeral key reads them: not the host, not
 * another user, not a replayer of the request. A reply is a sequence of
 * frames `u32be(ciphertext length) ‖ XChaCha20-Poly1305(k_reply, prefix ‖
 * u32be(i) ‖ last, frame, "prag-reply-v1")`; the final frame carries last = 1.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { MAX_REPLY_FRAME_BYTES, REPLY_AAD, TAG_BYTES } from '../../schemas/envelope.js';
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

function frameNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  return concatBytes(prefix, u32be(index), new Uint8Array([last ? 1 : 0]));
}

export class ReplyKeys {
  constructor(
    readonly key: Uint8Array,
    readonly noncePrefix: Uint8Array,
  ) {}

  /** A writer for one reply. Frames must be sealed in order; exactly one is last. */
  writer(): ReplyWriter {
    return new ReplyWriter(this);
  }

  /** Opens the frames of a reply stream in order; throws if it is cut short or altered. */
  async *frames(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const reader = new ByteReader(source);
    try {
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
          plain = xchacha20poly1305(this.key, frameNonce(this.noncePrefix, index, true), AAD).decrypt(ct);
        } catch {
          last = false;
          try {
            plain = xchacha20poly1305(this.key, frameNonce(this.noncePrefix, index, false), AAD).decrypt(ct);
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

  constructor(private readonly keys: ReplyKeys) {}

  frame(plain: Uint8Array, last: boolean): Uint8Array {
    if (this.finished) throw new Error('reply already finished');
    if (plain.length > MAX_REPLY_FRAME_BYTES) throw new Error(`reply frame of ${plain.length} bytes is too large`);
    const ct = xchacha20poly1305(this.keys.key, frameNonce(this.keys.noncePrefix, this.index++, last), AAD).encrypt(
      plain,
    );
    this.finished = last;
    return concatBytes(u32be(ct.length), ct);
  }

  json(value: unknown, last: boolean): Uint8Array {
    return this.frame(utf8ToBytes(JSON.stringify(value)), last);
  }
}
