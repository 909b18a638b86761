/**
 * The web bundle as the service serves it: the same commit builds the same
 * bundle hash (no timestamps, no machine paths); the service serves the
 * bundle at `/` under a strict CSP and states the hash of exactly what it
 * serves in its attested key statement; the upload relay refuses parts it
 * cannot place; the collateral relay answers only where there is a quote.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PragClient } from '../../src/client/session.js';
import { hashBundle, loadWebBundle } from '../../src/server/web.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ROOT = resolve(import.meta.dirname, '../..');

let dir: ReturnType<typeof tempDir>;
let service: TestService;
const outs: string[] = [];

beforeAll(async () => {
  dir = tempDir('prag-web-build-');
  for (const name of ['first', 'second']) {
    const outDir = join(dir.path, name);
    await build({
      configFile: join(ROOT, 'web/vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    outs.push(outDir);
  }
  service = await startTestService(join(dir.path, 'data'), {}, {}, { webDir: outs[0] });
});

afterAll(async () => {
  await service?.close();
  dir?.cleanup();
});

const relay = (id: string, seq: number, body: Uint8Array<ArrayBuffer>, last = false) =>
  fetch(`${service.url}/v1/relay/${id}/${seq}${last ? '?last=1' : ''}`, { method: 'POST', body });

describe('the web bundle', () => {
  test('two builds of the same sources have the same bundle hash, and no file names this machine', () => {
    const [first, second] = outs.map((o) => loadWebBundle(o));
    expect(first?.files.has('index.html')).toBe(true);
    expect(second?.manifest).toBe(first?.manifest);
    expect(second?.sha256).toBe(first?.sha256);
    for (const bytes of first?.files.values() ?? []) expect(Buffer.from(bytes).includes(ROOT)).toBe(false);
  });

  test('the service serves the bundle under a strict CSP and states the hash of exactly what it serves', async () => {
    const bundle = loadWebBundle(outs[0]);
    if (!bundle) throw new Error('no bundle');
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(Buffer.from(await page.arrayBuffer()).equals(bundle.files.get('index.html') ?? new Uint8Array())).toBe(true);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    // Every referenced asset is served from this origin, byte for byte.
    const html = readFileSync(join(outs[0] ?? '', 'index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets.length).toBeGreaterThan(0);
    const served = new Map([['index.html', bundle.files.get('index.html') ?? new Uint8Array()]]);
    for (const asset of assets) {
      const res = await fetch(`${service.url}/${asset}`);
      expect(res.status).toBe(200);
      served.set(asset, new Uint8Array(await res.arrayBuffer()));
    }
    const same = (a: Uint8Array, b: Uint8Array | undefined) => b !== undefined && Buffer.from(a).equals(b);
    for (const [path, bytes] of served) expect(same(bytes, bundle.files.get(path)), path).toBe(true);
    // The attested statement carries the hash of those files (the verified client reads it from there).
    const client = await PragClient.connect(service.url, { allowInsecureDev: true });
    expect(client.service.statement.web_sha256).toBe(hashBundle(bundle.files).sha256);
    expect(await (await fetch(`${service.url}/web.json`)).json()).toEqual({
      bundle_sha256: bundle.sha256,
      served_by: 'service',
    });
    // The API is not shadowed by the page.
    expect((await fetch(`${service.url}/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    // A path that is not valid percent-encoding names no file: not found, not an internal error.
    expect((await fetch(`${service.url}/%zz`)).status).toBe(404);
  });

  test('the upload relay refuses parts it cannot place', async () => {
    const id = 'ab'.repeat(16);
    expect((await relay('not-hex', 0, new Uint8Array(1))).status).toBe(400);
    expect(await (await relay('cd'.repeat(16), 3, new Uint8Array(1))).json()).toMatchObject({
      error: { code: 'relay_unknown' },
    });
    expect(await (await relay(id, 0, new Uint8Array(9 * 1024 * 1024))).json()).toMatchObject({
      error: { code: 'relay_part_too_large' },
    });
    // Bytes that are no envelope: the upload route's own refusal comes back on the part that carried them.
    const refused = await relay(id, 0, new Uint8Array(100), true);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'envelope_malformed' } });
  });

  test('the collateral relay has nothing for dev evidence', async () => {
    const res = await fetch(`${service.url}/v1/attestation/collateral`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'collateral_unavailable' } });
  });
});
