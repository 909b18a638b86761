/**
 * The confidential service: keys, TEE evidence, identity, and the engine
 * with sealed storage. Transport-free (src/server/app.ts maps HTTP onto it).
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import { formatOf, SourceAborted, type SourceFile } from '../../ingest/index.js';
import {
  DeleteBody, ListBody, REQUEST_TYPES, RequestMeta, RevokePermitBody, SearchBody, UploadMeta,
  type DocumentSummary, type SearchReply, type UploadReply,
} from '../../schemas/api.js';
import { KeyStatement, type AttestationResponse } from '../../schemas/attestation.js';
import type { Config } from '../config.js';
import type { MasterKey } from '../crypto/at-rest.js';
import { bytesToHex, hexToBytes } from '../crypto/bytes.js';
import { EnvelopeError, openEnvelope, type OpenedEnvelope } from '../crypto/envelope.js';
import type { ReplyKeys } from '../crypto/reply.js';
import { serviceKeys, type ServiceKeys } from '../crypto/service-keys.js';
import { signNonce, signStatement, statementBytes } from '../crypto/statement.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { verifyPermit, type Identity } from '../auth/permits.js';
import { ReplayGuard } from '../auth/replay.js';
import { openEngine } from '../engine/open.js';
import type { Engine } from '../engine/engine.js';
import { Keyring } from '../store/keyring.js';
import { loadMasterKey } from '../tee/master-key.js';
import type { TeeProvider } from '../tee/provider.js';
import { devProvider, DEV_WARNING } from '../tee/dev.js';
import { secretVmProvider } from '../tee/secretvm.js';
import { tdxProvider } from '../tee/tdx.js';
import type { ServiceConfig } from './config.js';
import { ApiError } from './errors.js';

/** Largest JSON request payload. */
const MAX_JSON_REQUEST_BYTES = 1024 * 1024;

export function teeProvider(config: ServiceConfig): TeeProvider {
  switch (config.tee) {
    case 'dev': return devProvider();
    case 'tdx': return tdxProvider(config.tsmReportDir);
    case 'secretvm': return secretVmProvider(config.secretvm);
  }
}

function envelopeFailure(e: unknown): never {
  if (e instanceof EnvelopeError) throw new ApiError(e.code === 'envelope_too_large' ? 413 : 400, e.code, e.message);
  throw e;
}

export interface Authorized<M> { identity: Identity; owner: string; meta: M; envelope: OpenedEnvelope }

/** A handler's answer and the keys that seal it to the requester. */
export interface Answer<T> { reply: ReplyKeys; value: T }

const firstIssue = (error: z.ZodError) => {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid';
};

export class PragService {
  private readonly replay = new ReplayGuard();
  readonly statement: KeyStatement;
  private readonly statementBytes: Uint8Array;
  private readonly statementSignature: string;

  private constructor(
    readonly config: ServiceConfig,
    readonly engine: Engine,
    private readonly master: MasterKey,
    private readonly keys: ServiceKeys,
    readonly tee: TeeProvider,
    private readonly maxFileBytes: number,
  ) {
    const serviceId = config.serviceId ?? `prag-${bytesToHex(sha256(keys.ed25519.public)).slice(0, 16)}`;
    this.statement = KeyStatement.parse({
      v: 1, service_id: serviceId, provider: tee.name, x25519: bytesToHex(keys.x25519.public), kid: bytesToHex(keys.kid),
      ed25519: bytesToHex(keys.ed25519.public), key_origin: keys.origin, created_at: new Date().toISOString(),
    });
    this.statementBytes = statementBytes(this.statement);
    this.statementSignature = bytesToHex(signStatement(this.statementBytes, keys.ed25519.secret));
  }

  static async open(dataDir: string, config: ServiceConfig, engineConfig: Config, log: Logger, tee = teeProvider(config)): Promise<PragService> {
    if (!tee.secure) log.warn(DEV_WARNING);
    const master = loadMasterKey({ file: config.masterKeyFile, tee: config.tee, dataDir, warn: (m) => log.warn(m) });
    const engine = await openEngine(dataDir, engineConfig, { sealer: (meta) => new Keyring(meta, master) });
    try {
      const keys = serviceKeys(config.serviceKeys === 'derived' ? master : null);
      const service = new PragService(config, engine, master, keys, tee, engineConfig.maxFileBytes);
      await tee.bind(service.statementBytes);
      log.info({ service_id: service.statement.service_id, provider: tee.name, kid: service.statement.kid, key_origin: keys.origin }, 'service keys ready');
      return service;
    } catch (e) {
      await engine.close();
      throw e;
    }
  }

