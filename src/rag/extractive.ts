/**
 * An answer without an LLM: the sentences and records of the retrieved
 * passages closest in meaning to the question (the embedding model's cosine,
 * helped a little by shared words and by the question naming the document),
 * each with its source marker, none twice. When even the best is far from the
 * question it says so instead. It never says anything the documents do not.
 */
import type { Passage } from './context.js';
import { unitsOf } from './units.js';

/** Unit vectors for texts, from the model the index was built with. */
export type Embed = (texts: readonly string[]) => Promise<Float32Array[]>;

/**
 * Passages an extractive answer is drawn from at least: it costs no model
 * context, so it reads twice the default and lets the scores choose.
 */
export const EXTRACTIVE_PASSAGES = 16;

export const NOTHING_FOUND = 'I found nothing in your documents that answers this.';

/**
 * Below this evidence (the best sentence's score less MISSING_WEIGHT times the
 * share of the question's words no passage holds) the answer is a refusal.
 * Calibrated with the weights below on the tuned (not held-out) questions of
 * `test/sets/answers.json` with USE-Lite: a grid over the weights, the margin
 * and this threshold, keeping ≥ 90% of unanswerable questions declined and the
 * most answerable ones answered; 0.27 is the middle of the plateau (0.25–0.29)
 * the best weights gave. `npm run bench:answers` prints the rates.
 */
export const DECLINE_BELOW = 0.27;
/** A further sentence is given only when it scores within this of the best… */
const MARGIN = 0.3;
/** …and within this when it comes from another document than the best one (keeps a list, drops the neighbours). */
const OTHER_DOCUMENT_MARGIN = 0.12;
const MAX_SENTENCES = 6;
/** Sentences of prose this similar (cosine) say the same thing: overlapping chunks, quoted mail. */
const NEAR_DUPLICATE = 0.92;
/** Weight of the share of the question's words a sentence holds. */
const WORDS_WEIGHT = 0.1;
/** Weight of the share of the question's words the passage's title or section holds (a patient's name, "Allergies"). */
const TITLE_WEIGHT = 0.4;
/** Weight of the share of the question's words found nowhere in the passages: what they are about is not there. */
const MISSING_WEIGHT = 1;
/** Per place a passage is down the retrieval ranking. */
const RANK_WEIGHT = 0.005;
const MAX_SENTENCE_CHARS = 400;
/** Sentences embedded per answer at most, taken in rank order: bounds the added latency. */
const MAX_CANDIDATES = 160;

/**
 * Function words; the verbs and adverbs of questions ("what happened at…"); and words for paying and
 * months, which records write as figures (an amount, 2026-03-01): none says
 * what a document is about.
 */
const STOP = new Set(
  `a an and are as at be by for from has have had how i in is it its me my of on or that the their this to was were what
  when where which who whom whose why will with you your do does did can could should would about much many any there
  often take taking took get got see tell show list give given know say said ever still current recorded record kind
  happen happens happened occur occurred mention mentioned
  anyone anything someone patient patients am been being our we us he she his her they them
  pay paid spend spent cost costs buy bought charge charged owe sent
  january february march april may june july august september october november december`.split(/\s+/),
);

/** Content words, cut to a common stem ("allergies", "allergic" → "aller"). */
const terms = (text: string) =>
  new Set(
    (
      text
        .normalize('NFD')
        .replace(/\p{M}/gu, '')
        .toLowerCase()
        .match(/[\p{L}\p{N}]+/gu) ?? []
    )
      .filter((w) => w.length > 1 && !STOP.has(w))
      .map((w) => (w.length > 5 ? w.slice(0, 5) : w)),
  );

const share = (wanted: ReadonlySet<string>, text: string) => {
  if (!wanted.size) return 0;
  const have = terms(text);
  let n = 0;
  for (const w of wanted) if (have.has(w)) n++;
  return n / wanted.size;
};

/** A sentence as written: a capital or figure first, a full stop last. */
const COMPLETE = /^[\p{Lu}\p{N}].*[.!?]$/u;

/** A bracketed number quoted from a document is not a citation. */
const unbracket = (text: string) => text.replaceAll('[', '(').replaceAll(']', ')');
const normalized = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

/** A passage's section heading when it says something its text does not (not a mail's subject, not a row range). */
function heading(p: Passage): string | undefined {
  const { section, title } = p.hit;
  return section?.trim() && section !== title && !/^rows \d/.test(section) ? section.trim() : undefined;
}

