/**
 * `prag/client`: PRAG's client as a library. `connect` verifies the
 * service's attestation, signs a permit for the attested service id, and
 * returns a `Prag` whose methods seal each request to the attested key and
 * check each reply against the route contract (schemas/routes.ts), the same
 * schemas the server validates with. Answers' receipts are verified before
 * the final frame is handed out, as `prag ask` does.
 *
 * A thin facade over PragClient (session.ts): there is one implementation of
 * sealing and verification. Web-standard only, so it runs in browsers too
 * (the web client's entry: nothing here reaches a Node built-in); `node.ts`
 * adds identity files, files and folders, and PCCS collateral. In a page,
 * `verify` lays out the attestation for a verification panel, `walletSigner`
 * (Keplr, Leap) or `BrowserIdentity` signs in, and uploads stream from a
 * File through the same origin's upload relay (relay-fetch.ts).
 */
import { chunksOf } from '../crypto/byte-reader.js';
import type { SearchFilters } from '../../schemas/search.js';
import type { UploadStatus } from '../../schemas/api.js';
import type { ChatFinal, ChatFrame } from '../../schemas/chat.js';
import { ROUTES, type ReplyOf, type RequestOf } from '../../schemas/routes.js';
import { verifyReceipt } from '../crypto/receipt.js';
import { signPermit, DEFAULT_PERMIT_LIFETIME_S, type AminoSigner, type Credentials } from './credentials.js';
import { relayingFetch } from './relay-fetch.js';
import {
  PragClient,
  ServiceError,
  type ConnectOptions,
  type UploadDone,
  type UploadInput,
  type UploadQueued,
} from './session.js';
import { relayedCollateral } from './verify.js';

export { AttestationError } from '../attest/errors.js';
export type { VerifiedService } from '../attest/attestation.js';
export { ReceiptError } from '../crypto/receipt.js';
export type { AminoSigner, Credentials } from './credentials.js';
export { PragClient, ServiceError, type UploadDone, type UploadInput } from './session.js';
export type { ChatFinal, ChatFrame, ChatRequest, Citation } from '../../schemas/chat.js';
export type { QueryFilters, SearchFilters, SearchHit } from '../../schemas/search.js';
export type { SearchReply } from '../../schemas/api.js';
export { understoodFilters } from './understood.js';
export type { AttestationPolicy } from '../../schemas/attestation.js';
export type { UploadStatus } from '../../schemas/api.js';
export type { AttestationCheck } from '../attest/errors.js';
export { verify, parsePolicy, CHECK_MEANING, type AttestationDetails, type Verification } from './verify.js';
export { Pins, PinMismatchError, type Pin } from './pins.js';
export { availableWallets, walletSigner, WalletError, type WalletKind, type KeplrLike } from './wallet.js';
export { BrowserIdentity, MIN_PASSPHRASE_LENGTH } from './browser-identity.js';
export { IdentityError } from './identity-file.js';

/** Who signs: the user's wallet, and the permit it signs for each session. */
export interface SignerOptions {
  /** The user's wallet (secretjs Wallet, Keplr's or Leap's offline signer): it signs one permit per session. */
  signer: AminoSigner;
  /** Chain id the permit is signed for (default secret-4). */
  chainId?: string;
  /** Device label of the permit, revocable on its own (default `library`). */
  device?: string;
}

export interface PragConnectOptions extends ConnectOptions, SignerOptions {}

/** Something to upload: bytes, a stream, or a Blob/File (a browser's file input, Node's `fs.openAsBlob`). */
export type Uploadable =
  UploadInput | { name: string; blob: Blob; collection?: string } | { name?: string; file: File; collection?: string };

export interface SearchOptions {
  /** Hits to return (default 10). */
  k?: number;
  filters?: SearchFilters;
  /** true (default): one hit per document first, then further passages; false: the passages as ranked. */
  group?: boolean;
  /** false: search the query as written, reading no filters from it (see `understood`). Default true. */
  understand?: boolean;
}

export interface AskOptions {
  filters?: SearchFilters;
  /** false: retrieve for the question as written, reading no filters from it (see the frames' `understood`). */
  understand?: boolean;
  k?: number;
  model?: string;
  /** Stream the model's reasoning as `reasoning` frames (never part of the answer). */
  reasoning?: boolean;
  /** Store the conversation sealed on the service (continuing `id` when given). */
  conversation?: RequestOf<typeof ROUTES.chat>['conversation'];
  signal?: AbortSignal;
}

