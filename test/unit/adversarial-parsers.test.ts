/**
 * Every parser, and the chunker, on 1 MiB adversarial inputs (src/bench/adversarial.ts): each parses or fails
 * with a per-file code, within a time limit a super-linear step cannot meet (the patterns and loops these
 * inputs were built against took minutes to hours at this size, or never finished). No time is asserted: the
 * limit is vitest's, and `npm run bench:parsers` measures.
 */
import { describe, expect, test } from 'vitest';
import { PARSE_ERROR_CODES } from '../../schemas/document.js';
import { adversarialCases, runCase } from '../../src/bench/adversarial.js';

/** Per case: 1 MiB through a linear parser takes well under a second here. */
const LIMIT_MS = 5_000;

/** A stand-in for the model's tokenizer (none in unit tests): a token per run of up to 4 non-blank characters. */
const counter = { count: (text: string) => text.match(/\S{1,4}/g)?.length ?? 0 };

const cases = adversarialCases();

describe.each([...new Set(cases.map((c) => c.target))])('%s', (target) => {
  test.each(cases.filter((c) => c.target === target).map((c) => [c.what, c] as const))(
    '%s',
    async (_what, c) => {
      const result = await runCase(c, counter);
      for (const code of result.failed) expect(PARSE_ERROR_CODES).toContain(code);
      if (c.target === 'chunker') expect(result.chunks).toBeGreaterThan(0);
      else if (c.target !== 'decode') expect(result.documents + result.failed.length).toBeGreaterThan(0);
    },
    LIMIT_MS,
  );
});
