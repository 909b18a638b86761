/**
 * The service's request and reply contracts. Every request is an envelope
 * (schemas/envelope.ts) whose sealed header carries `RequestMeta` and whose
 * sealed `type` names the operation, so a request sealed for one endpoint is
 * refused by every other.
 */
import { z } from 'zod';
import { DEVICE_LABEL } from './permit.js';
import { CollectionName, QueryFilters, SearchHit, SearchRequest } from './search.js';

/** SNIP-24 query permit (SecretFoundation/SNIPs SNIP-24.md), as signed by a Secret wallet. */
export const Permit = z
  .object({
    params: z
      .object({
        permit_name: z.string().min(1).max(128),
        allowed_tokens: z.array(z.string().min(1).max(128)).min(1).max(16),
        chain_id: z.string().min(1).max(64),
        permissions: z.array(z.string().min(1).max(32)).min(1).max(8),
      })
      .strict(),
    signature: z
      .object({
        pub_key: z
          .object({
            type: z.literal('tendermint/PubKeySecp256k1'),
            value: z.base64(),
          })
          .strict(),
        signature: z.base64(),
      })
      .strict(),
  })
  .strict();
export type Permit = z.infer<typeof Permit>;

/** HTTP media types of sealed requests and replies. */
export const ENVELOPE_MEDIA_TYPE = 'application/vnd.prag.envelope';
export const REPLY_MEDIA_TYPE = 'application/vnd.prag.reply';

/** The most one part of a relayed upload may hold (src/server/web-relay.ts); clients send 4 MiB parts. */
export const RELAY_PART_MAX_BYTES = 8 * 1024 * 1024;

/** Freshness window for a request's timestamp. */
export const REQUEST_MAX_AGE_MS = 5 * 60 * 1000;

export const RequestMeta = z
  .object({
    permit: Permit,
    /** Client clock, ms since the epoch. */
    ts: z.number().int().nonnegative(),
    /** 16 random bytes, hex: with `ts`, makes every request unique so a replay is refused. */
    nonce: z.string().regex(/^[0-9a-f]{32}$/, 'request nonce must be 16 bytes of lower-case hex'),
    /** The permit's session key's Ed25519 signature over this request (src/crypto/request-signature.ts), hex. */
    sig: z.string().regex(/^[0-9a-f]{128}$/, 'request signature must be 64 bytes of lower-case hex'),
  })
  .strict();
export type RequestMeta = z.infer<typeof RequestMeta>;

export const UploadMeta = RequestMeta.extend({
  collection: CollectionName.optional(),
  /** false: answer as soon as the upload is authenticated and queued (`UploadQueued`); poll `POST /v1/uploads`. */
  wait: z.boolean().default(true),
}).strict();
export type UploadMeta = z.infer<typeof UploadMeta>;

export const SearchBody = SearchRequest;
export const ListBody = z.object({ collection: CollectionName.optional() }).strict();
export const DocumentId = z.string().regex(/^[0-9a-f]{64}$/, 'document ids are 64 lower-case hex characters');
export const DeleteBody = z.object({ doc_id: DocumentId }).strict();
/**
 * One document to read: the requester's own, or one an accepted, live grant
 * covers. `page` narrows the text to that page's sections; `chunk_id` asks
 * where a cited chunk sits in it; `original` asks for the uploaded bytes.
 */
export const DocumentGetBody = z
  .object({
    doc_id: DocumentId,
    page: z.number().int().positive().optional(),
    chunk_id: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'chunk ids are 32 lower-case hex characters')
      .optional(),
    original: z.boolean().default(false),
  })
  .strict();
export const EmptyBody = z.object({}).strict();
export const CollectionCreateBody = z.object({ name: CollectionName }).strict();
export const CollectionRenameBody = z.object({ from: CollectionName, to: CollectionName }).strict();
export const CollectionMoveBody = z
  .object({ doc_ids: z.array(DocumentId).min(1).max(1000), to: CollectionName })
  .strict();
