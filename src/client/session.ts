/**
 * A client session: verify the service's attestation with a fresh nonce,
 * then seal every request to the attested X25519 key with the permit inside,
 * and open the replies. Every endpoint is reached through the route contract
 * (schemas/routes.ts) with one typed `call`. Uses only fetch and Web streams.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import type { z } from 'zod';
import { ENVELOPE_MEDIA_TYPE, REPLY_MEDIA_TYPE, type UploadStatus } from '../../schemas/api.js';
import type { ChatFrame } from '../../schemas/chat.js';
import {
  ROUTES,
  type FrameOf,
  type JsonRoute,
  type ReplyOf,
  type RequestOf,
  type StreamRoute,
} from '../../schemas/routes.js';
import { verifyAttestation, type VerifiedService, type VerifyOptions } from '../attest/attestation.js';
import { chunksOf } from '../crypto/byte-reader.js';
import { bytesToHex, utf8ToBytes } from '../crypto/bytes.js';
import { AttestationError } from '../attest/errors.js';
import { sealEnvelope } from '../crypto/envelope.js';
import { requestMeta, type Credentials } from './credentials.js';

export class ServiceError extends Error {
  override name = 'ServiceError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface ConnectOptions extends Omit<VerifyOptions, 'nonce'> {
  fetch?: typeof fetch;
}

/** The most a client reads of an error body (the service's are one short code and message). */
const MAX_ERROR_BYTES = 64 * 1024;

async function errorOf(res: Response): Promise<ServiceError> {
  let body: { error?: { code?: string; message?: string } } | undefined;
  try {
    const bytes = await readAtMost(res, MAX_ERROR_BYTES);
    if (bytes) body = JSON.parse(new TextDecoder().decode(bytes)) as typeof body;
  } catch {
    // cut off or not JSON: the status is all there is
  }
  return new ServiceError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${res.status}`);
}

export interface UploadInput {
  name: string;
  size: number;
  bytes: Uint8Array | AsyncIterable<Uint8Array>;
  collection?: string;
}

type UploadReply = z.infer<typeof ROUTES.upload.reply>;
export type UploadDone = Extract<UploadReply, { doc_ids: string[] }>;
export type UploadQueued = Extract<UploadReply, { state: 'queued' }>;

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

/** Checks a reply against its schema: a reply the contract does not allow is refused, not trusted. */
function replyOf<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ServiceError(502, 'reply_invalid', 'the service sent a reply outside the contract');
  return parsed.data;
}

/** The most a client reads of an attestation response (a quote, its certificates and a compose file fit easily). */
const MAX_ATTESTATION_BYTES = 4 * 1024 * 1024;

async function attest(url: string, options: ConnectOptions, doFetch: typeof fetch): Promise<VerifiedService> {
  const { json, nonce } = await fetchAttestation(url, doFetch);
  return verifyAttestation(json, { ...options, nonce });
}

/** `GET /v1/attestation` with a fresh nonce: the response as JSON, not yet verified. */
export async function fetchAttestation(
  url: string,
  doFetch: typeof fetch,
): Promise<{ json: unknown; nonce: Uint8Array }> {
  const nonce = randomBytes(32);
  const res = await doFetch(`${url}/v1/attestation?nonce=${bytesToHex(nonce)}`);
  if (!res.ok) throw await errorOf(res);
  const body = await readAtMost(res, MAX_ATTESTATION_BYTES);
  if (!body)
    throw new AttestationError('response', `the attestation response is larger than ${MAX_ATTESTATION_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new AttestationError('response', 'the attestation response is not JSON');
  }
  return { json, nonce };
}

/**
 * A response body, or undefined once it passes `limit` bytes: a look-alike
 * server cannot make the client buffer without end. Leaving the loop cancels
 * the body's reader (chunksOf), which lets go of the connection.
 */
