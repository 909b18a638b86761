/**
 * The filters the service read from a question (`understood` of a search reply or a chat frame), in words.
 * Each client adds its own way to undo them (the CLI's `--literal`, the web client's button, the MCP tool's
 * `literal` argument); this is the part they share. Web-standard: the web client imports it.
 */
import type { QueryFilters } from '../../schemas/search.js';

/**
 * The filters, then the question's words they came from:
 * `dates 2024-03-01 to 2024-03-31; from refills@citypharmacy.example ("in March 2024", "from the pharmacy")`.
 */
export function understoodFilters(understood: QueryFilters): string {
  const { filters: f } = understood;
  const read = [
    f.dateFrom || f.dateTo ? `dates ${f.dateFrom ?? '…'} to ${f.dateTo ?? '…'}` : '',
    f.from ? `from ${f.from}` : '',
    f.to ? `to ${f.to}` : '',
    f.formats?.length ? `formats ${f.formats.join(', ')}` : '',
    f.collections?.length ? `collections ${f.collections.join(', ')}` : '',
  ].filter(Boolean);
  const words = understood.phrases.map((p) => `"${p}"`).join(', ');
  return words ? `${read.join('; ')} (${words})` : read.join('; ');
}
