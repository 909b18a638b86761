/**
 * Every error code the service answers with, its HTTP status and its message.
 * Domain code throws `PragError` (src/errors.ts) with one of these codes; the
 * server answers `{error: {code, message}}` with the code's status and the
 * fixed message here, never the thrown error's own message: error bodies
 * travel outside the envelope, so nothing a request carried (a file name, a
 * size, a chain id) may be echoed in them.
 */
import { z } from 'zod';
import type { EnvelopeErrorCode } from './envelope.js';

/** A status and the one message every reply with that code carries. */
interface Refusal {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;
  message: string;
}

const ENVELOPE_ERRORS = {
  envelope_malformed: { status: 400, message: 'the body is not a well-formed envelope' },
  envelope_version: { status: 400, message: 'the envelope version is not supported' },
  envelope_wrong_recipient: { status: 400, message: 'the envelope is sealed to another key' },
  envelope_header_invalid: { status: 400, message: 'the sealed header does not open or is invalid' },
  envelope_segment_invalid: { status: 400, message: 'a payload segment failed authentication' },
  envelope_truncated: { status: 400, message: 'the envelope ends before its last segment' },
  envelope_size_mismatch: { status: 400, message: 'the payload length differs from the declared size' },
  envelope_too_large: { status: 413, message: 'the envelope is larger than this service accepts' },
} as const satisfies Record<EnvelopeErrorCode, Refusal>;

export const ERRORS = {
  ...ENVELOPE_ERRORS,
  // The request as a whole
  not_found: { status: 404, message: 'no such route' },
  unsupported_media_type: { status: 415, message: 'send the request as application/vnd.prag.envelope' },
  request_type_mismatch: { status: 400, message: 'the envelope was sealed for another endpoint' },
  request_meta_invalid: { status: 400, message: 'the request metadata is invalid' },
  request_invalid: { status: 400, message: "the request does not match the endpoint's schema" },
  request_too_large: { status: 413, message: 'the request is larger than 1 MiB' },
  request_expired: { status: 401, message: 'the request timestamp is outside the accepted window' },
  request_replayed: { status: 409, message: 'the request was already received' },
  nonce_invalid: { status: 400, message: 'the nonce must be 16 to 64 random bytes in lower-case hex' },
  rate_limited: { status: 429, message: 'too many requests; retry after Retry-After seconds' },
  shutting_down: { status: 503, message: 'the service is shutting down; retry shortly' },
  internal: { status: 500, message: 'internal error' },
  // Permits
  permit_malformed: { status: 400, message: 'the permit is malformed' },
  permit_name_invalid: { status: 400, message: 'the permit name is invalid' },
  permit_wrong_chain: { status: 401, message: 'the permit is for another chain' },
  permit_wrong_service: { status: 401, message: 'the permit does not name this service' },
  permit_permission_missing: { status: 401, message: 'the permit does not grant the owner permission' },
  permit_signature_invalid: { status: 401, message: 'the permit signature does not verify' },
  permit_revoked: { status: 401, message: 'the permit was revoked' },
  permit_expired: { status: 401, message: 'the permit has expired' },
  request_signature_invalid: { status: 401, message: "the request is not signed by its permit's session key" },
  // Uploads
  upload_name_invalid: { status: 400, message: 'the file name is invalid' },
  unsupported_format: { status: 415, message: 'this kind of file is not supported' },
  too_large: { status: 413, message: 'the file is larger than this service accepts' },
  quota_exceeded: { status: 403, message: 'the upload would exceed your storage quota' },
  ingest_busy: { status: 429, message: 'the ingest queue is full; retry later' },
  upload_cancelled: { status: 409, message: 'the upload was cancelled' },
  upload_not_found: { status: 404, message: 'no such upload among yours' },
  parse_budget_exceeded: {
    status: 413,
    message: 'parsing the upload took longer than this service allows; nothing of it was stored',
  },
  // The web client's upload relay (src/server/web-relay.ts)
  relay_invalid: { status: 400, message: 'the relay id or part number is invalid, or a part came out of order' },
  relay_unknown: { status: 404, message: 'no such upload relay; start again from part 0' },
  relay_busy: { status: 503, message: 'too many uploads are being relayed; retry shortly' },
  relay_part_too_large: { status: 413, message: 'a relay part is larger than 8 MiB' },
  collateral_unavailable: { status: 503, message: 'the quote collateral could not be fetched; retry later' },
  // Documents, collections, conversations
  document_not_found: { status: 404, message: 'no such document among yours' },
  document_text_unavailable: {
    status: 409,
    message: 'this document was indexed before its text was kept; delete it and upload it again to read it',
  },
  collection_not_found: { status: 404, message: 'no such collection among yours' },
  collection_exists: { status: 409, message: 'you already have a collection of that name' },
  conversation_not_found: { status: 404, message: 'no such conversation among yours' },
  confirmation_mismatch: { status: 400, message: 'the confirmation is not your own address' },
  // Sharing
  grantee_invalid: { status: 400, message: 'the grantee is not a valid address' },
  grant_scope_invalid: { status: 400, message: 'a grant names either a collection or documents' },
  grant_expiry_invalid: { status: 400, message: 'the grant expiry is in the past' },
  grant_not_found: { status: 404, message: 'no such grant' },
  grant_pending_limit: { status: 409, message: 'the grantee has too many grants waiting for an answer' },
} as const satisfies Record<string, Refusal>;

export type ErrorCode = keyof typeof ERRORS;

/** Each code's status, derived once from the table: what the server maps a refusal with. */
export const ERROR_STATUS = Object.fromEntries(Object.entries(ERRORS).map(([code, e]) => [code, e.status])) as {
  [C in ErrorCode]: (typeof ERRORS)[C]['status'];
};

/** Every error the service returns, plaintext: a code and a message, never user content. */
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The plaintext body of a refusal: the code and its fixed message. */
export const errorBody = (code: ErrorCode): ErrorBody => ({ error: { code, message: ERRORS[code].message } });
