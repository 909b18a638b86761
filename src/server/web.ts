/**
 * The web client's static bundle (`web/dist`, built by `npm run build:web`) as
 * the service and `prag web` serve it (docs/web.md). The files are read once
 * into memory and hashed: what is served is exactly what was hashed, and the
 * service puts that hash in its attested key statement (`web_sha256`).
 *
 * Bundle hash: SHA-256 of the manifest `sha256sum` prints for the files,
 * sorted by path — lines `<hex sha256>  <path>\n`, paths relative to the
 * bundle root with `/`, ordered by their UTF-8 bytes. The same figure comes
 * from `cd web/dist && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum | sha256sum`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Context, Env, Hono, MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { QuoteCollateral, type AttestationPolicy } from '../../schemas/attestation.js';
import { errorBody } from '../../schemas/errors.js';
import { bytesToHex, utf8ToBytes } from '../crypto/bytes.js';

/** Where the bundle is: `web/dist` beside the sources, `dist/web/dist` beside the compiled service (deploy/Dockerfile). */
export const WEB_DIST = resolve(import.meta.dirname, '../../web/dist');

export interface WebBundle {
  /** Path (relative, `/`-separated) → bytes. */
  files: ReadonlyMap<string, Uint8Array>;
  /** The sorted `sha256sum` manifest the hash is taken over. */
  manifest: string;
  sha256: string;
}

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : e.isFile() ? [`${prefix}${e.name}`] : [],
  );
}

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Hashes files as the bundle hash defines (the module comment). */
export function hashBundle(files: ReadonlyMap<string, Uint8Array>): { manifest: string; sha256: string } {
  const manifest = [...files.keys()]
    .sort(byUtf8)
    .map((path) => `${bytesToHex(sha256(files.get(path) ?? new Uint8Array()))}  ${path}\n`)
    .join('');
  return { manifest, sha256: bytesToHex(sha256(utf8ToBytes(manifest))) };
}

/**
 * Reads and hashes a built bundle; undefined when there is none (no
 * index.html) or it changes while being read (a build in progress): nothing
 * is served then, rather than a mix.
 */
export function loadWebBundle(dir = WEB_DIST): WebBundle | undefined {
  try {
    const paths = walk(dir);
    if (!paths.includes('index.html')) return undefined;
    const files = new Map(paths.map((p) => [p, new Uint8Array(readFileSync(join(dir, p)))]));
    return { files, ...hashBundle(files) };
  } catch {
    return undefined;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page's headers. Everything comes from this origin and the page talks
 * only to it (`connect-src 'self'`: the service, or `prag web`'s proxy of
 * it): no CDN, no inline script, no third party, no framing. Inline `style`
 * attributes set through the DOM (Preact's style props) are CSSOM and allowed
 * by `style-src 'self'`; markup-inline styles are not.
 */
export const webHeaders = (): MiddlewareHandler =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      manifestSrc: ["'self'"],
      workerSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
    },
    crossOriginEmbedderPolicy: 'require-corp',
    crossOriginOpenerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
    referrerPolicy: 'no-referrer',
    xFrameOptions: 'DENY',
    permissionsPolicy: {
      camera: [],
      microphone: [],
      geolocation: [],
      payment: [],
      usb: [],
      serial: [],
      hid: [],
    },
  });

/** Who serves the page, told to the page at `GET /web.json`. */
export interface WebOrigin {
  servedBy: 'service' | 'prag-web';
  /** The service `prag web` proxies (absent when the service serves the page itself). */
  serviceUrl?: string;
  /** The measurement policy `prag web --policy` verified the service against; the page verifies with it too. */
  policy?: AttestationPolicy;
}

/**
 * Serves the bundle at `/` (GET and HEAD only), `GET /web.json` (the bundle
 * hash as this server computed it, who serves, and `prag web`'s policy), and `not_built` text when
 * there is no bundle.
 */
export function mountWeb<E extends Env>(app: Hono<E>, bundle: WebBundle | undefined, origin: WebOrigin): void {
  const headers = webHeaders();
  app.get('/web.json', headers, (c) =>
    c.json(
      {
        bundle_sha256: bundle?.sha256 ?? null,
        served_by: origin.servedBy,
        ...(origin.serviceUrl ? { service_url: origin.serviceUrl } : {}),
        ...(origin.policy ? { policy: origin.policy } : {}),
      },
      200,
      { 'cache-control': 'no-store' },
    ),
  );
  const serve = (c: Context) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname).replace(/^\/+/, '');
    } catch {
      return c.text('not found\n', 404); // not valid percent-encoding: no file has that name
    }
    if (!bundle)
      return c.text('The web client is not built here: run `npm run build:web`.\n', 404, {
        'cache-control': 'no-store',
      });
    // The app has one page (no client-side paths): any other name is a file of the bundle or nothing, so no
    // path outside it (e.g. /metrics, which only the loopback listener serves) answers with the page.
    const name = path === '' ? 'index.html' : path;
    const bytes = bundle.files.get(name);
    if (!bytes) return c.json(errorBody('not_found'), 404);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'x-prag-web-sha256': bundle.sha256,
    });
  };
  app.on(['GET', 'HEAD'], '/*', headers, (c, next) => {
    const path = new URL(c.req.url).pathname;
    // The API's own GET routes (and unknown /v1 ones) are not the page's.
    if (path.startsWith('/v1/') || path === '/healthz' || path === '/readyz') return next();
    return serve(c);
  });
}

/** How long relayed collateral is reused before it is fetched again (Intel's nextUpdate is days away). */
const COLLATERAL_REUSE_MS = 3600_000;

/**
 * The collateral for this service's own quote, from its PCCS, for `GET
 * /v1/attestation/collateral`: browsers cannot reach a PCCS across origins.
 * Intel signs it, so relaying it adds no trust. Undefined without a quote (dev).
 */
export function ownCollateral(
  quote: () => Promise<Uint8Array | undefined>,
  pccsUrl: string,
  fetchCollateral: (pccsUrl: string, quote: Uint8Array) => Promise<QuoteCollateral>,
): () => Promise<QuoteCollateral | undefined> {
  let held: { at: number; value: Promise<QuoteCollateral | undefined> } | undefined;
  return () => {
    if (!held || Date.now() - held.at > COLLATERAL_REUSE_MS) {
      const value = quote().then((q) =>
        q ? fetchCollateral(pccsUrl, q).then((c) => QuoteCollateral.parse(c)) : undefined,
      );
      held = { at: Date.now(), value };
      // A failure is not kept: the next request tries again.
      value.catch(() => (held = undefined));
    }
    return held.value;
  };
}
