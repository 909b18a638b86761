/**
 * Model-based property test of access control on the real service, in
 * process: the client's requests go straight into the service's HTTP app
 * (app.fetch, no socket), sealed and permit-signed like any other. Random
 * sequences of uploads, grants with expiries, revocations, moves, deletions,
 * forget-me, searches and listings by a few users; every step's output is
 * checked against the model: each returned chunk is the requester's own or
 * covered by a grant that was live, labelled with its true owner and
 * collection; listings show exactly the requester's documents and grants;
 * nothing deleted ever comes back.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Permit } from '../schemas/api.js';
import { Wallet } from '../src/auth/secretjs.js';
import { signPermit } from '../src/client/identity.js';
import { PragClient } from '../src/client/session.js';
import { createApp } from '../src/server/app.js';
import { createLogger } from '../src/server/log.js';
import { tempDir } from './helpers/index.js';
import { startTestService, textUpload, type TestService } from './helpers/service.js';

const USERS = 3;
const COLLECTIONS = ['a', 'b'] as const;
/** Steps across all runs; the issue asks for at least 10,000 per `npm test`. */
const MIN_STEPS = 10_000;

interface Doc {
  owner: number;
  collection: string;
  marker: string;
}
interface Grant {
  owner: number;
  grantee: number;
  collection: string;
  expiresAt: number | null;
}
interface Model {
  docs: Map<string, Doc>;
  deleted: Set<string>;
  grants: Grant[];
  collections: Array<Set<string>>;
}
interface Real {
  client: PragClient;
  users: Array<{ address: string; permit: Permit }>;
}

let svc: TestService;
let client: PragClient;
let steps = 0;
let searches = 0;
let sharedHits = 0;
let markerSeq = 0;
const dir = tempDir();

beforeAll(async () => {
  svc = await startTestService(dir.path);
  const app = createApp(svc.service, createLogger(undefined, 'silent'));
  const inProcess = (async (input: string | URL | Request, init?: RequestInit) =>
    app.fetch(new Request(input, init))) as typeof fetch;
  client = await PragClient.connect(svc.url, { allowInsecureDev: true, fetch: inProcess });
});
afterAll(async () => {
  await svc?.close();
  dir.cleanup();
});

const ownedBy = (m: Model, u: number) => [...m.docs].filter(([, d]) => d.owner === u).map(([id]) => id);
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'error',
  );

class Upload implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly collection: string,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    steps++;
    const marker = `mk${(markerSeq++).toString(36)}x`;
    const reply = await r.client.upload(
      r.users[this.user]!.permit,
      textUpload(`${marker}.txt`, `Report ${marker} about the quarterly checkup and invoices.`, this.collection),
    );
    expect(reply.doc_ids).toHaveLength(1);
    m.docs.set(reply.doc_ids[0]!, { owner: this.user, collection: this.collection, marker });
    m.collections[this.user]!.add(this.collection);
  }
  toString = () => `upload(u${this.user}, ${this.collection})`;
}

class Share implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly owner: number,
    readonly grantee: number,
    readonly collection: string,
    readonly ttlMs: number | null,
  ) {}
  check = () => this.owner !== this.grantee;
  async run(m: Model, r: Real) {
    steps++;
    const expiresAt = this.ttlMs === null ? null : Date.now() + this.ttlMs;
    const result = await code(
      r.client.grant(r.users[this.owner]!.permit, {
        with: r.users[this.grantee]!.address,
        collection: this.collection,
        ...(expiresAt === null ? {} : { expires_at: new Date(expiresAt).toISOString() }),
      }),
    );
    if (m.collections[this.owner]!.has(this.collection)) {
      expect(result).toBe('ok');
      m.grants.push({ owner: this.owner, grantee: this.grantee, collection: this.collection, expiresAt });
    } else expect(result).toBe('collection_not_found');
  }
  toString = () => `share(u${this.owner} → u${this.grantee}, ${this.collection}, ${this.ttlMs ?? '∞'} ms)`;
}

