/**
 * prag/client's browser entry in a real browser (Debian's Chromium), served as
 * `prag web` serves a bundle (src/cli/web-command.ts) in front of a real
 * service on loopback: the entry bundles without Node built-ins; the page
 * gets a strict CSP and only loopback Host names are answered; the page
 * verifies the attestation itself (dev evidence refused until accepted, a
 * tampered statement named, a TOFU pin); a local identity stored encrypted
 * under a passphrase (a wrong one refused) signs in, uploads sealed in the
 * page go through the relay in parts with the tab's heap bounded, a search
 * reply names a date read from the query (not with `understand: false`), and the
 * identity round-trips as the CLI's encrypted file; a plain CLI file imports
 * stored encrypted; a
 * Keplr-shaped wallet signs the permit.
 */
import { serve, type ServerType } from '@hono/node-server';
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build, type Plugin } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Wallet } from '../../src/auth/secretjs.js';
import { webApp } from '../../src/cli/web-command.js';
import { createIdentity, loadIdentity } from '../../src/client/node.js';
import { connect as connectInPage } from '../../src/client/index.js';
import { hashBundle, loadWebBundle } from '../../src/server/web.js';
import { injectKeplr, launchBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

type Facade = typeof import('../../src/client/index.js');
declare global {
  interface Window {
    prag: Facade;
  }
}

const ENTRY = join(import.meta.dirname, '../../src/client/index.ts');
const MiB = 1024 * 1024;

/**
 * Node built-ins the bundle reached: each import of one must resolve to an
 * npm package (the `buffer` polyfill) or be mapped to nothing by the
 * importing package's own `browser` field (dcap-qvl's `crypto`, which it
 * replaces with pure JS in a browser).
 */
function builtinGuard(found: string[]): Plugin {
  const mappedAway = (source: string, importer: string) => {
    for (let dir = dirname(importer); dir !== dirname(dir); dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { browser?: unknown };
        return typeof pkg.browser === 'object' && (pkg.browser as Record<string, unknown>)[source] === false;
      } catch {
        // no package.json here: look further up
      }
    }
    return false;
  };
  return {
    name: 'builtin-guard',
    enforce: 'pre',
    async resolveId(source, importer) {
      const bare = source.replace(/^node:/, '');
      if (!importer || !(source.startsWith('node:') || builtinModules.includes(bare))) return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      const toPackage = resolved && !resolved.external && resolved.id.includes('/node_modules/');
      if (!toPackage && !mappedAway(source, importer)) found.push(`${source} (from ${importer})`);
      return null;
    },
  };
}

let dir: ReturnType<typeof tempDir>;
let service: TestService;
let local: ServerType;
let origin: string;
let browser: Browser | undefined;
const builtins: string[] = [];
const relayParts: number[] = [];
const bodies: Buffer[] = [];

async function newPage(): Promise<Page> {
  if (!browser) throw new Error('no browser');
  const page = await (await browser.newContext()).newPage();
  page.on('request', (r) => {
    const body = r.postDataBuffer();
    if (body) bodies.push(body);
    if (r.url().includes('/v1/relay/')) relayParts.push(body?.length ?? 0);
  });
  await page.goto(origin);
  await page.waitForFunction(() => window.prag !== undefined);
  return page;
}

beforeAll(async () => {
  dir = tempDir('prag-web-');
  const out = join(dir.path, 'bundle');
  await build({
    configFile: false,
    logLevel: 'warn',
    root: dir.path,
    plugins: [builtinGuard(builtins)],
    build: {
      outDir: out,
      emptyOutDir: true,
      target: 'es2022',
      lib: { entry: ENTRY, formats: ['es'], fileName: 'facade', name: 'prag' },
    },
  });
  writeFileSync(
    join(out, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>facade</title><script type="module" src="./boot.js"></script>\n',
  );
  writeFileSync(join(out, 'boot.js'), "import * as prag from './facade.mjs';\nwindow.prag = prag;\n");
  service = await startTestService(join(dir.path, 'data'));
  let port = 0;
  const app = webApp(service.url, loadWebBundle(out), () => port);
  await new Promise<void>((resolve) => {
    local = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      port = info.port;
      resolve();
    });
  });
  origin = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => local?.close(resolve));
  await service?.close();
  dir?.cleanup();
});

