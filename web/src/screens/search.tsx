/** Search: a query with filters; each result shows its passage, title and page or section, and opens in context. */
import { useState } from 'preact/hooks';
import type { Prag, SearchFilters, SearchReply } from '../../../src/client/index.js';
import { DocumentView, type DocumentTarget } from '../document-view.js';
import { FilterForm, NO_FILTERS, toFilters } from '../filters.js';
import { shortAddress } from '../format.js';
import { ErrorNote, useAction } from '../ui.js';
import { UnderstoodNote } from '../understood-note.js';

export function SearchScreen({ prag, collections }: { prag: Prag; collections: string[] }) {
  const [query, setQuery] = useState('');
  const [filters, setFilters] = useState(NO_FILTERS);
  const [reply, setReply] = useState<SearchReply>();
  /** The search the results are of, for searching it again as written. */
  const [asked, setAsked] = useState<{ query: string; filters: SearchFilters }>();
  const [open, setOpen] = useState<DocumentTarget>();
  const action = useAction();
  const search = (query: string, filters: SearchFilters, understand = true) =>
    action.run(async () => {
      setReply(await prag.search(query, { k: 10, filters, ...(understand ? {} : { understand: false }) }));
      setAsked({ query, filters });
    });

  return (
    <div class="layout search">
      <section class="panel" aria-labelledby="search-title">
        <h2 id="search-title">Search</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            search(query, toFilters(filters));
          }}
        >
          <div class="row">
            <label for="search-query">Query</label>
            <input
              id="search-query"
              type="search"
              required
              value={query}
              onInput={(e) => setQuery(e.currentTarget.value)}
            />
            <button type="submit" disabled={action.busy}>
              {action.busy ? 'Searching…' : 'Search'}
            </button>
          </div>
          <FilterForm id="search-filter" value={filters} collections={collections} onChange={setFilters} />
        </form>
        <ErrorNote error={action.error} />
      </section>
      {reply && (
        <section class="panel" aria-labelledby="results-title">
          <h2 id="results-title">
            {reply.hits.length} result{reply.hits.length === 1 ? '' : 's'}
          </h2>
          {reply.understood && (
            <UnderstoodNote
              understood={reply.understood}
              busy={action.busy}
              onLiteral={
                reply.understood.dropped || !asked ? undefined : () => search(asked.query, asked.filters, false)
              }
            />
          )}
          <ol class="results" data-testid="search-results">
            {reply.hits.map((h) => (
              <li key={h.chunk_id}>
                <button
                  type="button"
                  class="link title"
                  onClick={() => setOpen({ doc_id: h.doc_id, chunk_id: h.chunk_id, page: h.page })}
                >
                  {h.title}
                </button>
                <span class="small">
                  {h.page !== null && ` · page ${h.page}`}
                  {h.ocr && ' · read by OCR'}
                  {h.section && ` · ${h.section}`}
                  {` · ${h.collection ?? 'shared documents'}`}
                  {h.shared && h.owner && ` · shared by ${shortAddress(h.owner)}`}
                </span>
                <blockquote>{h.text}</blockquote>
              </li>
            ))}
          </ol>
        </section>
      )}
      {open && <DocumentView prag={prag} target={open} onClose={() => setOpen(undefined)} />}
    </div>
  );
}
