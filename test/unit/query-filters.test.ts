/**
 * Questions with dates, senders and kinds of document: what becomes a filter, what is left to search, and what
 * is left alone (a name nobody in the mailbox has, a number that is not a date).
 */
import { describe, expect, test } from 'vitest';
import { printable } from '../../src/cli/printable.js';
import { understoodLine } from '../../src/cli/understood.js';
import { understandQuery, type Correspondents } from '../../src/rag/query-filters.js';

const NOW = new Date('2026-11-30T12:00:00Z');

/** The owner's correspondents: each word must occur in the display name or the address. */
const PEOPLE = [
  'Alice Smith <alice@example.org>',
  'City Pharmacy <refills@citypharmacy.example>',
  'Harbour Lettings <landlord@harbour-lettings.example>',
];
const correspondents: Correspondents = (words) =>
  PEOPLE.find((p) => words.every((w) => w.length >= 3 && p.toLowerCase().includes(w.toLowerCase())))?.match(
    /<([^>]+)>/,
  )?.[1];
const understand = (q: string) => understandQuery(q, NOW, correspondents);

describe('dates', () => {
  test.each([
    ['what did the bank charge me in March 2024', { dateFrom: '2024-03-01', dateTo: '2024-03-31' }],
    ['emails from Bob last March', { dateFrom: '2026-03-01', dateTo: '2026-03-31' }],
    ['lab results in 2023', { dateFrom: '2023-01-01', dateTo: '2023-12-31' }],
    ['invoices since June', { dateFrom: '2026-06-01' }],
    ['rent between May and July', { dateFrom: '2026-05-01', dateTo: '2026-07-31' }],
    ['rent between May and July 2024', { dateFrom: '2024-05-01', dateTo: '2024-07-31' }],
    ['letters before 2020', { dateTo: '2019-12-31' }],
    ['charges after March 2024', { dateFrom: '2024-04-01' }],
  ])('%s', (question, dates) => {
    const { filters } = understand(question);
    expect({ dateFrom: filters.dateFrom, dateTo: filters.dateTo }).toEqual({
      dateFrom: undefined,
      dateTo: undefined,
      ...dates,
    });
  });

  test('the date words are not searched', () => {
    expect(understand('what did the bank charge me in March 2024?')).toMatchObject({
      query: 'what did the bank charge me?',
      phrases: ['in March 2024'],
    });
  });

  test('"from" a month is from its start', () => {
    expect(understand('forwarded pictures from September 2004').filters).toEqual({ dateFrom: '2004-09-01' });
  });

  test('a year in a title, and a long passage, are searched as written', () => {
    for (const q of [
      'State of the Union 2001, part 1',
      'In 2003 the budget I send you will increase funding for the war on terror and for the men and women who serve at home and abroad in every branch',
    ])
      expect(understand(q)).toEqual({ query: q, filters: {}, phrases: [], dropped: false });
  });

  test('a sentence copied from a document names no filter; a question or request ending in a full stop does', () => {
    for (const q of [
      'Last year Government spending shot up 8 percent.',
      'Last year, I heard through friends the story of a teacher in Ohio.',
      'In March 2024 we sent the contract to Alice!',
      'Since June, the rent went up.',
    ])
      expect(understand(q)).toEqual({ query: q, filters: {}, phrases: [], dropped: false });
    expect(understand('What did the bank charge me in March 2024.').filters).toEqual({
      dateFrom: '2024-03-01',
      dateTo: '2024-03-31',
    });
    expect(understand('Show me mail from the pharmacy in March 2024.').filters).toMatchObject({
      from: 'refills@citypharmacy.example',
      dateFrom: '2024-03-01',
    });
    expect(understand('Last year Government spending shot up 8 percent').filters).toEqual({
      dateFrom: '2025-01-01',
      dateTo: '2025-12-31',
    });
  });

  test('"now", "tonight" and dates in the future are no filters; a past period runs until now', () => {
    for (const q of ['what do I owe now', 'who is coming tonight', 'the loan is repaid in 8 years'])
      expect(understand(q).filters).toEqual({});
    expect(understand('pay rises over the past 2 years').filters).toEqual({
      dateFrom: '2024-01-01',
      dateTo: '2026-11-30',
    });
  });

  test('numbers that are not dates stay in the question', () => {
    const q = 'did I pay 1450 euros for the second one';
    expect(understand(q)).toEqual({ query: q, filters: {}, phrases: [], dropped: false });
  });
});

describe('senders, recipients and kinds', () => {
  test('a correspondent by name, and by a word of the address', () => {
    expect(understand('what did Alice say about the deposit? from Alice')).toMatchObject({
      filters: { from: 'alice@example.org' },
    });
    const pharmacy = understand('mail from the pharmacy about refills');
    expect(pharmacy.filters).toMatchObject({ from: 'refills@citypharmacy.example', formats: ['eml'] });
    expect(pharmacy.query).toBe('mail about refills');
  });

  test('a recipient after a mail word', () => {
    const q = understand('emails to the landlord about the boiler');
    expect(q.filters).toMatchObject({ to: 'landlord@harbour-lettings.example', formats: ['eml'] });
    expect(q.query).toBe('emails about the boiler');
  });

  test('an address typed out is a filter even when unknown', () => {
    expect(understand('anything from bob@example.net').filters.from).toBe('bob@example.net');
  });

  test('a name nobody in the mailbox has is searched, not filtered', () => {
    const q = 'advice from the doctor about sleep';
    expect(understand(q)).toMatchObject({ query: q, filters: {} });
  });

  test('"to" without a mail word is not a recipient', () => {
    expect(understand('how much to pay Alice for the sofa').filters.to).toBeUndefined();
  });

  test('kinds: a place to look is dropped from the query, a subject stays', () => {
    const statements = understand('coffee shop charges in my bank statements');
    expect(statements.filters.formats).toEqual(expect.arrayContaining(['ofx', 'csv']));
    expect(statements.query).toBe('coffee shop charges');
    const labs = understand('which lab results were abnormal');
    expect(labs.filters.formats).toEqual(expect.arrayContaining(['fhir', 'ccda']));
    expect(labs.query).toBe('which lab results were abnormal');
  });

  test('a question with nothing structured is unchanged', () => {
    const q = 'Which allergies are recorded?';
    expect(understand(q)).toEqual({ query: q, filters: {}, phrases: [], dropped: false });
  });
});

test('linear on a long adversarial question', () => {
  const q = 'from the from the between May and '.repeat(100) + 'emails to to to '.repeat(100);
  expect(understand(q.slice(0, 4000)).query.length).toBeGreaterThan(0);
});

test('the CLI names what it read and how to undo it, or that it was dropped', () => {
  const read = understand('mail from the pharmacy in March 2024');
  const line = understoodLine(read);
  expect(line).toContain('"in March 2024"');
  expect(line).toContain('from refills@citypharmacy.example');
  expect(line).toContain('--literal');
  expect(understoodLine({ ...read, dropped: true })).toContain('matched nothing');
  expect(understoodLine(undefined)).toBe('');
});

test('what the service says it read reaches the terminal without control sequences', () => {
  // The searched words of a chat can come from the LLM's rewrite of a conversation quoting shared documents.
  const read = understand('mail from the pharmacy in March 2024');
  const line = understoodLine({ ...read, query: 'refills\x1b]0;owned\x07', phrases: ['in March\x1b[2J 2024'] });
  expect(line).toBe(printable(line)); // nothing left that printable would replace
  expect(line).toContain('refills\ufffd]0;owned\ufffd');
});
