/**
 * Model-based property test of access control on the real service, in
 * process: the client's requests go straight into the service's HTTP app
 * (app.fetch, no socket), sealed and permit-signed like any other. Random
 * sequences of uploads, grants with expiries (most accepted at once, some
 * answered later or by someone else), accepts, declines and leaves,
 * revocations, moves, deletions, forget-me, searches and listings by a few
 * users; every step's output is checked against the model: each returned
 * chunk is the requester's own or covered by a grant they accepted that was
 * live, labelled with its true owner and collection and whether it is
 * shared; only a grant's grantee can answer it; pending grants stay under the
 * cap; listings show exactly the requester's documents and grants, in their
 * states; nothing deleted ever comes back.
 */
import fc from 'fast-check';
import { ROUTES } from '../../schemas/routes.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GrantSummary } from '../../schemas/api.js';
import type { Credentials } from '../../src/client/credentials.js';
import { MAX_PENDING_GRANTS } from '../../src/auth/grants.js';
import { Wallet } from '../../src/auth/secretjs.js';
import { signPermit } from '../../src/client/credentials.js';
import { PragClient } from '../../src/client/session.js';
import { createApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/log.js';
import { tempDir } from '../helpers/index.js';
import { must } from '../helpers/must.js';
import { startTestService, textUpload, type TestService } from '../helpers/service.js';

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
  id: string;
  owner: number;
  grantee: number;
  collection: string;
  expiresAt: number | null;
  state: 'pending' | 'accepted' | 'declined' | 'left';
}
interface Model {
  docs: Map<string, Doc>;
  deleted: Set<string>;
  grants: Grant[];
  collections: Array<Set<string>>;
}
interface Real {
  client: PragClient;
  users: Array<{ address: string; permit: Credentials }>;
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
/** User `u` of the real service, and the collections u has in the model (`u` is below USERS). */
const userOf = (r: Real, u: number) => must(r.users[u], `user ${u}`);
const collectionsOf = (m: Model, u: number) => must(m.collections[u], `u${u}'s collections`);
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'error',
  );
/** The states the service may show for `g` at some instant in [from, to]: an expiry in between allows both. */
const shown = (g: Grant, from: number, to: number): string[] => {
  if (g.state === 'declined' || g.state === 'left') return [g.state];
  const live = g.state === 'accepted' ? 'active' : 'pending';
  if (g.expiresAt === null || g.expiresAt > to) return [live];
  return g.expiresAt <= from ? ['expired'] : [live, 'expired'];
};
/** Pending grants to `grantee` unexpired at `at`: what the cap counts. */
const pendingTo = (m: Model, grantee: number, at: number) =>
  m.grants.filter((g) => g.grantee === grantee && g.state === 'pending' && (g.expiresAt === null || g.expiresAt > at))
    .length;

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
      userOf(r, this.user).permit,
      textUpload(`${marker}.txt`, `Report ${marker} about the quarterly checkup and invoices.`, this.collection),
    );
    expect(reply.doc_ids).toHaveLength(1);
    m.docs.set(must(reply.doc_ids[0], 'the uploaded document id'), {
      owner: this.user,
      collection: this.collection,
      marker,
    });
    collectionsOf(m, this.user).add(this.collection);
  }
  toString = () => `upload(u${this.user}, ${this.collection})`;
}

class Share implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly owner: number,
    readonly grantee: number,
    readonly collection: string,
    readonly ttlMs: number | null,
    /** The grantee accepts at once (most grants): else the grant stays pending until an Answer. */
    readonly accept: boolean,
  ) {}
  check = () => this.owner !== this.grantee;
  async run(m: Model, r: Real) {
    steps++;
    const started = Date.now();
    const expiresAt = this.ttlMs === null ? null : started + this.ttlMs;
    let id = '';
    const result = await code(
      r.client
        .call(ROUTES.shareGrant, userOf(r, this.owner).permit, {
          with: userOf(r, this.grantee).address,
          collection: this.collection,
          ...(expiresAt === null ? {} : { expires_at: new Date(expiresAt).toISOString() }),
        })
        .then((reply) => (id = reply.grant_id)),
    );
    // A short expiry can pass while the request is on its way (a loaded machine): the service checks it first.
    if (result === 'grant_expiry_invalid') return void expect(expiresAt).toBeLessThanOrEqual(Date.now());
    if (!collectionsOf(m, this.owner).has(this.collection)) return void expect(result).toBe('collection_not_found');
    if (result === 'grant_pending_limit')
      return void expect(pendingTo(m, this.grantee, started)).toBeGreaterThanOrEqual(MAX_PENDING_GRANTS);
    expect(result).toBe('ok');
    expect(pendingTo(m, this.grantee, Date.now())).toBeLessThan(MAX_PENDING_GRANTS);
    const grant: Grant = {
      id,
      owner: this.owner,
      grantee: this.grantee,
      collection: this.collection,
      expiresAt,
      state: 'pending',
    };
    m.grants.push(grant);
    if (!this.accept) return;
    const before = Date.now();
    const { state } = await r.client.call(ROUTES.shareAccept, userOf(r, this.grantee).permit, { grant_id: id });
    grant.state = 'accepted';
    expect(shown(grant, before, Date.now())).toContain(state);
  }
  toString = () =>
    `share(u${this.owner} → u${this.grantee}, ${this.collection}, ${this.ttlMs ?? '∞'} ms${this.accept ? ', accepted' : ''})`;
}

