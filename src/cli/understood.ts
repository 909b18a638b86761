/** One line saying which filters the service read from a question, and how to undo them. */
import type { QueryFilters } from '../../schemas/search.js';

export function understoodLine(understood: QueryFilters | undefined): string {
  if (!understood) return '';
  const { filters: f } = understood;
  const read = [
    f.dateFrom || f.dateTo ? `dates ${f.dateFrom ?? '…'} to ${f.dateTo ?? '…'}` : '',
    f.from ? `from ${f.from}` : '',
    f.to ? `to ${f.to}` : '',
    f.formats?.length ? `formats ${f.formats.join(', ')}` : '',
  ].filter(Boolean);
  const words = understood.phrases.map((p) => `"${p}"`).join(', ');
  return understood.dropped
    ? `Filters read from the question (${words}: ${read.join('; ')}) matched nothing; showing unfiltered results.\n`
    : `Filters read from the question (${words}): ${read.join('; ')}. Searched: "${understood.query}". Undo with --literal.\n`;
}
