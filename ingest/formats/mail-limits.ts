/**
 * What mailparser 3.7 is given besides the message: a limit it cannot trip over, and a refusal of the inputs
 * it is super-linear in. Everything here is linear in the raw message.
 */
import { ParseError } from '../errors.js';

/**
 * More MIME nodes than the message can hold: every node starts on a line of its own (a boundary line, or the
 * blank line after an embedded message's header), so its lines plus the root bound them. mailsplit stops at
 * its `maxChildNodes` (1,000 by default) with an error that mailparser drops, and simpleParser then never
 * settles: a message of 1,000 parts held a parse worker until its time limit. With this as the limit the
 * error cannot happen; mailparser's work is linear in the parts, and the sandbox's limits bound the rest.
 */
export function mimeNodeCeiling(bytes: Uint8Array): number {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) lines++;
  return lines + 2;
}

/** Header fields mailparser hands to nodemailer's addressparser, in the header block of every MIME part. */
const ADDRESS_FIELD =
  /^(?:from|to|cc|bcc|sender|reply-to|delivered-to|return-path|disposition-notification-to|list-[a-z-]+)[ \t]*:/i;

/**
 * Address separators (`,` and `;`) allowed in one such field. addressparser concatenates its result list once
 * per address and mailparser splices encoded names out of it one by one: quadratic in a field's addresses
 * (40,000 took 7 s, and a 1 MiB field holds 170,000). Real mail lists far fewer.
 */
const MAX_FIELD_ADDRESSES = 1000;

/**
 * Multipart boundaries allowed in one message. mailparser numbers every MIME part by searching the list of
 * boundaries seen so far and writing one number per entry (`_getPartId`): each part costs the number of
 * boundaries before its own, so 16,000 nested multiparts (1 MiB) took 6 s and twice as many four times that,
 * and 1 MiB of parts under the thousandth boundary 5 s. With this limit a part costs at most a hundred
 * steps; real mail has a handful (a digest of forwarded messages, a few dozen).
 */
const MAX_BOUNDARIES = 100;

/**
 * Lines starting with `--` allowed in one message: every MIME part but the root starts at such a line (its
 * boundary). mailparser spends tens of microseconds a part, so 1 MiB of empty parts took seconds; real mail
 * has a few dozen parts at most.
 */
const MAX_PARTS = 10_000;

/**
 * Refuses (`too_large`) a message holding what mailparser is super-linear in, or slow at: an address field of
 * more than MAX_FIELD_ADDRESSES separators, more than MAX_BOUNDARIES boundary declarations, more than
 * MAX_PARTS boundary-like lines. Every line is looked at, bodies included (a part's header block is lines like
 * any other): a body line that merely looks like one of them can only make the check stricter, never let a
 * real one through.
 */
export function checkMessage(bytes: Uint8Array): void {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let boundaries = 0;
  for (const declared = /boundary\s*=/gi; declared.exec(raw);)
    if (++boundaries > MAX_BOUNDARIES)
      throw new ParseError('too_large', `the message declares more than ${MAX_BOUNDARIES} multipart boundaries`);
  let parts = 0;
  let separators = -1; // in the address field being read; -1 outside one
  for (let start = 0; start < raw.length;) {
    const newline = raw.indexOf('\n', start);
    const end = newline < 0 ? raw.length : newline;
    if (raw.startsWith('--', start) && ++parts > MAX_PARTS)
      throw new ParseError('too_large', `the message has more than ${MAX_PARTS} MIME parts`);
    const first = raw.charCodeAt(start);
    const folded = first === 0x20 || first === 0x09; // a continuation of the field above
    if (!folded) separators = ADDRESS_FIELD.test(raw.slice(start, Math.min(end, start + 64))) ? 0 : -1;
    if (separators >= 0) {
      for (let i = start; i < end; i++) {
        const c = raw.charCodeAt(i);
        if (c === 0x2c || c === 0x3b) separators++;
      }
      if (separators > MAX_FIELD_ADDRESSES)
        throw new ParseError('too_large', `an address field lists more than ${MAX_FIELD_ADDRESSES} addresses`);
    }
    start = end + 1;
  }
}
