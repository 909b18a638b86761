/**
 * Untrusted parsing, isolated: every file (and every mbox message) is parsed
 * in a worker thread with a V8 heap limit and a wall-clock limit. A job that
 * runs out of either gets its worker terminated and a per-file error
 * (`parse_timeout`, `parse_resource_limit`); the pool starts a fresh worker.
 * So a hostile PDF or a MIME bomb costs one job, not the service.
 *
 * An upload's jobs also share a parse-time budget (withParseBudget): past it
 * the job in hand is stopped the same way and the whole upload fails
 * (`parse_budget_exceeded`), so an mbox of messages that each stay just under
 * the per-job limit cannot keep the workers for hours.
 *
 * Limits of the limits: V8's heap limit does not bound memory outside the
 * JavaScript heap (ArrayBuffers, native allocations); inputs are bounded
 * before they get here (PRAG_MAX_FILE_MB, the mbox message cap), and the time
 * limit bounds the rest.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import { SourceAborted, type BytesParser, type ParseJob, type ParseOutcome } from '../../ingest/index.js';
import { PragError } from '../errors.js';
import type { ParseReply, ParseRequest, StreamChunk } from './parse-worker.js';

export interface SandboxOptions {
  workers: number;
  timeoutMs: number;
  maxHeapMb: number;
  /** Time one upload's jobs may spend in workers, summed (see withParseBudget); unlimited when unset. */
  uploadBudgetMs?: number;
}

function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './parse-worker-boot.mjs' : './parse-worker.js', import.meta.url);
}

/** The parse time one upload has spent so far. */
interface UploadParseTime {
  spentMs: number;
}

const currentUpload = new AsyncLocalStorage<UploadParseTime>();

/**
 * Runs `work` (one upload's ingest) under its own parse-time budget: every job the sandbox parses for it is
 * charged to it, from the moment a worker takes the job to its answer (time spent waiting for a worker is
 * not). AsyncLocalStorage carries the budget through the engine's awaits to `parse`, so the engine needs no
 * parameter for it. Past the budget, parsing throws a SourceAborted: it stops (and rolls back) the whole
 * ingest instead of failing one file.
 */
export function withParseBudget<T>(work: () => Promise<T>): Promise<T> {
  return currentUpload.run({ spentMs: 0 }, work);
}

interface Pending {
  request: ParseRequest;
  /** A streamed job's source, read as the worker asks for chunks. */
  source?: AsyncIterator<Uint8Array>;
  job: ParseJob;
  budget: UploadParseTime | undefined;
  resolve: (outcomes: ParseOutcome[]) => void;
  reject: (error: Error) => void;
}

interface Running extends Pending {
  timer: NodeJS.Timeout;
  startedAt: number;
}

interface Slot {
  worker: Worker;
  job?: Running;
}

const failure = (
  job: Pick<ParseJob, 'source'>,
  code: 'parse_timeout' | 'parse_resource_limit',
  message: string,
): ParseOutcome[] => [{ ok: false, source: job.source, code, message }];