export interface UploadOptions {
  /** Called as the file is read and sealed: plaintext bytes read so far, of `total`. */
  onProgress?(sent: number, total: number): void;
  /** Stops sending (the service drops what it spooled). */
  signal?: AbortSignal;
}

/** Counts the bytes as they are read (for progress) and stops at the signal. */
async function* metered(
  bytes: AsyncIterable<Uint8Array>,
  total: number,
  options: UploadOptions,
): AsyncIterable<Uint8Array> {
  let sent = 0;
  for await (const chunk of bytes) {
    options.signal?.throwIfAborted();
    sent += chunk.length;
    options.onProgress?.(sent, total);
    yield chunk;
  }
}

function uploadInput(what: Uploadable, options: UploadOptions = {}): UploadInput {
  const input: UploadInput =
    'bytes' in what
      ? what
      : (() => {
          const blob = 'file' in what ? what.file : what.blob;
          const name = ('file' in what ? (what.name ?? what.file.name) : what.name) || 'upload';
          return { name, size: blob.size, bytes: chunksOf(blob.stream()), collection: what.collection };
        })();
  if (!options.onProgress && !options.signal) return input;
  const source = input.bytes instanceof Uint8Array ? [input.bytes] : input.bytes;
  return { ...input, bytes: metered(toAsync(source), input.size, options) };
}

async function* toAsync(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* source;
}

/**
 * A verified connection to one PRAG service under one wallet. Its permit is
 * signed again once half its lifetime has passed, so a long-running process
 * (the proxy, the MCP server) keeps working.
 */
export class Prag {
  private credentials: Credentials;
  private signedAt = Date.now();

  private constructor(
    /** The underlying session: `client.call(ROUTES.x, …)` reaches any route of the contract. */
    readonly client: PragClient,
    private readonly signing: SignerOptions,
    credentials: Credentials,
  ) {
    this.credentials = credentials;
  }

  /**
   * Verifies the attestation (AttestationError names the failed check) and
   * signs a permit. Defaults for a page: requests go through `relayingFetch`
   * (uploads in parts over HTTP/1.1), quote collateral from the same origin's
   * relay.
   */
  static async connect(url: string, options: PragConnectOptions): Promise<Prag> {
    const base = url.replace(/\/+$/, '');
    const doFetch = options.fetch ?? relayingFetch();
    const session = await PragClient.connect(base, {
      collateral: relayedCollateral(base, doFetch),
      ...options,
      fetch: doFetch,
    });
    return Prag.over(session, options);
  }

  /** Over a session already verified (the CLI's, which reads policy files and warns about dev evidence). */
  static async over(client: PragClient, signing: SignerOptions): Promise<Prag> {
    return new Prag(client, signing, await Prag.sign(client, signing));
  }

  private static sign(client: PragClient, signing: SignerOptions): Promise<Credentials> {
    return signPermit(signing.signer, {
      chainId: signing.chainId ?? 'secret-4',
      serviceId: client.serviceId,
      device: signing.device ?? 'library',
    });
  }

  /** The user's `secret1…` address. */
  get address(): string {
    return this.signing.signer.address;
  }

  /** What the attestation proved (statement, keys, TCB, measurements). */
  get service(): PragClient['service'] {
    return this.client.service;
  }

  /** The current credentials, signed anew when half their lifetime has passed. */
  async permit(): Promise<Credentials> {
    if (Date.now() - this.signedAt > (DEFAULT_PERMIT_LIFETIME_S * 1000) / 2) {
      this.credentials = await Prag.sign(this.client, this.signing);
      this.signedAt = Date.now();
    }
    return this.credentials;
  }

  /**
   * Encrypts locally (Envelope v1, in the page) and streams one file (or
   * mbox) to the service, reading it piece by piece; resolves once it is
   * ingested. For long ingests use `enqueue` and `followUploads`.
   */
  async upload(what: Uploadable, options: UploadOptions = {}): Promise<UploadDone> {
    return this.client.upload(await this.permit(), uploadInput(what, options));
  }

  /** As `upload`, but resolves once the service holds the file (queued); the ingest goes on without the page. */
  async enqueue(what: Uploadable, options: UploadOptions = {}): Promise<UploadQueued> {
    return this.client.enqueueUpload(await this.permit(), uploadInput(what, options));
  }

