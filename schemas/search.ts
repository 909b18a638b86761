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
  .strict();
export type SearchFilters = z.infer<typeof SearchFilters>;

export const SearchRequest = z
  .object({
    query: z.string().trim().min(1, 'query is empty').max(4000),
    k: z.number().int().min(1).max(100).default(10),
    filters: SearchFilters.default({}),
  })
  .strict();
export type SearchRequest = z.input<typeof SearchRequest>;

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
});
export type SearchHit = z.infer<typeof SearchHit>;
