/**
 * The service's request and reply contracts. Every request is an envelope
 * (schemas/envelope.ts) whose sealed header carries `RequestMeta` and whose
 * sealed `type` names the operation, so a request sealed for one endpoint is
 * refused by every other.
 */
import { z } from 'zod';
import { DEVICE_LABEL } from './permit.js';
import { CollectionName, SearchHit, SearchRequest } from './search.js';

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
/** An upload as the queue knows it: `result` once done, `error` once failed. */
export const UploadStatus = z.object({
  upload_id: z.string(),
  name: z.string(),
  size: z.number().int(),
  state: z.enum(['queued', 'done', 'failed']),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  result: UploadReply.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type UploadStatus = z.infer<typeof UploadStatus>;

export const SearchReply = z.object({ hits: z.array(SearchHit) });
export type SearchReply = z.infer<typeof SearchReply>;

export const DocumentSummary = z.object({
  doc_id: z.string(),
  parent_id: z.string().nullable(),
  title: z.string(),
  source: z.string(),
  collection: z.string(),
  format: z.string(),
  date: z.string().nullable(),
  chunks: z.number().int(),
  created_at: z.string(),
});
export type DocumentSummary = z.infer<typeof DocumentSummary>;
export const ListReply = z.object({ documents: z.array(DocumentSummary) });
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
