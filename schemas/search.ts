/** Search requests and hits: the contract the CLI prints and, later, the service returns. */
import { z } from 'zod';
import { Format } from './document.js';

export const COLLECTION_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;
export const CollectionName = z
  .string()
  .regex(COLLECTION_NAME, 'collection names are 1-64 letters, digits, spaces, dots, dashes or underscores');
export const EmailAddress = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,253}$/, 'not an email address');

/** A filter date as ms since the epoch: a bare date's start (UTC), or its last millisecond for an end; a datetime's instant. */
export function dateBound(value: string, endOfDay: boolean): number {
  const bare = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = Date.parse(bare ? `${value}T00:00:00Z` : value);
  return bare && endOfDay ? t + 86_400_000 - 1 : t;
}

export const SearchFilters = z
  .object({
    collections: z.array(CollectionName).max(64).optional(),
    formats: z.array(Format).optional(),
    dateFrom: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    dateTo: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    /** Email sender address. */
    from: EmailAddress.optional(),
    /** Email recipient address (To or Cc). */
    to: EmailAddress.optional(),
  })
  .strict()
  // A range that ends before it starts is a mistake, not a request for the documents spanning the gap.
  .refine((f) => !f.dateFrom || !f.dateTo || dateBound(f.dateFrom, false) <= dateBound(f.dateTo, true), {
    message: 'dateFrom is after dateTo',
    path: ['dateTo'],
  });
export type SearchFilters = z.infer<typeof SearchFilters>;

export const SearchRequest = z
  .object({
    query: z.string().trim().min(1, 'query is empty').max(4000),
    k: z.number().int().min(1).max(100).default(10),
    filters: SearchFilters.default({}),
    /**
     * true: one hit per document (its best passage), distinct documents first, then further passages;
     * false: the chunk ranking as it is. Default true (docs/api.md#search).
     */
    group: z.boolean().default(true),
    /** Read dates, senders, recipients and kinds of document in the query as filters (the service's search). */
    understand: z.boolean().default(true),
  })
  .strict();
export type SearchRequest = z.input<typeof SearchRequest>;

/**
 * What was read from a question as filters (src/rag/query-filters.ts): a client shows them and can undo them
 * by asking again with `understand: false`.
 */
export const QueryFilters = z
  .object({
    /** What was searched: the question without the words that became filters. */
    query: z.string(),
    /** The filters read from the question (a request's own filters are not repeated here). */
    filters: SearchFilters,
    /** The question's words each filter came from ("last March", "from Alice", "in my bank statements"). */
    phrases: z.array(z.string()),
    /** True when these filters matched nothing: the results are then the whole question's, unfiltered. */
    dropped: z.boolean(),
  })
  .strict();
export type QueryFilters = z.infer<typeof QueryFilters>;

/** One ranked hit, as `prag query --json` prints it. */
export const SearchHit = z.object({
  doc_id: z.string(),
  chunk_id: z.string(),
  title: z.string(),
  source: z.string(),
  page: z.number().int().nullable(),
  section: z.string().nullable(),
  /**
   * The collection's name; null for another owner's hit that only a grant of
   * documents covers (their collection names are theirs).
   */
  collection: z.string().nullable(),
  score: z.number(),
  text: z.string(),
  /** The owner's address, for every hit the service returns (a requester's own, or shared with them). */
  owner: z.string().optional(),
  /** The service's hits: true when the hit is another owner's, shared with the requester. */
  shared: z.boolean().optional(),
  /** True when the passage was recognised by OCR (a scanned page, an image): its words may be misread. */
  ocr: z.boolean().optional(),
  /** An e-mail's thread: the Message-ID of the thread's first message (the same for every message of it). */
  thread: z.string().optional(),
});
export type SearchHit = z.infer<typeof SearchHit>;
