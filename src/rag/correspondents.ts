/**
 * An owner's correspondents, for reading "from Alice" or "emails to the landlord" in a question: every sender
 * and recipient of their e-mail, by display name and address, with how many messages name them. Built from the
 * documents' sealed metadata on first use, rebuilt when the owner's documents change (their count or the newest),
 * and dropped at forget-me.
 */
import { DocumentMeta } from '../../schemas/document.js';
import type { Engine } from '../engine/engine.js';
import type { Correspondents } from './query-filters.js';

interface Person {
  /** "name <address>", lower-cased: what a question's words are looked for in. */
  text: string;
  address: string;
  messages: number;
}

interface Known {
  /** What the owner's documents were when this was built (count and newest). */
  version: string;
  from: Person[];
  to: Person[];
}

/** Owners whose correspondents are kept; the least recently built is dropped first. */
const MAX_OWNERS = 1000;
/** Shortest word that may pick a correspondent (shorter ones match too much). */
const MIN_WORD = 3;

const ADDRESS = /<([^<>\s]+@[^<>\s]+)>\s*$/;

function tally(lists: ReadonlyArray<readonly string[]>): Person[] {
  const people = new Map<string, Person>();
  for (const list of lists)
    for (const entry of list) {
      const address = (ADDRESS.exec(entry)?.[1] ?? entry).trim().toLowerCase();
      if (!address.includes('@')) continue;
      const person = people.get(address) ?? { text: '', address, messages: 0 };
      if (!person.text.includes(entry.toLowerCase())) person.text += ` ${entry.toLowerCase()}`;
      person.messages++;
      people.set(address, person);
    }
  return [...people.values()].sort((a, b) => b.messages - a.messages);
}

export class CorrespondentIndex {
  private readonly known = new Map<string, Known>();

  constructor(private readonly engine: Engine) {}

  /** The owner's correspondents, as the question reader asks for them. */
  of(owner: string): Correspondents {
    return (words, role) => {
      const wanted = words.map((w) => w.toLowerCase());
      if (!wanted.length || wanted.some((w) => w.length < MIN_WORD)) return undefined;
      return this.people(owner)[role].find((p) => wanted.every((w) => p.text.includes(w)))?.address;
    };
  }

  /** Drops what is known of an owner (forget-me). */
  forget(owner: string): void {
    this.known.delete(owner);
  }

  private people(owner: string): Known {
    // The count and the newest document's time together change with every addition and deletion.
    const usage = this.engine.stores.documents.usage(owner);
    const version = `${usage.documents}:${usage.latest}`;
    const cached = this.known.get(owner);
    if (cached?.version === version) return cached;
    const emails = this.engine.listDocuments(owner).flatMap((d) => {
      const meta = d.format === 'eml' ? DocumentMeta.safeParse(d.meta) : undefined;
      return meta?.success && meta.data.kind === 'email' ? [meta.data] : [];
    });
    const built: Known = {
      version,
      from: tally(emails.map((m) => m.from)),
      to: tally(emails.flatMap((m) => [m.to, m.cc])),
    };
    this.known.delete(owner);
    this.known.set(owner, built);
    const oldest = this.known.keys().next();
    if (this.known.size > MAX_OWNERS && !oldest.done) this.known.delete(oldest.value);
    return built;
  }
}
