/** Address books (.vcf, vCard 3.0/4.0, RFC 6350): one line block per contact, in name order. */
import type { Section } from '../../schemas/document.js';
import { decodeText } from '../decode.js';
import { ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';
import { components, valueOf, valuesOf } from './ical.js';

/**
 * vCard 2.1 (what Android and older Outlook export) in the 3.0 syntax ical.js reads: a bare parameter
 * (`TEL;CELL:`) becomes `TYPE=CELL`; a quoted-printable value (its soft line breaks joined) is decoded in its
 * CHARSET; commas and backslashes, plain text in 2.1, are escaped (3.0 splits values at a bare comma). Each line
 * is read once.
 */
function fromVcard21(text: string): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon < 0 || /^[ \t]/.test(line) || /^(?:BEGIN|END|VERSION):/i.test(line)) {
      out.push(line); // a fold's continuation, or a line without a value to rewrite
      continue;
    }
    const [name = '', ...params] = line.slice(0, colon).split(';');
    let value = line.slice(colon + 1);
    if (params.some((p) => /^(?:ENCODING=)?QUOTED-PRINTABLE$/i.test(p))) {
      // A soft line break (RFC 2045 §6.7 rule 5): a value line ending in `=` goes on on the next line.
      // Pieces joined once: cutting and appending to the growing value would copy it at every line (quadratic).
      const pieces = [value];
      for (let last = value; last.endsWith('=') && i + 1 < lines.length;) {
        pieces[pieces.length - 1] = last.slice(0, -1);
        last = lines[++i] ?? '';
        pieces.push(last);
      }
      const charset = params.find((p) => /^CHARSET=/i.test(p))?.slice(8);
      const bytes = Buffer.from(
        pieces.join('').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      );
      value = decodeText(bytes, charset);
    }
    const kept = params
      .filter((p) => !/^(?:ENCODING=)?QUOTED-PRINTABLE$|^CHARSET=/i.test(p))
      .map((p) => (p.includes('=') ? p : `TYPE=${p}`));
    out.push(`${[name, ...kept].join(';')}:${value.replace(/[\\,]/g, '\\$&').replace(/\r?\n/g, '\\n')}`);
  }
  return out.join('\r\n');
}

/** Contacts per section: a section is what a citation points at. */
const PER_SECTION = 25;

const FIELDS: Array<[property: string, label: string]> = [
  ['org', 'Organization'],
  ['title', 'Title'],
  ['role', 'Role'],
  ['tel', 'Phone'],
  ['email', 'Email'],
  ['adr', 'Address'],
  ['bday', 'Birthday'],
  ['anniversary', 'Anniversary'],
  ['url', 'Web'],
  ['note', 'Note'],
];

export const parseContacts: FormatParser = async ({ bytes, name }) => {
  const text = decodeText(bytes);
  const cards = components(/^VERSION:2\.1\r?$/im.test(text) ? fromVcard21(text) : text, 'vCard').filter(
    (c) => c.name === 'vcard',
  );
  if (!cards.length) throw new ParseError('format_mismatch', 'content is not a vCard file (no VCARD)');
  const contacts = cards
    .map((card) => {
      const who = valueOf(card, 'fn') ?? valueOf(card, 'n') ?? valueOf(card, 'org') ?? valueOf(card, 'email');
      const lines = FIELDS.map(([p, label]) => {
        const values = valuesOf(card, p);
        return values.length ? `${label}: ${values.join('; ')}` : '';
      }).filter(Boolean);
      return { who: who ?? '(no name)', text: [`Contact: ${who ?? '(no name)'}`, ...lines].join('\n') };
    })
    .sort((a, b) => a.who.localeCompare(b.who));
  const sections: Section[] = [];
  for (let i = 0; i < contacts.length; i += PER_SECTION) {
    const group = contacts.slice(i, i + PER_SECTION);
    sections.push({
      heading: group.length === 1 ? (group[0]?.who ?? '') : `${group[0]?.who ?? ''} to ${group.at(-1)?.who ?? ''}`,
      text: group.map((c) => c.text).join('\n\n'),
    });
  }
  return {
    title: contacts.length === 1 ? (contacts[0]?.who ?? name) : name,
    mediaType: 'text/vcard',
    format: 'vcf',
    meta: { kind: 'contacts', contacts: contacts.length },
    sections,
  };
};