export async function readAtMost(res: Response, limit: number): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const part of chunksOf(res.body ?? new ReadableStream())) {
    total += part.length;
    if (total > limit) return undefined;
    parts.push(part);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class PragClient {
  private constructor(
    readonly url: string,
    private verified: VerifiedService,
    private readonly options: ConnectOptions,
    private readonly doFetch: typeof fetch,
  ) {}

  /** Fetches and verifies the attestation; throws AttestationError naming the failed check. */
  static async connect(url: string, options: ConnectOptions): Promise<PragClient> {
    const doFetch = options.fetch ?? fetch;
    return new PragClient(url, await attest(url, options, doFetch), options, doFetch);
  }

  /** What the attestation proved (refreshed with the epoch key). */
  get service(): VerifiedService {
    return this.verified;
  }

  /**
   * The epoch key to seal to: once the service stops offering the current
   * one, the attestation is fetched and verified again. Another service (a
   * different signing key) answering at the same URL is refused.
   */
  private async recipient(): Promise<Uint8Array> {
    if (Date.now() >= this.verified.epochKeyNotAfter) {
      const next = await attest(this.url, this.options, this.doFetch);
      if (next.statement.service_id !== this.verified.statement.service_id)
        throw new AttestationError('service_id', `the service at ${this.url} is no longer ${this.serviceId}`);
      this.verified = next;
    }
    return this.verified.x25519;
  }

  get serviceId(): string {
    return this.service.statement.service_id;
  }

  /** A JSON endpoint of the contract: the request sealed, the reply opened and checked. */
  async call<R extends JsonRoute>(route: R, credentials: Credentials, body: RequestOf<R>): Promise<ReplyOf<R>> {
    const bytes = utf8ToBytes(JSON.stringify(body));
    const frame = await this.single(credentials, route.type, route.path, { name: '', size: bytes.length }, bytes);
    return replyOf(route.reply, frame) as ReplyOf<R>;
  }

  /** Uploads and waits for the ingest: for files that ingest in minutes, not hours. */
  async upload(credentials: Credentials, input: UploadInput): Promise<UploadDone> {
    const reply = await this.sendUpload(credentials, input, true);
    if (!('doc_ids' in reply))
      throw new ServiceError(502, 'reply_invalid', 'the service queued an upload it was asked to finish');
    return reply;
  }

  /** A stream endpoint of the contract: the request sealed, each reply frame opened and checked as it arrives. */
  async *stream<R extends StreamRoute>(
    route: R,
    credentials: Credentials,
    body: RequestOf<R>,
    signal?: AbortSignal,
  ): AsyncGenerator<FrameOf<R>> {
    const bytes = utf8ToBytes(JSON.stringify(body));
    const frames = await this.post(
      credentials,
      route.type,
      route.path,
      { name: '', size: bytes.length },
      bytes,
      {},
      signal,
    );
    for await (const frame of frames) yield replyOf(route.frame, frame) as FrameOf<R>;
  }

  /** Follows uploads (`POST /v1/uploads/follow`): each status as it changes, until every one has finished. */
  async *followUploads(
    credentials: Credentials,
    uploadIds: string[],
    signal?: AbortSignal,
  ): AsyncGenerator<UploadStatus> {
    for await (const frame of this.stream(ROUTES.uploadFollow, credentials, { upload_ids: uploadIds }, signal)) {
      if (frame.type === 'error') throw new ServiceError(502, frame.error.code, frame.error.message);
      if (frame.type === 'end') return;
      yield frame.upload;
    }
    throw new ServiceError(502, 'reply_invalid', 'the follow stream ended without its end frame');
  }

  /** Uploads; answers once the service has it (authenticated, spooled, queued). `waitForUpload` follows it. */
  async enqueueUpload(credentials: Credentials, input: UploadInput): Promise<UploadQueued> {
    const reply = await this.sendUpload(credentials, input, false);
    if (!('state' in reply))
      throw new ServiceError(502, 'reply_invalid', 'the service answered a queued upload with a result');
    return reply;
  }

  /** Follows an upload until it is ingested; throws ServiceError if it failed or was cancelled. */
  async waitForUpload(credentials: Credentials, uploadId: string, signal?: AbortSignal): Promise<UploadDone> {
    let last: UploadStatus | undefined;
    for await (const status of this.followUploads(credentials, [uploadId], signal)) last = status;
    if (last?.state === 'done' && last.result) return last.result;
    throw new ServiceError(422, last?.error?.code ?? 'upload_failed', last?.error?.message ?? 'the upload failed');
  }

  /**
   * Asks a question; the answer streams back as frames (start, deltas, final
   * with citations and receipt). `request` is the exact payload sent: a
   * receipt's request_sha256 is its hash.
   */
  async chat(
    credentials: Credentials,
    chat: RequestOf<typeof ROUTES.chat>,
    signal?: AbortSignal,
  ): Promise<{ request: Uint8Array; frames: AsyncIterable<ChatFrame> }> {
    const route = ROUTES.chat;
    const request = utf8ToBytes(JSON.stringify(chat));
    const raw = await this.post(
      credentials,
      route.type,
      route.path,
      { name: '', size: request.length },
      request,
      {},
      signal,
    );
    return {
      request,
      frames: (async function* () {
        for await (const frame of raw) yield replyOf(route.frame, frame);
      })(),
    };
  }

  private async sendUpload(credentials: Credentials, input: UploadInput, wait: boolean): Promise<UploadReply> {
    const route = ROUTES.upload;
    const options = { wait, ...(input.collection ? { collection: input.collection } : {}) };
    const file = { name: input.name, size: input.size };
    const frame = await this.single(credentials, route.type, route.path, file, input.bytes, options);
    return replyOf(route.reply, frame);
  }

  /** Seals (signed by the credentials' session key) and posts a request; returns the opened reply frames. */
  private async post(
    credentials: Credentials,
    type: string,
    path: string,
    file: { name: string; size: number },
    payload: Uint8Array | AsyncIterable<Uint8Array>,
    extra: Record<string, unknown> = {},
    signal?: AbortSignal,
  ): Promise<AsyncIterable<unknown>> {
    const request = { type, ...file };
    const sealed = sealEnvelope(
      await this.recipient(),
      (address) => ({ ...request, meta: requestMeta(credentials, request, address, extra) }),
      payload,
    );
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
    return sealed.reply.jsonFrames<unknown>(chunksOf(res.body));
  }

  /** Seals, posts, and opens the single-frame reply. */
  private async single(...args: Parameters<PragClient['post']>): Promise<unknown> {
    for await (const frame of await this.post(...args)) return frame;
    throw new ServiceError(502, 'reply_invalid', 'empty reply');
  }
}