describe('the web client facade', () => {
  test('the browser entry of prag/client reaches no Node built-in', () => {
    expect(builtins).toEqual([]);
  });

  test('the page gets a strict CSP and its bundle hash; only loopback Host names are answered', async () => {
    const res = await fetch(`${origin}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"])
      expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const bundle = loadWebBundle(join(dir.path, 'bundle'));
    expect(bundle && hashBundle(bundle.files).sha256).toBe(res.headers.get('x-prag-web-sha256'));
    expect(await (await fetch(`${origin}/web.json`)).json()).toEqual({
      bundle_sha256: bundle?.sha256,
      served_by: 'prag-web',
      service_url: service.url,
    });
    // A rebound DNS name reaching the loopback port is not served.
    const http = await import('node:http');
    const status = await new Promise<number | undefined>((resolve) =>
      http.get(`${origin}/web.json`, { headers: { host: 'attacker.example' } }, (r) => resolve(r.statusCode)),
    );
    expect(status).toBe(421);
  });

  test('the page verifies the attestation itself: dev evidence refused until accepted, a tampered statement named, a pin kept', async () => {
    const page = await newPage();
    const refused = await page.evaluate(() => window.prag.verify(location.origin));
    expect(refused).toMatchObject({ ok: false, failed: { check: 'dev_evidence' }, details: { provider: 'dev' } });
    const accepted = await page.evaluate(async () => {
      const result = await window.prag.verify(location.origin, {
        allowInsecureDev: true,
        pins: new window.prag.Pins(),
      });
      return { ok: result.ok, details: result.details, pin: new window.prag.Pins().get(location.origin) };
    });
    expect(accepted).toMatchObject({
      ok: true,
      details: { verified: true, insecure: true, serviceId: service.service.statement.service_id },
      pin: { serviceId: service.service.statement.service_id },
    });
    // A look-alike changing one statement field: its signature no longer verifies.
    await page.route('**/v1/attestation?*', async (route) => {
      const res = await route.fetch();
      const json = await res.json();
      json.statement.key_origin = json.statement.key_origin === 'enclave' ? 'operator-escrow' : 'enclave';
      await route.fulfill({ response: res, json });
    });
    const tampered = await page.evaluate(() => window.prag.verify(location.origin, { allowInsecureDev: true }));
    expect(tampered).toMatchObject({
      ok: false,
      failed: { check: 'statement_signature' },
      details: { verified: false },
    });
    await page.context().close();
  });

  test('a browser identity signs in; uploads are sealed in the page and relayed in parts with the heap bounded; the identity is the CLI file', async () => {
    const page = await newPage();
    const canary = `canary${Date.now()}`;
    const passphrase = 'garden shed passphrase';
    const uploaded = await page.evaluate(
      async ({ word, passphrase }) => {
        const { BrowserIdentity, connect } = window.prag;
        const identity = await BrowserIdentity.create(passphrase);
        const again = await BrowserIdentity.unlock(passphrase);
        const wrong = await BrowserIdentity.unlock('not the passphrase').then(
          () => 'opened',
          (e: unknown) => (e as Error).message,
        );
        const short = await BrowserIdentity.create('short').then(
          () => 'created',
          (e: unknown) => (e as Error).message,
        );
        const prag = await connect(location.origin, {
          signer: identity.signer,
          allowInsecureDev: true,
          device: 'web',
        });
        const file = new File([`Notes\n\nThe ${word} is in the garden shed.\n`], 'notes.txt');
        const done = await prag.upload({ file, collection: 'web' });
        const { hits, understood } = await prag.search(word);
        // A date in the query is read as a filter; none of the documents is dated then, so it is dropped.
        const dated = await prag.search(`${word} in March 2024`);
        const literal = await prag.search(`${word} in March 2024`, { understand: false });
        return {
          address: identity.address,
          reloaded: again.address,
          stored: BrowserIdentity.stored(),
          wrong,
          short,
          chunks: done.chunks,
          hit: hits[0]?.text ?? '',
          understood: understood ?? null,
          dated: { hit: dated.hits[0]?.text ?? '', understood: dated.understood },
          literal: literal.understood ?? null,
          file: identity.encryptedFile,
        };
      },
      { word: canary, passphrase },
    );
    expect(uploaded.reloaded).toBe(uploaded.address);
    expect(uploaded.stored).toBe(uploaded.address);
    expect(uploaded.wrong).toMatch(/wrong passphrase/);
    expect(uploaded.short).toMatch(/too short/);
    expect(uploaded.chunks).toBeGreaterThan(0);
    expect(uploaded.hit).toContain(canary);
    expect(uploaded.understood).toBeNull();
    expect(uploaded.dated.understood).toEqual({
      query: canary,
      filters: { dateFrom: '2024-03-01', dateTo: '2024-03-31' },
      phrases: ['in March 2024'],
      dropped: true,
    });
    expect(uploaded.dated.hit).toContain(canary);
    expect(uploaded.literal).toBeNull();
    // The exported file is the CLI's encrypted identity file: it opens there, with the passphrase, as the same address.
    const file = join(dir.path, 'exported.json');
    writeFileSync(file, uploaded.file);
    expect(JSON.parse(uploaded.file)).toMatchObject({ kind: 'prag-identity-encrypted', version: 1 });
    expect((await loadIdentity(file, { passphrase })).address).toBe(uploaded.address);

    // A 64 MiB file picked from disk: sealed while read, sent in 4 MiB relay parts, queued once the service
    // holds it all. The page's live memory (JS heap and ArrayBuffers, measured after a GC, while the upload
    // runs) stays far below what holding the file would take (64 MiB of plaintext and as much ciphertext).
    const large = join(dir.path, 'large.txt');
    const line = 'A line of a large archive that nobody needs to read.\n'.padEnd(1024, '.');
    writeFileSync(large, line.repeat(64 * 1024));
    await page.evaluate(() => {
      const input = document.createElement('input');
      input.type = 'file';
      document.body.append(input);
    });
    await page.setInputFiles('input[type=file]', large);
    const queued = await page.evaluate(async (passphrase) => {
      const { BrowserIdentity, connect } = window.prag;
      const identity = await BrowserIdentity.unlock(passphrase);
      const file = document.querySelector('input')?.files?.[0];
      if (!file) throw new Error('the file is missing');
      const prag = await connect(location.origin, { signer: identity.signer, allowInsecureDev: true });
      const memory = performance as unknown as { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> };
      const live = async () => (await memory.measureUserAgentSpecificMemory()).bytes;
      const before = await live();
      let peak = before;
      let progress = 0;
      let done = false;
      const upload = prag.enqueue({ file }, { onProgress: (sent) => (progress = sent) }).finally(() => (done = true));
      // A measurement waits for a garbage collection: the upload's end stops the sampling, not the last sample.
      const ended = upload.then(
        () => 0,
        () => 0,
      );
      while (!done) peak = Math.max(peak, await Promise.race([live(), ended]));
      const reply = await upload;
      await prag.cancelUpload(reply.upload_id);
      return { ...reply, progress, growth: peak - before };
    }, passphrase);
    expect(queued).toMatchObject({ state: 'queued', progress: 64 * MiB });
    expect(relayParts.length).toBeGreaterThanOrEqual(16);
    expect(Math.max(...relayParts)).toBeLessThanOrEqual(4 * MiB);
    expect(queued.growth).toBeLessThan(48 * MiB);
    // No request body the page sent holds the plaintext.
    expect(bodies.some((b) => b.includes(canary) || b.includes('nobody needs to read'))).toBe(false);
    await page.context().close();
  }, 300_000);

  test('a CLI identity file imports into the browser, and a Keplr-shaped wallet signs the permit', async () => {
    const file = join(dir.path, 'cli-identity.json');
    const address = await createIdentity(file);
    const page = await newPage();
    const wallet = await injectKeplr(page);
    await page.reload();
    await page.waitForFunction(() => window.prag !== undefined);
    const result = await page.evaluate(
      async (text) => {
        const { BrowserIdentity, availableWallets, walletSigner, connect } = window.prag;
        // A plain CLI file is stored encrypted under the passphrase given for it.
        const imported = await BrowserIdentity.importFile(text, 'a passphrase for this browser');
        if (!localStorage.getItem('prag.identity.v1')?.includes('prag-identity-encrypted'))
          throw new Error('the imported identity is not stored encrypted');
        const signer = await walletSigner('keplr');
        const prag = await connect(location.origin, { signer, allowInsecureDev: true, device: 'web' });
        return {
          imported: imported.address,
          wallets: availableWallets(),
          docs: (await prag.documents()).length,
          signer: signer.address,
        };
      },
      readFileSync(file, 'utf8'),
    );
    expect(result).toEqual({ imported: address, wallets: ['keplr'], docs: 0, signer: wallet.address });
    expect(wallet.signatures).toBe(1);
    await page.context().close();
  });

  test("the service's own relay takes an upload in parts (the page it serves at / uses it)", async () => {
    const wallet = new Wallet();
    const prag = await connectInPage(service.url, { signer: wallet, allowInsecureDev: true });
    const bytes = new Uint8Array(9 * MiB).fill(0x61);
    const reply = await prag.enqueue({ name: 'parts.txt', size: bytes.length, bytes });
    expect(reply.state).toBe('queued');
    await prag.cancelUpload(reply.upload_id);
  });
});
