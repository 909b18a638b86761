/**
 * Untrusted parsing, isolated: every file (and every mbox message) is parsed
 * in a worker thread with a V8 heap limit and a wall-clock limit. A job that
 * runs out of either gets its worker terminated and a per-file error
 * (`parse_timeout`, `parse_resource_limit`); the pool starts a fresh worker.
 * So a hostile PDF or a MIME bomb costs one job, not the service.
 *
 * Limits of the limits: V8's heap limit does not bound memory outside the
 * JavaScript heap (ArrayBuffers, native allocations); inputs are bounded
 * before they get here (PRAG_MAX_FILE_MB, the mbox message cap), and the time
 * limit bounds the rest.
 */
import { Worker } from 'node:worker_threads';
import type { BytesParser, ParseJob, ParseOutcome } from '../../ingest/index.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';

export interface SandboxOptions {
  workers: number;
  timeoutMs: number;
  maxHeapMb: number;
}

function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './parse-worker-boot.mjs' : './parse-worker.js', import.meta.url);
}

interface Pending {
  request: ParseRequest;
  resolve: (outcomes: ParseOutcome[]) => void;
}

interface Slot {
  worker: Worker;
  job?: Pending & { timer: NodeJS.Timeout };
}

const failure = (job: ParseJob, code: 'parse_timeout' | 'parse_resource_limit', message: string): ParseOutcome[] => [
  { ok: false, source: job.source, code, message },
];

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
    return new Promise((resolve) => {
      this.queue.push({ request: { id: this.nextId++, job }, resolve });
      this.dispatch();
    });
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
      clearTimeout(slot.job.timer);
      const { resolve } = slot.job;
      slot.job = undefined;
      resolve(reply.outcomes);
      this.dispatch();
    });
    // A worker that dies (heap limit: ERR_WORKER_OUT_OF_MEMORY, or anything else) fails its job and is replaced.
    worker.on('error', (e: Error & { code?: string }) =>
      this.replace(
        worker,
        'parse_resource_limit',
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `parsing needed more than ${this.options.maxHeapMb} MB`
          : 'the parser crashed',
      ),
    );
    worker.on('exit', () => this.replace(worker, 'parse_resource_limit', 'the parser exited'));
    return worker;
  }

  private replace(worker: Worker, code: 'parse_timeout' | 'parse_resource_limit', message: string): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot) return;
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      clearTimeout(job.timer);
      job.resolve(failure(job.request.job, code, message));
    }
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
      const timer = setTimeout(
        () => this.replace(slot.worker, 'parse_timeout', `parsing took longer than ${this.options.timeoutMs} ms`),
        this.options.timeoutMs,
      );
      slot.job = { ...next, timer };
      slot.worker.postMessage(next.request);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0))
      p.resolve(failure(p.request.job, 'parse_resource_limit', 'the service is shutting down'));
    await Promise.all(
      this.slots.map(async (s) => {
        s.worker.removeAllListeners();
        if (s.job) {
          clearTimeout(s.job.timer);
          s.job.resolve(failure(s.job.request.job, 'parse_resource_limit', 'the service is shutting down'));
        }
        await s.worker.terminate();
      }),
    );
  }
}
