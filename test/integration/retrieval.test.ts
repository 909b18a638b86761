import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { bytesSource, openTestEngine, tempDir } from '../helpers/index.js';

/** A small labelled corpus: mail, statements and clinical notes, each about one thing. */
const mail = (from: string, to: string, date: string, subject: string, body: string) =>
  `From: ${from}\r\nTo: ${to}\r\nDate: ${date}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W+/g, '.')}@example.com>\r\n\r\n${body}\r\n`;

const CORPUS: Record<string, { collection: string; name: string; body: string }> = {
  roof: {
    collection: 'mail',
    name: 'roof.eml',
    body: mail(
      'Dana Builder <dana@roofers.example>',
      'me@home.example',
      'Tue, 04 Jun 2024 09:00:00 +0000',
      'Quote for the roof',
      'Hi, replacing the damaged shingles and the gutter on the north side will cost 4,800 dollars. We can start next Monday if you accept.',
    ),
  },
  flight: {
    collection: 'mail',
    name: 'flight.eml',
    body: mail(
      'bookings@airline.example',
      'me@home.example',
      'Fri, 10 Jan 2025 18:30:00 +0000',
      'Your booking confirmation',
      'Flight LH 400 from Frankfurt to New York departs on 14 February at 10:05. Seat 32A. Checked baggage: one bag of 23 kg.',
    ),
  },
  school: {
    collection: 'mail',
    name: 'school.eml',
    body: mail(
      'Teacher Kim <kim@school.example>',
      'parent@home.example',
      'Mon, 16 Sep 2024 07:15:00 +0000',
      'Field trip on Thursday',
      'The class will visit the science museum on Thursday. Children need a packed lunch and a signed permission slip.',
    ),
  },
  landlord: {
    collection: 'mail',
    name: 'landlord.eml',
    body: mail(
      'Property Office <rent@flats.example>',
      'me@home.example',
      'Wed, 01 Mar 2023 08:00:00 +0000',
      'Rent increase notice',
      'From April the monthly rent for flat 3B rises from 1,150 to 1,240 euros, as allowed by the lease.',
    ),
  },
  grocery: {
    collection: 'finance',
    name: 'card.csv',
    body: 'Date,Description,Amount\n2024-05-02,FRESHMART SUPERMARKET,-84.20\n2024-05-09,FRESHMART SUPERMARKET,-61.75\n2024-05-16,FRESHMART SUPERMARKET,-90.10\n',
  },
  salary: {
    collection: 'finance',
    name: 'salary.txt',
    body: 'Payslip May 2024. Employer: Northwind Traders. Gross pay 5,200.00, income tax withheld 1,120.00, pension contribution 260.00, net pay 3,820.00 deposited on 31 May.',
  },
  mortgage: {
    collection: 'finance',
    name: 'mortgage.md',
    body: '# Mortgage statement\nLoan 7781. Principal outstanding 212,400. Interest rate fixed at 3.1 percent until 2029. Monthly installment 1,030 due on the 1st.',
  },
  diabetes: {
    collection: 'health',
    name: 'diabetes.txt',
    body: 'Clinic note. Type 2 diabetes mellitus. HbA1c 7.9 percent, up from 7.1. Started metformin 500 mg twice daily with meals. Recheck in three months.',
  },
  knee: {
    collection: 'health',
    name: 'knee.txt',
    body: 'Orthopedic consult. Torn meniscus in the left knee after a skiing fall. MRI confirms a tear. Physiotherapy for six weeks before considering arthroscopic surgery.',
  },
  allergy: {
    collection: 'health',
    name: 'allergy.txt',
    body: 'Allergy list: severe reaction to penicillin (hives, throat swelling). Mild seasonal hay fever treated with cetirizine. Carry an epinephrine auto-injector.',
  },
  vaccine: {
    collection: 'health',
    name: 'vaccine.txt',
    body: 'Immunization record: tetanus and diphtheria booster given 12 March 2021. Influenza vaccine each autumn. Hepatitis B series completed in 2010.',
  },
  dentist: {
    collection: 'health',
    name: 'dentist.txt',
    body: 'Dental visit: two cavities filled on the lower molars. Advised to floss daily and reduce sugary drinks. Cleaning scheduled in six months.',
  },
};

