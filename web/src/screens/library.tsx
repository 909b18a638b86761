/** Library: documents by collection (format, date, size); rename, move, delete; collections created and renamed. */
import { useEffect, useState } from 'preact/hooks';
import type { CollectionSummary, DocumentSummary } from '../../../schemas/api.js';
import type { Prag } from '../../../src/client/index.js';
import { DocumentView, type DocumentTarget } from '../document-view.js';
import { formatBytes, formatDate } from '../format.js';
import { ErrorNote, useAction } from '../ui.js';

export function LibraryScreen({ prag, version, active }: { prag: Prag; version: number; active: boolean }) {
  const [collections, setCollections] = useState<CollectionSummary[]>([]);
  const [documents, setDocuments] = useState<DocumentSummary[]>([]);
  const [current, setCurrent] = useState<string>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [newName, setNewName] = useState('');
  const [renameTo, setRenameTo] = useState('');
  const [moveTo, setMoveTo] = useState('');
  const [open, setOpen] = useState<DocumentTarget>();
  const load = useAction();
  const act = useAction();

  const reload = () =>
    load.run(async () => {
      const [c, d] = await Promise.all([prag.collections(), prag.documents(current)]);
      setCollections(c);
      setDocuments(d);
      setSelected(new Set());
    });

  useEffect(() => {
    if (active) reload();
  }, [prag, current, version, active]);

  const then = (action: () => Promise<unknown>) =>
    act.run(async () => {
      await action();
      reload();
    });

  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const ids = [...selected];
  return (
    <div class="layout library">
      <section class="panel" aria-labelledby="collections-title">
        <h2 id="collections-title">Collections</h2>
        <ul class="collections" data-testid="collections">
          <li>
            <button
              type="button"
              class="link"
              aria-pressed={current === undefined}
              onClick={() => setCurrent(undefined)}
            >
              All documents
            </button>
          </li>
          {collections.map((c) => (
            <li key={c.name}>
              <button type="button" class="link" aria-pressed={current === c.name} onClick={() => setCurrent(c.name)}>
                {c.name} <span class="small">({c.documents})</span>
              </button>
            </li>
          ))}
        </ul>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            then(() => prag.createCollection(newName));
          }}
        >
          <label for="new-collection">New collection</label>
          <input id="new-collection" required value={newName} onInput={(e) => setNewName(e.currentTarget.value)} />
          <button type="submit" disabled={act.busy}>
            Create
          </button>
        </form>
        {current && (
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              const from = current;
              then(async () => {
                await prag.renameCollection(from, renameTo);
                setCurrent(renameTo);
              });
            }}
          >
            <label for="rename-collection">Rename “{current}” to</label>
            <input
              id="rename-collection"
              required
              value={renameTo}
              onInput={(e) => setRenameTo(e.currentTarget.value)}
            />
            <button type="submit" disabled={act.busy}>
              Rename
            </button>
          </form>
        )}
        <ErrorNote error={act.error} />
      </section>
      <section class="panel" aria-labelledby="documents-title">
        <h2 id="documents-title">{current ? `Documents in ${current}` : 'All documents'}</h2>
        <ErrorNote error={load.error} />
        {documents.length === 0 && !load.busy && <p class="hint">No documents yet: upload some.</p>}
        {documents.length > 0 && (
          <table class="table" data-testid="documents">
            <thead>
              <tr>
                <th scope="col">
                  <span class="visually-hidden">Select</span>
                </th>
                <th scope="col">Title</th>
                <th scope="col">Collection</th>
                <th scope="col">Format</th>
                <th scope="col">Date</th>
                <th scope="col">Size</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {documents.map((d) => (
                <tr key={d.doc_id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${d.title}`}
                      checked={selected.has(d.doc_id)}
                      onChange={(e) => toggle(d.doc_id, e.currentTarget.checked)}
                    />
                  </td>
                  <td>
                    <button type="button" class="link" onClick={() => setOpen({ doc_id: d.doc_id })}>
                      {d.title}
                    </button>
                    {d.parent_id && <span class="small"> (attachment)</span>}
                  </td>
                  <td>{d.collection}</td>
                  <td>{d.format}</td>
                  <td>{formatDate(d.date)}</td>
                  <td>
                    {formatBytes(d.bytes)}, {d.chunks} passage{d.chunks === 1 ? '' : 's'}
                  </td>
                  <td>{formatDate(d.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {ids.length > 0 && (
          <div class="row" role="group" aria-label="Selected documents">
            <label for="move-to">Move {ids.length} selected to</label>
            <input
              id="move-to"
              list="collection-names"
              value={moveTo}
              onInput={(e) => setMoveTo(e.currentTarget.value)}
            />
            <datalist id="collection-names">
              {collections.map((c) => (
                <option key={c.name} value={c.name} />
              ))}
            </datalist>
            <button
              type="button"
              disabled={act.busy || !moveTo.trim()}
              onClick={() => then(() => prag.moveDocuments(ids, moveTo))}
            >
              Move
            </button>
            <button
              type="button"
              class="danger"
              disabled={act.busy}
              onClick={() =>
                then(async () => {
                  for (const id of ids) await prag.deleteDocument(id);
                })
              }
            >
              Delete {ids.length}
            </button>
          </div>
        )}
      </section>
      {open && <DocumentView prag={prag} target={open} onClose={() => setOpen(undefined)} />}
    </div>
  );
}
