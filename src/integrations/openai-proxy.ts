/**
 * `prag proxy`: an OpenAI-compatible server on 127.0.0.1 for chat front-ends
 * (Open WebUI, LibreChat, Jan, Continue, the `openai` SDK). Each chat
 * completion becomes one `/v1/chat` call sealed to the attested service key
 * under the user's permit; the reply is opened and its receipt verified here,
 * on the user's machine, so the confidentiality guarantee is the CLI's.
 *
 * No request is ever sent unverified: the attestation is verified at start
 * and again by PragClient whenever the service's epoch key changes (another
 * service id at the URL is refused); while it does not verify, every request
 * is answered with an OpenAI-style error, and the next request tries again.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { ChatFinal, ChatFrame, LlmInfo } from '../../schemas/chat.js';
import type { SearchFilters } from '../../schemas/search.js';
import { AttestationError } from '../attest/errors.js';
import { ReceiptError } from '../crypto/receipt.js';
import { ServiceError, type Prag } from '../client/index.js';
import {
  ChatCompletionRequest,
  FiltersHeader,
  openAiError,
  pragExtension,
  pragMessages,
  RequestError,
  sourcesText,
  type OpenAiError,
} from './openai-wire.js';
import { Upstream } from './upstream.js';

/** The model id that means "whatever the service is configured with". */
const DEFAULT_MODEL = 'prag';
/** The model id listed for a service that answers extractively (no LLM). */
const EXTRACTIVE_MODEL = 'prag-extractive';

export interface ProxyOptions {
  /** Verifies the service's attestation and signs a permit: called at start, and again while it fails. */
  open: () => Promise<Prag>;
  port: number;
  /** Required as `Authorization: Bearer …` when set. */
  token?: string;
  /** Collections searched when a request names none (`X-PRAG-Collections`). */
  collections?: string[];
}

export interface RunningProxy {
  url: string;
  /** Why the service is refused, while it is. */
  readonly failure: Error | undefined;
  close(): Promise<void>;
}

