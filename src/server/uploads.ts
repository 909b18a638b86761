/**
 * The durable ingest queue. An upload is spooled to the data directory
 * exactly as it arrived — still sealed to the service's key — while its
 * envelope is authenticated; only a complete, authentic upload is recorded and
 * queued. Each owner's uploads run one at a time, in order; different owners'
 * run side by side but take turns document by document (FairTurns): the
 * pipeline still does one document at a time (embedding is the bottleneck;
 * requests wait their turn instead of competing for the CPU), but one owner's
 * long mbox delays another's upload by about one document, not by the whole
 * mbox. An upload's parsing is bounded in time as a whole (withParseBudget).
 * The queue is bounded in jobs and spooled bytes, and refuses more with 429
 * `ingest_busy`. A job interrupted by a shutdown or a crash stays queued and is
 * resumed at the next start (its half-written documents were rolled back); its
 * result is kept, sealed under the owner's key, for `POST /v1/uploads`.
 * While an upload is in flight its progress is kept in memory (UploadTracker)
 * for `POST /v1/uploads/follow`. Its owner may cancel it: queued, it leaves
 * the queue; running, its ingest is aborted between documents and rolled back
 * (it is atomic); once committed, it is done and cancelling changes nothing.
 */
import { randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  type WriteStream,
} from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isStreamed, SourceAborted, type SourceFile } from '../../ingest/index.js';
import { UploadReply, type UploadState, type UploadStatus } from '../../schemas/api.js';
import { EnvelopeError, openEnvelope, type OpenedEnvelope } from '../crypto/envelope.js';
import { openingOf, spooledKeys } from './opening.js';
import type { Engine } from '../engine/engine.js';
import { withParseBudget } from '../engine/parse-sandbox.js';
import * as contexts from '../store/contexts.js';
import type { Keyring } from '../store/keyring.js';
import type { CollectionRepository, UploadRepository, UploadRow } from '../store/index.js';
import { PragError } from '../errors.js';
import type { Maintenance } from './maintenance.js';
import type { Metrics } from './metrics.js';
import { FairTurns } from './turns.js';
import { UploadTracker } from './upload-progress.js';

export interface UploadQueueOptions {
  dataDir: string;
  maxJobs: number;
  maxBytes: number;
  maxFileBytes: number;
  maxPayloadBytes: number;
}

export interface UploadQueueDeps {
  engine: Engine;
  /** The queue's rows. */
  uploads: UploadRepository;
  /** To drop a collection a failed upload created. */
  collections: CollectionRepository;
  keyring: Keyring;
  metrics: Metrics;
  maintenance: Maintenance;
  log: Logger;
  /** Runs an ingest that shutdown may abort (PragService.tracked). */
  tracked<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/** One upload being received: every byte of the envelope goes to its spool file as it is read. */
export class Spool {
  readonly id = randomBytes(16).toString('hex');
  readonly path: string;
  /** Set once the queue holds the upload: the spool file is then the queue's to remove, not the request's. */
  queued = false;
  private readonly out: WriteStream;
  /** A write failure (disk full…), surfaced by tee() and finish(); writes still pending when discarded fail quietly. */
  private failure: Error | undefined;

  constructor(dir: string) {
    this.path = Spool.pathOf(dir, this.id);
    this.out = createWriteStream(this.path, { fd: openSync(this.path, 'wx', 0o600) }); // opened now: discard() never races the open
    this.out.on('error', (e) => {
      this.failure ??= e;
    });
  }

  static pathOf(dir: string, id: string): string {
    return join(dir, `${id}.envelope`);
  }

  async *tee(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of body) {
      if (this.failure) throw this.failure;
      if (!this.out.write(chunk)) await once(this.out, 'drain');
      yield chunk;
    }
  }

  async finish(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.out.end((e?: Error | null) => {
        const failure = e ?? this.failure;
        if (failure) reject(failure);
        else resolve();
      }),
    );
  }

  async discard(): Promise<void> {
    this.out.destroy();
    rmSync(this.path, { force: true });
  }
}

interface Job {
  row: UploadRow;
  waiter?: { resolve(r: UploadReply): void; reject(e: unknown): void };
  createdCollection: boolean;
}

export class UploadQueue {
  private readonly dir: string;
  /** Waiting, in the order they came. */
  private readonly jobs: Job[] = [];
  /** By owner: one running job each. */
  private readonly running = new Map<string, { id: string; cancel: AbortController; settled: Promise<void> }>();
  private readonly turns = new FairTurns();
  private readonly tracker = new UploadTracker();
  private closed = false;
  private spooledBytes = 0;

