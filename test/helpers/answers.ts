/**
 * The labelled question–answer set (`test/sets/answers.json`) against a running
 * service: each archive is one user's upload, each question one chat turn, each
 * answer scored on the fact it states, the document its marker cites, or its
 * refusal when the archive cannot answer.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { ChatFinal, ChatRequest } from '../../schemas/chat.js';
import { testUser, type TestUser } from './service.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface QaQuestion {
  id: string;
  archive: string;
  question: string;
  /** Alternatives, one of which the answer must contain; null: the archive cannot answer it. */
  expect: string[] | null;
  /** The file whose document the marker on the fact's line must cite. */
  cite?: string;
  held_out?: boolean;
}

interface QaSet {
  archives: Record<string, string[]>;
  questions: QaQuestion[];
}

export const qaSet = JSON.parse(readFileSync(resolve(ROOT, 'test/sets/answers.json'), 'utf8')) as QaSet;

/** The answer every extractive decline is. */
export const DECLINE = 'I found nothing in your documents that answers this.';

export interface Archive {
  user: TestUser;
  /** The file name each stored document came from (attachments and mbox messages: their file's). */
  fileOf: Map<string, string>;
}

/** One user per archive, holding its files. */
export async function uploadArchives(url: string): Promise<Map<string, Archive>> {
  const out = new Map<string, Archive>();
  for (const [name, files] of Object.entries(qaSet.archives)) {
    const user = await testUser(url);
    const fileOf = new Map<string, string>();
    for (const path of files) {
      const bytes = readFileSync(resolve(ROOT, path));
      const done = await user.client.upload(user.permit, { name: basename(path), size: bytes.length, bytes });
      if (done.failed.length) throw new Error(`${path} failed to ingest: ${JSON.stringify(done.failed)}`);
      for (const id of done.doc_ids) fileOf.set(id, basename(path));
    }
    out.set(name, { user, fileOf });
  }
  return out;
}

export async function ask(user: TestUser, request: ChatRequest): Promise<ChatFinal> {
  const { frames } = await user.client.chat(user.permit, request);
  let last;
  for await (const frame of frames) last = frame;
  if (last?.type !== 'final') throw new Error(`expected a final frame, got ${JSON.stringify(last)}`);
  return last;
}

export interface QaResult {
  q: QaQuestion;
  answer: string;
  ms: number;
  /** Answerable: the fact is on a line whose marker cites the expected file. Unanswerable: declined. */
  ok: boolean;
}

const normalize = (s: string) => s.toLowerCase().replace(/\s+/g, ' ');

/** The files a line's markers cite. */
function citedFiles(line: string, final: ChatFinal, fileOf: Map<string, string>): Set<string> {
  const numbers = [...line.matchAll(/\[([\d,\s]+)\]/g)].flatMap((m) => (m[1] ?? '').split(',').map(Number));
  const docs = final.citations.filter((c) => numbers.includes(c.n)).map((c) => fileOf.get(c.doc_id));
  return new Set(docs.filter((d) => d !== undefined));
}

export function judge(q: QaQuestion, final: ChatFinal, fileOf: Map<string, string>): boolean {
  if (!q.expect) return final.answer.trim() === DECLINE && final.citations.length === 0;
  const facts = q.expect.map(normalize);
  return final.answer
    .split('\n')
    .some(
      (line) => facts.some((f) => normalize(line).includes(f)) && citedFiles(line, final, fileOf).has(q.cite ?? ''),
    );
}

/** Asks every question of its archive's user, in order. */
export async function runSet(archives: Map<string, Archive>): Promise<QaResult[]> {
  const results: QaResult[] = [];
  for (const q of qaSet.questions) {
    const archive = archives.get(q.archive);
    if (!archive) throw new Error(`question ${q.id} names an unknown archive ${q.archive}`);
    const started = performance.now();
    const final = await ask(archive.user, { messages: [{ role: 'user', content: q.question }] });
    const ms = performance.now() - started;
    results.push({ q, answer: final.answer, ms, ok: judge(q, final, archive.fileOf) });
  }
  return results;
}

const rate = (rs: readonly QaResult[]) => ({
  ok: rs.filter((r) => r.ok).length,
  of: rs.length,
  rate: rs.length ? rs.filter((r) => r.ok).length / rs.length : 0,
});

/** Hit rate over answerable questions, decline rate over the others; tuned and held-out apart. */
export function score(results: readonly QaResult[]) {
  const part = (held: boolean) => {
    const rs = results.filter((r) => !!r.q.held_out === held);
    return { answered: rate(rs.filter((r) => r.q.expect)), declined: rate(rs.filter((r) => !r.q.expect)) };
  };
  return {
    answered: rate(results.filter((r) => r.q.expect)),
    declined: rate(results.filter((r) => !r.q.expect)),
    tuned: part(false),
    held_out: part(true),
  };
}