/** A user accepts or declines a grant: only its grantee can, and only while it is pending or accepted. */
class Answer implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly accept: boolean,
    /** Someone who tries to answer it; null: its grantee. */
    readonly by: number | null,
  ) {}
  check = (m: Readonly<Model>) => m.grants.length > 0;
  async run(m: Model, r: Real) {
    steps++;
    const grant = must(m.grants[this.pick % m.grants.length], 'the picked grant');
    const user = this.by ?? grant.grantee;
    const before = Date.now();
    const result = await r.client
      .call(this.accept ? ROUTES.shareAccept : ROUTES.shareDecline, userOf(r, user).permit, { grant_id: grant.id })
      .then(
        (reply) => reply.state,
        (e: { code?: string }) => e.code ?? 'error',
      );
    const next: Partial<Record<Grant['state'], Grant['state']>> = this.accept
      ? { pending: 'accepted', accepted: 'accepted' }
      : { pending: 'declined', accepted: 'left' };
    const to = user === grant.grantee ? next[grant.state] : undefined;
    if (!to) return void expect(result).toBe('grant_not_found');
    grant.state = to;
    expect(shown(grant, before, Date.now())).toContain(result);
  }
  toString = () => `${this.accept ? 'accept' : 'decline'}(#${this.pick}${this.by === null ? '' : ` by u${this.by}`})`;
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
      r.client.call(ROUTES.shareRevoke, userOf(r, this.owner).permit, {
        with: userOf(r, this.grantee).address,
        collection: this.collection,
      }),
    );
    const matching = (g: Grant) =>
      g.owner === this.owner && g.grantee === this.grantee && g.collection === this.collection;
    if (!collectionsOf(m, this.owner).has(this.collection)) expect(result).toBe('collection_not_found');
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
  check = (m: Readonly<Model>) => ownedBy(m, this.owner).length > 0;
  async run(m: Model, r: Real) {
    steps++;
    const ids = ownedBy(m, this.owner);
    const id = must(ids[this.pick % ids.length], 'the picked document');
    expect(await r.client.call(ROUTES.delete, userOf(r, this.owner).permit, { doc_id: id })).toEqual({ deleted: 1 });
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
  check = (m: Readonly<Model>) => ownedBy(m, this.owner).length > 0;
  async run(m: Model, r: Real) {
    steps++;
    const ids = ownedBy(m, this.owner);
    const id = must(ids[this.pick % ids.length], 'the picked document');
    expect(
      await r.client.call(ROUTES.collectionMove, userOf(r, this.owner).permit, { doc_ids: [id], to: this.to }),
    ).toEqual({ moved: 1 });
    must(m.docs.get(id), `document ${id} in the model`).collection = this.to;
    collectionsOf(m, this.owner).add(this.to);
  }
  toString = () => `move(u${this.owner}, #${this.pick} → ${this.to})`;
}

class ForgetMe implements fc.AsyncCommand<Model, Real> {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    steps++;
    await r.client.call(ROUTES.forgetMe, userOf(r, this.user).permit, { confirm: userOf(r, this.user).address });
    for (const id of ownedBy(m, this.user)) {
      m.docs.delete(id);
      m.deleted.add(id);
    }
    m.grants = m.grants.filter((g) => g.owner !== this.user && g.grantee !== this.user);
    collectionsOf(m, this.user).clear();
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
        : `report ${must(docs[this.pick % docs.length], 'the picked document').marker}`;
    const started = Date.now();
    const { hits } = await r.client.call(ROUTES.search, userOf(r, this.user).permit, { query, k: 20 });
    for (const hit of hits) {
      expect(m.deleted.has(hit.doc_id), `deleted document ${hit.doc_id} came back`).toBe(false);
      const doc = must(m.docs.get(hit.doc_id), `document ${hit.doc_id} in the model`);
      expect(hit.owner).toBe(userOf(r, doc.owner).address);
      expect(hit.collection).toBe(doc.collection);
      expect(hit.shared).toBe(doc.owner !== this.user);
      if (doc.owner === this.user) continue;
      sharedHits++;
      const covering = m.grants.some(
        (g) =>
          g.owner === doc.owner &&
          g.grantee === this.user &&
          g.collection === doc.collection &&
          g.state === 'accepted' &&
          (g.expiresAt === null || g.expiresAt > started),
      );
      expect(covering, `u${this.user} got u${doc.owner}'s chunk in ${doc.collection} with no live accepted grant`).toBe(
        true,
      );
    }
  }
  toString = () => `search(u${this.user}, ${this.pick ?? 'generic'})`;
}

