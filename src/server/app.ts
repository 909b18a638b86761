/**
 * HTTP (hono, Web-standard Request/Response) onto the service. Sealed
 * endpoints take an envelope body and answer with reply frames sealed to the
 * requester; errors are plaintext `{error:{code,message}}` and never carry
 * user content.
 */
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { ENVELOPE_MEDIA_TYPE, REPLY_MEDIA_TYPE } from '../../schemas/api.js';
import { Nonce } from '../../schemas/attestation.js';
import { chunksOf } from '../crypto/byte-reader.js';
import { ERROR_STATUS } from '../../schemas/errors.js';
import { PragError } from '../errors.js';
import type { Answer, PragService, StreamedAnswer } from './service.js';

type Handler = (body: AsyncIterable<Uint8Array>) => Promise<Answer<unknown>>;

const REPLY_HEADERS = { 'content-type': REPLY_MEDIA_TYPE, 'cache-control': 'no-store' };

function envelopeBody(c: Context): AsyncIterable<Uint8Array> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim();
  if (type !== ENVELOPE_MEDIA_TYPE)
    throw new PragError('unsupported_media_type', `send the envelope as ${ENVELOPE_MEDIA_TYPE}`);
  const body = c.req.raw.body;
  if (!body) throw new PragError('envelope_malformed', 'request has no body');
  return chunksOf(body);
}

function sealed(handler: Handler) {
  return async (c: Context) => {
    const answer = await handler(envelopeBody(c));
    const frame = answer.reply.writer().json(answer.value, true);
    return c.body(frame as Uint8Array<ArrayBuffer>, 200, REPLY_HEADERS);
  };
}

/**
 * A streamed sealed reply: each frame is sealed and sent as it is produced.
 * Failures before the first frame are plain HTTP errors; a failure after it
 * becomes a final error frame. When the requester goes away the handler's
 * signal is aborted and its frames are abandoned.
 */
function sealedStream(
  handler: (body: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<StreamedAnswer>,
  log: Logger,
) {
  return async (c: Context) => {
    const gone = new AbortController();
    c.req.raw.signal.addEventListener('abort', () => gone.abort(), { once: true });
    const { reply, frames } = await handler(envelopeBody(c), gone.signal);
    const writer = reply.writer();
    const it = frames[Symbol.asyncIterator]();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await it.next();
          if (next.done) return controller.close();
          controller.enqueue(writer.json(next.value.value, next.value.last));
          if (next.value.last) controller.close();
        } catch (e) {
          log.error({ error: (e as Error).name }, 'internal error while streaming');
          controller.enqueue(
            writer.json({ type: 'error', error: { code: 'internal', message: 'internal error' } }, true),
          );
          controller.close();
        }
      },
      async cancel() {
        gone.abort();
        await it.return?.();
      },
    });
    return c.body(stream, 200, REPLY_HEADERS);
  };
}

export function createApp(service: PragService, log: Logger): Hono {
  const app = new Hono();

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const route = c.req.routePath;
    service.metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    service.metrics.latency.observe({ method: c.req.method, route }, ms / 1000);
    log.info({ method: c.req.method, route, status: c.res.status, ms: Math.round(ms) }, 'request');
  });

  /** Liveness: the process answers. */
  app.get('/healthz', (c) =>
    c.json({ ok: true, provider: service.tee.name, service_id: service.statement.service_id }),
  );
  /** Readiness: stores open and not shutting down. */
  app.get('/readyz', (c) => (service.ready ? c.json({ ready: true }) : c.json({ ready: false }, 503)));
  app.get('/metrics', async (c) =>
    c.text(await service.metrics.text(), 200, { 'content-type': service.metrics.registry.contentType }),
  );

  app.get('/v1/attestation', async (c) => {
    const nonce = Nonce.safeParse(c.req.query('nonce') ?? '');
    if (!nonce.success) throw new PragError('nonce_invalid', nonce.error.issues[0]?.message ?? 'invalid nonce');
    return c.json(await service.attestation(nonce.data), 200, { 'cache-control': 'no-store' });
  });

  app.post(
    '/v1/documents',
    sealed((b) => service.upload(b)),
  );
  app.post(
    '/v1/uploads',
    sealed((b) => service.listUploads(b)),
  );
  app.post(
    '/v1/search',
    sealed((b) => service.search(b)),
  );
  app.post(
    '/v1/documents/list',
    sealed((b) => service.list(b)),
  );
  app.post(
    '/v1/documents/delete',
    sealed((b) => service.delete(b)),
  );
  app.post(
    '/v1/permits/revoke',
    sealed((b) => service.revokePermit(b)),
  );
  app.post(
    '/v1/collections',
    sealed((b) => service.listCollections(b)),
  );
  app.post(
    '/v1/collections/create',
    sealed((b) => service.createCollection(b)),
  );
  app.post(
    '/v1/collections/rename',
    sealed((b) => service.renameCollection(b)),
  );
  app.post(
    '/v1/collections/move',
    sealed((b) => service.moveDocuments(b)),
  );
  app.post(
    '/v1/shares/grant',
    sealed((b) => service.grant(b)),
  );
  app.post(
    '/v1/shares/revoke',
    sealed((b) => service.revokeGrant(b)),
  );
  app.post(
    '/v1/shares',
    sealed((b) => service.shares(b)),
  );
  app.post(
    '/v1/audit',
    sealed((b) => service.auditLog(b)),
  );
  app.post(
    '/v1/forget-me',
    sealed((b) => service.forgetMe(b)),
  );
  app.post(
    '/v1/chat',
    sealedStream((b, signal) => service.chat(b, signal), log),
  );
  app.post(
    '/v1/conversations',
    sealed((b) => service.listConversations(b)),
  );
  app.post(
    '/v1/conversations/get',
    sealed((b) => service.getConversation(b)),
  );
  app.post(
    '/v1/conversations/delete',
    sealed((b) => service.deleteConversation(b)),
  );

  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404),
  );
  app.onError((err, c) => {
    if (err instanceof PragError) {
      const status = ERROR_STATUS[err.code];
      log.info({ code: err.code, status }, 'request refused');
      service.metrics.refused.inc({ code: err.code });
      const headers: Record<string, string> =
        err.retryAfterS === undefined ? {} : { 'retry-after': String(err.retryAfterS) };
      return c.json({ error: { code: err.code, message: err.message } }, status, headers);
    }
    // Unknown failures may quote content in their messages: log the kind only.
    log.error({ error: err.name }, 'internal error');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });
  return app;
}
