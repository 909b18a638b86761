/**
 * A generated archive that looks like what PRAG's users bring: emails,
 * bank statements and clinical notes, seeded so every run is the same.
 */
import type { SourceFile } from '../../ingest/index.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PEOPLE = [
  'Anna Schmidt',
  'Ben Okafor',
  'Chloe Martin',
  'David Cohen',
  'Elena Rossi',
  'Farid Haddad',
  'Grace Lee',
  'Hugo Silva',
  'Ines Novak',
  'Jonas Berg',
  'Kira Tanaka',
  'Liam Walsh',
];
const TOPICS = [
  ['the kitchen renovation', 'cabinets', 'the plumber', 'a revised quote', 'the tiles'],
  ['the school trip', 'permission slips', 'the bus', 'packed lunches', 'the museum'],
  ['the tax return', 'receipts', 'the accountant', 'deductions', 'the deadline'],
  ['the car insurance renewal', 'the premium', 'the no-claims bonus', 'the broker', 'the policy documents'],
  ['the summer holiday', 'the ferry tickets', 'the rental cottage', 'the dog sitter', 'the itinerary'],
  ['the quarterly report', 'the budget figures', 'the board meeting', 'the slides', 'the forecast'],
  ['the garden', 'the fence repair', 'the apple tree', 'the compost', 'the neighbours'],
  ['the wedding', 'the caterer', 'the guest list', 'the venue deposit', 'the music'],
];
const VERBS = [
  'asked about',
  'confirmed',
  'postponed',
  'needs an update on',
  'sent the details of',
  'is worried about',
  'agreed on',
  'will call about',
];
const MERCHANTS = [
  'FRESHMART',
  'CITY PHARMACY',
  'SHELL STATION 114',
  'NORTHWIND ELECTRIC',
  'RIVERSIDE CAFE',
  'METRO TRANSIT',
  'BOOKHAVEN',
  'GREENLEAF GROCERS',
  'SKYLINE GYM',
  'HARBOR DENTAL',
];
const CONDITIONS = [
  'type 2 diabetes',
  'hypertension',
  'asthma',
  'migraine',
  'hypothyroidism',
  'atrial fibrillation',
  'lower back pain',
  'seasonal allergies',
];
const DRUGS = [
  'metformin 500 mg',
  'lisinopril 10 mg',
  'salbutamol inhaler',
  'sumatriptan 50 mg',
  'levothyroxine 75 mcg',
  'apixaban 5 mg',
  'ibuprofen 400 mg',
  'cetirizine 10 mg',
];
const LABS = ['HbA1c', 'LDL cholesterol', 'TSH', 'creatinine', 'hemoglobin', 'vitamin D', 'ALT', 'potassium'];

const pick = <T>(r: () => number, list: readonly T[]): T => {
  const item = list[Math.floor(r() * list.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};
const date = (r: () => number) =>
  new Date(Date.UTC(2016 + Math.floor(r() * 9), Math.floor(r() * 12), 1 + Math.floor(r() * 28)));
const email = (name: string) => `${name.toLowerCase().replace(/\s+/g, '.')}@example.org`;

function sentence(r: () => number): string {
  const topic = pick(r, TOPICS);
  return `${pick(r, PEOPLE)} ${pick(r, VERBS)} ${topic[0]} and mentioned ${pick(r, topic.slice(1))}, ${pick(r, topic.slice(1))} and the cost of ${Math.floor(r() * 900 + 50)} euros.`;
}

export function emailText(r: () => number, i: number): string {
  const from = pick(r, PEOPLE);
  const to = pick(r, PEOPLE);
  const topic = pick(r, TOPICS);
  const paragraphs = Array.from({ length: 2 + Math.floor(r() * 4) }, () =>
    Array.from({ length: 3 + Math.floor(r() * 4) }, () => sentence(r)).join(' '),
  );
  return [
    `From: ${from} <${email(from)}>`,
    `To: ${to} <${email(to)}>`,
    `Date: ${date(r).toUTCString()}`,
    `Subject: About ${topic[0]} (#${i})`,
    `Message-ID: <bench-${i}@example.org>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hi ${to.split(' ')[0]},`,
    '',
    ...paragraphs.flatMap((p) => [p, '']),
    `Best, ${from.split(' ')[0]}`,
    '',
  ].join('\r\n');
}

function statement(r: () => number, i: number): string {
  const start = date(r);
  const rows = Array.from({ length: 20 + Math.floor(r() * 40) }, (_, n) => {
    const d = new Date(start.getTime() + n * 86_400_000);
    return `${d.toISOString().slice(0, 10)},"${pick(r, MERCHANTS)} ${Math.floor(r() * 900)}",${(-(r() * 200 + 2)).toFixed(2)},${(r() * 5000).toFixed(2)}`;
  });
  return [`Date,Description,Amount,Balance`, ...rows, `Statement ${i} ends`, ''].join('\n');
}

function clinicalNote(r: () => number, i: number): string {
  const c = Math.floor(r() * CONDITIONS.length);
  const when = date(r).toISOString().slice(0, 10);
  const labs = Array.from({ length: 3 }, () => `${pick(r, LABS)} ${(r() * 100).toFixed(1)}`).join(', ');
  return [
    `# Clinic visit ${when} (note ${i})`,
    '',
    `## History`,
    `Patient seen for follow-up of ${CONDITIONS[c]}. ${Array.from({ length: 3 }, () => sentence(r)).join(' ')}`,
    '',
    `## Results`,
    `Labs: ${labs}. Blood pressure ${Math.floor(110 + r() * 40)}/${Math.floor(70 + r() * 20)}.`,
    '',
    `## Plan`,
    `Continue ${DRUGS[c]}. Review in ${2 + Math.floor(r() * 10)} weeks. ${sentence(r)}`,
    '',
  ].join('\n');
}

export interface GeneratedFile {
  name: string;
  bytes: Buffer;
}

/** Roughly `approxChunks` chunks' worth of documents (emails 60%, statements 20%, notes 20%). */
export function* generateCorpus(approxChunks: number, seed = 42, chunksPerDoc = 3): Generator<GeneratedFile> {
  const r = rng(seed);
  const docs = Math.ceil(approxChunks / chunksPerDoc);
  for (let i = 0; i < docs; i++) {
    const kind = r();
    if (kind < 0.6) yield { name: `mail-${i}.eml`, bytes: Buffer.from(emailText(r, i)) };
    else if (kind < 0.8) yield { name: `statement-${i}.csv`, bytes: Buffer.from(statement(r, i)) };
    else yield { name: `visit-${i}.md`, bytes: Buffer.from(clinicalNote(r, i)) };
  }
}

export function asSource(f: GeneratedFile): SourceFile {
  return {
    path: f.name,
    size: f.bytes.length,
    readBytes: async () => f.bytes,
    stream: async function* () {
      yield f.bytes;
    },
  };
}

/** Questions in the corpus's own vocabulary, none copied from it. */
export function questions(n: number, seed = 7): string[] {
  const r = rng(seed);
  const forms = [
    () => `what did ${pick(r, PEOPLE)} say about ${pick(r, TOPICS)[0]}`,
    () => `how much did I spend at ${pick(r, MERCHANTS).toLowerCase()}`,
    () => `which medication is prescribed for ${pick(r, CONDITIONS)}`,
    () => `latest ${pick(r, LABS)} result`,
    () => `${pick(r, TOPICS)[1]} cost estimate`,
  ];
  return Array.from({ length: n }, () => pick(r, forms)());
}