/** An error as OpenAI's clients expect it; attestation failures say plainly that nothing was sent. */
function errorOf(e: unknown): OpenAiError {
  if (e instanceof RequestError) return openAiError(400, 'invalid_request_error', 'invalid_request', e.message);
  if (e instanceof AttestationError)
    return openAiError(
      503,
      'prag_attestation_error',
      'attestation_failed',
      `PRAG proxy: the service's attestation did not verify, so nothing was sent to it (${e.message})`,
    );
  if (e instanceof ReceiptError)
    return openAiError(
      502,
      'prag_receipt_error',
      'receipt_invalid',
      `PRAG proxy: the answer's receipt did not verify (${e.message})`,
    );
  if (e instanceof ServiceError)
    return openAiError(
      e.status >= 400 && e.status < 600 ? e.status : 502,
      'prag_service_error',
      e.code,
      `PRAG service: ${e.message}`,
    );
  return openAiError(502, 'prag_proxy_error', 'service_unreachable', `PRAG proxy: ${(e as Error).message}`);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Comma-separated collection names, each percent-encoded (names may hold spaces; headers are ASCII). */
function collectionsHeader(value: string): string[] {
  try {
    return value
      .split(',')
      .map((v) => decodeURIComponent(v.trim()))
      .filter(Boolean);
  } catch {
    throw new RequestError('X-PRAG-Collections: not percent-encoded names separated by commas');
  }
}

function filtersOf(c: Context, fallback: string[] | undefined): SearchFilters {
  let filters: SearchFilters = {};
  const raw = c.req.header('x-prag-filters');
  if (raw !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new RequestError('X-PRAG-Filters: not JSON');
    }
    const parsed = FiltersHeader.safeParse(json);
    if (!parsed.success)
      throw new RequestError(
        `X-PRAG-Filters: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    filters = parsed.data;
  }
  const named = c.req.header('x-prag-collections');
  const collections = named !== undefined ? collectionsHeader(named) : (filters.collections ?? fallback);
  const checked = FiltersHeader.safeParse({ ...filters, collections });
  if (!checked.success) throw new RequestError(`X-PRAG-Collections: ${checked.error.issues[0]?.message ?? 'invalid'}`);
  return checked.data;
}

const modelId = (llm: LlmInfo) => (llm.provider === 'extractive' ? EXTRACTIVE_MODEL : llm.model);

function createProxyApp(options: Omit<ProxyOptions, 'port'>, upstream: Upstream): Hono {
  const app = new Hono();
  /** Models seen answering (from `start` frames): PRAG has no route that lists the service's models. */
  const seen = new Set<string>();
  const token = options.token === undefined ? undefined : sha256(options.token);
  const fail = (e: OpenAiError) => Response.json(e.body, { status: e.status });

  app.use('*', async (c, next) => {
    // DNS rebinding: a web page that points a name of its own at 127.0.0.1 sends that name as Host.
    const host = new URL(c.req.url).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost')
      return fail(
        openAiError(403, 'invalid_request_error', 'host_refused', 'PRAG proxy answers only 127.0.0.1 and localhost'),
      );
    if (token) {
      const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
      if (!timingSafeEqual(sha256(given), token))
        return fail(
          openAiError(
            401,
            'invalid_request_error',
            'invalid_api_key',
            'PRAG proxy: missing or wrong bearer token (--token)',
          ),
        );
    }
    return next();
  });

  app.get('/v1/models', async (c) => {
    try {
      await upstream.get();
    } catch (e) {
      return fail(errorOf(e));
    }
    const ids = [DEFAULT_MODEL, ...[...seen].filter((m) => m !== DEFAULT_MODEL)];
    return c.json({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'prag' })) });
  });

  app.post('/v1/embeddings', () =>
    fail(
      openAiError(
        404,
        'invalid_request_error',
        'embeddings_not_offered',
        'PRAG proxy does not offer embeddings: they would carry your text out of the enclave’s control. Upload documents to PRAG and ask through /v1/chat/completions instead.',
      ),
    ),
  );

  app.post('/v1/chat/completions', async (c) => {
    // A JSON content type keeps a web page's form posts (which need no CORS preflight) out.
    if (!/^application\/json\b/i.test(c.req.header('content-type') ?? ''))
      return fail(openAiError(415, 'invalid_request_error', 'unsupported_media_type', 'send application/json'));
    let body: ChatCompletionRequest;
    let messages: ReturnType<typeof pragMessages>;
    let filters: SearchFilters;
    try {
      const parsed = ChatCompletionRequest.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success)
        throw new RequestError(
          parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        );
      body = parsed.data;
      messages = pragMessages(body.messages);
      filters = filtersOf(c, options.collections);
    } catch (e) {
      return fail(errorOf(e));
    }
    const cancel = new AbortController();
    const model = body.model === DEFAULT_MODEL || body.model === EXTRACTIVE_MODEL ? undefined : body.model;
    let frames: AsyncGenerator<ChatFrame, void, undefined>;
    let first: IteratorResult<ChatFrame, void>;
    try {
      const prag = await upstream.get();
      frames = prag.ask(messages, { filters, ...(model ? { model } : {}), signal: cancel.signal });
      // The first frame before the status line: a refusal is still an HTTP error, not a broken stream.
      first = await frames.next();
    } catch (e) {
      return fail(errorOf(e));
    }
    if (!first.done && first.value.type === 'start') seen.add(modelId(first.value.llm));

    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      try {
        let final: ChatFinal | undefined = first.done || first.value.type !== 'final' ? undefined : first.value;
        for await (const frame of frames) if (frame.type === 'final') final = frame;
        if (!final) throw new ServiceError(502, 'reply_invalid', 'the answer ended without a final frame');
        return c.json({
          id,
          object: 'chat.completion',
          created,
          model: body.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: final.answer + sourcesText(final) },
              finish_reason: 'stop',
              logprobs: null,
            },
          ],
          prag: pragExtension(final),
        });
      } catch (e) {
        return fail(errorOf(e));
      }
    }

    const encoder = new TextEncoder();
    const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
      encoder.encode(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`,
      );
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(chunk({ role: 'assistant', content: '' }, null));
        try {
          const pending = first.done ? [] : [first.value];
          const all = (async function* () {
            yield* pending;
            yield* frames;
          })();
          for await (const frame of all) {
            if (frame.type === 'delta') controller.enqueue(chunk({ content: frame.text }, null));
            else if (frame.type === 'final') {
              // The receipt verified (Prag.ask checks it before yielding the final frame).
              const sources = sourcesText(frame);
              if (sources) controller.enqueue(chunk({ content: sources }, null));
              controller.enqueue(chunk({}, 'stop', { prag: pragExtension(frame) }));
            }
          }
          controller.enqueue(encoder.encode('data: [DONE]\n\n'));
        } catch (e) {
          if (cancel.signal.aborted) return;
          // OpenAI's own mid-stream failure: an `error` object in a data line (its SDK throws it as APIError).
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(errorOf(e).body)}\n\n`));
        }
        controller.close();
      },
      cancel() {
        // The front-end went away (a "stop" button): stop the service's answer too.
        cancel.abort();
      },
    });
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
    });
  });

  app.notFound((c) =>
    fail(
      openAiError(404, 'invalid_request_error', 'not_found', `PRAG proxy has no route ${c.req.method} ${c.req.path}`),
    ),
  );
  app.onError((e) => fail(errorOf(e)));
  return app;
}

/** Listens on 127.0.0.1 only, and verifies the service once before it answers anything. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const upstream = new Upstream(options.open);
  await upstream.get().catch(() => undefined); // recorded in upstream.failure; requests answer with it
  const app = createProxyApp(options, upstream);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: options.port }, () => resolve(s as Server));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}`,
    get failure() {
      return upstream.failure;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
