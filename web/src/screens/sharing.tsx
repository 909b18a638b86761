/**
 * Sharing: grant a collection or some documents to a secret1… address with an
 * expiry; grants given (revocable) and received (accept or decline); and the
 * owner's access log — who retrieved which of their documents, when — as a
 * table and as a timeline.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AccessEntry, DocumentSummary, GrantSummary } from '../../../schemas/api.js';
import type { Prag } from '../../../src/client/index.js';
import { formatDate, shortAddress } from '../format.js';
import { ErrorNote, useAction } from '../ui.js';

export function SharingScreen({ prag, collections, active }: { prag: Prag; collections: string[]; active: boolean }) {
  const [given, setGiven] = useState<GrantSummary[]>([]);
  const [received, setReceived] = useState<GrantSummary[]>([]);
  const [log, setLog] = useState<AccessEntry[]>([]);
  const [documents, setDocuments] = useState<DocumentSummary[]>([]);
  const load = useAction();
  const act = useAction();

  const reload = () =>
    load.run(async () => {
      const [shares, audit, list] = await Promise.all([prag.shares(), prag.audit({ limit: 200 }), prag.documents()]);
      setGiven(shares.given);
      setReceived(shares.received);
      setLog(audit);
      setDocuments(list);
    });
  useEffect(() => {
    if (active) reload();
  }, [prag, active]);

  const then = (action: () => Promise<unknown>) =>
    act.run(async () => {
      await action();
      reload();
    });

  const titles = new Map(documents.map((d) => [d.doc_id, d.title]));
  return (
    <div class="layout sharing">
      <GrantForm
        collections={collections}
        documents={documents}
        busy={act.busy}
        onGrant={(grant) => then(async () => prag.share(grant))}
      />
      <ErrorNote error={act.error} />
      <ErrorNote error={load.error} />
      <section class="panel" aria-labelledby="given-title">
        <h2 id="given-title">Grants given</h2>
        <GrantTable
          grants={given}
          who="Shared with"
          testId="grants-given"
          titles={titles}
          actions={(g) =>
            g.state === 'pending' || g.state === 'active' ? (
              <button
                type="button"
                class="danger"
                disabled={act.busy}
                onClick={() =>
                  then(() => prag.revokeShare({ with: g.with, ...(g.collection ? { collection: g.collection } : {}) }))
                }
              >
                Revoke
              </button>
            ) : null
          }
        />
      </section>
      <section class="panel" aria-labelledby="received-title">
        <h2 id="received-title">Grants received</h2>
        <GrantTable
          grants={received}
          who="Shared by"
          testId="grants-received"
          titles={titles}
          actions={(g) => (
            <>
              {g.state === 'pending' && (
                <button type="button" disabled={act.busy} onClick={() => then(() => prag.acceptShare(g.grant_id))}>
                  Accept
                </button>
              )}
              {(g.state === 'pending' || g.state === 'active') && (
                <button
                  type="button"
                  class="secondary"
                  disabled={act.busy}
                  onClick={() => then(() => prag.declineShare(g.grant_id))}
                >
                  {g.state === 'pending' ? 'Decline' : 'Leave'}
                </button>
              )}
            </>
          )}
        />
      </section>
      <AccessLog entries={log} titles={titles} self={prag.address} />
    </div>
  );
}

type Grant = Parameters<Prag['share']>[0];

function GrantForm({
  collections,
  documents,
  busy,
  onGrant,
}: {
  collections: string[];
  documents: DocumentSummary[];
  busy: boolean;
  onGrant: (grant: Grant) => void;
}) {
  const [to, setTo] = useState('');
  const [kind, setKind] = useState<'collection' | 'documents'>('collection');
  const [collection, setCollection] = useState('');
  const [docIds, setDocIds] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  return (
    <section class="panel" aria-labelledby="grant-title">
      <h2 id="grant-title">Share</h2>
      <form
        class="grid-form"
        onSubmit={(e) => {
          e.preventDefault();
          onGrant({
            with: to.trim(),
            ...(kind === 'collection' ? { collection: collection || collections[0] } : { doc_ids: docIds }),
            ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
          });
        }}
      >
        <label for="grant-to">Secret address</label>
        <input
          id="grant-to"
          required
          pattern="secret1[0-9a-z]{38,58}"
          placeholder="secret1…"
          value={to}
          onInput={(e) => setTo(e.currentTarget.value)}
        />
        <fieldset>
          <legend>What</legend>
          <label class="check">
            <input
              type="radio"
              name="grant-kind"
              checked={kind === 'collection'}
              onChange={() => setKind('collection')}
            />
            A collection
          </label>
          <label class="check">
            <input
              type="radio"
              name="grant-kind"
              checked={kind === 'documents'}
              onChange={() => setKind('documents')}
            />
            Some documents
          </label>
        </fieldset>
        {kind === 'collection' ? (
          <>
            <label for="grant-collection">Collection</label>
            <select id="grant-collection" value={collection} onChange={(e) => setCollection(e.currentTarget.value)}>
              {collections.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </>
        ) : (
          <>
            <label for="grant-documents">Documents</label>
            <select
              id="grant-documents"
              multiple
              size={Math.min(6, Math.max(2, documents.length))}
              onChange={(e) => setDocIds(Array.from(e.currentTarget.selectedOptions, (o) => o.value))}
            >
              {documents.map((d) => (
                <option key={d.doc_id} value={d.doc_id}>
                  {d.title} ({d.collection})
                </option>
              ))}
            </select>
          </>
        )}
        <label for="grant-expires">Expires</label>
        <input
          id="grant-expires"
          type="datetime-local"
          value={expires}
          onInput={(e) => setExpires(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Grant
        </button>
      </form>
      <p class="hint">The grant is pending until they accept it; revoke it at any time.</p>
    </section>
  );
}

function GrantTable({
  grants,
  who,
  testId,
  titles,
  actions,
}: {
  grants: GrantSummary[];
  who: string;
  testId: string;
  titles: Map<string, string>;
  actions: (g: GrantSummary) => ComponentChildren;
}) {
  if (!grants.length) return <p class="hint">None.</p>;
  return (
    <table class="table" data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">{who}</th>
          <th scope="col">What</th>
          <th scope="col">State</th>
          <th scope="col">Expires</th>
          <th scope="col">Since</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {grants.map((g) => (
          <tr key={g.grant_id}>
            <td title={g.with}>{shortAddress(g.with)}</td>
            <td>
              {g.collection
                ? `collection ${g.collection}`
                : `${g.doc_ids?.map((id) => titles.get(id) ?? `${id.slice(0, 8)}…`).join(', ') ?? ''}`}
            </td>
            <td>
              <span class={`badge ${g.state}`}>{g.state}</span>
            </td>
            <td>{g.expires_at ? formatDate(g.expires_at, true) : 'never'}</td>
            <td>{formatDate(g.created_at, true)}</td>
            <td class="actions">{actions(g)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AccessLog({ entries, titles, self }: { entries: AccessEntry[]; titles: Map<string, string>; self: string }) {
  const [view, setView] = useState<'table' | 'timeline'>('table');
  const docs = (e: AccessEntry) => e.doc_ids.map((id) => titles.get(id) ?? `${id.slice(0, 8)}…`).join(', ');
  const who = (address: string) => (address === self ? 'you' : shortAddress(address));
  const days = new Map<string, AccessEntry[]>();
  for (const e of entries) {
    const day = formatDate(e.at);
    days.set(day, [...(days.get(day) ?? []), e]);
  }
  return (
    <section class="panel" aria-labelledby="log-title">
      <h2 id="log-title">Access log</h2>
      <p class="hint">
        Every retrieval that returned passages of your documents: by you, or by someone you shared with.
      </p>
      <div class="row" role="group" aria-label="Access log view">
        <button type="button" class="secondary" aria-pressed={view === 'table'} onClick={() => setView('table')}>
          Table
        </button>
        <button type="button" class="secondary" aria-pressed={view === 'timeline'} onClick={() => setView('timeline')}>
          Timeline
        </button>
      </div>
      {entries.length === 0 && <p class="hint">No retrievals yet.</p>}
      {entries.length > 0 && view === 'table' && (
        <table class="table" data-testid="access-log">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">How</th>
              <th scope="col">Documents</th>
              <th scope="col">Passages</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e, i) => (
              <tr key={i} class={e.requester === self ? '' : 'other'}>
                <td>{formatDate(e.at, true)}</td>
                <td title={e.requester}>{who(e.requester)}</td>
                <td>{e.endpoint}</td>
                <td>{docs(e)}</td>
                <td>{e.chunk_ids.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {entries.length > 0 && view === 'timeline' && (
        <ol class="timeline" data-testid="access-timeline">
          {[...days].map(([day, list]) => (
            <li key={day}>
              <h3>{day}</h3>
              <ol>
                {list.map((e, i) => (
                  <li key={i} class={e.requester === self ? 'self' : 'other'}>
                    <time dateTime={e.at}>{new Date(e.at).toLocaleTimeString()}</time>{' '}
                    <strong title={e.requester}>{who(e.requester)}</strong> retrieved {e.chunk_ids.length} passage
                    {e.chunk_ids.length === 1 ? '' : 's'} of {docs(e)} ({e.endpoint})
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