class Unshare implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly owner: number,
    readonly grantee: number,
    readonly collection: string,
  ) {}
  check = () => this.owner !== this.grantee;
  async run(m: Model, r: Real) {
    steps++;
    const result = await code(
      r.client.revokeGrant(r.users[this.owner]!.permit, {
        with: r.users[this.grantee]!.address,
        collection: this.collection,
      }),
    );
    const matching = (g: Grant) =>
      g.owner === this.owner && g.grantee === this.grantee && g.collection === this.collection;
    if (!m.collections[this.owner]!.has(this.collection)) expect(result).toBe('collection_not_found');
    else if (m.grants.some(matching)) expect(result).toBe('ok');
    else expect(result).toBe('grant_not_found');
    m.grants = m.grants.filter((g) => !matching(g));
  }
  toString = () => `unshare(u${this.owner} → u${this.grantee}, ${this.collection})`;
}

class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly owner: number,
    readonly pick: number,
  ) {}
  check = (m: Readonly<Model>) => ownedBy(m as Model, this.owner).length > 0;
  async run(m: Model, r: Real) {
    steps++;
    const ids = ownedBy(m, this.owner);
    const id = ids[this.pick % ids.length]!;
    expect(await r.client.delete(r.users[this.owner]!.permit, id)).toEqual({ deleted: 1 });
    m.docs.delete(id);
    m.deleted.add(id);
  }
  toString = () => `delete(u${this.owner}, #${this.pick})`;
}

class Move implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly owner: number,
    readonly pick: number,
    readonly to: string,
  ) {}
  check = (m: Readonly<Model>) => ownedBy(m as Model, this.owner).length > 0;
  async run(m: Model, r: Real) {
    steps++;
    const ids = ownedBy(m, this.owner);
    const id = ids[this.pick % ids.length]!;
    expect(await r.client.moveDocuments(r.users[this.owner]!.permit, [id], this.to)).toEqual({ moved: 1 });
    m.docs.get(id)!.collection = this.to;
    m.collections[this.owner]!.add(this.to);
  }
  toString = () => `move(u${this.owner}, #${this.pick} → ${this.to})`;
}

class ForgetMe implements fc.AsyncCommand<Model, Real> {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    steps++;
    await r.client.forgetMe(r.users[this.user]!.permit, r.users[this.user]!.address);
    for (const id of ownedBy(m, this.user)) {
      m.docs.delete(id);
      m.deleted.add(id);
    }
    m.grants = m.grants.filter((g) => g.owner !== this.user && g.grantee !== this.user);
    m.collections[this.user]!.clear();
  }
  toString = () => `forget-me(u${this.user})`;
}

class Search implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly pick: number | null,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    steps++;
    searches++;
    const docs = [...m.docs.values()];
    const query =
      this.pick === null || !docs.length
        ? 'quarterly checkup report'
        : `report ${docs[this.pick % docs.length]!.marker}`;
    const started = Date.now();
    const { hits } = await r.client.search(r.users[this.user]!.permit, { query, k: 20 });
    for (const hit of hits) {
      expect(m.deleted.has(hit.doc_id), `deleted document ${hit.doc_id} came back`).toBe(false);
      const doc = m.docs.get(hit.doc_id);
      expect(doc, `unknown document ${hit.doc_id}`).toBeDefined();
      expect(hit.owner).toBe(r.users[doc!.owner]!.address);
      expect(hit.collection).toBe(doc!.collection);
      if (doc!.owner === this.user) continue;
      sharedHits++;
      const covering = m.grants.some(
        (g) =>
          g.owner === doc!.owner &&
          g.grantee === this.user &&
          g.collection === doc!.collection &&
          (g.expiresAt === null || g.expiresAt > started),
      );
      expect(covering, `u${this.user} got u${doc!.owner}'s chunk in ${doc!.collection} with no live grant`).toBe(true);
    }
  }
  toString = () => `search(u${this.user}, ${this.pick ?? 'generic'})`;
}

