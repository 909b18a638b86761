/**
 * What the engine does to user content before it reaches a store, per owner.
 * Embedded mode (`prag index` on the user's own machine) stores plain values;
 * the service stores sealed ones (src/store/keyring.ts). Either way the
 * engine calls the same seam, and the recorded sealer id stops a data
 * directory from being opened with the other kind.
 */
import { plainTokens } from './keywords.js';

export interface OwnerSealer {
  /** The stored id for a document whose content hash is `contentId`. */
  documentId(contentId: string): string;
  /** Confidential field, bound to `context`. */
  seal(value: string, context: string): string;
  open(sealed: string, context: string): string;
  /** Equality-preserving field (filters: collection, email addresses), bound to `context`. */
  tag(value: string, context: string): string;
  untag(tagged: string, context: string): string;
  /** The keyword tokens of `text`: a chunk's row keeps their sorted set (keywordColumn), a query any of them. */
  keywordTokens(text: string): string[];
}

export interface Sealer {
  /** Recorded with the index. */
  readonly id: string;
  forOwner(owner: string): OwnerSealer;
}

const PLAIN: OwnerSealer = {
  documentId: (id) => id,
  seal: (v) => v,
  open: (v) => v,
  tag: (v) => v,
  untag: (v) => v,
  keywordTokens: plainTokens,
};

export const plainSealer: Sealer = { id: 'plain-v1', forOwner: () => PLAIN };
