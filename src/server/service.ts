/**
 * The confidential service: keys, TEE evidence, identity, and the engine
 * with sealed storage. Transport-free (src/server/app.ts maps HTTP onto it).
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import { formatOf } from '../../ingest/index.js';
import {
  AuditBody,
  CollectionCreateBody,
  CollectionMoveBody,
  CollectionRenameBody,
  DeleteBody,
  EmptyBody,
  ForgetMeBody,
  ListBody,
  REQUEST_TYPES,
  RequestMeta,
  RevokePermitBody,
  SearchBody,
  ShareGrantBody,
  ShareRevokeBody,
  UploadMeta,
  UploadsBody,
  type UploadQueued,
  type UploadReply,
} from '../../schemas/api.js';
import type { SearchHit, SearchRequest } from '../../schemas/search.js';
import {
  ChatRequest,
  Conversation,
  ConversationGetBody,
  type ChatFrame,
  type ConversationSummary,
} from '../../schemas/chat.js';
import { KeyStatement, type AttestationResponse } from '../../schemas/attestation.js';
import type { Config } from '../config.js';
import type { MasterKey } from '../crypto/at-rest.js';
import { bytesToHex, hexToBytes } from '../crypto/bytes.js';
import { EnvelopeError, openEnvelope, type OpenedEnvelope } from '../crypto/envelope.js';
import type { ReplyKeys } from '../crypto/reply.js';
import { serviceKeys, type ServiceKeys } from '../crypto/service-keys.js';
import { signNonce, signStatement, statementBytes } from '../crypto/statement.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { sha256Hex, signReceipt } from '../crypto/receipt.js';
import { createLlm } from '../llm/providers.js';
import type { Llm } from '../llm/types.js';
import { chatTurn } from '../rag/chat.js';
import { Conversations } from '../store/conversations.js';
import { Grants } from '../auth/grants.js';
import { PermitVerifier, type Identity } from '../auth/permits.js';
import { AccessLog } from '../store/access-log.js';
import { Collections } from '../store/collections.js';
import type { SearchScope } from '../store/filter.js';
import { ReplayGuard } from '../auth/replay.js';
import { openEngine } from '../engine/open.js';
import { ParseSandbox } from '../engine/parse-sandbox.js';
import { DEFAULT_COLLECTION, type Engine, type EngineHit } from '../engine/engine.js';
import { Keyring } from '../store/keyring.js';
import { loadMasterKey } from '../tee/master-key.js';
import type { TeeProvider } from '../tee/provider.js';
import { devProvider, DEV_WARNING } from '../tee/dev.js';
import { secretVmProvider } from '../tee/secretvm.js';
import { tdxProvider } from '../tee/tdx.js';
import type { ServiceConfig } from './config.js';
import { Maintenance } from './maintenance.js';
import { UploadQueue } from './uploads.js';
import { Metrics } from './metrics.js';
import { RateLimiter } from './limits.js';
import { PragError } from '../errors.js';

/** Largest JSON request payload. */
const MAX_JSON_REQUEST_BYTES = 1024 * 1024;

export function teeProvider(config: ServiceConfig): TeeProvider {
  switch (config.tee) {
    case 'dev':
      return devProvider();
    case 'tdx':
      return tdxProvider(config.tsmReportDir);
    case 'secretvm':
      return secretVmProvider(config.secretvm);
  }
}

function envelopeFailure(e: unknown): never {
  if (e instanceof EnvelopeError) throw new PragError(e.code, e.message, { cause: e });
  throw e;
}

export interface Authorized<M> {
  identity: Identity;
  owner: string;
  meta: M;
  envelope: OpenedEnvelope;
}

/** A handler's answer and the keys that seal it to the requester. */
export interface Answer<T> {
  reply: ReplyKeys;
  value: T;
}

