/**
 * HTTP (hono, Web-standard Request/Response) onto the service: the public
 * probes and attestation, then every sealed route of the contract. Errors
 * are plaintext `{error:{code,message}}` with each code's fixed message
 * (schemas/errors.ts), so they never carry user content. Metrics are not
 * served here (src/server/metrics-listener.ts).
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { getCollateral } from '@phala/dcap-qvl';
import { randomBytes } from '@noble/hashes/utils.js';
import { ENVELOPE_MEDIA_TYPE } from '../../schemas/api.js';
import { Nonce } from '../../schemas/attestation.js';
import { ROUTES } from '../../schemas/routes.js';
import { DEFAULT_PCCS_URL } from '../attest/collateral.js';
import { bytesToHex, hexToBytes } from '../crypto/bytes.js';
import { ERROR_STATUS, errorBody } from '../../schemas/errors.js';
import { PragError } from '../errors.js';
import { accountRoutes } from './routes/account.js';
import { chatRoutes } from './routes/chat.js';
import { collectionRoutes } from './routes/collections.js';
import { conversationRoutes } from './routes/conversations.js';
import { documentRoutes } from './routes/documents.js';
import { documentReadRoutes } from './routes/document-get.js';
import { searchRoutes } from './routes/search.js';
import { shareRoutes } from './routes/shares.js';
import { limitClient } from './pipeline/client-rate-limit.js';
import { registerSealedRoutes } from './sealed.js';
import { mountRelay } from './web-relay.js';
import { mountWeb, ownCollateral } from './web.js';
import type { SealedEnv } from './env.js';
import type { PragService } from './service.js';

export function createApp(service: PragService, log: Logger): Hono<SealedEnv> {
  const app = new Hono<SealedEnv>();
  const { metrics } = service;

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const route = c.req.routePath;
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.latency.observe({ method: c.req.method, route }, ms / 1000);
    log.info({ method: c.req.method, route, status: c.res.status, ms: Math.round(ms) }, 'request');
  });

  /** Liveness: the process answers. */
  app.get('/healthz', (c) =>
    c.json({ ok: true, provider: service.tee.name, service_id: service.statement.service_id }),
  );
  /** Readiness: stores open and not shutting down. */
  app.get('/readyz', (c) => (service.ready ? c.json({ ready: true }) : c.json({ ready: false }, 503)));

  // Each answer signs the nonce and, on `tdx`, asks the TD for a fresh quote: bounded per client.
  app.get('/v1/attestation', limitClient(service.pipeline.clientLimiter), async (c) => {
    const nonce = Nonce.safeParse(c.req.query('nonce') ?? '');
    if (!nonce.success) throw new PragError('nonce_invalid', 'the nonce is not 16–64 bytes of lower-case hex');
    return c.json(await service.identity.attestation(nonce.data), 200, { 'cache-control': 'no-store' });
  });

  // Browsers cannot reach a PCCS: the collateral of this service's own quote, fetched here (Intel signs it).
  const collateral = ownCollateral(
    async () => {
      const { evidence } = await service.identity.attestation(bytesToHex(randomBytes(32)));
      return 'quote' in evidence ? hexToBytes(evidence.quote) : undefined;
    },
    service.config.llm.pccsUrl ?? DEFAULT_PCCS_URL,
    getCollateral,
  );
  app.get('/v1/attestation/collateral', limitClient(service.pipeline.clientLimiter), async (c) => {
    const found = await collateral().catch(() => undefined);
    if (!found) throw new PragError('collateral_unavailable', 'no collateral for this provider or PCCS unreachable');
    return c.json(found, 200, { 'cache-control': 'no-store' });
  });
  // The web client's uploads, sent in parts over HTTP/1.1, go on to the upload route as one stream. Each part
  // spends from the client's bucket before its body is read.
  app.use('/v1/relay/*', limitClient(service.pipeline.clientLimiter));
  mountRelay(app, async (body, first) =>
    app.fetch(
      new Request(new URL(ROUTES.upload.path, first.url), {
        method: 'POST',
        headers: { 'content-type': ENVELOPE_MEDIA_TYPE },
        body,
        duplex: 'half',
      } as RequestInit),
      first.env as object,
    ),
  );

  registerSealedRoutes(
    app,
    service.pipeline,
    {
      ...documentRoutes(service),
      ...documentReadRoutes(service),
      ...searchRoutes(service),
      ...collectionRoutes(service),
      ...shareRoutes(service),
      ...chatRoutes(service),
      ...conversationRoutes(service),
      ...accountRoutes(service),
    },
    log,
  );

  mountWeb(app, service.web, { servedBy: 'service' });

  app.notFound((c) => c.json(errorBody('not_found'), 404));
  app.onError((err, c) => {
    if (err instanceof PragError) {
      const status = ERROR_STATUS[err.code];
      log.info({ code: err.code, status }, 'request refused');
      metrics.refused.inc({ code: err.code });
      const headers: Record<string, string> =
        err.retryAfterS === undefined ? {} : { 'retry-after': String(err.retryAfterS) };
      return c.json(errorBody(err.code), status, headers);
    }
    // Unknown failures may quote content in their messages: log the kind only.
    log.error({ error: err.name }, 'internal error');
    return c.json(errorBody('internal'), 500);
  });
  return app;
}
