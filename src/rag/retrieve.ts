/**
 * Retrieval under the requester's rights: their own chunks plus every grant
 * they accepted that has not expired. Each hit says whose it is (address),
 * whether it is shared, and in which collection (name) — another owner's
 * collection name only when they granted that collection, not for a grant of
 * documents. Each owner whose chunks were returned gets an entry in their
 * access log.
 */
import type { QueryFilters, SearchHit, SearchRequest } from '../../schemas/search.js';
import type { Grants } from '../auth/grants.js';
import type { Identity } from '../auth/permits.js';
import type { Engine, EngineHit } from '../engine/engine.js';
import type { AccessLog } from '../store/access-log.js';
import type { Collections } from '../store/collections.js';
import type { SearchScope } from '../store/filter.js';
import { CorrespondentIndex } from './correspondents.js';
import { understandQuery } from './query-filters.js';

export interface Requester {
  identity: Identity;
  owner: string;
}

export type RetrievedHit = SearchHit & { owner: string; shared: boolean };

export class Retrieval {
  private readonly correspondents: CorrespondentIndex;

  constructor(
    private readonly engine: Engine,
    private readonly collections: Collections,
    private readonly grants: Grants,
    private readonly accessLog: AccessLog,
  ) {
    this.correspondents = new CorrespondentIndex(engine);
  }

  /** Forgets what retrieval keeps in memory of an owner (forget-me). */
  forget(owner: string): void {
    this.correspondents.forget(owner);
  }

  /**
   * `endpoint` names what the retrieval served, for the owners' access logs. Unless the request says
   * `understand: false`, dates, senders, recipients and kinds of document in the query become filters (the
   * request's own filters win) and the rest is searched; when those filters match nothing, the whole query is
   * searched without them and `understood.dropped` says so. `now` is what relative dates are read against.
   */
  async retrieve(
    requester: Requester,
    request: SearchRequest,
    endpoint: string,
    now = new Date(),
  ): Promise<{ hits: RetrievedHit[]; understood?: QueryFilters }> {
    const parsed =
      request.understand === false
        ? undefined
        : understandQuery(request.query, now, this.correspondents.of(requester.owner));
    const understood = parsed && Object.keys(parsed.filters).length ? parsed : undefined;
    if (understood) {
      const filters = { ...understood.filters, ...request.filters };
      const hits = await this.search(requester, { ...request, query: understood.query, filters }, endpoint);
      if (hits.length) return { hits, understood };
    }
    const hits = await this.search(requester, request, endpoint);
    return { hits, ...(understood ? { understood: { ...understood, dropped: true } } : {}) };
  }

  private async search(
    { identity, owner }: Requester,
    request: SearchRequest,
    endpoint: string,
  ): Promise<RetrievedHit[]> {
    const shared = this.grants.scopes(owner);
    const own = this.collections.names(owner);
    const visible = this.visibleNames(owner, own, shared);
    const wanted = request.filters?.collections;
    // Collection filters name collections; the stores hold ids: every id the requester may see whose name is wanted.
    // Only visible names: a filter must not tell a grantee of documents which collection holds them.
    const labels =
      wanted &&
      [...visible.values()].flatMap((names) =>
        [...names].filter(([, name]) => wanted.includes(name)).map(([id]) => id),
      );
    // Own chunks are named by the owner's collection ids too: one IN-list over one indexed column is what LanceDB filters fastest.
    const scopes: SearchScope[] = [{ owner, collections: [...own.keys()] }, ...shared];
    const hits =
      labels && !labels.length
        ? []
        : await this.engine.search(scopes, { ...request, filters: { ...request.filters, collections: labels } });
    const addresses = new Map([[owner, identity.address], ...shared.map((s) => [s.owner, s.ownerAddress] as const)]);
    this.audit(identity, endpoint, hits);
    return hits.map((h) => ({
      ...h,
      owner: addresses.get(h.owner) ?? h.owner,
      collection: visible.get(h.owner)?.get(h.collection) ?? null,
      shared: h.owner !== owner,
    }));
  }

  /** Collection names by owner that the requester may see: all of their own, and the collections granted to them by name. */
  private visibleNames(
    owner: string,
    own: Map<string, string>,
    shared: readonly SearchScope[],
  ): Map<string, Map<string, string>> {
    const visible = new Map<string, Map<string, string>>([[owner, own]]);
    const all = new Map<string, Map<string, string>>();
    for (const { owner: other, collections } of shared) {
      if (!collections) continue;
      let theirs = all.get(other);
      if (!theirs) all.set(other, (theirs = this.collections.names(other)));
      let seen = visible.get(other);
      if (!seen) visible.set(other, (seen = new Map<string, string>()));
      for (const id of collections) {
        const name = theirs.get(id);
        if (name !== undefined) seen.set(id, name);
      }
    }
    return visible;
  }

  private audit(identity: Identity, endpoint: string, hits: readonly EngineHit[]): void {
    const at = new Date().toISOString();
    const byOwner = new Map<string, EngineHit[]>();
    for (const h of hits) byOwner.set(h.owner, [...(byOwner.get(h.owner) ?? []), h]);
    this.accessLog.record(
      [...byOwner].map(([owner, mine]) => ({
        owner,
        entry: {
          at,
          requester: identity.address,
          permit_name: identity.permitName,
          endpoint,
          doc_ids: [...new Set(mine.map((h) => h.doc_id))],
          chunk_ids: mine.map((h) => h.chunk_id),
        },
      })),
    );
  }
}