/** A streamed answer: frames sealed to the requester one by one; exactly the last has `last`. */
export interface StreamedAnswer {
  reply: ReplyKeys;
  frames: AsyncIterable<{ value: unknown; last: boolean }>;
}

/** Parts a caller may supply instead of the configured ones. */
export interface ServiceParts {
  tee?: TeeProvider;
  llm?: Llm;
}

/** Retrieval for a chat turn: the question, and the one before it when the question is a short follow-up ("and the second one?"). */
function retrievalQuery(messages: ReadonlyArray<{ role: string; content: string }>): string {
  const users = messages.filter((m) => m.role === 'user').map((m) => m.content);
  const question = users.at(-1)!;
  const query = question.split(/\s+/).length < 8 && users.length > 1 ? `${users.at(-2)}\n${question}` : question;
  return query.slice(-4000);
}

const firstIssue = (error: z.ZodError) => {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid';
};

export class PragService {
  private readonly replay = new ReplayGuard();
  readonly statement: KeyStatement;
  private readonly statementBytes: Uint8Array;
  private readonly statementSignature: string;
  readonly collections: Collections;
  readonly grants: Grants;
  readonly accessLog: AccessLog;
  private readonly maintenance: Maintenance;
  private readonly permits: PermitVerifier;
  readonly conversations: Conversations;
  readonly metrics = new Metrics();
  private readonly uploads: UploadQueue;
  private readonly limiter: RateLimiter;
  /** Set once shutdown begins: new requests are refused, in-flight ingests get a grace period. */
  private draining = false;
  private readonly ingests = new Map<AbortController, Promise<unknown>>();

  private constructor(
    readonly config: ServiceConfig,
    readonly engine: Engine,
    private readonly master: MasterKey,
    private readonly keyring: Keyring,
    private readonly keys: ServiceKeys,
    readonly tee: TeeProvider,
    private readonly maxFileBytes: number,
    private readonly llm: Llm | undefined,
    private readonly sandbox: ParseSandbox,
    private readonly log: Logger,
  ) {
    this.collections = new Collections(engine.meta, keyring);
    this.grants = new Grants(engine.meta, keyring, this.collections, (address) => master.ownerId(address));
    this.accessLog = new AccessLog(engine.meta, keyring);
    this.conversations = new Conversations(engine.meta, keyring);
    this.limiter = new RateLimiter(config.rate);
    this.maintenance = new Maintenance(engine, (e) => log.error({ error: e.name }, 'index maintenance failed'));
    this.uploads = new UploadQueue(
      {
        dataDir: engine.dataDir,
        maxJobs: config.ingestQueue.jobs,
        maxBytes: config.ingestQueue.bytes,
        maxFileBytes,
        maxPayloadBytes: config.maxUploadBytes,
        serviceKey: { secret: keys.x25519.secret, public: keys.x25519.public },
      },
      {
        engine,
        keyring,
        metrics: this.metrics,
        maintenance: this.maintenance,
        log,
        tracked: (work) => this.tracked(work),
      },
    );
    const serviceId = config.serviceId ?? `prag-${bytesToHex(sha256(keys.ed25519.public)).slice(0, 16)}`;
    this.statement = KeyStatement.parse({
      v: 1,
      service_id: serviceId,
      provider: tee.name,
      x25519: bytesToHex(keys.x25519.public),
      kid: bytesToHex(keys.kid),
      ed25519: bytesToHex(keys.ed25519.public),
      key_origin: keys.origin,
      created_at: new Date().toISOString(),
    });
    this.statementBytes = statementBytes(this.statement);
    this.statementSignature = bytesToHex(signStatement(this.statementBytes, keys.ed25519.secret));
    this.permits = new PermitVerifier({
      chainId: config.chainId,
      serviceId: this.statement.service_id,
      isRevoked: (address, name) => engine.meta.isPermitRevoked(master.ownerId(address), name),
    });
  }

