/**
 * The composition root: the parts of a running service and their lifetime
 * (drain, close). Built by `openService` (startup.ts); the HTTP face is
 * app.ts and the handlers are in routes/.
 */
import type { Logger } from 'pino';
import { Grants } from '../auth/grants.js';
import { PermitVerifier } from '../auth/permits.js';
import { ReplayGuard } from '../auth/replay.js';
import type { Engine } from '../engine/engine.js';
import type { ParseSandbox } from '../engine/parse-sandbox.js';
import { PragError } from '../errors.js';
import type { Llm } from '../llm/types.js';
import { Retrieval } from '../rag/retrieve.js';
import { DocumentOpener } from '../rag/open-document.js';
import { AccessLog } from '../store/access-log.js';
import { Collections } from '../store/collections.js';
import { Conversations } from '../store/conversations.js';
import type { Keyring } from '../store/keyring.js';
import type { Stores } from '../store/index.js';
import type { ServiceConfig } from './config.js';
import type { ServiceIdentity } from './identity.js';
import { RateLimiter } from './limits.js';
import { Maintenance } from './maintenance.js';
import { Metrics } from './metrics.js';
import type { PipelineParts } from './pipeline/index.js';
import { UploadQueue } from './uploads.js';
import type { WebBundle } from './web.js';

export interface ServiceParts {
  config: ServiceConfig;
  engine: Engine;
  keyring: Keyring;
  identity: ServiceIdentity;
  maxFileBytes: number;
  llm: Llm | undefined;
  sandbox: ParseSandbox;
  log: Logger;
  /** The web client's bundle, when one is built in (src/server/web.ts). */
  web?: WebBundle;
}

export class PragService {
  readonly config: ServiceConfig;
  readonly engine: Engine;
  readonly keyring: Keyring;
  readonly identity: ServiceIdentity;
  readonly maxFileBytes: number;
  readonly llm: Llm | undefined;
  readonly log: Logger;
  readonly web: WebBundle | undefined;
  readonly metrics = new Metrics();
  readonly collections: Collections;
  readonly grants: Grants;
  readonly accessLog: AccessLog;
  readonly conversations: Conversations;
  readonly retrieval: Retrieval;
  readonly opener: DocumentOpener;
  readonly maintenance: Maintenance;
  readonly uploads: UploadQueue;
  readonly pipeline: PipelineParts;
  /** The SQLite repositories the handlers read and write directly (usage, revocations, document states). */
  readonly stores: Stores;
  private readonly sandbox: ParseSandbox;
  /** Set once shutdown begins: new requests are refused, in-flight ingests get a grace period. */
  private draining = false;
  private readonly ingests = new Map<AbortController, Promise<unknown>>();

  constructor(parts: ServiceParts) {
    ({
      config: this.config,
      engine: this.engine,
      keyring: this.keyring,
      identity: this.identity,
      maxFileBytes: this.maxFileBytes,
      llm: this.llm,
      sandbox: this.sandbox,
      log: this.log,
      web: this.web,
    } = parts);
    const { engine, keyring, log, config } = this;
    const { stores } = engine;
    this.stores = stores;
    this.collections = new Collections(stores.collections, keyring);
    this.grants = new Grants(stores.grants, stores.documents, keyring, this.collections, (address) =>
      this.ownerId(address),
    );
    this.accessLog = new AccessLog(stores.accessLog, keyring);
    this.conversations = new Conversations(stores.conversations, keyring);
    this.retrieval = new Retrieval(engine, this.collections, this.grants, this.accessLog);
    this.opener = new DocumentOpener(engine, this.collections, this.grants, this.accessLog);
    this.maintenance = new Maintenance(engine, (e) => log.error({ error: e.name }, 'index maintenance failed'));
    this.uploads = new UploadQueue(
      {
        dataDir: engine.dataDir,
        maxJobs: config.ingestQueue.jobs,
        maxBytes: config.ingestQueue.bytes,
        maxFileBytes: this.maxFileBytes,
        maxPayloadBytes: config.maxUploadBytes,
      },
      {
        engine,
        uploads: stores.uploads,
        collections: stores.collections,
        keyring,
        metrics: this.metrics,
        maintenance: this.maintenance,
        log,
        tracked: (work) => this.tracked(work),
      },
    );
    this.pipeline = {
      isDraining: () => this.draining,
      recipientKeys: this.identity.recipientKeys,
      maxPayloadBytes: config.maxUploadBytes,
      permits: new PermitVerifier({
        chainId: config.chainId,
        serviceId: this.statement.service_id,
        isRevoked: (address, { permitName, device }) =>
          stores.revocations.isRevoked(this.ownerId(address), permitName, device),
      }),
      ownerId: (address) => this.ownerId(address),
      clientLimiter: new RateLimiter(config.clientRate),
      limiter: new RateLimiter(config.rate),
      replay: new ReplayGuard(),
      openSpool: () => this.uploads.spool(),
    };
  }

  get statement() {
    return this.identity.statement;
  }

  get tee() {
    return this.identity.tee;
  }

  /** The id the stores know an address by (a keyed hash). */
  ownerId(address: string): string {
    return this.keyring.master.ownerId(address);
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
    this.identity.close();
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
}
