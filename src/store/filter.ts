/**
 * Search filters → a LanceDB (DataFusion SQL) predicate. Every value is
 * validated by its schema first and then quoted as a literal here; nothing
 * from a request is ever spliced in unquoted.
 */
import type { SearchFilters } from '../../schemas/search.js';

export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('NUL in filter value');
  return `'${value.replaceAll("'", "''")}'`;
}

const list = (values: readonly string[]) => `(${values.map(sqlLiteral).join(', ')})`;

/** Start of the day for a bare date; the instant for a datetime. */
function bound(value: string, endOfDay: boolean): number {
  const bare = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = Date.parse(bare ? `${value}T00:00:00Z` : value);
  return bare && endOfDay ? t + 86_400_000 - 1 : t;
}

/** Which of one owner's chunks a search may see: all of them, or only some collections or documents. */
export interface SearchScope {
  owner: string;
  /** Collection labels (ids in the service). */
  collections?: readonly string[];
  docIds?: readonly string[];
}

/** Filters whose values are per owner (sealed per owner in the service): resolved for each scope. */
export type ScopedFilters = Omit<SearchFilters, 'from' | 'to'> & { from?: (owner: string) => string; to?: (owner: string) => string };

export function chunkPredicate(owner: string, f: SearchFilters = {}): string {
  return scopePredicate([{ owner }], { ...f, from: f.from === undefined ? undefined : () => f.from!, to: f.to === undefined ? undefined : () => f.to! });
}

/** (scope₁ AND filters) OR (scope₂ AND filters) OR … */
export function scopePredicate(scopes: readonly SearchScope[], f: ScopedFilters = {}): string {
  if (!scopes.length) throw new Error('a search needs at least one scope');
  return scopes.map((s) => `(${scopeParts(s, f).join(' AND ')})`).join(' OR ');
}

function scopeParts(scope: SearchScope, f: ScopedFilters): string[] {
  const parts = [`owner = ${sqlLiteral(scope.owner)}`];
  if (scope.collections) parts.push(scope.collections.length ? `collection IN ${list(scope.collections)}` : 'FALSE');
  if (scope.docIds) parts.push(scope.docIds.length ? `doc_id IN ${list(scope.docIds)}` : 'FALSE');
  if (f.collections?.length) parts.push(`collection IN ${list(f.collections)}`);
  if (f.formats?.length) parts.push(`format IN ${list(f.formats)}`);
  if (f.dateFrom) parts.push(`doc_date >= ${bound(f.dateFrom, false)}`);
  if (f.dateTo) parts.push(`doc_date <= ${bound(f.dateTo, true)}`);
  if (f.from) parts.push(`array_has_any(from_addrs, [${sqlLiteral(f.from(scope.owner))}])`);
  if (f.to) parts.push(`array_has_any(to_addrs, [${sqlLiteral(f.to(scope.owner))}])`);
  return parts;
}
