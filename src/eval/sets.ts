/**
 * The labelled sets: known-item questions generated from the corpus, and the hand-written paraphrase and
 * structured sets in `test/sets/`. Each question's `relevant` names documents by their source (`sotu-2012-07.eml`,
 * `medical/fhir_….json`, `email/archive.mbox#2`). A third of every set tunes the fusion (`npm run eval:tune`) and
 * the rest is reported (`npm run eval`): a question tunes when the first byte of SHA-256 of its id is divisible by 3,
 * or when the set marks it `"split": "tune"` (questions written to enlarge the tuning split).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { rng } from '../bench/corpus.js';
import { plainTokens } from '../store/keywords.js';
import type { Message } from './corpus.js';

export const SET_NAMES = ['known-item', 'paraphrase', 'structured'] as const;
export type SetName = (typeof SET_NAMES)[number];
export type Split = 'tune' | 'report';

const LabelledQuestion = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    query: z.string().min(3),
    relevant: z.array(z.string().min(1)).min(1),
    /** What the question is about, for a reader of the set. */
    about: z.string().optional(),
    /** Written to enlarge the tuning split: tunes whatever its id's hash says. */
    split: z.literal('tune').optional(),
  })
  .strict();
const LabelledSet = z.object({ about: z.string(), questions: z.array(LabelledQuestion).min(1) }).strict();

export interface Question {
  id: string;
  query: string;
  relevant: string[];
  split: Split;
}

export function splitOf(id: string): Split {
  return (createHash('sha256').update(id).digest()[0] ?? 0) % 3 === 0 ? 'tune' : 'report';
}

const SETS_DIR = new URL('../../test/sets/', import.meta.url);

/** A hand-written set from `test/sets/<name>.json`, validated. */
export function loadSet(name: 'paraphrase' | 'structured'): Question[] {
  const set = LabelledSet.parse(JSON.parse(readFileSync(new URL(`${name}.json`, SETS_DIR), 'utf8')));
  const ids = new Set<string>();
  return set.questions.map((q) => {
    if (ids.has(q.id)) throw new Error(`${name}: question id ${q.id} twice`);
    ids.add(q.id);
    return { id: q.id, query: q.query, relevant: q.relevant, split: q.split ?? splitOf(q.id) };
  });
}

/**
 * Known-item questions: for `n` messages drawn with a fixed seed, the exact subject (one in four) or one of its
 * body's sentences of 8–40 words; and the exact subject of every e-mail in `subjects` (source → subject).
 */
export function knownItem(messages: readonly Message[], subjects: ReadonlyMap<string, string>, n = 60): Question[] {
  const r = rng(14);
  const picked = messages.filter(() => r() < n / messages.length);
  const out: Question[] = picked.map((m) => {
    const sentences = m.body.split(/(?<=[.!?])\s+/).filter((s) => {
      const w = s.split(/\s+/).length;
      return w >= 8 && w <= 40;
    });
    const sentence = sentences[Math.floor(r() * sentences.length)];
    const query = r() < 0.25 || sentence === undefined ? m.subject : sentence;
    const id = `k-${m.name.replace(/\.eml$/, '')}`;
    return { id, query, relevant: [m.name], split: splitOf(id) };
  });
  for (const [source, subject] of subjects) {
    const id = `k-${source.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    out.push({ id, query: subject, relevant: [source], split: splitOf(id) });
  }
  return out;
}

/** Function words: what a question may share with its message (everything else is a content word). */
const FUNCTION_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both ' +
    'but by can could did do does doing down during each few for from further had has have having he her here hers ' +
    'herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on ' +
    'once only or other our ours ourselves out over own same she should so some such than that the their theirs them ' +
    'themselves then there these they this those through to too under until up very was we were what when where which ' +
    'while who whom why will with would you your yours yourself yourselves one ones someone something thing things ' +
    'also any anything ever every may might must shall us let lets get got many much'
  ).split(' '),
);

/** A crude suffix stemmer: conservative in the direction of finding more shared words, not fewer. */
function stem(word: string): string {
  for (const suffix of ['ations', 'ation', 'ments', 'ment', 'ings', 'ing', 'ies', 'ied', 'es', 'ed', 'ly', 's'])
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) return word.slice(0, -suffix.length);
  return word;
}

function contentStems(text: string): Set<string> {
  return new Set(
    plainTokens(text)
      .filter((w) => !FUNCTION_WORDS.has(w))
      .map(stem),
  );
}

/** The content words a question shares with a text (by stem). */
export function sharedContentWords(question: string, text: string): string[] {
  const theirs = contentStems(text);
  return [...contentStems(question)].filter((s) => theirs.has(s));
}
