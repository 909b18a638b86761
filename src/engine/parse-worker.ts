/**
 * A parse worker (see parse-sandbox.ts): runs the format parsers on one job at
 * a time, under the heap limit and time limit its parent set, and answers
 * with the outcomes. A hostile document that exhausts memory or time kills
 * this thread, not the service. A streamed job's bytes arrive as the worker
 * asks for them, one chunk at a time.
 */
import { parentPort } from 'node:worker_threads';
import { parseBytes, type ParseOutcome, type StreamJob, type WholeJob } from '../../ingest/index.js';

export type ParseRequest =
  { id: number; job: WholeJob } | { id: number; job: Omit<StreamJob, 'stream'>; streamed: true };
/** The next chunk of a streamed job, or its end. */
export type StreamChunk = { id: number; chunk: Uint8Array } | { id: number; end: true };
/** The job's outcomes, or (streamed jobs) a request for the next chunk. */
export type ParseReply = { id: number; outcomes: ParseOutcome[] } | { id: number; pull: true };

if (!parentPort) throw new Error('parse-worker runs as a worker thread');
const port = parentPort;
let waiting: ((message: StreamChunk) => void) | undefined;

async function* pulled(id: number): AsyncGenerator<Uint8Array> {
  for (;;) {
    const next = new Promise<StreamChunk>((resolve) => (waiting = resolve));
    port.postMessage({ id, pull: true } satisfies ParseReply);
    const message = await next;
    if ('end' in message) return;
    yield message.chunk;
  }
}

const reply = async (request: ParseRequest) => {
  const job = 'streamed' in request ? { ...request.job, stream: pulled(request.id) } : request.job;
  const outcomes: ParseOutcome[] = [];
  for await (const outcome of parseBytes(job)) outcomes.push(outcome);
  port.postMessage({ id: request.id, outcomes } satisfies ParseReply);
};
// A rejection stays unhandled, as before: it kills this worker, and the sandbox fails the job and replaces it.
port.on('message', (message: ParseRequest | StreamChunk) => {
  if ('job' in message) void reply(message);
  else waiting?.(message);
});