/** `with` is checked as a bech32 secret1… address by the service (grantee_invalid). */
export const ShareGrantBody = z
  .object({
    with: z.string().max(128),
    collection: CollectionName.optional(),
    doc_ids: z.array(DocumentId).min(1).max(1000).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export const ShareRevokeBody = z.object({ with: z.string().max(128), collection: CollectionName.optional() }).strict();
/** The grantee's answer to a grant (accept, or decline/leave), by its id. */
export const ShareAnswerBody = z
  .object({ grant_id: z.string().regex(/^[0-9a-f]{32}$/, 'grant ids are 32 lower-case hex characters') })
  .strict();
export const AuditBody = z
  .object({ since: z.iso.datetime({ offset: true }).optional(), limit: z.number().int().min(1).max(1000).default(100) })
  .strict();
/** Forget-me must name the requester's own address: a typo cannot erase anyone. */
export const ForgetMeBody = z.object({ confirm: z.string().max(128) }).strict();
/** Revokes one permit by name, or every permit of a device (the others keep working). */
export const RevokePermitBody = z.union([
  z.object({ permit_name: z.string().min(1).max(128) }).strict(),
  z
    .object({ device: z.string().regex(DEVICE_LABEL, 'device labels are 1-32 letters, digits, dashes or underscores') })
    .strict(),
]);

export const UploadReply = z.object({
  /** The queue's id for this upload (`POST /v1/uploads` reports it after a restart). */
  upload_id: z.string(),
  /** Documents stored by this upload (attachments included). */
  doc_ids: z.array(z.string()),
  chunks: z.number().int(),
  skipped: z.number().int(),
  failed: z.array(z.object({ source: z.string(), error: z.string() })),
});
export type UploadReply = z.infer<typeof UploadReply>;

/** The answer to an upload sent with `wait: false`. */
export const UploadQueued = z.object({ upload_id: z.string(), state: z.literal('queued') });
export type UploadQueued = z.infer<typeof UploadQueued>;

export const UploadsBody = z.object({ limit: z.number().int().min(1).max(1000).default(100) }).strict();
const UploadId = z.string().regex(/^[0-9a-f]{32}$/, 'upload ids are 32 lower-case hex characters');
/** Follows uploads until each has finished. */
export const UploadFollowBody = z.object({ upload_ids: z.array(UploadId).min(1).max(1000) }).strict();
export const UploadCancelBody = z.object({ upload_id: UploadId }).strict();

/** `queued` and `running` are in flight; the others are final. */
export const UploadState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type UploadState = z.infer<typeof UploadState>;
const count = z.number().int().nonnegative();

/**
 * How far an upload in flight has come. Its documents go through parse → embed → store: `stage` is
 * `parsing` while the file is read and split into documents, `embedding` once it is all read and chunks
 * still wait for their vectors, `storing` for the last writes and the commit.
 */
export const UploadProgress = z.object({
  stage: z.enum(['queued', 'parsing', 'embedding', 'storing']),
  /** Bytes of the file read so far (of the upload's `size`). */
  bytes_read: count,
  documents: z.object({ parsed: count, stored: count, skipped: count, failed: count }),
  /** Chunks handed to the embedding model, embedded, and written (invisible until the upload commits). */
  chunks: z.object({ queued: count, embedded: count, stored: count }),
  /** Seconds since the ingest started; 0 while queued. */
  elapsed_s: z.number().nonnegative(),
  /** Chunks embedded per second so far. */
  chunks_per_s: z.number().nonnegative(),
  /** Estimated seconds left; null until there is something to estimate from. */
  eta_s: z.number().nonnegative().nullable(),
});
export type UploadProgress = z.infer<typeof UploadProgress>;

/** An upload as the queue knows it: `progress` while in flight, `result` once done, `error` once failed or cancelled. */
export const UploadStatus = z.object({
  upload_id: z.string(),
  name: z.string(),
  size: z.number().int(),
  state: UploadState,
  created_at: z.string(),
  finished_at: z.string().nullable(),
  progress: UploadProgress.optional(),
  result: UploadReply.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type UploadStatus = z.infer<typeof UploadStatus>;

/**
 * Frames of `POST /v1/uploads/follow`: the status of each followed upload at once, then again whenever it
 * changes (changes in between are folded into the next frame), until every one has finished; then `end`.
 * `error` ends the stream early.
 */
export const UploadFollowFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), upload: UploadStatus }).strict(),
  z.object({ type: z.literal('end') }).strict(),
  z.object({ type: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }).strict() }).strict(),
]);
export type UploadFollowFrame = z.infer<typeof UploadFollowFrame>;
/** The upload's state once the cancel has taken effect: `cancelled`, or how it ended if it finished first. */
export const UploadCancelReply = z.object({ upload_id: z.string(), state: UploadState });

export const SearchReply = z.object({
  hits: z.array(SearchHit),
  /** Filters read from the query (absent when none were, or with `understand: false`). */
  understood: QueryFilters.optional(),
});
export type SearchReply = z.infer<typeof SearchReply>;