class Listing implements fc.AsyncCommand<Model, Real> {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    steps++;
    const { permit } = r.users[this.user]!;
    const [{ documents }, shares] = await Promise.all([r.client.list(permit), r.client.shares(permit)]);
    const mine = [...m.docs].filter(([, d]) => d.owner === this.user);
    expect(documents.map((d) => [d.doc_id, d.collection]).sort()).toEqual(
      mine.map(([id, d]) => [id, d.collection]).sort(),
    );
    const now = Date.now();
    const address = (u: number) => r.users[u]!.address;
    const expected = (gs: Grant[], other: (g: Grant) => number) =>
      gs.map((g) => `${address(other(g))}/${g.collection}`).sort();
    expect(shares.given.map((g) => `${g.with}/${g.collection}`).sort()).toEqual(
      expected(
        m.grants.filter((g) => g.owner === this.user),
        (g) => g.grantee,
      ),
    );
    expect(shares.received.map((g) => `${g.with}/${g.collection}`).sort()).toEqual(
      expected(
        m.grants.filter((g) => g.grantee === this.user),
        (g) => g.owner,
      ),
    );
    for (const g of shares.received)
      if (g.active) expect(g.expires_at === null || Date.parse(g.expires_at) > now - 1000).toBe(true);
  }
  toString = () => `listing(u${this.user})`;
}

const user = fc.nat(USERS - 1);
const collection = fc.constantFrom(...COLLECTIONS);
/** One weighted choice per step: retrievals and grant changes often, forget-me rarely. */
const commands = [
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(user, collection).map(([u, c]) => new Upload(u, c)) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(user, user, collection, fc.option(fc.integer({ min: 50, max: 1500 }), { freq: 2 }))
        .map(([o, g, c, t]) => new Share(o, g, c, t)),
    },
    { weight: 2, arbitrary: fc.tuple(user, user, collection).map(([o, g, c]) => new Unshare(o, g, c)) },
    { weight: 1, arbitrary: fc.tuple(user, fc.nat()).map(([u, p]) => new Delete(u, p)) },
    { weight: 1, arbitrary: fc.tuple(user, fc.nat(), collection).map(([u, p, c]) => new Move(u, p, c)) },
    { weight: 1, arbitrary: fc.tuple(user, fc.nat(19)).map(([u, n]) => (n === 0 ? new ForgetMe(u) : new Listing(u))) },
    { weight: 7, arbitrary: fc.tuple(user, fc.option(fc.nat(), { freq: 3 })).map(([u, p]) => new Search(u, p)) },
    { weight: 1, arbitrary: user.map((u) => new Listing(u)) },
  ),
];

/** Time per kind of step, reported with the result. */
const timing = new Map<string, { n: number; ms: number }>();
for (const C of [Upload, Share, Unshare, Delete, Move, ForgetMe, Search, Listing]) {
  const run = C.prototype.run;
  C.prototype.run = async function (this: unknown, m: Model, r: Real) {
    const t = performance.now();
    try {
      return await run.call(this, m, r);
    } finally {
      const e = timing.get(C.name) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += performance.now() - t;
      timing.set(C.name, e);
    }
  } as never;
}

async function freshUsers(): Promise<Real['users']> {
  return Promise.all(
    Array.from({ length: USERS }, async () => {
      const wallet = new Wallet();
      return {
        address: wallet.address,
        permit: await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, name: 'prag-prop' }),
      };
    }),
  );
}

test(`access control holds over ≥ ${MIN_STEPS} random steps`, async () => {
  const property = fc.asyncProperty(fc.commands(commands, { maxCommands: 120, size: 'max' }), async (cmds) => {
    const users = await freshUsers();
    const model: Model = { docs: new Map(), deleted: new Set(), grants: [], collections: users.map(() => new Set()) };
    await fc.asyncModelRun(() => ({ model, real: { client, users } }), cmds);
  });
  const seed = process.env.PRAG_PROPERTY_SEED ? Number(process.env.PRAG_PROPERTY_SEED) : undefined;
  // Batches of runs (a fresh seed each, unless one is given to replay) until the step budget is met; bounded.
  for (let batch = 0; steps < MIN_STEPS && batch < 40; batch++)
    await fc.assert(property, { numRuns: 25, seed: seed === undefined ? undefined : seed + batch });
  process.stderr.write(
    `property: ${steps} steps (${searches} searches, ${sharedHits} shared hits checked); ms per step by kind: ${JSON.stringify(Object.fromEntries([...timing].map(([k, v]) => [k, +(v.ms / v.n).toFixed(1)])))}\n`,
  );
  expect(steps).toBeGreaterThanOrEqual(MIN_STEPS);
  expect(sharedHits).toBeGreaterThan(500); // grants were exercised, not only refusals
}, 900_000);