const QUESTIONS: Array<[string, keyof typeof CORPUS]> = [
  ['how much will fixing the house top cost', 'roof'],
  ['when does my plane to America leave', 'flight'],
  ['what does my kid need for the museum outing', 'school'],
  ['how much more will I pay for the apartment each month', 'landlord'],
  ['how much did I spend at the supermarket', 'grocery'],
  ['how much did I earn after taxes', 'salary'],
  ['what is the interest on my home loan', 'mortgage'],
  ['which blood sugar medicine was prescribed', 'diabetes'],
  ['what happened to my leg when I went skiing', 'knee'],
  ['which antibiotic am I allergic to', 'allergy'],
  ['when was my last tetanus shot', 'vaccine'],
  ['what did the dentist do to my teeth', 'dentist'],
];

let engine: Engine;
let dir: { path: string; cleanup(): void };
const idOf: Record<string, string> = {};

beforeAll(async () => {
  dir = tempDir();
  engine = await openTestEngine(dir.path);
  for (const collection of ['mail', 'finance', 'health']) {
    const files = Object.values(CORPUS)
      .filter((c) => c.collection === collection)
      .map((c) => bytesSource(c.name, c.body));
    const report = await engine.ingest(files, { owner: 'alice', collection });
    expect(report.failed).toEqual([]);
  }
  // Another owner with overlapping content must never show up.
  await engine.ingest([bytesSource('other-roof.txt', 'Roof repair quote: shingles and gutter, 5,000 dollars.')], {
    owner: 'mallory',
  });
  for (const d of engine.listDocuments('alice')) {
    const key = Object.entries(CORPUS).find(([, c]) => c.name === d.source)?.[0];
    if (key) idOf[key] = d.id;
  }
});

afterAll(async () => {
  await engine.close();
  dir.cleanup();
});

describe('retrieval quality (paraphrased questions)', () => {
  it.each(QUESTIONS)('"%s" → %s in the top 3', async (question, key) => {
    const hits = await engine.search('alice', { query: question, k: 3 });
    expect(hits.map((h) => h.doc_id)).toContain(idOf[key]);
    expect(hits.every((h) => h.source !== 'other-roof.txt')).toBe(true);
  });

  it('hits carry title, source, collection, a fused score and the chunk text', async () => {
    const [hit] = await engine.search('alice', { query: 'rent increase for flat 3B', k: 1 });
    expect(hit).toMatchObject({
      doc_id: idOf.landlord,
      title: 'Rent increase notice',
      source: 'landlord.eml',
      collection: 'mail',
      page: null,
    });
    expect(hit?.text).toContain('1,240 euros');
    expect(hit?.score).toBeGreaterThan(0);
  });
});

describe('filters exclude what they must', () => {
  const ids = async (query: string, filters: object) =>
    (await engine.search('alice', { query, k: 20, filters })).map((h) => h.doc_id);

  it('collection', async () => {
    const out = await ids('money and costs', { collections: ['finance'] });
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((id) => [idOf.grocery, idOf.salary, idOf.mortgage].includes(id))).toBe(true);
  });

  it('format', async () => {
    const out = await ids('anything about health or money', { formats: ['md', 'csv'] });
    expect(new Set(out)).toEqual(new Set([idOf.mortgage, idOf.grocery]));
  });

  it('date range', async () => {
    const out = await ids('message', { formats: ['eml'], dateFrom: '2024-01-01', dateTo: '2024-12-31' });
    expect(new Set(out)).toEqual(new Set([idOf.roof, idOf.school]));
  });

  it('a date range matches a statement whose span it meets, not only its last date', async () => {
    // card.csv runs from 2 to 16 May 2024 (its date is the 16th).
    const statement = (dateFrom: string, dateTo: string) => ids('supermarket', { formats: ['csv'], dateFrom, dateTo });
    expect(await statement('2024-05-05', '2024-05-06')).toEqual([idOf.grocery]);
    expect(await statement('2024-04-20', '2024-05-02')).toEqual([idOf.grocery]);
    expect(await statement('2024-05-16', '2024-06-30')).toEqual([idOf.grocery]);
    expect(await statement('2024-04-01', '2024-05-01')).toEqual([]);
    expect(await statement('2024-05-17', '2024-06-30')).toEqual([]);
  });

  it('email sender and recipient', async () => {
    expect(await ids('quote', { from: 'dana@roofers.example' })).toEqual([idOf.roof]);
    expect(await ids('trip', { to: 'PARENT@home.example' })).toEqual([idOf.school]);
    expect(await ids('quote', { from: 'nobody@nowhere.example' })).toEqual([]);
  });
});