export const DocumentSummary = z.object({
  doc_id: z.string(),
  parent_id: z.string().nullable(),
  title: z.string(),
  source: z.string(),
  collection: z.string(),
  format: z.string(),
  date: z.string().nullable(),
  /** The document's size in bytes (an attachment's own; a message of an mbox, its own). */
  bytes: z.number().int().nonnegative(),
  chunks: z.number().int(),
  created_at: z.string(),
});
export type DocumentSummary = z.infer<typeof DocumentSummary>;
export const ListReply = z.object({ documents: z.array(DocumentSummary) });

/** A section of a document's text as it was parsed (headings, pages), numbered in document order from 0. */
export const DocumentSection = z.object({
  index: z.number().int().nonnegative(),
  heading: z.string().optional(),
  page: z.number().int().positive().optional(),
  text: z.string(),
});
export const DocumentGetReply = z.object({
  doc_id: z.string(),
  parent_id: z.string().nullable(),
  title: z.string(),
  source: z.string(),
  format: z.string(),
  media_type: z.string(),
  date: z.string().nullable(),
  /** The owner's address; `shared` when that is not the requester. */
  owner: z.string(),
  shared: z.boolean(),
  /** The collection's name, when the requester may see it (their own, or a collection granted to them). */
  collection: z.string().nullable(),
  pages: z.number().int().nonnegative(),
  sections: z.array(DocumentSection),
  /** Where the requested chunk is: `text.slice(char_start, char_end)` of section `section` is its text. */
  chunk: z
    .object({
      chunk_id: z.string(),
      section: z.number().int().nonnegative(),
      char_start: z.number().int().nonnegative(),
      char_end: z.number().int().nonnegative(),
      page: z.number().int().positive().nullable(),
    })
    .optional(),
  /** Whether the uploaded bytes are kept (single files up to the kept-original limit; not mbox messages or attachments). */
  original_kept: z.boolean(),
  /** The uploaded bytes, base64, when asked for and kept. */
  original: z.base64().optional(),
});
export type DocumentGetReply = z.infer<typeof DocumentGetReply>;
export const DeleteReply = z.object({ deleted: z.number().int() });
export const RevokePermitReply = z.object({ revoked: z.string() });

export const CollectionSummary = z.object({ name: z.string(), documents: z.number().int(), created_at: z.string() });
export type CollectionSummary = z.infer<typeof CollectionSummary>;

/**
 * A grant as either side sees it: `pending` until the grantee accepts, then
 * `active` (it enters the grantee's retrieval) until `expired`; `declined`
 * (refused while pending) and `left` (given up after accepting) only the
 * owner still sees.
 */
const GRANT_STATUSES = ['pending', 'active', 'expired', 'declined', 'left'] as const;
export const GrantStatus = z.enum(GRANT_STATUSES);
export type GrantStatus = z.infer<typeof GrantStatus>;

export const GrantSummary = z.object({
  grant_id: z.string(),
  /** The other side's address: the grantee for grants given, the owner for grants received. */
  with: z.string(),
  /** The granted collection's name; null for a grant of documents (it does not reveal where the owner keeps them). */
  collection: z.string().nullable(),
  doc_ids: z.array(z.string()).nullable(),
  expires_at: z.string().nullable(),
  state: GrantStatus,
  created_at: z.string(),
});
export type GrantSummary = z.infer<typeof GrantSummary>;
export const SharesReply = z.object({ given: z.array(GrantSummary), received: z.array(GrantSummary) });
export type SharesReply = z.infer<typeof SharesReply>;

/** One owner access-log entry: a retrieval that returned the owner's chunks. */
export const AccessEntry = z.object({
  at: z.string(),
  requester: z.string(),
  permit_name: z.string(),
  endpoint: z.string(),
  doc_ids: z.array(z.string()),
  chunk_ids: z.array(z.string()),
});
export type AccessEntry = z.infer<typeof AccessEntry>;

export const UploadsReply = z.object({ uploads: z.array(UploadStatus) });
export const CollectionsReply = z.object({ collections: z.array(CollectionSummary) });
export const CollectionCreateReply = z.object({ created: z.string() });
export const CollectionRenameReply = z.object({ renamed: z.string(), to: z.string() });
export const CollectionMoveReply = z.object({ moved: z.number().int() });
export const ShareGrantReply = z.object({ grant_id: z.string() });
export const ShareRevokeReply = z.object({ revoked: z.number().int() });
/** The grant's state after the answer: `active` (or `expired`) once accepted, `declined` or `left` once declined. */
export const ShareAnswerReply = z.object({ grant_id: z.string(), state: GrantStatus });
export const AuditReply = z.object({ entries: z.array(AccessEntry) });
export const ForgetMeReply = z.object({ forgotten: z.string(), documents: z.number().int() });