const labelled = (text: string, heading: string | undefined) =>
  heading && !text.toLowerCase().startsWith(heading.toLowerCase()) ? `${heading}: ${text}` : text;

/** A sentence this short ("Appendicitis") is quoted under its section's heading. */
const SHORT_WORDS = 3;

export interface Scored {
  n: number;
  /** The document of its passage. */
  doc: string;
  text: string;
  record: boolean;
  /** Section of the passage it came from. */
  section: string | null;
  vector: Float32Array;
  /** Cosine similarity with the question. */
  similarity: number;
  /** Shares of the question's words in the sentence and in its passage's title and section. */
  words: number;
  named: number;
  /** Its passage's place in the retrieval ranking. */
  rank: number;
  score: number;
}

export interface Evidence {
  /** Every distinct sentence and record of the passages, scored against the question, best first. */
  ranked: Scored[];
  /** The share of the question's words that no passage holds. */
  missing: number;
}

export async function weighEvidence(question: string, passages: readonly Passage[], embed: Embed): Promise<Evidence> {
  const seen = new Set<string>();
  const candidates = passages
    .flatMap((p, rank) =>
      unitsOf(p.hit.text, p.hit.section).map((u) => ({ ...u, text: unbracket(u.text), passage: p, rank })),
    )
    .filter((c) => c.text.length <= MAX_SENTENCE_CHARS && /[\p{L}\p{N}]/u.test(c.text))
    .filter((c) => {
      const key = normalized(c.text);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, MAX_CANDIDATES);
  // A sentence or record the chunker cut at an overlap is inside the whole one from the neighbouring chunk.
  const sources = candidates.map((c) => normalized(c.source));
  const whole = candidates.filter((c, i) => {
    const own = sources[i] ?? '';
    if (COMPLETE.test(c.source)) return true;
    return !sources.some((k, j) => j !== i && k.length > own.length && k.includes(own));
  });
  const wanted = terms(question);
  const found = terms(passages.map((p) => `${p.hit.title} ${p.hit.section ?? ''} ${p.hit.text}`).join('\n'));
  const missing = wanted.size ? [...wanted].filter((w) => !found.has(w)).length / wanted.size : 0;
  if (!whole.length) return { ranked: [], missing };
  const [q, ...vectors] = await embed([question, ...whole.map((c) => labelled(c.text, heading(c.passage)))]);
  if (!q) return { ranked: [], missing };
  const ranked = whole
    .map((c, i) => {
      const vector = vectors[i] ?? new Float32Array(q.length);
      const similarity = dot(q, vector);
      const words = share(wanted, labelled(c.text, heading(c.passage)));
      const named = share(wanted, `${c.passage.hit.title} ${c.passage.hit.section ?? ''}`);
      const score = similarity + WORDS_WEIGHT * words + TITLE_WEIGHT * named - RANK_WEIGHT * c.rank;
      const text = c.text.split(/\s+/).length <= SHORT_WORDS ? labelled(c.text, heading(c.passage)) : c.text;
      return {
        n: c.passage.n,
        doc: c.passage.hit.doc_id,
        text,
        record: c.record,
        section: c.passage.hit.section,
        vector,
        similarity,
        words,
        named,
        rank: c.rank,
        score,
      };
    })
    .sort((a, b) => b.score - a.score);
  return { ranked, missing };
}

export async function extractiveAnswer(question: string, passages: readonly Passage[], embed: Embed): Promise<string> {
  const { ranked, missing } = await weighEvidence(question, passages, embed);
  const [best] = ranked;
  if (!best || best.score - MISSING_WEIGHT * missing < DECLINE_BELOW) return NOTHING_FOUND;
  const chosen = [best];
  for (const s of ranked.slice(1)) {
    if (s.score < best.score - MARGIN || chosen.length >= MAX_SENTENCES) break;
    if (s.doc !== best.doc && s.score < best.score - OTHER_DOCUMENT_MARGIN) continue;
    // Records of one kind embed alike whatever their values (an allergy to nut, to wheat): only prose is near-duplicate.
    if (!s.record && chosen.some((c) => !c.record && dot(c.vector, s.vector) >= NEAR_DUPLICATE)) continue;
    chosen.push(s);
  }
  return chosen.map((s) => `${s.text} [${s.n}]`).join('\n');
}