  static async open(
    dataDir: string,
    config: ServiceConfig,
    engineConfig: Config,
    log: Logger,
    parts: ServiceParts = {},
  ): Promise<PragService> {
    const tee = parts.tee ?? teeProvider(config);
    const llm = 'llm' in parts ? parts.llm : createLlm(config.llm, { cacheDir: dataDir });
    if (!tee.secure) log.warn(DEV_WARNING);
    const loaded = loadMasterKey({
      hex: config.masterKey,
      file: config.masterKeyFile,
      tee: config.tee,
      dataDir,
      warn: (m) => log.warn(m),
    });
    let keyring: Keyring | undefined;
    const sandbox = new ParseSandbox(config.parse);
    const engine = await openEngine(dataDir, engineConfig, {
      sealer: (meta) => (keyring = new Keyring(meta, loaded)),
      parser: sandbox.parse,
    }).catch(async (e: unknown) => {
      await sandbox.close();
      throw e;
    });
    try {
      const master = keyring!.master;
      const keys = serviceKeys(config.serviceKeys === 'derived' ? master : null);
      const service = new PragService(
        config,
        engine,
        master,
        keyring!,
        keys,
        tee,
        engineConfig.maxFileBytes,
        llm,
        sandbox,
        log,
      );
      await tee.bind(service.statementBytes);
      log.info(
        {
          service_id: service.statement.service_id,
          provider: tee.name,
          kid: service.statement.kid,
          key_origin: keys.origin,
        },
        'service keys ready',
      );
      service.uploads.resume();
      log.info(
        { llm: config.llm.provider, attestation: config.llm.attestation, model: config.llm.model ?? null },
        'answers',
      );
      if (config.llm.attestation === 'warn')
        log.warn(
          'LLM worker attestation is "warn": retrieved passages may go to a worker whose attestation failed; answers say so',
        );
      return service;
    } catch (e) {
      await engine.close();
      await sandbox.close();
      throw e;
    }
  }

  /** Ready to serve: open, and not shutting down. */
  get ready(): boolean {
    return !this.draining;
  }

  /**
   * Refuses new requests, lets in-flight ingests finish for up to `graceMs`,
   * then aborts the rest (an aborted ingest rolls back: nothing half-visible).
   */
  async drain(graceMs: number): Promise<{ finished: number; aborted: number }> {
    this.draining = true;
    this.uploads.close();
    const pending = [...this.ingests];
    const settled = Promise.allSettled(pending.map(([, p]) => p));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    const left = [...this.ingests];
    for (const [ctl] of left)
      ctl.abort(new PragError('shutting_down', 'the service is shutting down; the upload was rolled back'));
    await Promise.allSettled(left.map(([, p]) => p));
    return { finished: pending.length - (timedOut ? left.length : 0), aborted: timedOut ? left.length : 0 };
  }

  async close(): Promise<void> {
    await this.drain(this.config.shutdownGraceMs);
    await this.maintenance.stop();
    await this.engine.close();
    await this.sandbox.close();
  }

