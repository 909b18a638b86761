/**
 * LLM workers on loopback speaking the real wire formats: OpenAI-compatible
 * `POST /v1/chat/completions` (SSE `data:` chunks, `data: [DONE]`) and Ollama
 * `POST /api/chat` (NDJSON, `done: true`). Over TLS with a self-signed
 * certificate it also plays a Secret AI worker's gateway, serving `GET /cpu`
 * and `GET /docker-compose` on the inference origin. It records what it was
 * sent and whether each answer was finished or cut off by the caller.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface FakeLlmOptions {
  /** The answer, as the chunks it is streamed in. */
  tokens?: string[];
  /** Before the first chunk. */
  firstDelayMs?: number;
  /** Between chunks. */
  delayMs?: number;
  /** Awaited after the first chunk: the test decides when the rest comes. */
  hold?: Promise<void>;
  /** Answer with this status (and an OpenAI-style error body) instead. */
  status?: number;
  /** The first `failFirst` requests get HTTP 503. */
  failFirst?: number;
  /** Never answer (the caller's timeout must). */
  hang?: boolean;
  /** Extra GET routes (e.g. `/cpu`). */
  get?: Record<string, string>;
  /** Serve over TLS with this key pair (see `selfSignedCert`). */
  tls?: { key: string; cert: string };
  /** Answer 404 on the OpenAI route (an Ollama-only worker). */
  ollamaOnly?: boolean;
}

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: { model?: string; messages?: Array<{ role: string; content: string }>; stream?: boolean };
}

export interface FakeLlm {
  url: string;
  /** Changes how the next requests are answered. */
  set(options: Omit<FakeLlmOptions, 'tls'>): void;
  requests: RecordedRequest[];
  /** GETs served (path per request). */
  gets: string[];
  finished: number;
  cutOff: number;
  /** Per streamed answer: when its request arrived and when its first chunk was written (performance.now()). */
  timings: Array<{ arrivedAt: number; firstChunkAt: number }>;
  /** Resolves when the caller closes a connection before its answer was complete. */
  nextCutOff(): Promise<void>;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (P-256: what Caddy's ACME certificates use). */
export async function selfSignedCert(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'worker.test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeLlm(initial: FakeLlmOptions = {}): Promise<FakeLlm> {
  const state = {
    requests: [] as RecordedRequest[],
    gets: [] as string[],
    finished: 0,
    cutOff: 0,
    waiters: [] as Array<() => void>,
    timings: [] as FakeLlm['timings'],
  };
  let options = initial;
  let failures = options.failFirst ?? 0;

  async function stream(
    res: ServerResponse,
    wire: 'openai' | 'ollama',
    model: string,
    arrivedAt: number,
  ): Promise<void> {
    let done = false;
    res.on('close', () => {
      if (done) return;
      state.cutOff++;
      state.waiters.splice(0).forEach((w) => w());
    });
    const tokens = options.tokens ?? ['The ', 'answer ', 'is ', 'here ', '[1].'];
    res.writeHead(200, { 'content-type': wire === 'openai' ? 'text/event-stream' : 'application/x-ndjson' });
    if (options.firstDelayMs) await sleep(options.firstDelayMs);
    for (let i = 0; i < tokens.length; i++) {
      if (res.destroyed) return;
      if (i === 1 && options.hold) await options.hold;
      else if (i > 0 && options.delayMs) await sleep(options.delayMs);
      if (res.destroyed) return;
      res.write(
        wire === 'openai'
          ? `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content: tokens[i] }, finish_reason: null }] })}\n\n`
          : `${JSON.stringify({ model, message: { role: 'assistant', content: tokens[i] }, done: false })}\n`,
      );
      if (i === 0) state.timings.push({ arrivedAt, firstChunkAt: performance.now() });
    }
    done = true;
    state.finished++;
    res.end(
      wire === 'openai'
        ? `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`
        : `${JSON.stringify({ model, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' })}\n`,
    );
  }

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const arrivedAt = performance.now();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && options.get?.[path] !== undefined) {
      state.gets.push(path);
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(options.get[path]);
    }
    const wire =
      path === '/v1/chat/completions' && !options.ollamaOnly ? 'openai' : path === '/api/chat' ? 'ollama' : undefined;
    if (req.method !== 'POST' || !wire) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'not found' } }));
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'];
    state.requests.push({ path, headers: req.headers, body });
    if (failures > 0) {
      failures--;
      res.writeHead(503, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'worker overloaded' } }));
    }
    if (options.status) {
      res.writeHead(options.status, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: `fake says ${options.status}` } }));
    }
    if (options.hang) return;
    await stream(res, wire, body.model ?? 'fake', arrivedAt);
  };
  const server = initial.tls
    ? createHttpsServer(initial.tls, (q, s) => void handler(q, s))
    : createHttpServer((q, s) => void handler(q, s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    set(next) {
      options = { ...next, tls: initial.tls };
      failures = next.failFirst ?? 0;
    },
    url: `${initial.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: state.requests,
    gets: state.gets,
    get finished() {
      return state.finished;
    },
    get cutOff() {
      return state.cutOff;
    },
    timings: state.timings,
    nextCutOff: () => new Promise((resolve) => state.waiters.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