  close(): Promise<void> {
    return this.engine.close();
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
  async authorize<M extends RequestMeta>(body: AsyncIterable<Uint8Array>, expectedType: string, metaSchema: z.ZodType<M>): Promise<Authorized<M>> {
    const envelope = await openEnvelope(this.keys.x25519.secret, this.keys.x25519.public, body, { maxPayloadBytes: this.config.maxUploadBytes })
      .catch(envelopeFailure);
    if (envelope.header.type !== expectedType) {
      throw new ApiError(400, 'request_type_mismatch', `this endpoint takes ${expectedType}, the envelope holds ${envelope.header.type}`);
    }
    const parsed = metaSchema.safeParse(envelope.header.meta);
    if (!parsed.success) throw new ApiError(400, 'request_meta_invalid', `request metadata: ${firstIssue(parsed.error)}`);
    const meta = parsed.data;
    const identity = verifyPermit(meta.permit, {
      chainId: this.config.chainId,
      serviceId: this.statement.service_id,
      isRevoked: (address, name) => this.engine.meta.isPermitRevoked(this.master.ownerId(address), name),
    });
    this.replay.check(identity.address, meta.nonce, meta.ts);
    return { identity, owner: this.master.ownerId(identity.address), meta, envelope };
  }

  private async json<T>(envelope: OpenedEnvelope, schema: z.ZodType<T>): Promise<T> {
    if (envelope.header.size > MAX_JSON_REQUEST_BYTES) throw new ApiError(413, 'request_too_large', `requests are at most ${MAX_JSON_REQUEST_BYTES} bytes`);
    const bytes = await envelope.readAll().catch(envelopeFailure);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new ApiError(400, 'request_invalid', 'request payload is not UTF-8 JSON');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new ApiError(400, 'request_invalid', firstIssue(parsed.error));
    return parsed.data;
  }

  async upload(body: AsyncIterable<Uint8Array>): Promise<Answer<UploadReply>> {
    const { owner, meta, envelope } = await this.authorize(body, REQUEST_TYPES.upload, UploadMeta);
    const name = envelope.header.name;
    if (!name || /[\\/\0]/.test(name) || name === '.' || name === '..') {
      throw new ApiError(400, 'upload_name_invalid', 'uploads carry a bare file name (no path separators)');
    }
    const format = formatOf(name);
    if (!format) throw new ApiError(415, 'unsupported_format', `no parser for "${name.includes('.') ? name.slice(name.lastIndexOf('.')) : name}" files`);
    const size = envelope.header.size;
    let file: SourceFile;
    if (format === 'mbox') {
      // Streamed: an mbox may be larger than memory. The ingest is atomic, so a
      // segment failing authentication part-way rolls back what came before it.
      const stream = async function* () {
        try {
          yield* envelope.payload;
        } catch (e) {
          throw e instanceof EnvelopeError ? new SourceAborted(e) : e;
        }
      };
      file = { path: name, size, readBytes: () => Promise.reject(new Error('mbox is streamed')), stream };
    } else {
      const limit = this.maxFileBytes;
      if (size > limit) throw new ApiError(413, 'too_large', `file is ${size} bytes (limit ${limit})`);
      const bytes = await envelope.readAll().catch(envelopeFailure); // authenticated in full before parsing
      file = { path: name, size, readBytes: async () => bytes, stream: async function* () { yield bytes; } };
    }
    try {
      const report = await this.engine.ingest([file], { owner, collection: meta.collection, atomic: true });
      return {
        reply: envelope.reply,
        value: {
          doc_ids: report.docIds, chunks: report.chunks, skipped: report.skipped,
          failed: report.failed.map((f) => ({ source: f.path, error: f.error })),
        },
      };
    } catch (e) {
      if (e instanceof SourceAborted && e.cause instanceof EnvelopeError) envelopeFailure(e.cause);
      throw e;
    }
  }

  async search(body: AsyncIterable<Uint8Array>): Promise<Answer<SearchReply>> {
    const { owner, envelope } = await this.authorize(body, REQUEST_TYPES.search, RequestMeta);
    const request = await this.json(envelope, SearchBody);
    return { reply: envelope.reply, value: { hits: await this.engine.search(owner, request) } };
  }

  async list(body: AsyncIterable<Uint8Array>): Promise<Answer<{ documents: DocumentSummary[] }>> {
    const { owner, envelope } = await this.authorize(body, REQUEST_TYPES.list, RequestMeta);
    const { collection } = await this.json(envelope, ListBody);
    return {
      reply: envelope.reply,
      value: { documents: this.engine.listDocuments(owner, collection).map((d) => ({
        doc_id: d.id, parent_id: d.parentId, title: d.title, source: d.source, collection: d.collection, format: d.format,
        date: d.date === null ? null : new Date(d.date).toISOString(), chunks: d.chunkCount, created_at: new Date(d.createdAt).toISOString(),
      })) },
    };
  }

  async delete(body: AsyncIterable<Uint8Array>): Promise<Answer<{ deleted: number }>> {
    const { owner, envelope } = await this.authorize(body, REQUEST_TYPES.delete, RequestMeta);
    const { doc_id } = await this.json(envelope, DeleteBody);
    const deleted = await this.engine.deleteDocument(owner, doc_id);
    if (!deleted) throw new ApiError(404, 'document_not_found', 'no such document among yours');
    return { reply: envelope.reply, value: { deleted } };
  }

  async revokePermit(body: AsyncIterable<Uint8Array>): Promise<Answer<{ revoked: string }>> {
    const { owner, envelope } = await this.authorize(body, REQUEST_TYPES.revokePermit, RequestMeta);
    const { permit_name } = await this.json(envelope, RevokePermitBody);
    this.engine.meta.revokePermit(owner, permit_name);
    return { reply: envelope.reply, value: { revoked: permit_name } };
  }
}
