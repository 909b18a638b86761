/**
 * A client session: verify the service's attestation with a fresh nonce,
 * then seal every request to the attested X25519 key with the permit inside,
 * and open the replies. Uses only fetch and Web streams.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import {
  ENVELOPE_MEDIA_TYPE,
  REPLY_MEDIA_TYPE,
  REQUEST_TYPES,
  type AccessEntry,
  type UploadQueued,
  type UploadStatus,
  type CollectionSummary,
  type DocumentSummary,
  type SharesReply,
  type Permit,
  type SearchReply,
  type UploadReply,
} from '../../schemas/api.js';
import type { SearchRequest } from '../../schemas/search.js';
import { ChatFrame, type ChatRequest, type Conversation, type ConversationSummary } from '../../schemas/chat.js';
import { chunksOf } from '../crypto/byte-reader.js';
import { bytesToHex, utf8ToBytes } from '../crypto/bytes.js';
import { sealEnvelope } from '../crypto/envelope.js';
import { verifyAttestation, type VerifiedService, type VerifyOptions } from '../attest/attestation.js';

export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'ServiceError';
  }
}

export interface ConnectOptions extends Omit<VerifyOptions, 'nonce'> {
  fetch?: typeof fetch;
}

async function errorOf(res: Response): Promise<ServiceError> {
  const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  return new ServiceError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${res.status}`);
}

export interface UploadInput {
  name: string;
  size: number;
  bytes: Uint8Array | AsyncIterable<Uint8Array>;
  collection?: string;
}

/** A Web ReadableStream over an async iterable (fetch streams it as the request body). */
function readableFrom(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

export class PragClient {
  private constructor(
    readonly url: string,
    readonly service: VerifiedService,
    private readonly doFetch: typeof fetch,
  ) {}

  /** Fetches and verifies the attestation; throws AttestationError naming the failed check. */
  static async connect(url: string, options: ConnectOptions): Promise<PragClient> {
    const doFetch = options.fetch ?? fetch;
    const nonce = randomBytes(32);
    const res = await doFetch(`${url}/v1/attestation?nonce=${bytesToHex(nonce)}`);
    if (!res.ok) throw await errorOf(res);
    const service = await verifyAttestation(await res.json(), { ...options, nonce });
    return new PragClient(url, service, doFetch);
  }

  get serviceId(): string {
    return this.service.statement.service_id;
  }

  private meta(permit: Permit, extra: Record<string, unknown> = {}) {
    return { permit, ts: Date.now(), nonce: bytesToHex(randomBytes(16)), ...extra };
  }

  /** Seals and posts a request; returns the opened reply frames. */
  private async post<T>(
    path: string,
    type: string,
    name: string,
    size: number,
    payload: Uint8Array | AsyncIterable<Uint8Array>,
    meta: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<T>> {
    const sealed = sealEnvelope(this.service.x25519, { type, name, size, meta }, payload);
    const body = readableFrom(sealed.stream);
    const res = await this.doFetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': ENVELOPE_MEDIA_TYPE },
      body,
      duplex: 'half',
      signal,
    } as RequestInit);
    if (!res.ok) throw await errorOf(res);
    if (res.headers.get('content-type') !== REPLY_MEDIA_TYPE || !res.body)
      throw new ServiceError(res.status, 'reply_invalid', 'the service did not answer with a sealed reply');
    return sealed.reply.jsonFrames<T>(chunksOf(res.body));
  }

  /** Seals, posts, and opens the single-frame reply. */
  private async call<T>(
    path: string,
    type: string,
    name: string,
    size: number,
    payload: Uint8Array | AsyncIterable<Uint8Array>,
    meta: Record<string, unknown>,
  ): Promise<T> {
    for await (const frame of await this.post<T>(path, type, name, size, payload, meta)) return frame;
    throw new ServiceError(502, 'reply_invalid', 'empty reply');
  }

  private json<T>(path: string, type: string, permit: Permit, body: unknown): Promise<T> {
    const bytes = utf8ToBytes(JSON.stringify(body));
    return this.call<T>(path, type, '', bytes.length, bytes, this.meta(permit));
  }

  /** Uploads and waits for the ingest: for files that ingest in minutes, not hours. */
  upload(permit: Permit, input: UploadInput): Promise<UploadReply> {
    return this.call(
      '/v1/documents',
      REQUEST_TYPES.upload,
      input.name,
      input.size,
      input.bytes,
      this.meta(permit, input.collection ? { collection: input.collection } : {}),
    );
  }

  /** Uploads; answers once the service has it (authenticated, spooled, queued). `waitForUpload` follows it. */
  enqueueUpload(permit: Permit, input: UploadInput): Promise<UploadQueued> {
    return this.call(
      '/v1/documents',
      REQUEST_TYPES.upload,
      input.name,
      input.size,
      input.bytes,
      this.meta(permit, { wait: false, ...(input.collection ? { collection: input.collection } : {}) }),
    );
  }

  /** Polls the service's upload queue until the upload is ingested (or failed). */
  async waitForUpload(
    permit: Permit,
    uploadId: string,
    options: { maxIntervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<UploadReply> {
    for (let interval = 100; ; interval = Math.min(options.maxIntervalMs ?? 2000, interval * 1.5)) {
      options.signal?.throwIfAborted();
      const status = (await this.uploads(permit, 1000)).uploads.find((u) => u.upload_id === uploadId);
      if (!status) throw new ServiceError(404, 'upload_not_found', 'the service does not know this upload');
      if (status.state === 'done' && status.result) return status.result;
      if (status.state === 'failed')
        throw new ServiceError(
          422,
          status.error?.code ?? 'upload_failed',
          status.error?.message ?? 'the upload failed',
        );
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }

  /** Recent uploads and what became of them (an upload interrupted by a restart finishes afterwards). */
  uploads(permit: Permit, limit?: number): Promise<{ uploads: UploadStatus[] }> {
    return this.json('/v1/uploads', REQUEST_TYPES.uploads, permit, limit ? { limit } : {});
  }

  search(permit: Permit, request: SearchRequest): Promise<SearchReply> {
    return this.json('/v1/search', REQUEST_TYPES.search, permit, request);
  }

  list(permit: Permit, collection?: string): Promise<{ documents: DocumentSummary[] }> {
    return this.json('/v1/documents/list', REQUEST_TYPES.list, permit, collection ? { collection } : {});
  }

  delete(permit: Permit, docId: string): Promise<{ deleted: number }> {
    return this.json('/v1/documents/delete', REQUEST_TYPES.delete, permit, { doc_id: docId });
  }

  revokePermit(permit: Permit, permitName: string): Promise<{ revoked: string }> {
    return this.json('/v1/permits/revoke', REQUEST_TYPES.revokePermit, permit, { permit_name: permitName });
  }

  collections(permit: Permit): Promise<{ collections: CollectionSummary[] }> {
    return this.json('/v1/collections', REQUEST_TYPES.collections, permit, {});
  }

  createCollection(permit: Permit, name: string): Promise<{ created: string }> {
    return this.json('/v1/collections/create', REQUEST_TYPES.collectionCreate, permit, { name });
  }

  renameCollection(permit: Permit, from: string, to: string): Promise<{ renamed: string; to: string }> {
    return this.json('/v1/collections/rename', REQUEST_TYPES.collectionRename, permit, { from, to });
  }

  moveDocuments(permit: Permit, docIds: string[], to: string): Promise<{ moved: number }> {
    return this.json('/v1/collections/move', REQUEST_TYPES.collectionMove, permit, { doc_ids: docIds, to });
  }

  grant(
    permit: Permit,
    grant: { with: string; collection?: string; doc_ids?: string[]; expires_at?: string },
  ): Promise<{ grant_id: string }> {
    return this.json('/v1/shares/grant', REQUEST_TYPES.shareGrant, permit, grant);
  }

  revokeGrant(permit: Permit, revoke: { with: string; collection?: string }): Promise<{ revoked: number }> {
    return this.json('/v1/shares/revoke', REQUEST_TYPES.shareRevoke, permit, revoke);
  }

  shares(permit: Permit): Promise<SharesReply> {
    return this.json('/v1/shares', REQUEST_TYPES.shares, permit, {});
  }

  audit(permit: Permit, options: { since?: string; limit?: number } = {}): Promise<{ entries: AccessEntry[] }> {
    return this.json('/v1/audit', REQUEST_TYPES.audit, permit, options);
  }

  /**
   * Asks a question; the answer streams back as frames (start, deltas, final
   * with citations and receipt). `request` is the exact payload sent: a
   * receipt's request_sha256 is its hash.
   */
  async chat(
    permit: Permit,
    chat: ChatRequest,
    signal?: AbortSignal,
  ): Promise<{ request: Uint8Array; frames: AsyncIterable<ChatFrame> }> {
    const request = utf8ToBytes(JSON.stringify(chat));
    const raw = await this.post<unknown>(
      '/v1/chat',
      REQUEST_TYPES.chat,
      '',
      request.length,
      request,
      this.meta(permit),
      signal,
    );
    return {
      request,
      frames: (async function* () {
        for await (const frame of raw) {
          const parsed = ChatFrame.safeParse(frame);
          if (!parsed.success)
            throw new ServiceError(502, 'reply_invalid', 'the service sent a frame that is not a chat frame');
          yield parsed.data;
        }
      })(),
    };
  }

  conversations(permit: Permit): Promise<{ conversations: ConversationSummary[] }> {
    return this.json('/v1/conversations', REQUEST_TYPES.conversations, permit, {});
  }

  conversation(permit: Permit, id: string): Promise<Conversation> {
    return this.json('/v1/conversations/get', REQUEST_TYPES.conversationGet, permit, { id });
  }

  deleteConversation(permit: Permit, id: string): Promise<{ deleted: string }> {
    return this.json('/v1/conversations/delete', REQUEST_TYPES.conversationDelete, permit, { id });
  }

  forgetMe(permit: Permit, confirm: string): Promise<{ forgotten: string; documents: number }> {
    return this.json('/v1/forget-me', REQUEST_TYPES.forgetMe, permit, { confirm });
  }
}
