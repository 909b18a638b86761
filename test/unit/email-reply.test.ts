/**
 * The e-mail reply splitter: the sender's own words apart from quoted replies, signatures and disclaimers, in
 * the forms the common clients write them; forwards kept; linear on adversarial bodies (each 1 MiB case under a
 * time limit a super-linear step cannot meet; no time is asserted beyond vitest's limit).
 */
import { describe, expect, test } from 'vitest';
import { splitReply, type MailPart } from '../../ingest/formats/email-reply.js';

const kinds = (parts: MailPart[]) => parts.map((p) => p.kind);
const own = (parts: MailPart[]) =>
  parts
    .filter((p) => p.kind === 'own')
    .map((p) => p.text)
    .join('\n\n');

describe('quoted replies', () => {
  test('Gmail: "On … wrote:" over ">" lines', () => {
    const parts = splitReply(
      [
        'Yes, Thursday works. I will bring the lease.',
        '',
        'On Mon, Mar 4, 2024 at 10:12 AM Alice Smith <alice@example.org> wrote:',
        '> Can we meet on Thursday about the flat?',
        '> Alice',
      ].join('\n'),
    );
    expect(kinds(parts)).toEqual(['own', 'quote']);
    expect(own(parts)).toBe('Yes, Thursday works. I will bring the lease.');
  });

  test('a header wrapped over two lines, and one in German', () => {
    const wrapped = splitReply(
      'Sounds good.\n\nOn Mon, Mar 4, 2024 at 10:12 AM Alice Smith <\nalice@example.org> wrote:\n> the flat',
    );
    expect(kinds(wrapped)).toEqual(['own', 'quote']);
    const german = splitReply('Passt.\n\nAm 04.03.2024 um 10:12 schrieb Alice <alice@example.org>:\n> Termin?');
    expect(kinds(german)).toEqual(['own', 'quote']);
  });

  test('Outlook: an underscore line, then From:/Sent: without ">" marks', () => {
    const parts = splitReply(
      [
        'Please find the invoice attached.',
        '',
        '________________________________',
        'From: Bob Jones <bob@example.org>',
        'Sent: Monday, March 4, 2024 10:12 AM',
        'To: Carol <carol@example.org>',
        'Subject: Invoice',
        '',
        'Could you send me the invoice?',
      ].join('\n'),
    );
    expect(kinds(parts)).toEqual(['own', 'quote']);
    expect(own(parts)).toBe('Please find the invoice attached.');
  });

  test('"-----Original Message-----"', () => {
    const parts = splitReply('Done.\n\n-----Original Message-----\nFrom: x@example.org\nPlease do it.');
    expect(kinds(parts)).toEqual(['own', 'quote']);
  });

  test('bottom-posting and inline answers keep every own line', () => {
    const parts = splitReply(
      [
        'On Tue, Alice <alice@example.org> wrote:',
        '> What time is the appointment?',
        'At 9:30.',
        '> And which clinic?',
        'The one on Harbour Street.',
      ].join('\n'),
    );
    expect(kinds(parts)).toEqual(['quote', 'own', 'quote', 'own']);
    expect(own(parts)).toBe('At 9:30.\n\nThe one on Harbour Street.');
  });
});

describe('signatures and disclaimers', () => {
  test('the "-- " delimiter', () => {
    const parts = splitReply('The meter reading is 4312.\n\n--\nJohn Doe\nACME Utilities\n+1 555 0100');
    expect(kinds(parts)).toEqual(['own', 'signature']);
  });

  test('a sign-off with a name, a mobile signature', () => {
    expect(kinds(splitReply('The refill is ready for pickup.\n\nBest regards,\nAnna\nCity Pharmacy'))).toEqual([
      'own',
      'signature',
    ]);
    expect(kinds(splitReply('On my way.\n\nSent from my iPhone'))).toEqual(['own', 'signature']);
  });

  test('a sentence that starts like a sign-off stays', () => {
    const body = 'Thanks, that works for me.\nSee you at five at the bank.';
    expect(splitReply(body)).toEqual([{ kind: 'own', text: body }]);
  });

  test('a sign-off followed by a long paragraph is not a signature', () => {
    const body = `Thanks,\n\n${'The statement shows a charge I do not recognise from the pharmacy. '.repeat(3)}`;
    expect(kinds(splitReply(body))).toEqual(['own']);
  });

  test('a legal disclaimer at the end', () => {
    const parts = splitReply(
      [
        'Your lab results are attached.',
        '',
        'Dr. Lee',
        '',
        'CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended solely for the',
        'addressee. If you are not the intended recipient, any disclosure is prohibited.',
      ].join('\n'),
    );
    expect(parts.at(-1)?.kind).toBe('signature');
    expect(own(parts)).toContain('Your lab results are attached.');
    expect(own(parts)).not.toContain('CONFIDENTIALITY');
  });
});

describe('forwards and plain mail', () => {
  test('a forwarded message is kept as its own part', () => {
    const parts = splitReply(
      'FYI\n\n---------- Forwarded message ---------\nFrom: Bank <noreply@bank.example>\nDate: Mar 1\n\nYour statement is ready.',
    );
    expect(kinds(parts)).toEqual(['own', 'forward']);
    expect(parts[1]?.text).toContain('Your statement is ready.');
  });

  test('a forward by subject: the first quote header starts the forwarded copy', () => {
    const parts = splitReply('-----Original Message-----\nFrom: landlord@example.org\nRent goes up in May.', {
      forward: true,
    });
    expect(kinds(parts)).toEqual(['forward']);
  });

  test('mail without quotes or signature is one own part, unchanged', () => {
    const body = 'Dear Sir,\n\nThe boiler was serviced on 3 May.\nIt passed.\n\nFrom now on, call me first.';
    expect(splitReply(body)).toEqual([{ kind: 'own', text: body }]);
  });
});

/** 1 MiB of `unit`, after `head`. */
const fill = (head: string, unit: string) => head + unit.repeat(Math.floor((1 << 20) / unit.length));

describe('linear on adversarial bodies', () => {
  test.each([
    ['reply intros without an outro', fill('', 'On x\n')],
    ['"On a, b" on one line (super-linear in planer)', fill('', 'On a, b ')],
    ['"abc. x skrev" lines (super-linear in email-reply-parser without re2)', fill('', 'abc. x skrev\n')],
    ['quote lines', fill('', '> \n')],
    ['reply headers each over a quote line', fill('', 'On x wrote:\n> y\n')],
    ['a header over a run of blank lines', fill('On x wrote:\n', '\n')],
    ['From: lines without a date line', fill('', 'From: a\n')],
    ['underscore lines', fill('', '__________\n')],
    ['sign-offs between blank lines', fill('', 'Thanks,\n\n')],
    ['disclaimer paragraphs', fill('x\n\n', 'confidential addressee\n\n')],
    ['a line of address characters', fill('a', '@b')],
    ['a line of spaces', fill('On', ' ')],
  ])('%s', (_what, body) => {
    const parts = splitReply(body);
    expect(parts.map((p) => p.text.length).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
