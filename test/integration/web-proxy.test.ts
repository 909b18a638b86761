/**
 * `prag web`'s proxy against a hostile service (or anyone on the path to it):
 * whatever the service answers under `/v1/*`, the browser never renders it as
 * a page of the local origin — which holds the local identity and the pins.
 * And the policy `prag web --policy` verified the service against reaches the
 * page in `GET /web.json`, for the page's own verification.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AttestationPolicy } from '../../schemas/attestation.js';
import { webApp } from '../../src/cli/web-command.js';

const SCRIPT = '<script>indexedDB.open("prag")</script>';

let hostile: http.Server;
let local: ServerType;
let origin = '';
let withPolicy: ServerType;
let policyOrigin = '';

const POLICY = AttestationPolicy.parse({
  v: 1,
  measurements: [
    {
      mrtd: 'a1'.repeat(48),
      rtmr0: 'b2'.repeat(48),
      rtmr1: 'c3'.repeat(48),
      rtmr2: 'd4'.repeat(48),
      rootfs_data: '00'.repeat(32),
    },
  ],
  compose_sha256: ['e5'.repeat(32)],
});

/** `prag web`'s app on an ephemeral loopback port. */
async function listen(app: ReturnType<typeof webApp>, setPort: (port: number) => void): Promise<[ServerType, string]> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      setPort(info.port);
      resolve([server, `http://127.0.0.1:${info.port}`]);
    });
  });
}

beforeAll(async () => {
  hostile = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(SCRIPT);
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  const service = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  let port = 0;
  const app = webApp(service, undefined, () => port);
  await new Promise<void>((resolve) => {
    local = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      port = info.port;
      resolve();
    });
  });
  origin = `http://127.0.0.1:${port}`;
  let policyPort = 0;
  [withPolicy, policyOrigin] = await listen(
    webApp(service, undefined, () => policyPort, POLICY),
    (p) => (policyPort = p),
  );
});

afterAll(async () => {
  await new Promise((resolve) => local?.close(resolve));
  await new Promise((resolve) => withPolicy?.close(resolve));
  await new Promise((resolve) => hostile?.close(resolve));
});

describe("prag web's proxy", () => {
  test('an HTML answer from the service is passed back as inert bytes under a sandboxing policy', async () => {
    // A web site can navigate the browser to any of these (a form can POST to the upload relay).
    const requests: [string, RequestInit][] = [
      ['/v1/attestation?nonce=00', {}],
      ['/v1/anything', {}],
      ['/healthz', {}],
      [`/v1/relay/${'ab'.repeat(16)}/0?last=1`, { method: 'POST', body: 'x' }],
    ];
    for (const [path, init] of requests) {
      const res = await fetch(`${origin}${path}`, init);
      expect(await res.text()).toBe(SCRIPT);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain('sandbox');
    }
  });

  test('GET /web.json carries the policy prag web verified the service against, and none without one', async () => {
    const served = await (await fetch(`${policyOrigin}/web.json`)).json();
    expect(served).toMatchObject({ served_by: 'prag-web', policy: POLICY });
    expect(AttestationPolicy.parse(served.policy)).toEqual(POLICY);
    const without = await (await fetch(`${origin}/web.json`)).json();
    expect(without).toMatchObject({ served_by: 'prag-web' });
    expect(without).not.toHaveProperty('policy');
  });
});