class Listing implements fc.AsyncCommand<Model, Real> {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    steps++;
    const { permit } = userOf(r, this.user);
    const started = Date.now();
    const [{ documents }, shares] = await Promise.all([
      r.client.call(ROUTES.list, permit, {}),
      r.client.call(ROUTES.shares, permit, {}),
    ]);
    const mine = [...m.docs].filter(([, d]) => d.owner === this.user);
    expect(documents.map((d) => [d.doc_id, d.collection]).sort()).toEqual(
      mine.map(([id, d]) => [id, d.collection]).sort(),
    );
    const finished = Date.now();
    const matches = (listed: GrantSummary[], expected: Grant[], other: (g: Grant) => number) => {
      expect(listed.map((g) => g.grant_id).sort()).toEqual(expected.map((g) => g.id).sort());
      for (const l of listed) {
        const g = must(
          expected.find((e) => e.id === l.grant_id),
          `grant ${l.grant_id} in the model`,
        );
        expect([l.with, l.collection]).toEqual([userOf(r, other(g)).address, g.collection]);
        expect(shown(g, started, finished)).toContain(l.state);
      }
    };
    matches(
      shares.given,
      m.grants.filter((g) => g.owner === this.user),
      (g) => g.grantee,
    );
    // Declined and left grants are the owner's to see, no longer the grantee's.
    matches(
      shares.received,
      m.grants.filter((g) => g.grantee === this.user && (g.state === 'pending' || g.state === 'accepted')),
      (g) => g.owner,
    );
  }
  toString = () => `listing(u${this.user})`;
}

const user = fc.nat(USERS - 1);
const collection = fc.constantFrom(...COLLECTIONS);
/** Time per kind of step, reported with the result. */
const timing = new Map<string, { n: number; ms: number }>();

/** Runs `command`, adding the time its run takes to its kind's (its class's) total in `timing`. */
class Timed implements fc.AsyncCommand<Model, Real> {
  constructor(readonly command: fc.AsyncCommand<Model, Real>) {}
  check = (m: Readonly<Model>) => this.command.check(m);
  async run(m: Model, r: Real) {
    const t = performance.now();
    try {
      await this.command.run(m, r);
    } finally {
      const kind = this.command.constructor.name;
      const e = timing.get(kind) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += performance.now() - t;
      timing.set(kind, e);
    }
  }
  toString = () => this.command.toString();
}

/** One weighted choice per step: retrievals and grant changes often, forget-me rarely. */
const commands = [
  fc
    .oneof(
      { weight: 3, arbitrary: fc.tuple(user, collection).map(([u, c]) => new Upload(u, c)) },
      {
        weight: 4,
        arbitrary: fc
          .tuple(
            user,
            user,
            collection,
            fc.option(fc.integer({ min: 50, max: 1500 }), { freq: 2 }),
            fc.nat(3).map((n) => n > 0),
          )
          .map(([o, g, c, t, a]) => new Share(o, g, c, t, a)),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.nat(),
            fc.boolean(),
            fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: user }),
          )
          .map(([p, a, by]) => new Answer(p, a, by)),
      },
      { weight: 2, arbitrary: fc.tuple(user, user, collection).map(([o, g, c]) => new Unshare(o, g, c)) },
      { weight: 1, arbitrary: fc.tuple(user, fc.nat()).map(([u, p]) => new Delete(u, p)) },
      { weight: 1, arbitrary: fc.tuple(user, fc.nat(), collection).map(([u, p, c]) => new Move(u, p, c)) },
      {
        weight: 1,
        arbitrary: fc.tuple(user, fc.nat(19)).map(([u, n]) => (n === 0 ? new ForgetMe(u) : new Listing(u))),
      },
      { weight: 7, arbitrary: fc.tuple(user, fc.option(fc.nat(), { freq: 3 })).map(([u, p]) => new Search(u, p)) },
      { weight: 1, arbitrary: user.map((u) => new Listing(u)) },
    )
    .map((command) => new Timed(command)),
];

async function freshUsers(): Promise<Real['users']> {
  return Promise.all(
    Array.from({ length: USERS }, async () => {
      const wallet = new Wallet();
      return {
        address: wallet.address,
        permit: await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, device: 'prop' }),
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
