/** One line saying which filters the service read from a question, and how to undo them. */
import type { QueryFilters } from '../../schemas/search.js';
import { understoodFilters } from '../client/understood.js';
import { printable } from './printable.js';

export function understoodLine(understood: QueryFilters | undefined): string {
  if (!understood) return '';
  // The searched words can come from the LLM's rewrite of a conversation that quoted shared documents.
  const read = printable(understoodFilters(understood));
  const query = printable(understood.query);
  return understood.dropped
    ? `Filters read from the question (${read}) matched nothing; showing unfiltered results.\n`
    : `Filters read from the question: ${read}. Searched: "${query}". Undo with --literal.\n`;
}
