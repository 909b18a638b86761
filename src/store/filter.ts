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

export function chunkPredicate(owner: string, f: SearchFilters = {}): string {
  const parts = [`owner = ${sqlLiteral(owner)}`];
  if (f.collections?.length) parts.push(`collection IN ${list(f.collections)}`);
  if (f.formats?.length) parts.push(`format IN ${list(f.formats)}`);
  if (f.dateFrom) parts.push(`doc_date >= ${bound(f.dateFrom, false)}`);
  if (f.dateTo) parts.push(`doc_date <= ${bound(f.dateTo, true)}`);
  if (f.from) parts.push(`array_has_any(from_addrs, [${sqlLiteral(f.from)}])`);
  if (f.to) parts.push(`array_has_any(to_addrs, [${sqlLiteral(f.to)}])`);
  return parts.join(' AND ');
}
