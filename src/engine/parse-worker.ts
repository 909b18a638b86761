/**
 * A parse worker (see parse-sandbox.ts): runs the format parsers on one job at
 * a time, under the heap limit and time limit its parent set, and answers
 * with the outcomes. A hostile document that exhausts memory or time kills
 * this thread, not the service.
 */
import { parentPort } from 'node:worker_threads';
import { parseBytes, type ParseJob, type ParseOutcome } from '../../ingest/index.js';

export interface ParseRequest {
  id: number;
  job: ParseJob;
}
export interface ParseReply {
  id: number;
  outcomes: ParseOutcome[];
}

if (!parentPort) throw new Error('parse-worker runs as a worker thread');
const port = parentPort;
const reply = async ({ id, job }: ParseRequest) => {
  const outcomes: ParseOutcome[] = [];
  for await (const outcome of parseBytes(job)) outcomes.push(outcome);
  port.postMessage({ id, outcomes } satisfies ParseReply);
};
// A rejection stays unhandled, as before: it kills this worker, and the sandbox fails the job and replaces it.
port.on('message', (request: ParseRequest) => void reply(request));