  /** This user's uploads, newest first, with their states and results. */
  async uploads(limit = 100): Promise<ReplyOf<typeof ROUTES.uploads>['uploads']> {
    const { uploads } = await this.client.call(ROUTES.uploads, await this.permit(), { limit });
    return uploads;
  }

  /** Each status change of these uploads (progress through parse, embed, store) until every one has finished. */
  async *followUploads(uploadIds: string[], signal?: AbortSignal): AsyncGenerator<UploadStatus> {
    yield* this.client.followUploads(await this.permit(), uploadIds, signal);
  }

  /** Resolves with an upload's result once ingested; throws ServiceError when it failed or was cancelled. */
  async waitForUpload(uploadId: string, signal?: AbortSignal): Promise<UploadDone> {
    return this.client.waitForUpload(await this.permit(), uploadId, signal);
  }

  /** Cancels a queued or running upload (its job is rolled back). */
  async cancelUpload(uploadId: string): Promise<ReplyOf<typeof ROUTES.uploadCancel>> {
    return this.client.call(ROUTES.uploadCancel, await this.permit(), { upload_id: uploadId });
  }

  /**
   * One document (own, or shared with this user): its text with sections and
   * pages; `page` narrows to a page, `chunk_id` locates a cited chunk,
   * `original` adds the uploaded bytes where kept.
   */
  async getDocument(query: RequestOf<typeof ROUTES.documentGet>): Promise<ReplyOf<typeof ROUTES.documentGet>> {
    return this.client.call(ROUTES.documentGet, await this.permit(), query);
  }

  /** Deletes one document (and its attachments). */
  async deleteDocument(docId: string): Promise<ReplyOf<typeof ROUTES.delete>> {
    return this.client.call(ROUTES.delete, await this.permit(), { doc_id: docId });
  }

  async createCollection(name: string): Promise<ReplyOf<typeof ROUTES.collectionCreate>> {
    return this.client.call(ROUTES.collectionCreate, await this.permit(), { name });
  }

  async renameCollection(from: string, to: string): Promise<ReplyOf<typeof ROUTES.collectionRename>> {
    return this.client.call(ROUTES.collectionRename, await this.permit(), { from, to });
  }

  /** Moves documents into another collection (created if missing). */
  async moveDocuments(docIds: string[], to: string): Promise<ReplyOf<typeof ROUTES.collectionMove>> {
    return this.client.call(ROUTES.collectionMove, await this.permit(), { doc_ids: docIds, to });
  }

  /** Stored conversations (sealed on the service), newest first. */
  async conversations(): Promise<ReplyOf<typeof ROUTES.conversations>['conversations']> {
    const { conversations } = await this.client.call(ROUTES.conversations, await this.permit(), {});
    return conversations;
  }

  /** One stored conversation's messages (continue it with `ask(messages, {conversation: {id}})`). */
  async conversation(id: string): Promise<ReplyOf<typeof ROUTES.conversationGet>> {
    return this.client.call(ROUTES.conversationGet, await this.permit(), { id });
  }

  async deleteConversation(id: string): Promise<ReplyOf<typeof ROUTES.conversationDelete>> {
    return this.client.call(ROUTES.conversationDelete, await this.permit(), { id });
  }

  /**
   * Checks an answer's receipt against this service's attested key (what a
   * receipt badge shows). `ask` already did for its final frame; throws
   * ReceiptError naming the failed check.
   */
  checkReceipt(final: Pick<ChatFinal, 'receipt' | 'answer' | 'citations'>): ChatFinal['receipt'] {
    return verifyReceipt(
      final.receipt,
      { answer: final.answer, citations: final.citations },
      { ed25519: this.client.service.ed25519, serviceId: this.client.serviceId },
    );
  }

  /**
   * Searches this user's documents and those shared with them. Resolves with the whole reply: `hits`, and
   * `understood` when the service read dates, senders, recipients or kinds of document in the query as
   * filters (what it searched instead, and `dropped` when they matched nothing and the hits are unfiltered).
   * Show it, and offer to undo it by searching again with `understand: false`.
   */
  async search(query: string, options: SearchOptions = {}): Promise<ReplyOf<typeof ROUTES.search>> {
    return this.client.call(ROUTES.search, await this.permit(), { query, ...options });
  }

