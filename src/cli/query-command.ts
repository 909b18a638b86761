import type { SearchFilters, SearchHit } from '../../schemas/search.js';
import type { Config } from '../config.js';
import { openEngine } from '../engine/open.js';

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

const snippet = (text: string, max = 240) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export async function queryCommand(question: string, opts: QueryOptions, config: Config): Promise<void> {
  const filters = {
    collections: opts.collection,
    formats: opts.format,
    from: opts.from,
    to: opts.to,
    dateFrom: opts.after,
    dateTo: opts.before,
  } as SearchFilters;
  const engine = await openEngine(opts.dataDir, config);
  try {
    printHits(await engine.search(opts.owner, { query: question, k: opts.k, filters }), opts.json);
  } finally {
    await engine.close();
  }
}

/** Hits as `--json` (an array of {doc_id, chunk_id, title, source, page, score, text}) or as a readable list. */
export function printHits(hits: SearchHit[], json?: boolean): void {
  if (json) {
    const out = hits.map(({ doc_id, chunk_id, title, source, page, score, text }) => ({
      doc_id,
      chunk_id,
      title,
      source,
      page,
      score,
      text,
    }));
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (!hits.length) process.stdout.write('No matches.\n');
  hits.forEach((h, i) => {
    const where = [h.source, h.page ? `page ${h.page}` : '', h.section ? `§ ${h.section}` : '']
      .filter(Boolean)
      .join(' · ');
    process.stdout.write(`${i + 1}. ${h.title}  (score ${h.score.toFixed(4)})\n   ${where}\n   ${snippet(h.text)}\n\n`);
  });
}
