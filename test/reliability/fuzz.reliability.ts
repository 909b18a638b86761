/**
 * Fuzz: at least 100,000 generated malformed inputs — envelopes (bit flips,
 * truncations, extensions, splices, lying lengths, random bytes), permits
 * (every field mutated), upload streams (names, collections, cut segments,
 * garbage content) and chat requests (random JSON) — against the service's
 * HTTP app in process. Zero crashes, zero 5xx, every rejection a 4xx with a
 * precise code. Seeded: PRAG_FUZZ_SEED replays a run.
 */
import { ROUTES } from '../../schemas/routes.js';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ENVELOPE_MEDIA_TYPE, type Permit } from '../../schemas/api.js';
import { sealRaw } from '../helpers/raw.js';
import { rng } from '../../src/bench/corpus.js';
import { concatBytes, utf8ToBytes } from '../../src/crypto/bytes.js';
import { createApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/log.js';
import { tempDir } from '../helpers/index.js';
import { flipBits } from '../helpers/must.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';
import { report } from './helpers.js';

const TOTAL = Number(process.env.PRAG_FUZZ_TOTAL ?? 100_000);
const SEED = Number(process.env.PRAG_FUZZ_SEED ?? Date.now() % 1_000_000);
const dir = tempDir();
let svc: TestService;
let user: TestUser;
let app: ReturnType<typeof createApp>;

const ENDPOINTS: Array<[string, string]> = [
  [ROUTES.search.path, ROUTES.search.type],
  [ROUTES.upload.path, ROUTES.upload.type],
  [ROUTES.chat.path, ROUTES.chat.type],
  [ROUTES.list.path, ROUTES.list.type],
  [ROUTES.shareGrant.path, ROUTES.shareGrant.type],
  [ROUTES.audit.path, ROUTES.audit.type],
  [ROUTES.collectionCreate.path, ROUTES.collectionCreate.type],
  [ROUTES.conversationGet.path, ROUTES.conversationGet.type],
];

beforeAll(async () => {
  svc = await startTestService(
    dir.path,
    {},
    { PRAG_RATE_PER_MIN: '1000000', PRAG_RATE_BURST: '1000000', PRAG_QUOTA_DOCS: '200' },
  );
  user = await testUser(svc.url);
  await user.client.upload(user.permit, textUpload('seed.txt', 'The insurance excess is 250 EUR per claim.'));
  app = createApp(
    svc.service,
    createLogger(
      new Writable({
        write(_c, _e, done) {
          done();
        },
      }),
    ),
  );
});
afterAll(async () => {
  await svc?.close();
  dir.cleanup();
});

/** A request as a client signs it, with parts of the signed metadata replaced (`override`) or added (`extra`). */
const seal = (
  type: string,
  name: string,
  payload: Uint8Array,
  override: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => sealRaw(user.client.service.x25519, user.permit, { type, name, payload, override, extra });

test(`${TOTAL.toLocaleString('en')} malformed requests: zero 5xx, every refusal a precise 4xx`, async () => {
  const r = rng(SEED);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => {
    const i = int(xs.length);
    if (i >= xs.length) throw new RangeError('pick from an empty list');
    return xs[i] as T; // inside xs: its item, which may itself be null
  };
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const codes = new Map<string, number>();
  const fiveXx: string[] = [];
  const badErrors: string[] = [];
  let accepted = 0;
  const started = performance.now();

  const send = async (
    path: string,
    body: Uint8Array | string,
    contentType = ENVELOPE_MEDIA_TYPE,
    kind = 'envelope',
  ) => {
    const res = await app.fetch(
      new Request(`http://fuzz${path}`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: body as BodyInit,
      }),
    );
    const text = await res.text();
    if (res.status >= 500) fiveXx.push(`${kind} ${path} ${res.status} ${text.slice(0, 200)}`);
    else if (res.status >= 400) {
      let code: unknown;
      try {
        code = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error?.code;
      } catch {
        /* not JSON */
      }
      if (typeof code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(code))
        badErrors.push(`${kind} ${path} ${res.status} ${text.slice(0, 120)}`);
      codes.set(`${res.status} ${String(code)}`, (codes.get(`${res.status} ${String(code)}`) ?? 0) + 1);
    } else accepted++;
  };

  const base = await seal(ROUTES.search.type, '', utf8ToBytes('{"query":"excess"}'));
  const mutateBytes = (b: Uint8Array): Uint8Array => {
    switch (int(7)) {
      case 0: {
        const c = b.slice();
        for (let i = 0; i <= int(4); i++) flipBits(c, int(c.length), 1 << int(8));
        return c;
      }
      case 1:
        return b.subarray(0, int(b.length));
      case 2:
        return concatBytes(b, bytes(1 + int(64)));
      case 3: {
        const c = b.slice();
        c.set(bytes(4), 53);
        return c;
      } // header length field
      case 4:
        return bytes(int(2000));
      case 5:
        return concatBytes(b.subarray(0, int(b.length)), base.subarray(int(base.length)));
      default: {
        const c = b.slice();
        c[int(5)] = int(256);
        return c;
      } // magic / version
    }
  };

  const permitMutations: Array<(p: Permit) => unknown> = [
    (p) => ({ ...p, params: { ...p.params, chain_id: pick(['pulsar-3', '', 'secret-4 ', 'x'.repeat(70)]) } }),
    (p) => ({
      ...p,
      params: { ...p.params, permit_name: pick(['', 'other', 'prag-' + 'x'.repeat(80), 'prag-ok\u0000']) },
    }),
    (p) => ({
      ...p,
      params: { ...p.params, allowed_tokens: pick([[], ['prag-other'], ['x'.repeat(200)], Array(20).fill('a')]) },
    }),
    (p) => ({ ...p, params: { ...p.params, permissions: pick([[], ['balance'], ['owner', 'owner'], [1]]) } }),
    (p) => ({ ...p, signature: { ...p.signature, signature: Buffer.from(bytes(64)).toString('base64') } }),
    (p) => ({
      ...p,
      signature: {
        ...p.signature,
        pub_key: { ...p.signature.pub_key, value: Buffer.from(bytes(33)).toString('base64') },
      },
    }),
    (p) => ({
      ...p,
      signature: { ...p.signature, pub_key: { type: 'tendermint/PubKeyEd25519', value: p.signature.pub_key.value } },
    }),
    () => pick([null, 1, 'permit', [], {}, { params: {} }]),
    (p) => ({ ...p, extra: true }),
  ];
  const junkJson = (depth = 0): unknown => {
    switch (int(depth > 3 ? 5 : 8)) {
      case 0:
        return null;
      case 1:
        return int(1e6) - 5e5;
      case 2:
        return r() < 0.5;
      case 3:
        return 'x'.repeat(int(40));
      case 4:
        return '\u202e' + 'y'.repeat(int(5));
      case 5:
        return Array.from({ length: int(4) }, () => junkJson(depth + 1));
      case 6:
        return Object.fromEntries(
          Array.from({ length: int(4) }, () => [
            pick(['messages', 'k', 'model', 'filters', 'stream', 'role', 'content', 'q']),
            junkJson(depth + 1),
          ]),
        );
      default:
        return {
          messages: [{ role: pick(['user', 'assistant', 'system', 'x']), content: junkJson(depth + 1) }],
          k: junkJson(depth + 1),
        };
    }
  };

  for (let i = 0; i < TOTAL; i++) {
    const category = i % 4;
    if (category === 0) {
      const [path] = pick(ENDPOINTS);
      if (int(20) === 0)
        await send(path, bytes(int(100)), pick(['application/json', 'text/plain', '']), 'content-type');
      else await send(path, mutateBytes(base));
    } else if (category === 1) {
      const meta =
        int(10) === 0
          ? { ts: pick([0, Date.now() + 3_600_000, -1, 'now']) }
          : { permit: pick(permitMutations)(user.permit.permit) };
      const [path, type] = pick(ENDPOINTS);
      await send(path, await seal(type, '', utf8ToBytes('{}'), meta), ENVELOPE_MEDIA_TYPE, 'permit');
    } else if (category === 2) {
      const name = pick([
        'a.txt',
        'b.pdf',
        'c.docx',
        'd.eml',
        'e.csv',
        'f.json',
        'g.mbox',
        '../x.txt',
        'a/b.txt',
        'noext',
        '',
        '.',
        'x.exe',
        'x'.repeat(250) + '.txt',
      ]);
      const content = int(3) === 0 ? utf8ToBytes(`%PDF-1.7\n${'garbage '.repeat(int(50))}`) : bytes(1 + int(3000));
      const variant = int(4);
      const collection = variant === 0 ? { collection: pick(['', '../x', 'x'.repeat(100), 'ok', '\u0000', 7]) } : {};
      let body = await seal(ROUTES.upload.type, name, content, {}, collection);
      if (variant === 1) body = body.subarray(0, Math.max(1, body.length - 1 - int(100)));
      if (variant === 2) body = mutateBytes(body);
      await send('/v1/documents', body, ENVELOPE_MEDIA_TYPE, 'upload');
    } else {
      const payload = utf8ToBytes(int(8) === 0 ? '{not json' : JSON.stringify(junkJson()));
      await send('/v1/chat', await seal(ROUTES.chat.type, '', payload), ENVELOPE_MEDIA_TYPE, 'chat');
    }
  }

  const health = await app.fetch(new Request('http://fuzz/readyz'));
  const hits = await user.client.call(ROUTES.search, user.permit, { query: 'insurance excess' });
  report('fuzz', {
    seed: SEED,
    requests: TOTAL,
    categories: { envelopes: TOTAL / 4, permits: TOTAL / 4, uploads: TOTAL / 4, chats: TOTAL / 4 },
    five_xx: fiveXx.length,
    malformed_error_bodies: badErrors.length,
    accepted_2xx: accepted,
    refusals_by_code: Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])),
    service_ready_after: health.status === 200,
    seconds: Math.round((performance.now() - started) / 1000),
  });
  expect(fiveXx.slice(0, 5)).toEqual([]);
  expect(badErrors.slice(0, 5)).toEqual([]);
  expect(health.status).toBe(200);
  expect(hits.hits[0]?.text).toContain('250 EUR');
});
