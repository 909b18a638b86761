/**
 * The route contract: for each sealed endpoint its path, the sealed `type`
 * its envelope must carry, and the schemas of its request and reply. The
 * server registers its routes from this table and the client calls through
 * it, so neither can drift from the other (docs/api.md is checked against it
 * by a test).
 *
 * Three kinds: `json` (a JSON request, one sealed reply frame), `upload` (the
 * payload is the file; options travel in the sealed header) and `stream` (a
 * JSON request answered by a stream of sealed frames).
 */
import { z } from 'zod';
import {
  AuditBody,
  AuditReply,
  CollectionCreateBody,
  CollectionCreateReply,
  CollectionMoveBody,
  CollectionMoveReply,
  CollectionRenameBody,
  CollectionRenameReply,
  CollectionsReply,
  DeleteBody,
  DeleteReply,
  DocumentGetBody,
  DocumentGetReply,
  EmptyBody,
  ForgetMeBody,
  ForgetMeReply,
  ListBody,
  ListReply,
  RevokePermitBody,
  RevokePermitReply,
  SearchBody,
  SearchReply,
  ShareAnswerBody,
  ShareAnswerReply,
  ShareGrantBody,
  ShareGrantReply,
  ShareRevokeBody,
  ShareRevokeReply,
  SharesReply,
  UploadCancelBody,
  UploadCancelReply,
  UploadFollowBody,
  UploadFollowFrame,
  UploadMeta,
  UploadQueued,
  UploadReply,
  UploadsBody,
  UploadsReply,
} from './api.js';
import { ChatFrame, ChatRequest, Conversation, ConversationGetBody, ConversationSummary } from './chat.js';

export interface JsonRoute<Req extends z.ZodType = z.ZodType, Rep extends z.ZodType = z.ZodType> {
  kind: 'json';
  path: string;
  type: string;
  request: Req;
  reply: Rep;
}

export interface UploadRoute<Meta extends z.ZodType = z.ZodType, Rep extends z.ZodType = z.ZodType> {
  kind: 'upload';
  path: string;
  type: string;
  /** The sealed header's metadata (permit, freshness and the upload's options). */
  meta: Meta;
  reply: Rep;
}

export interface StreamRoute<Req extends z.ZodType = z.ZodType, Frame extends z.ZodType = z.ZodType> {
  kind: 'stream';
  path: string;
  type: string;
  request: Req;
  frame: Frame;
}

export type Route = JsonRoute | UploadRoute | StreamRoute;

const TYPE_PREFIX = 'application/vnd.prag.';

const json = <Req extends z.ZodType, Rep extends z.ZodType>(
  path: string,
  type: string,
  request: Req,
  reply: Rep,
): JsonRoute<Req, Rep> => ({ kind: 'json', path, type: `${TYPE_PREFIX}${type}+json`, request, reply });

export const ROUTES = {
  upload: {
    kind: 'upload',
    path: '/v1/documents',
    // The payload is the file itself; the header's `name` is its file name.
    type: `${TYPE_PREFIX}upload`,
    meta: UploadMeta,
    reply: z.union([UploadReply, UploadQueued]),
  } satisfies UploadRoute,
  uploads: json('/v1/uploads', 'uploads', UploadsBody, UploadsReply),
  uploadFollow: {
    kind: 'stream',
    path: '/v1/uploads/follow',
    type: `${TYPE_PREFIX}upload-follow+json`,
    request: UploadFollowBody,
    frame: UploadFollowFrame,
  } satisfies StreamRoute,
  uploadCancel: json('/v1/uploads/cancel', 'upload-cancel', UploadCancelBody, UploadCancelReply),
  search: json('/v1/search', 'search', SearchBody, SearchReply),
  list: json('/v1/documents/list', 'list', ListBody, ListReply),
  delete: json('/v1/documents/delete', 'delete', DeleteBody, DeleteReply),
  documentGet: json('/v1/documents/get', 'document-get', DocumentGetBody, DocumentGetReply),
  revokePermit: json('/v1/permits/revoke', 'revoke-permit', RevokePermitBody, RevokePermitReply),
  collections: json('/v1/collections', 'collections', EmptyBody, CollectionsReply),
  collectionCreate: json('/v1/collections/create', 'collection-create', CollectionCreateBody, CollectionCreateReply),
  collectionRename: json('/v1/collections/rename', 'collection-rename', CollectionRenameBody, CollectionRenameReply),
  collectionMove: json('/v1/collections/move', 'collection-move', CollectionMoveBody, CollectionMoveReply),
  shareGrant: json('/v1/shares/grant', 'share-grant', ShareGrantBody, ShareGrantReply),
  shareRevoke: json('/v1/shares/revoke', 'share-revoke', ShareRevokeBody, ShareRevokeReply),
  shareAccept: json('/v1/shares/accept', 'share-accept', ShareAnswerBody, ShareAnswerReply),
  shareDecline: json('/v1/shares/decline', 'share-decline', ShareAnswerBody, ShareAnswerReply),
  shares: json('/v1/shares', 'shares', EmptyBody, SharesReply),
  audit: json('/v1/audit', 'audit', AuditBody, AuditReply),
  forgetMe: json('/v1/forget-me', 'forget-me', ForgetMeBody, ForgetMeReply),
  chat: {
    kind: 'stream',
    path: '/v1/chat',
    type: `${TYPE_PREFIX}chat+json`,
    request: ChatRequest,
    frame: ChatFrame,
  } satisfies StreamRoute,
  conversations: json(
    '/v1/conversations',
    'conversations',
    EmptyBody,
    z.object({ conversations: z.array(ConversationSummary) }),
  ),
  conversationGet: json('/v1/conversations/get', 'conversation-get', ConversationGetBody, Conversation),
  conversationDelete: json(
    '/v1/conversations/delete',
    'conversation-delete',
    ConversationGetBody,
    z.object({ deleted: z.string() }),
  ),
} as const;

export type RouteName = keyof typeof ROUTES;

/** What a caller sends (before defaults) and what it gets back. */
export type RequestOf<R extends JsonRoute | StreamRoute> = z.input<R['request']>;
export type ReplyOf<R extends JsonRoute | UploadRoute> = z.infer<R['reply']>;
export type FrameOf<R extends StreamRoute> = z.infer<R['frame']>;
