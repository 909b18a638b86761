/**
 * `prag web`: the web client served from the user's own machine, on
 * 127.0.0.1 — the trustworthy way to run it (docs/web.md): the page comes
 * from a bundle on this machine, whose hash the attested service states, not
 * from the party the page is meant to verify. The page talks only to this
 * origin, which proxies the service's API (sealed envelopes and public
 * attestation, nothing it could read) and relays uploads sent in parts.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AttestationPolicy } from '../../schemas/attestation.js';
import { ROUTES } from '../../schemas/routes.js';
import { streamingFetch } from '../client/node-fetch.js';
import { mountRelay } from '../server/web-relay.js';
import { loadWebBundle, mountWeb, WEB_DIST } from '../server/web.js';
import { connectVerifying, out, type ConnectFlags } from './client-commands.js';
import { UsageError } from './errors.js';

export interface WebFlags extends ConnectFlags {
  port?: number;
  dir?: string;
  hash?: boolean;
  json?: boolean;
}

/** Response headers passed back from the service (the rest are this origin's own). */
const PASSED_BACK = ['cache-control', 'retry-after'];
/** The media types the API answers with; any other answer is passed back as bytes no browser renders. */
const API_TYPE = /^(application\/(json|x-ndjson|vnd\.prag\.[\w.+-]+)|text\/plain)\s*(;|$)/i;

/**
 * The service's answer as this origin passes it back. Whoever answers for the service (a look-alike, anyone on
 * the path to it) must not get a page rendered here: a script of this origin could use the local identity.
 */
function passBack(res: Response): Response {
  const headers = new Headers({
    'content-security-policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  for (const name of PASSED_BACK) {
    const value = res.headers.get(name);
    if (value) headers.set(name, value);
  }
  const type = res.headers.get('content-type') ?? '';
  headers.set('content-type', API_TYPE.test(type) ? type : 'application/octet-stream');
  return new Response(res.body, { status: res.status, headers });
}

/**
 * The local origin: the bundle, the relay, and a proxy of the service's API.
 * Only requests addressed to this loopback host are served (a web page cannot
 * reach it through a rebound DNS name). The policy the service was verified
 * against is handed to the page (`GET /web.json`), which verifies with it.
 */
export function webApp(
  service: string,
  bundle: ReturnType<typeof loadWebBundle>,
  port: () => number,
  policy?: AttestationPolicy,
): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (![`127.0.0.1:${port()}`, `localhost:${port()}`, `[::1]:${port()}`].includes(host))
      return c.text('prag web answers only on its loopback address\n', 421);
    return next();
  });
  const forward = (path: string, init: RequestInit) =>
    streamingFetch(`${service}${path}`, { ...init, duplex: 'half' } as RequestInit).then(passBack);
  mountRelay(app, (body) =>
    forward(ROUTES.upload.path, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.prag.envelope' },
      body,
    }),
  );
  const proxy = async (c: import('hono').Context) => {
    const url = new URL(c.req.url);
    const method = c.req.method;
    const contentType = c.req.header('content-type');
    const res = await forward(`${url.pathname}${url.search}`, {
      method,
      headers: contentType ? { 'content-type': contentType } : {},
      body: method === 'GET' || method === 'HEAD' ? undefined : c.req.raw.body,
      signal: c.req.raw.signal,
    }).catch(() => undefined);
    return (
      res ?? c.json({ error: { code: 'unreachable', message: `the service at ${service} cannot be reached` } }, 502)
    );
  };
  app.all('/v1/*', proxy);
  app.get('/healthz', proxy);
  app.get('/readyz', proxy);
  mountWeb(app, bundle, { servedBy: 'prag-web', serviceUrl: service, policy });
  return app;
}

export async function webCommand(flags: WebFlags): Promise<void> {
  const dir = flags.dir ?? WEB_DIST;
  const bundle = loadWebBundle(dir);
  if (!bundle) throw new UsageError(`no web bundle in ${dir}: build it with \`npm run build:web\` (or pass --dir)`);
  if (flags.hash) return void process.stdout.write(`${bundle.sha256}\n`);
  // The page verifies the service itself; this check tells the user at once whether the bundles match.
  const { client, policy } = await connectVerifying(flags);
  const stated = client.service.statement.web_sha256;
  let port = flags.port ?? 8788;
  const app = webApp(client.url, bundle, () => port, policy);
  await new Promise<void>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
      port = info.port;
      resolve();
    });
    server.once('error', reject);
  });
  const page = `http://127.0.0.1:${port}/`;
  const match = stated === undefined ? 'not stated' : stated === bundle.sha256 ? 'match' : 'DIFFERENT';
  if (flags.json)
    return out({ url: page, service: client.url, bundle_sha256: bundle.sha256, attested: stated ?? null });
  process.stdout.write(
    [
      `PRAG web client on ${page} (Ctrl-C stops it)`,
      `  service ${client.url} (${client.serviceId})`,
      `  bundle sha256 ${bundle.sha256} (${dir})`,
      `  attested web bundle ${stated ?? '(the service states none)'}: ${match}`,
    ].join('\n') + '\n',
  );
}
