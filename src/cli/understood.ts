/** One line saying which filters the service read from a question, and how to undo them. */
import type { QueryFilters } from '../../schemas/search.js';
import { understoodFilters } from '../client/understood.js';

export function understoodLine(understood: QueryFilters | undefined): string {
  if (!understood) return '';
  const read = understoodFilters(understood);
  return understood.dropped
    ? `Filters read from the question (${read}) matched nothing; showing unfiltered results.\n`
    : `Filters read from the question: ${read}. Searched: "${understood.query}". Undo with --literal.\n`;
}
