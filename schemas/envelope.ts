/**
 * Envelope v1: the wire contract for everything a client sends to PRAG and
 * everything PRAG answers. The byte layout is specified in
 * `schemas/envelope-v1.md`, with test vectors in `envelope-v1.vectors.json`;
 * this module holds its constants and the sealed header's schema.
 */
import { z } from 'zod';

/** "PRGE": a PRAG envelope. */
export const ENVELOPE_MAGIC = new Uint8Array([0x50, 0x52, 0x47, 0x45]);
export const ENVELOPE_VERSION = 1;
/** magic (4) ‖ version (1) ‖ recipient key id (16) ‖ ephemeral X25519 public key (32). */
export const PREAMBLE_BYTES = 4 + 1 + 16 + 32;
export const KEY_ID_BYTES = 16;
/** Plaintext bytes per payload segment; every segment but the last is full. */
export const SEGMENT_BYTES = 64 * 1024;
export const TAG_BYTES = 16;
/** Largest sealed header (ciphertext, tag included). */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Largest single reply frame (plaintext). */
export const MAX_REPLY_FRAME_BYTES = 8 * 1024 * 1024;
/** HKDF info strings: one derivation per envelope, split into the keys below. */
export const HKDF_INFO = 'prag-envelope-v1';
export const KEY_ID_LABEL = 'prag-kid-v1';
export const REPLY_AAD = 'prag-reply-v1';
/** Each reply starts with a fresh salt of this many bytes; its frame keys derive from it (envelope-v1.md §5). */
export const REPLY_SALT_BYTES = 32;
export const REPLY_KDF_INFO = 'prag-reply-salted-v1';

export const EnvelopeHeader = z
  .object({
    /** MIME type of the payload. */
    type: z.string().min(1).max(128),
    /** File name for uploads; empty for requests. */
    name: z.string().max(255),
    /** Exact payload plaintext length in bytes. */
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** Application data bound to the payload: PRAG puts the request's permit and freshness fields here. */
    meta: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type EnvelopeHeader = z.input<typeof EnvelopeHeader>;

export type EnvelopeErrorCode =
  | 'envelope_malformed'
  | 'envelope_version'
  | 'envelope_wrong_recipient'
  | 'envelope_header_invalid'
  | 'envelope_segment_invalid'
  | 'envelope_truncated'
  | 'envelope_size_mismatch'
  | 'envelope_too_large';
