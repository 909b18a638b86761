import { FORMATS } from '../../schemas/document.js';
import type { SearchFilters } from '../../schemas/search.js';
import type { Config } from '../config.js';
import { openEngine } from '../engine/open.js';
import { filterDate } from './dates.js';
import { UsageError } from './errors.js';
import { printHits } from './hits.js';

export interface QueryOptions {
  dataDir: string;
  owner: string;
  k: number;
  json?: boolean;
  collection?: string[];
  format?: string[];
  from?: string;
  to?: string;
  after?: string;
  before?: string;
}

export async function queryCommand(question: string, opts: QueryOptions, config: Config): Promise<void> {
  const unknown = opts.format?.filter((f) => !(FORMATS as readonly string[]).includes(f));
  if (unknown?.length)
    throw new UsageError(`--format ${unknown.join(', ')}: not a format; formats: ${FORMATS.join(', ')}`);
  const filters = {
    collections: opts.collection,
    formats: opts.format,
    from: opts.from,
    to: opts.to,
    dateFrom: opts.after === undefined ? undefined : await filterDate(opts.after, '--after'),
    dateTo: opts.before === undefined ? undefined : await filterDate(opts.before, '--before'),
  } as SearchFilters;
  const engine = await openEngine(opts.dataDir, config);
  try {
    printHits(await engine.search(opts.owner, { query: question, k: opts.k, filters }), opts.json);
  } finally {
    await engine.close();
  }
}
