/**
 * Registers every route of the contract (schemas/routes.ts) with its
 * pipeline and handler, and seals what the handler answers to the requester:
 * one frame for `json` and `upload` routes, a stream of frames for `stream`
 * routes.
 */
import type { Context, Hono } from 'hono';
import type { Logger } from 'pino';
import { REPLY_MEDIA_TYPE, RequestMeta, type UploadMeta } from '../../schemas/api.js';
import { ROUTES, type Route, type RouteName } from '../../schemas/routes.js';
import type { ReplyKeys } from '../crypto/reply.js';
import type { SealedEnv } from './env.js';
import { parseBody, sealedSteps, spoolUpload, type PipelineParts } from './pipeline/index.js';
import type { Handlers, JsonHandler, StreamFrame, StreamHandler, UploadHandler } from './routes/types.js';

const REPLY_HEADERS = { 'content-type': REPLY_MEDIA_TYPE, 'cache-control': 'no-store' };

function sealedReply(c: Context, reply: ReplyKeys, value: unknown) {
  const frame = reply.writer().json(value, true);
  return c.body(frame as Uint8Array<ArrayBuffer>, 200, REPLY_HEADERS);
}

/**
 * Frames sealed and sent as they are produced. Failures before the first
 * frame are plain HTTP errors (the handler throws before returning); a
 * failure after it becomes a final error frame. When the requester goes away
 * the handler's signal is aborted and its frames are abandoned.
 */
function sealedStream(
  c: Context,
  reply: ReplyKeys,
  frames: AsyncIterable<StreamFrame<unknown>>,
  gone: AbortController,
  log: Logger,
) {
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
}

export function registerSealedRoutes(
  app: Hono<SealedEnv>,
  parts: PipelineParts,
  handlers: Handlers,
  log: Logger,
): void {
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const route: Route = ROUTES[name];
    const handler = handlers[name];
    switch (route.kind) {
      case 'json': {
        const handle = handler as JsonHandler<typeof route>;
        app.on(
          'POST',
          [route.path],
          ...sealedSteps(parts, route.type, RequestMeta),
          parseBody(route.request),
          async (c) => sealedReply(c, c.var.envelope.reply, await handle(c.var.caller, c.var.body)),
        );
        break;
      }
      case 'stream': {
        const handle = handler as StreamHandler<typeof route>;
        app.on(
          'POST',
          [route.path],
          ...sealedSteps(parts, route.type, RequestMeta),
          parseBody(route.request),
          async (c) => {
            const gone = new AbortController();
            c.req.raw.signal.addEventListener('abort', () => gone.abort(), { once: true });
            const frames = await handle(c.var.caller, c.var.body, { bodyBytes: c.var.bodyBytes, signal: gone.signal });
            return sealedStream(c, c.var.envelope.reply, frames, gone, log);
          },
        );
        break;
      }
      case 'upload': {
        const handle = handler as UploadHandler<typeof route>;
        const steps = sealedSteps(parts, route.type, ROUTES.upload.meta, [spoolUpload(parts.openSpool)]);
        app.on('POST', [route.path], ...steps, async (c) => {
          const { caller, envelope, meta, spool } = c.var;
          // parseMeta checked this route's header against UploadMeta.
          return sealedReply(c, envelope.reply, await handle(caller, { envelope, meta: meta as UploadMeta, spool }));
        });
        break;
      }
    }
  }
}