export class ParseSandbox {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: SandboxOptions) {
    for (let i = 0; i < options.workers; i++) this.slots.push({ worker: this.spawn() });
  }

  /** Parses one job in a worker; never throws for what the document does. */
  readonly parse: BytesParser = (job) => {
    const outcomes = this.run(job);
    return (async function* () {
      yield* await outcomes;
    })();
  };

  private run(job: ParseJob): Promise<ParseOutcome[]> {
    if (this.closed) return Promise.reject(new Error('parse sandbox is closed'));
    const budget = currentUpload.getStore();
    if (budget && this.left(budget) <= 0) return Promise.reject(this.overBudget());
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (job.format === 'health') {
        const { stream, ...head } = job;
        const source = stream[Symbol.asyncIterator]();
        this.queue.push({ request: { id, job: head, streamed: true }, source, job, budget, resolve, reject });
      } else this.queue.push({ request: { id, job }, job, budget, resolve, reject });
      this.dispatch();
    });
  }

  private left(budget: UploadParseTime): number {
    return (this.options.uploadBudgetMs ?? Infinity) - budget.spentMs;
  }

  private overBudget(): SourceAborted {
    const seconds = (this.options.uploadBudgetMs ?? 0) / 1000;
    return new SourceAborted(
      new PragError('parse_budget_exceeded', `parsing the upload took longer than ${seconds} s in all`),
    );
  }

  /** Takes the job off its slot, charging the time it had the worker to its upload. */
  private take(slot: Slot): Running | undefined {
    const job = slot.job;
    if (!job) return undefined;
    slot.job = undefined;
    clearTimeout(job.timer);
    if (job.budget) job.budget.spentMs += performance.now() - job.startedAt;
    return job;
  }

  private spawn(): Worker {
    const worker = new Worker(workerUrl(), {
      resourceLimits: {
        maxOldGenerationSizeMb: this.options.maxHeapMb,
        maxYoungGenerationSizeMb: Math.min(64, this.options.maxHeapMb / 4),
        stackSizeMb: 4,
      },
    });
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      const slot = this.slots.find((s) => s.worker === worker);
      if (!slot?.job || slot.job.request.id !== reply.id) return;
      if ('pull' in reply) {
        this.feed(slot, slot.job);
        return;
      }
      this.take(slot)?.resolve(reply.outcomes);
      this.dispatch();
    });
    // A worker that dies (heap limit: ERR_WORKER_OUT_OF_MEMORY, or anything else) fails its job and is replaced.
    worker.on('error', (e: Error & { code?: string }) => {
      const message =
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `parsing needed more than ${this.options.maxHeapMb} MB`
          : 'the parser crashed';
      this.replace(worker, (job) => job.resolve(failure(job.job, 'parse_resource_limit', message)));
    });
    worker.on('exit', () =>
      this.replace(worker, (job) => job.resolve(failure(job.job, 'parse_resource_limit', 'the parser exited'))),
    );
    return worker;
  }

  /** Sends a streamed job's next chunk; a source that fails (an upload failing authentication) fails the job. */
  private feed(slot: Slot, job: Running): void {
    const id = job.request.id;
    void (job.source as AsyncIterator<Uint8Array>).next().then(
      (r) => {
        if (slot.job !== job) return; // stopped meanwhile
        slot.worker.postMessage((r.done ? { id, end: true } : { id, chunk: r.value }) satisfies StreamChunk);
      },
      (e: unknown) => {
        if (slot.job === job) this.replace(slot.worker, (j) => j.reject(e instanceof Error ? e : new Error(String(e))));
      },
    );
  }

  /** Terminates a worker and starts another in its slot; its job, if any, is settled by `settle`. */
  private replace(worker: Worker, settle: (job: Running) => void): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot) return;
    const job = this.take(slot);
    if (job) settle(job);
    worker.removeAllListeners();
    void worker.terminate();
    if (this.closed) return;
    slot.worker = this.spawn();
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const next = this.queue.shift();
      if (!next) return;
      // Its limit is the per-job one, or what is left of its upload's budget when that is less.
      const left = next.budget ? this.left(next.budget) : Infinity;
      const overBudget = left < this.options.timeoutMs;
      const timer = setTimeout(
        () =>
          this.replace(slot.worker, (job) =>
            overBudget
              ? job.reject(this.overBudget())
              : job.resolve(failure(job.job, 'parse_timeout', `parsing took longer than ${this.options.timeoutMs} ms`)),
          ),
        overBudget ? Math.max(0, left) : this.options.timeoutMs,
      );
      slot.job = { ...next, timer, startedAt: performance.now() };
      slot.worker.postMessage(next.request);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0))
      p.resolve(failure(p.job, 'parse_resource_limit', 'the service is shutting down'));
    await Promise.all(
      this.slots.map(async (s) => {
        s.worker.removeAllListeners();
        const job = this.take(s);
        job?.resolve(failure(job.job, 'parse_resource_limit', 'the service is shutting down'));
        await s.worker.terminate();
      }),
    );
  }
}