  /**
   * Asks a question (or continues a conversation: pass the messages). Yields
   * the frames as they arrive: start, deltas (and reasoning), then the final
   * frame — only after its receipt verified against the attested key. An
   * error frame is thrown as a ServiceError.
   */
  async *ask(
    question: string | RequestOf<typeof ROUTES.chat>['messages'],
    options: AskOptions = {},
  ): AsyncGenerator<ChatFrame, void, undefined> {
    const { signal, ...rest } = options;
    const messages = typeof question === 'string' ? [{ role: 'user' as const, content: question }] : question;
    const { request, frames } = await this.client.chat(await this.permit(), { messages, ...rest }, signal);
    for await (const frame of frames) {
      if (frame.type === 'error') throw new ServiceError(502, frame.error.code, frame.error.message);
      if (frame.type === 'final')
        verifyReceipt(
          frame.receipt,
          { answer: frame.answer, citations: frame.citations, request },
          { ed25519: this.client.service.ed25519, serviceId: this.client.serviceId },
        );
      yield frame;
      if (frame.type === 'final') return;
    }
    throw new ServiceError(502, 'reply_invalid', 'the answer ended without a final frame');
  }

  /** `ask` to the end: the final frame (answer, citations, verified receipt, LLM). */
  async answer(question: Parameters<Prag['ask']>[0], options: AskOptions = {}): Promise<ChatFinal> {
    for await (const frame of this.ask(question, options)) if (frame.type === 'final') return frame;
    // ask throws when the reply ends without a final frame
    throw new ServiceError(502, 'reply_invalid', 'the answer ended without a final frame');
  }

  async documents(collection?: string): Promise<ReplyOf<typeof ROUTES.list>['documents']> {
    const { documents } = await this.client.call(ROUTES.list, await this.permit(), { collection });
    return documents;
  }

  async collections(): Promise<ReplyOf<typeof ROUTES.collections>['collections']> {
    const { collections } = await this.client.call(ROUTES.collections, await this.permit(), {});
    return collections;
  }

  /** Revokes what this user granted an address (one collection, or everything when none is named). */
  async revokeShare(grant: RequestOf<typeof ROUTES.shareRevoke>): Promise<ReplyOf<typeof ROUTES.shareRevoke>> {
    return this.client.call(ROUTES.shareRevoke, await this.permit(), grant);
  }

  /** Offers another address one collection or some documents; the grant is pending until they accept it. */
  async share(grant: RequestOf<typeof ROUTES.shareGrant>): Promise<ReplyOf<typeof ROUTES.shareGrant>> {
    return this.client.call(ROUTES.shareGrant, await this.permit(), grant);
  }

  /** Grants given and received, with their states (pending until the grantee accepts). */
  async shares(): Promise<ReplyOf<typeof ROUTES.shares>> {
    return this.client.call(ROUTES.shares, await this.permit(), {});
  }

  /** Accepts a grant offered to this user: from now on its passages can reach their searches and answers. */
  async acceptShare(grantId: string): Promise<ReplyOf<typeof ROUTES.shareAccept>> {
    return this.client.call(ROUTES.shareAccept, await this.permit(), { grant_id: grantId });
  }

  /** Declines a pending grant, or leaves an accepted one. */
  async declineShare(grantId: string): Promise<ReplyOf<typeof ROUTES.shareDecline>> {
    return this.client.call(ROUTES.shareDecline, await this.permit(), { grant_id: grantId });
  }

  /** Who retrieved this user's chunks, when, and which. */
  async audit(query: RequestOf<typeof ROUTES.audit> = {}): Promise<ReplyOf<typeof ROUTES.audit>['entries']> {
    const { entries } = await this.client.call(ROUTES.audit, await this.permit(), query);
    return entries;
  }

  /** Deletes everything of this user on the service and destroys their data key. Irreversible. */
  async forgetMe(): Promise<ReplyOf<typeof ROUTES.forgetMe>> {
    return this.client.call(ROUTES.forgetMe, await this.permit(), { confirm: this.address });
  }
}

/** Verifies the service's attestation (AttestationError names the failed check), then signs a permit for it. */
export const connect = (url: string, options: PragConnectOptions): Promise<Prag> => Prag.connect(url, options);
