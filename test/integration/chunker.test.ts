import { beforeAll, describe, expect, it } from 'vitest';
import { chunkDocument, type Chunk } from '../../ingest/index.js';
import type { TransformersEmbedder } from '../../src/embed/transformers.js';
import { fileSource, fixture, parseOk, testEmbedder } from '../helpers/index.js';
import { must } from '../helpers/must.js';

let model: TransformersEmbedder;
beforeAll(async () => {
  model = await testEmbedder();
});

const sentence = (i: number) =>
  `Sentence number ${i} talks about invoices, refunds and the ${i % 7 === 0 ? 'pharmacy' : 'grocery'} bill.`;

function expectWellFormed(sections: { text: string }[], chunks: Chunk[], max: number) {
  chunks.forEach((c, i) => {
    expect(c.ordinal).toBe(i);
    expect(c.text).toBe(must(sections[c.section], `section ${c.section}`).text.slice(c.charStart, c.charEnd));
    expect(c.text.trim()).toBe(c.text);
    expect(c.text.length).toBeGreaterThan(0);
    expect(model.count(c.text)).toBeLessThanOrEqual(max); // the model's own tokenizer
    expect(c.tokens).toBe(model.count(c.text));
  });
}

describe('chunker', () => {
  it('the model bounds the window: USE-lite reads 128 tokens, so chunks are at most that', () => {
    expect(model.maxTokens).toBe(128);
  });

  it('bounds every chunk by the model token count, overlaps neighbours by ~15%, and keeps exact offsets', () => {
    const text = Array.from({ length: 120 }, (_, i) => sentence(i)).join(' ');
    const doc = { sections: [{ heading: 'Bills', text }] };
    const chunks = chunkDocument(doc, model, { maxTokens: 100, overlapTokens: 15 });
    expect(chunks.length).toBeGreaterThan(10);
    expectWellFormed(doc.sections, chunks, 100);
    for (let i = 1; i < chunks.length; i++) {
      const prev = must(chunks[i - 1], `chunk ${i - 1}`);
      const cur = must(chunks[i], `chunk ${i}`);
      expect(cur.charStart).toBeLessThan(prev.charEnd); // overlap
      expect(cur.charStart).toBeGreaterThan(prev.charStart); // progress
      const overlapTokens = model.count(text.slice(cur.charStart, prev.charEnd));
      expect(overlapTokens).toBeLessThanOrEqual(20);
      expect(overlapTokens).toBeGreaterThan(0);
    }
    expect(chunks.every((c) => c.heading === 'Bills')).toBe(true);
    // Together the chunks cover the whole text.
    expect(must(chunks[0], 'the first chunk').charStart).toBe(0);
    expect(must(chunks.at(-1), 'the last chunk').charEnd).toBe(text.length);
  });

  it('never crosses a section; carries page and heading pointers', () => {
    const doc = {
      sections: [
        { page: 1, text: 'Short first page.' },
        { page: 2, heading: 'Results', text: 'Second page text about cholesterol.' },
      ],
    };
    const chunks = chunkDocument(doc, model, { maxTokens: 100, overlapTokens: 15 });
    expect(chunks.map((c) => [c.section, c.page, c.heading, c.text])).toEqual([
      [0, 1, undefined, 'Short first page.'],
      [1, 2, 'Results', 'Second page text about cholesterol.'],
    ]);
  });

  it('prefers paragraph boundaries', () => {
    const para = (n: number) => Array.from({ length: 5 }, (_, i) => sentence(n * 10 + i)).join(' ');
    const text = [para(1), para(2), para(3)].join('\n\n');
    const chunks = chunkDocument({ sections: [{ text }] }, model, { maxTokens: 120, overlapTokens: 0 });
    expect(chunks.map((c) => c.text)).toEqual([para(1), para(2), para(3)]);
  });

  it('splits a single huge line with no boundaries in bounded time', () => {
    const line = 'lorem'.repeat(50_000) + ' ' + Array.from({ length: 5_000 }, (_, i) => `w${i}`).join(' ');
    const doc = { sections: [{ text: line }] };
    const started = Date.now();
    const chunks = chunkDocument(doc, model, { maxTokens: 100, overlapTokens: 15 });
    expect(Date.now() - started).toBeLessThan(60_000);
    expectWellFormed(doc.sections, chunks, 100);
    expect(must(chunks.at(-1), 'the last chunk').charEnd).toBe(line.length);
  });

  it('is deterministic, and one email never spans two messages of an mbox', async () => {
    const docs = await parseOk(fileSource(fixture('email', 'node-mbox_test-4-message.mbox')));
    for (const doc of docs) {
      const a = chunkDocument(doc, model, { maxTokens: 100, overlapTokens: 15 });
      const b = chunkDocument(doc, model, { maxTokens: 100, overlapTokens: 15 });
      expect(a).toEqual(b);
      expect(a.every((c) => c.text.includes(doc.title) || !c.text.includes('Subject: mail'))).toBe(true);
    }
  });
});