  constructor(
    private readonly options: UploadQueueOptions,
    private readonly deps: UploadQueueDeps,
  ) {
    this.dir = join(options.dataDir, 'spool');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  spool(): Spool {
    return new Spool(this.dir);
  }

  /** Refuses an upload the queue cannot take now (before its body is read). */
  checkCapacity(size: number): void {
    const queued = this.jobs.length + this.running.size;
    if (queued >= this.options.maxJobs || this.spooledBytes + size > this.options.maxBytes) {
      throw new PragError('ingest_busy', 'the ingest queue is full; retry shortly', { retryAfterS: 10 });
    }
  }

  /** Queues an authenticated, fully spooled upload; resolves with its result once ingested. */
  enqueue(
    spool: Spool,
    upload: { owner: string; collection: string; name: string; size: number; envelope: OpenedEnvelope },
    createdCollection: boolean,
  ): Promise<UploadReply> {
    spool.queued = true;
    const { id } = spool;
    const sealer = this.deps.keyring.forOwner(upload.owner);
    const row: UploadRow = {
      id,
      owner: upload.owner,
      collection: upload.collection,
      name: sealer.seal(upload.name, contexts.uploadName(id)),
      size: upload.size,
      state: 'queued',
      result: null,
      opening: sealer.seal(openingOf(upload.envelope), contexts.uploadOpening(id)),
      createdAt: Date.now(),
      finishedAt: null,
    };
    this.deps.uploads.add(row);
    return new Promise((resolve, reject) => {
      this.push({ row, waiter: { resolve, reject }, createdCollection });
    });
  }

  /**
   * Queues what a previous run left queued (spooled, not yet ingested), and
   * removes spool files with no queued upload: uploads a crash cut off while
   * they were being received, never acknowledged.
   */
  resume(): number {
    const rows = this.deps.uploads.queued();
    const queued = new Set(rows.map((r) => Spool.pathOf(this.dir, r.id)));
    for (const file of readdirSync(this.dir))
      if (!queued.has(join(this.dir, file))) rmSync(join(this.dir, file), { force: true });
    for (const row of rows) this.push({ row, createdCollection: false });
    if (rows.length) this.deps.log.info({ uploads: rows.length }, 'resuming queued uploads');
    return rows.length;
  }

  /** Stops taking jobs; running ones are aborted by the service's drain and stay queued. */
  close(): void {
    this.closed = true;
    for (const job of this.jobs.splice(0))
      job.waiter?.reject(
        new PragError(
          'shutting_down',
          'the service is shutting down; the upload is saved and will be ingested after the restart (see POST /v1/uploads)',
        ),
      );
  }

  list(owner: string, limit: number): UploadStatus[] {
    return this.deps.uploads.ofOwner(owner, limit).map((r) => this.statusOf(r));
  }

  /** `owner`'s upload `id`; another owner's is as unknown as one that never was. */
  private rowOf(owner: string, id: string): UploadRow {
    const row = this.deps.uploads.get(id);
    if (row?.owner !== owner) throw new PragError('upload_not_found', 'no such upload among yours');
    return row;
  }

  private statusOf(r: UploadRow): UploadStatus {
    const sealer = this.deps.keyring.forOwner(r.owner);
    const outcome = r.result
      ? (JSON.parse(sealer.open(r.result, contexts.uploadResult(r.id))) as {
          result?: UploadReply;
          error?: { code: string; message: string };
        })
      : {};
    return {
      upload_id: r.id,
      name: sealer.open(r.name, contexts.uploadName(r.id)),
      size: r.size,
      state: r.state,
      created_at: new Date(r.createdAt).toISOString(),
      finished_at: r.finishedAt === null ? null : new Date(r.finishedAt).toISOString(),
      ...this.tracker.state(r.id),
      ...outcome,
    };
  }

  /**
   * Checks that every one of `ids` is `owner`'s, then yields their statuses: each at once, then each again
   * when it has changed, until every one has finished or `signal` is aborted.
   */
  follow(owner: string, ids: readonly string[], signal: AbortSignal): AsyncIterable<UploadStatus> {
    for (const id of ids) this.rowOf(owner, id);
    const { tracker } = this;
    const statusOf = (id: string) => this.statusOf(this.rowOf(owner, id));
    return (async function* () {
      const sent = new Map<string, string>();
      let inFlight = [...ids];
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      while (!signal.aborted) {
        const change = tracker.nextChange(); // taken before reading: no change between is missed
        const still: string[] = [];
        for (const id of inFlight) {
          const status = statusOf(id);
          const seen = JSON.stringify(status);
          if (sent.get(id) !== seen) {
            sent.set(id, seen);
            yield status;
          }
          if (status.state === 'queued' || status.state === 'running') still.push(id);
        }
        inFlight = still;
        if (!inFlight.length) return;
        await Promise.race([change, aborted]);
      }
    })();
  }

  /**
   * Cancels `owner`'s upload `id`: a queued one leaves the queue, a running one is aborted and rolled back.
   * Answers the upload's final state: `cancelled`, or how it ended if it finished first.
   */
  async cancel(owner: string, id: string): Promise<UploadState> {
    const row = this.rowOf(owner, id);
    const cancelled = new PragError('upload_cancelled', 'the upload was cancelled by its owner');
    const waiting = this.jobs.findIndex((job) => job.row.id === id);
    const job = waiting < 0 ? undefined : this.jobs.splice(waiting, 1)[0];
    if (job) {
      this.gauge();
      this.failed(job, 'cancelled', { code: cancelled.code, message: cancelled.message });
      job.waiter?.reject(cancelled);
      return 'cancelled';
    }
    const running = this.running.get(owner);
    if (running?.id === id) {
      running.cancel.abort(cancelled);
      await running.settled;
    }
    return this.deps.uploads.get(id)?.state ?? row.state;
  }

  /** Drops an owner's uploads, queued or running (rolled back), and their spool files (forget-me). */
  async forget(owner: string): Promise<void> {
    const cancelled = () =>
      new PragError('upload_cancelled', 'the upload was cancelled: its owner asked to be forgotten');
    // The queued ones first: when the running one ends, the next of theirs would start.
    const theirs = this.jobs.filter((job) => job.row.owner === owner);
    this.jobs.splice(0, this.jobs.length, ...this.jobs.filter((job) => job.row.owner !== owner));
    this.gauge();
    for (const job of theirs) {
      this.release(job);
      this.tracker.landed(job.row.id);
      job.waiter?.reject(cancelled());
    }
    const running = this.running.get(owner);
    if (running) {
      running.cancel.abort(cancelled());
      await running.settled;
    }
  }

  private push(job: Job): void {
    this.spooledBytes += job.row.size;
    this.jobs.push(job);
    this.tracker.queued(job.row.id, job.row.size);
    this.next();
  }

  private gauge(): void {
    this.deps.metrics.ingestQueue.set({ state: 'queued' }, this.jobs.length);
    this.deps.metrics.ingestQueue.set({ state: 'running' }, this.running.size);
  }

  private release(job: Job): void {
    this.spooledBytes -= job.row.size;
    rmSync(Spool.pathOf(this.dir, job.row.id), { force: true });
  }

  /** Starts every waiting job whose owner has none running, oldest first. */
  private next(): void {
    if (this.closed) return;
    for (let i = 0; i < this.jobs.length;) {
      const job = this.jobs[i];
      if (!job || this.running.has(job.row.owner)) {
        i++;
        continue;
      }
      this.jobs.splice(i, 1);
      void this.run(job);
    }
    this.gauge();
  }

  private async run(job: Job): Promise<void> {
    const { owner } = job.row;
    const cancel = new AbortController();
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.running.set(owner, { id: job.row.id, cancel, settled });
    this.tracker.running(job.row.id);
    try {
      const reply = await this.ingest(job.row, cancel.signal);
      this.finish(job, 'done', { result: reply });
      job.waiter?.resolve(reply);
    } catch (e) {
      if (e instanceof PragError && e.code === 'shutting_down') {
        job.waiter?.reject(
          new PragError(
            'shutting_down',
            'the service is shutting down; the upload is saved and will be ingested after the restart (see POST /v1/uploads)',
          ),
        );
      } else {
        const error =
          e instanceof PragError
            ? { code: e.code, message: e.message }
            : { code: 'internal', message: 'the upload could not be ingested' };
        if (!(e instanceof PragError)) this.deps.log.error({ error: (e as Error).name }, 'ingest failed');
        this.failed(job, e instanceof PragError && e.code === 'upload_cancelled' ? 'cancelled' : 'failed', error);
        job.waiter?.reject(e);
      }
    } finally {
      this.tracker.landed(job.row.id);
      this.running.delete(owner);
      settle();
      this.next();
    }
  }

  private finish(job: Job, state: 'done' | 'failed' | 'cancelled', outcome: object): void {
    const sealed = this.deps.keyring
      .forOwner(job.row.owner)
      .seal(JSON.stringify(outcome), contexts.uploadResult(job.row.id));
    this.deps.uploads.finish(job.row.id, state, sealed);
    this.release(job);
    this.tracker.landed(job.row.id);
  }

  /** Records a failed or cancelled upload; nothing stays of it, not even a collection it created. */
  private failed(job: Job, state: 'failed' | 'cancelled', error: { code: string; message: string }): void {
    this.finish(job, state, { error });
    const { collections } = this.deps;
    const { owner, collection } = job.row;
    if (job.createdCollection && !collections.documentCounts(owner).get(collection))
      collections.delete(owner, collection);
  }

  /** Re-opens the spooled envelope (authenticated again, segment by segment) and ingests it, all or nothing. */
  private async ingest(row: UploadRow, cancel: AbortSignal): Promise<UploadReply> {
    const { maxPayloadBytes, maxFileBytes } = this.options;
    if (!row.opening) {
      // Spooled before its keys were recorded: nothing here can open it any more.
      throw new PragError('upload_cancelled', 'the upload can no longer be opened; upload it again');
    }
    const opening = this.deps.keyring.forOwner(row.owner).open(row.opening, contexts.uploadOpening(row.id));
    const envelope = await openEnvelope(spooledKeys(opening), createReadStream(Spool.pathOf(this.dir, row.id)), {
      maxPayloadBytes,
    });
    const name = envelope.header.name;
    const size = envelope.header.size;
    let file: SourceFile;
    if (isStreamed(name)) {
      // Streamed: an mbox or an Apple Health export may be larger than memory.
      const { tracker } = this;
      const stream = async function* () {
        try {
          for await (const part of envelope.payload) {
            tracker.read(row.id, part.length);
            yield part;
          }
        } catch (e) {
          throw e instanceof EnvelopeError ? new SourceAborted(e) : e;
        }
      };
      file = { path: name, size, readBytes: () => Promise.reject(new Error('the file is streamed')), stream };
    } else {
      if (size > maxFileBytes) throw new PragError('too_large', 'the file is larger than PRAG_MAX_FILE_MB');
      // Read in the job's first turn, not before: a job waiting for its turn holds no file in memory.
      const readBytes = async () => {
        try {
          const bytes = await envelope.readAll();
          this.tracker.read(row.id, bytes.length);
          return bytes;
        } catch (e) {
          throw e instanceof EnvelopeError ? new SourceAborted(e) : e;
        }
      };
      file = {
        path: name,
        size,
        readBytes,
        stream: async function* () {
          yield await readBytes();
        },
      };
    }
    const { engine, metrics } = this.deps;
    const report = await this.deps
      .tracked((signal) => {
        const stop = AbortSignal.any([signal, cancel]);
        // Each turn is given back when the next is asked for, the last one when the ingest has ended: the
        // upload's final write and commit are part of its last document's turn.
        let held: (() => void) | undefined;
        const turn = async () => {
          held?.();
          held = undefined;
          const giveBack = await this.turns.take(row.owner, stop);
          return (embedded: Promise<unknown>) => {
            held = () => giveBack(embedded);
          };
        };
        return withParseBudget(() =>
          engine.ingest([file], {
            owner: row.owner,
            collection: row.collection,
            atomic: true,
            maintain: false,
            signal: stop,
            turn,
            onProgress: (p) => this.tracker.ingested(row.id, p),
          }),
        ).finally(() => held?.());
      })
      .catch((e: unknown) => {
        // A refusal that had to stop the whole ingest rather than one file (the parse budget) is the upload's.
        throw e instanceof SourceAborted && e.cause instanceof PragError ? e.cause : e;
      });
    metrics.ingested.inc(report.documents);
    metrics.ingestedChunks.inc(report.chunks);
    metrics.parseFailures.inc(report.failed.length);
    await this.deps.maintenance.afterWrite();
    return UploadReply.parse({
      upload_id: row.id,
      doc_ids: report.docIds,
      chunks: report.chunks,
      skipped: report.skipped,
      failed: report.failed.map((f) => ({ source: f.path, error: f.error })),
    });
  }
}
