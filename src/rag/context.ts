/**
 * From ranked hits to the numbered passages a prompt may hold: exact and
 * near-duplicate passages are dropped (mail archives quote themselves; the
 * same paragraph in two documents says nothing new), and passages are taken
 * in rank order while they fit the token budget.
 */
import type { SearchHit } from '../../schemas/search.js';
import { sha256Hex } from '../crypto/receipt.js';

/** A hit with its owner's address, and whether that owner is someone else who shared it with the requester. */
export type OwnedHit = SearchHit & { owner: string; shared: boolean };

export interface Passage {
  /** The number the prompt and the answer's `[n]` markers use. */
  n: number;
  hit: OwnedHit;
  /** SHA-256 of the passage text: the citation's and the receipt's `chunk_hash`. */
  hash: string;
}

/** A conservative estimate (about four characters a token for English; fewer for other scripts, hence the budget's margin). */
const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** Word 3-shingles: near-duplicates share most of them. */
function shingles(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<string>();
  for (let i = 0; i + 2 < words.length; i++) out.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  if (!out.size && words.length) out.add(words.join(' '));
  return out;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const s of a) if (b.has(s)) shared++;
  return shared / (a.size + b.size - shared || 1);
}

const NEAR_DUPLICATE = 0.8;
/** Tokens a passage's header and delimiters take in the prompt. */
const PASSAGE_OVERHEAD_TOKENS = 30;

export function selectPassages(hits: readonly OwnedHit[], budgetTokens: number): Passage[] {
  const kept: Array<{ passage: Passage; shingles: Set<string> }> = [];
  const seen = new Set<string>();
  let used = 0;
  for (const hit of hits) {
    const hash = sha256Hex(hit.text);
    if (seen.has(hash)) continue;
    seen.add(hash);
    const own = shingles(hit.text);
    if (kept.some((k) => jaccard(k.shingles, own) >= NEAR_DUPLICATE)) continue;
    const cost = estimateTokens(hit.text) + estimateTokens(hit.title) + PASSAGE_OVERHEAD_TOKENS;
    if (used + cost > budgetTokens) continue;
    used += cost;
    kept.push({ passage: { n: kept.length + 1, hit, hash }, shingles: own });
  }
  return kept.map((k) => k.passage);
}