  /** Runs an ingest that shutdown may abort. */
  private tracked<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ctl = new AbortController();
    const running = work(ctl.signal).finally(() => this.ingests.delete(ctl));
    this.ingests.set(
      ctl,
      running.catch(() => undefined),
    );
    return running;
  }

  /** The id the stores know an address by (a keyed hash). */
  ownerId(address: string): string {
    return this.master.ownerId(address);
  }

  async attestation(nonceHex: string): Promise<AttestationResponse> {
    const nonce = hexToBytes(nonceHex);
    return {
      statement: this.statement,
      statement_signature: this.statementSignature,
      nonce: nonceHex,
      nonce_signature: bytesToHex(signNonce(this.statementBytes, nonce, this.keys.ed25519.secret)),
      evidence: await this.tee.evidence(this.statementBytes, nonce),
    };
  }

  /**
   * Opens a request envelope and authenticates its sender: the header (with
   * the permit) is authenticated before anything else is looked at; nothing
   * is stored before this returns.
   */
  async authorize<M extends RequestMeta>(
    body: AsyncIterable<Uint8Array>,
    expectedType: string,
    metaSchema: z.ZodType<M>,
  ): Promise<Authorized<M>> {
    if (this.draining)
      throw new PragError('shutting_down', 'the service is shutting down; retry shortly', { retryAfterS: 5 });
    const envelope = await openEnvelope(this.keys.x25519.secret, this.keys.x25519.public, body, {
      maxPayloadBytes: this.config.maxUploadBytes,
    }).catch(envelopeFailure);
    if (envelope.header.type !== expectedType) {
      throw new PragError(
        'request_type_mismatch',
        `this endpoint takes ${expectedType}, the envelope holds ${envelope.header.type}`,
      );
    }
    const parsed = metaSchema.safeParse(envelope.header.meta);
    if (!parsed.success) throw new PragError('request_meta_invalid', `request metadata: ${firstIssue(parsed.error)}`);
    const meta = parsed.data;
    const identity = this.permits.verify(meta.permit);
    this.limiter.take(identity.address);
    this.replay.check(identity.address, meta.nonce, meta.ts);
    return { identity, owner: this.master.ownerId(identity.address), meta, envelope };
  }

  /**
   * An upload: authenticated (permit, then every payload segment) while it is
   * spooled, checked against quotas and the queue's capacity, then queued;
   * answers once it is ingested. Nothing is recorded for an upload that fails
   * before it is queued.
   */
  async upload(body: AsyncIterable<Uint8Array>): Promise<Answer<UploadReply | UploadQueued>> {
    const spool = this.uploads.spool();
    let queued = false;
    try {
      const { owner, meta, envelope } = await this.authorize(spool.tee(body), REQUEST_TYPES.upload, UploadMeta);
      const name = envelope.header.name;
      if (!name || /[\\/\0]/.test(name) || name === '.' || name === '..') {
        throw new PragError('upload_name_invalid', 'uploads carry a bare file name (no path separators)');
      }
      const format = formatOf(name);
      if (!format)
        throw new PragError(
          'unsupported_format',
          `no parser for "${name.includes('.') ? name.slice(name.lastIndexOf('.')) : name}" files`,
        );
      const size = envelope.header.size;
      if (format !== 'mbox' && size > this.maxFileBytes)
        throw new PragError('too_large', `file is ${size} bytes (limit ${this.maxFileBytes})`);
      const usage = this.engine.meta.usage(owner);
      const { quota } = this.config;
      if (usage.documents >= quota.documents)
        throw new PragError(
          'quota_exceeded',
          `you store ${usage.documents} documents, the most this service keeps per user`,
        );
      if (usage.bytes + size > quota.bytes)
        throw new PragError(
          'quota_exceeded',
          `this upload (${size} bytes) would take your storage past ${quota.bytes} bytes (${usage.bytes} used)`,
        );
      this.uploads.checkCapacity(size);
      for await (const _ of envelope.payload) {
        /* authenticated segment by segment as it is spooled */
      }
      await spool.finish();
      const collectionName = meta.collection ?? DEFAULT_COLLECTION;
      const existing = this.collections.find(owner, collectionName)?.id;
      const collection = existing ?? this.collections.create(owner, collectionName);
      queued = true;
      const done = this.uploads.enqueue({ id: spool.id, owner, collection, name, size }, !existing);
      if (!meta.wait) {
        done.catch(() => undefined); // the outcome is kept for POST /v1/uploads
        return { reply: envelope.reply, value: { upload_id: spool.id, state: 'queued' } };
      }
      return { reply: envelope.reply, value: await done };
    } catch (e) {
      if (!queued) await spool.discard();
      if (e instanceof EnvelopeError) envelopeFailure(e);
      throw e;
    }
  }

  /** The requester's recent uploads and what became of them (also after a restart). */
  listUploads(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.uploads, UploadsBody, ({ owner }, { limit }) => ({
      uploads: this.uploads.list(owner, limit),
    }));
  }

  private async json<T>(envelope: OpenedEnvelope, schema: z.ZodType<T>): Promise<T> {
    return (await this.jsonWithBytes(envelope, schema)).value;
  }

  /** The parsed request and the exact payload bytes (which a receipt's request hash covers). */
  private async jsonWithBytes<T>(
    envelope: OpenedEnvelope,
    schema: z.ZodType<T>,
  ): Promise<{ value: T; bytes: Uint8Array }> {
    if (envelope.header.size > MAX_JSON_REQUEST_BYTES)
      throw new PragError('request_too_large', `requests are at most ${MAX_JSON_REQUEST_BYTES} bytes`);
    const bytes = await envelope.readAll().catch(envelopeFailure);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new PragError('request_invalid', 'request payload is not UTF-8 JSON');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new PragError('request_invalid', firstIssue(parsed.error));
    return { value: parsed.data, bytes };
  }

  /** A JSON request: authorized, parsed, handled, answered under the request's reply key. */
  private async request<B, T>(
    body: AsyncIterable<Uint8Array>,
    type: string,
    schema: z.ZodType<B>,
    handle: (who: Authorized<RequestMeta>, request: B) => Promise<T> | T,
  ): Promise<Answer<T>> {
    const who = await this.authorize(body, type, RequestMeta);
    const request = await this.json(who.envelope, schema);
    return { reply: who.envelope.reply, value: await handle(who, request) };
  }

  /**
   * The requester's own chunks plus every live grant to them; each hit says
   * whose it is and in which collection, and each owner whose chunks were
   * returned gets an entry in their access log.
   */
  search(body: AsyncIterable<Uint8Array>): Promise<Answer<{ hits: SearchHit[] }>> {
    return this.request(body, REQUEST_TYPES.search, SearchBody, async (who, request) => ({
      hits: await this.retrieve(who, request, 'search'),
    }));
  }

  /**
   * Retrieval under the requester's rights: their own chunks plus every live
   * grant to them. Each hit says whose it is and in which collection, and each
   * owner whose chunks were returned gets an entry in their access log.
   */
  private async retrieve(
    { identity, owner }: Authorized<RequestMeta>,
    request: SearchRequest,
    endpoint: string,
  ): Promise<Array<SearchHit & { owner: string }>> {
    const shared = this.grants.scopes(owner);
    const names = new Map<string, Map<string, string>>();
    const namesOf = (o: string) => names.get(o) ?? names.set(o, this.collections.names(o)).get(o)!;
    const wanted = request.filters?.collections;
    // Collection filters name collections; the stores hold ids: every id, own or shared, whose name is wanted.
    const labels =
      wanted &&
      [owner, ...new Set(shared.map((s) => s.owner))].flatMap((o) =>
        [...namesOf(o)].filter(([, name]) => wanted.includes(name)).map(([id]) => id),
      );
    // Own chunks are named by the owner's collection ids too: one IN-list over one indexed column is what LanceDB filters fastest.
    const scopes: SearchScope[] = [{ owner, collections: [...namesOf(owner).keys()] }, ...shared];
    const hits =
      labels && !labels.length
        ? []
        : await this.engine.search(scopes, { ...request, filters: { ...request.filters, collections: labels } });
    const addresses = new Map([[owner, identity.address], ...shared.map((s) => [s.owner, s.ownerAddress] as const)]);
    this.audit(identity, endpoint, hits);
    return hits.map((h) => ({
      ...h,
      owner: addresses.get(h.owner)!,
      collection: namesOf(h.owner).get(h.collection) ?? h.collection,
    }));
  }

  /**
   * A chat turn: retrieval under the requester's rights, then the answer
   * streamed as frames sealed to the requester, ending with citations and a
   * receipt signed by the attested key. `signal` is aborted when the
   * requester goes away, which cancels the upstream LLM request.
   */
  async chat(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<StreamedAnswer> {
    const who = await this.authorize(body, REQUEST_TYPES.chat, RequestMeta);
    const { value: request, bytes } = await this.jsonWithBytes(who.envelope, ChatRequest);
    const conversationId = request.conversation && (request.conversation.id ?? bytesToHex(randomBytes(16)));
    const hits = await this.retrieve(
      who,
      { query: retrievalQuery(request.messages), k: request.k, filters: request.filters },
      'chat',
    );
    const frames = chatTurn(
      {
        llm: this.llm,
        contextTokens: this.config.llm.contextTokens,
        sign: (receipt) =>
          signReceipt(
            {
              v: 1,
              service_id: this.statement.service_id,
              signer: this.statement.ed25519,
              created_at: new Date().toISOString(),
              ...receipt,
            },
            this.keys.ed25519.secret,
          ),
      },
      {
        messages: request.messages,
        hits,
        model: request.model,
        stream: request.stream,
        reasoning: request.reasoning,
        requestSha256: sha256Hex(bytes),
        signal,
      },
    );
    const conversations = this.conversations;
    const { log, metrics } = this;
    const started = performance.now();
    let provider = 'unknown';
    let answering = false;
    return {
      reply: who.envelope.reply,
      frames: (async function* () {
        for await (const frame of frames) {
          if (frame.type === 'start' || frame.type === 'final') provider = frame.llm.provider;
          if ((frame.type === 'delta' || frame.type === 'final') && !answering) {
            answering = true;
            metrics.chatFirstToken.observe({ provider }, (performance.now() - started) / 1000);
          }
          if (frame.type === 'final') metrics.chatAnswers.inc({ provider, outcome: 'final' });
          if (frame.type === 'error') {
            metrics.chatAnswers.inc({ provider, outcome: frame.error.code });
            log.info({ code: frame.error.code }, 'chat answer failed');
          }
          if (frame.type === 'final' && conversationId) {
            conversations.save(who.owner, conversationId, [
              ...request.messages,
              { role: 'assistant', content: frame.answer, citations: frame.citations },
            ]);
            yield { value: { ...frame, conversation_id: conversationId } satisfies ChatFrame, last: true };
            return;
          }
          yield { value: frame, last: frame.type === 'final' || frame.type === 'error' };
        }
      })(),
    };
  }

  listConversations(body: AsyncIterable<Uint8Array>) {
    return this.request(
      body,
      REQUEST_TYPES.conversations,
      EmptyBody,
      ({ owner }): { conversations: ConversationSummary[] } => ({ conversations: this.conversations.list(owner) }),
    );
  }

  getConversation(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.conversationGet, ConversationGetBody, ({ owner }, { id }): Conversation => {
      return (
        this.conversations.get(owner, id) ??
        ((): never => {
          throw new PragError('conversation_not_found', 'no such conversation among yours');
        })()
      );
    });
  }

  deleteConversation(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.conversationDelete, ConversationGetBody, ({ owner }, { id }) => {
      if (!this.engine.meta.deleteConversation(owner, id))
        throw new PragError('conversation_not_found', 'no such conversation among yours');
      return { deleted: id };
    });
  }

  private audit(identity: Identity, endpoint: string, hits: readonly EngineHit[]): void {
    const at = new Date().toISOString();
    const byOwner = new Map<string, EngineHit[]>();
    for (const h of hits) byOwner.set(h.owner, [...(byOwner.get(h.owner) ?? []), h]);
    this.accessLog.record(
      [...byOwner].map(([owner, mine]) => ({
        owner,
        entry: {
          at,
          requester: identity.address,
          permit_name: identity.permitName,
          endpoint,
          doc_ids: [...new Set(mine.map((h) => h.doc_id))],
          chunk_ids: mine.map((h) => h.chunk_id),
        },
      })),
    );
  }

  list(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.list, ListBody, ({ owner }, { collection }) => {
      const names = this.collections.names(owner);
      const id = collection === undefined ? undefined : this.collections.find(owner, collection)?.id;
      if (collection !== undefined && !id) return { documents: [] };
      return {
        documents: this.engine.listDocuments(owner, id).map((d) => ({
          doc_id: d.id,
          parent_id: d.parentId,
          title: d.title,
          source: d.source,
          collection: names.get(d.collection) ?? d.collection,
          format: d.format,
          date: d.date === null ? null : new Date(d.date).toISOString(),
          chunks: d.chunkCount,
          created_at: new Date(d.createdAt).toISOString(),
        })),
      };
    });
  }

  delete(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.delete, DeleteBody, async ({ owner }, { doc_id }) => {
      const deleted = await this.engine.deleteDocument(owner, doc_id);
      if (!deleted) throw new PragError('document_not_found', 'no such document among yours');
      await this.maintenance.afterWrite();
      return { deleted };
    });
  }

  revokePermit(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.revokePermit, RevokePermitBody, ({ owner }, { permit_name }) => {
      this.engine.meta.revokePermit(owner, permit_name);
      return { revoked: permit_name };
    });
  }

  listCollections(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.collections, EmptyBody, ({ owner }) => ({
      collections: this.collections
        .list(owner)
        .map(({ name, documents, created_at }) => ({ name, documents, created_at })),
    }));
  }

  createCollection(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.collectionCreate, CollectionCreateBody, ({ owner }, { name }) => {
      this.collections.create(owner, name);
      return { created: name };
    });
  }

  renameCollection(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.collectionRename, CollectionRenameBody, ({ owner }, { from, to }) => {
      this.collections.rename(owner, from, to);
      return { renamed: from, to };
    });
  }

  moveDocuments(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.collectionMove, CollectionMoveBody, async ({ owner }, { doc_ids, to }) => {
      const missing = doc_ids.filter((id) => this.engine.meta.documentStates(owner, [id]).get(id) !== 'ready');
      if (missing.length) throw new PragError('document_not_found', `${missing.length} of the documents are not yours`);
      const moved = await this.engine.moveDocuments(owner, doc_ids, this.collections.resolve(owner, to, true));
      await this.maintenance.afterWrite();
      return { moved };
    });
  }

  grant(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.shareGrant, ShareGrantBody, ({ identity, owner }, g) => ({
      grant_id: this.grants.grant({ id: owner, address: identity.address }, g.with, {
        collection: g.collection,
        docIds: g.doc_ids,
        expiresAt: g.expires_at === undefined ? undefined : Date.parse(g.expires_at),
      }),
    }));
  }

  revokeGrant(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.shareRevoke, ShareRevokeBody, ({ owner }, r) => ({
      revoked: this.grants.revoke(owner, r.with, r.collection),
    }));
  }

  shares(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.shares, EmptyBody, ({ owner }) => ({
      given: this.grants.given(owner),
      received: this.grants.received(owner),
    }));
  }

  auditLog(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.audit, AuditBody, ({ owner }, { since, limit }) => ({
      entries: this.accessLog.read(owner, since === undefined ? 0 : Date.parse(since), limit),
    }));
  }

  /** Deletes everything of the requester and destroys their data key (crypto-shredding). */
  forgetMe(body: AsyncIterable<Uint8Array>) {
    return this.request(body, REQUEST_TYPES.forgetMe, ForgetMeBody, async ({ identity, owner }, { confirm }) => {
      if (confirm !== identity.address)
        throw new PragError('confirmation_mismatch', 'confirm must be your own address');
      const documents = this.engine.meta.documentIdsOf(owner).length;
      await this.uploads.forget(owner);
      await this.engine.forgetOwner(owner);
      this.keyring.forget(owner);
      return { forgotten: identity.address, documents };
    });
  }
}
