/**
 * Search filters → a LanceDB (DataFusion SQL) predicate. Every value is
 * validated by its schema first and then quoted as a literal here; nothing
 * from a request is ever spliced in unquoted.
 */
import { dateBound, type SearchFilters } from '../../schemas/search.js';

export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('NUL in filter value');
  return `'${value.replaceAll("'", "''")}'`;
}

const list = (values: readonly string[]) => `(${values.map(sqlLiteral).join(', ')})`;

/** Which of one owner's chunks a search may see: all of them, or only some collections or documents. */
export interface SearchScope {
  owner: string;
  /** Collection labels (ids in the service). */
  collections?: readonly string[];
  docIds?: readonly string[];
}

/** Filters whose values are per owner (sealed per owner in the service): resolved for each scope. */
export type ScopedFilters = Omit<SearchFilters, 'from' | 'to'> & {
  from?: (owner: string) => string;
  to?: (owner: string) => string;
};

export function chunkPredicate(owner: string, f: SearchFilters = {}): string {
  const { from, to } = f;
  return scopePredicate([{ owner }], {
    ...f,
    from: from === undefined ? undefined : () => from,
    to: to === undefined ? undefined : () => to,
  });
}

/**
 * The chunks a set of scopes may see, as three IN-lists rather than one
 * clause per scope: `owner IN (whole owners) OR collection IN (granted
 * collections) OR doc_id IN (granted documents)`, then the filters. This is
 * exact for the service, whose collection ids are random and whose document
 * ids are keyed per owner, so neither is shared between owners; the engine
 * re-checks every hit against its scope (inScope), which keeps it exact for
 * any labels. With a hundred grants, one clause per
 * scope made LanceDB's filtering ten times slower.
 */
export function scopePredicate(scopes: readonly SearchScope[], f: ScopedFilters = {}): string {
  if (!scopes.length) throw new Error('a search needs at least one scope');
  const whole = scopes.filter((s) => !s.collections && !s.docIds).map((s) => s.owner);
  const collections = scopes.flatMap((s) => s.collections ?? []);
  const docs = scopes.flatMap((s) => s.docIds ?? []);
  const reach = [
    ...(whole.length ? [`owner IN ${list(whole)}`] : []),
    ...(collections.length ? [`collection IN ${list(collections)}`] : []),
    ...(docs.length ? [`doc_id IN ${list(docs)}`] : []),
  ];
  const parts = [reach.length ? `(${reach.join(' OR ')})` : 'FALSE'];
  const owners = [...new Set(scopes.map((s) => s.owner))];
  if (f.collections?.length) parts.push(`collection IN ${list(f.collections)}`);
  if (f.formats?.length) parts.push(`format IN ${list(f.formats)}`);
  // A document matches a range that holds its own date or meets the span of its records (a statement's).
  if (f.dateFrom || f.dateTo) {
    const from = f.dateFrom && dateBound(f.dateFrom, false);
    const to = f.dateTo && dateBound(f.dateTo, true);
    const own = [from && `doc_date >= ${from}`, to && `doc_date <= ${to}`].filter(Boolean).join(' AND ');
    const spanned = [to && `doc_date_start <= ${to}`, from && `doc_date_end >= ${from}`].filter(Boolean).join(' AND ');
    parts.push(`((${own}) OR (${spanned}))`);
  }
  // Addresses are sealed per owner: any owner's seal of the address matches only that owner's rows.
  const { from, to } = f;
  if (from) parts.push(`array_has_any(from_addrs, [${owners.map((o) => sqlLiteral(from(o))).join(', ')}])`);
  if (to) parts.push(`array_has_any(to_addrs, [${owners.map((o) => sqlLiteral(to(o))).join(', ')}])`);
  return parts.join(' AND ');
}

/** Whether a row is within one of the scopes (the predicate's exact meaning, checked on each hit). */
export function inScope(
  scopes: readonly SearchScope[],
  row: { owner: string; collection: string; doc_id: string },
): boolean {
  return scopes.some(
    (s) =>
      s.owner === row.owner &&
      (!s.collections || s.collections.includes(row.collection)) &&
      (!s.docIds || s.docIds.includes(row.doc_id)),
  );
}
