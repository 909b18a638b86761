/**
 * Every error code the service answers with, and its HTTP status. Domain code
 * throws `PragError` (src/errors.ts) with one of these codes; the server maps
 * the code to its status in one place. Messages never carry user content.
 */
import { z } from 'zod';
import { ENVELOPE_ERROR_CODES, type EnvelopeErrorCode } from './envelope.js';

const ENVELOPE_STATUS = Object.fromEntries(
  ENVELOPE_ERROR_CODES.map((code) => [code, code === 'envelope_too_large' ? 413 : 400]),
) as Record<EnvelopeErrorCode, 400 | 413>;

export const ERROR_STATUS = {
  ...ENVELOPE_STATUS,
  // The request as a whole
  not_found: 404,
  unsupported_media_type: 415,
  request_type_mismatch: 400,
  request_meta_invalid: 400,
  request_invalid: 400,
  request_too_large: 413,
  request_expired: 401,
  request_replayed: 409,
  nonce_invalid: 400,
  rate_limited: 429,
  shutting_down: 503,
  internal: 500,
  // Permits
  permit_malformed: 400,
  permit_name_invalid: 400,
  permit_wrong_chain: 401,
  permit_wrong_service: 401,
  permit_permission_missing: 401,
  permit_signature_invalid: 401,
  permit_revoked: 401,
  // Uploads
  upload_name_invalid: 400,
  unsupported_format: 415,
  too_large: 413,
  quota_exceeded: 403,
  ingest_busy: 429,
  upload_cancelled: 409,
  // Documents, collections, conversations
  document_not_found: 404,
  collection_not_found: 404,
  collection_exists: 409,
  conversation_not_found: 404,
  confirmation_mismatch: 400,
  // Sharing
  grantee_invalid: 400,
  grant_scope_invalid: 400,
  grant_expiry_invalid: 400,
  grant_not_found: 404,
} as const satisfies Record<string, 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_STATUS, code);

/** Every error the service returns, plaintext: a code and a message, never user content. */
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ErrorBody = z.infer<typeof ErrorBody>;
