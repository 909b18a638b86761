import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { ParsedDocument } from '../../schemas/document.js';
import type { SourceFile } from '../../ingest/index.js';
import { bytesSource, fileSource, fixture, fullText, parseAll, parseOk } from '../helpers/index.js';
import { makeDocx, makePdf } from '../helpers/make-docs.js';
import { must } from '../helpers/must.js';

/** The first document parsed from `src`, which must yield one at least (and no errors). */
const firstDoc = async (src: SourceFile) => must((await parseOk(src))[0], `a document parsed from ${src.path}`);

describe('email (eml)', () => {
  it('decodes ISO-8859-4 quoted-printable bodies and encoded-word subjects, and keeps the headers', async () => {
    const doc = await firstDoc(fileSource(fixture('email', 'mailparser_2012_mail_iso-8859-4.eml')));
    expect(doc.title).toBe('Simple test message with special characters like š and õ');
    expect(doc.format).toBe('eml');
    expect(doc.date).toBe('2010-10-07T13:41:49.000Z');
    expect(fullText(doc)).toContain('special characters (öäõü)');
    const meta = doc.meta as Extract<ParsedDocument['meta'], { kind: 'email' }>;
    expect(meta.from).toEqual([
      'Andris Reinman <andris.reinman@gmail.com>',
      'Pupkin, Vasya <vasya.pupkin@example.com>',
    ]);
    expect(meta.to).toEqual(['andris@kreata.ee']);
    expect(meta.messageId).toBe('<BAFE6D0E-AE53-4698-9072-AD1C9BF966AB@gmail.com>');
  });

  it('turns supported attachments into child documents and lists the rest', async () => {
    const docs = await parseOk(fileSource(fixture('email', 'mailparser_nodemailer_attachments.eml')));
    expect(docs).toHaveLength(2);
    const mail = must(docs[0], 'the mail');
    const notes = must(docs[1], 'the attachment');
    expect(mail.title).toBe('Nodemailer is unicode friendly ✔ (1476358788189)');
    const meta = mail.meta as Extract<ParsedDocument['meta'], { kind: 'email' }>;
    expect(meta.attachments.map((a) => a.filename)).toContain('nyan cat ✔.gif');
    expect(notes.parentId).toBe(mail.id);
    expect(notes.source).toMatch(/mailparser_nodemailer_attachments\.eml\/notes\.txt$/);
    expect(fullText(notes)).toBe('Some notes about this e-mail');
  });

  it('extracts readable text from HTML-only mail without markup', async () => {
    const doc = await firstDoc(fileSource(fixture('email', 'mailparser_spam_html_only.eml')));
    const text = fullText(doc);
    expect(text).toContain('Heute verdient er 35 Millionen Euro pro Jahr');
    expect(text).not.toMatch(/<\/?(div|p|span|table|td)\b/i);
  });

  it('parses an embedded message/rfc822 (a bounce) as a child email', async () => {
    const docs = await parseOk(fileSource(fixture('email', 'mailparser_delivery-status.eml')));
    expect(docs.map((d) => d.title)).toEqual(['Delivery Status Notification (Failure)', 'Example Subject']);
    expect(must(docs[1], 'the bounced message').parentId).toBe(must(docs[0], 'the bounce').id);
  });

  it('survives broken MIME (raw 8-bit Latin-1, empty rfc822 part)', async () => {
    const doc = await firstDoc(fileSource(fixture('email', 'mailparser_decoderended_broken_iso-8859-1.eml')));
    expect(doc.title).toBe('Fwd: fotos');
    expect(fullText(doc)).toContain('forwarded message attached');
  });
});

describe('mbox', () => {
  it('streams every message as its own document with its own id and source', async () => {
    const docs = await parseOk(fileSource(fixture('email', 'node-mbox_test-4-message.mbox')));
    expect(docs.map((d) => d.title)).toEqual(['mail 1', 'mail 2', 'mail 3', 'mail 4']);
    expect(docs.map((d) => d.source.split('#')[1])).toEqual(['1', '2', '3', '4']);
    expect(new Set(docs.map((d) => d.id)).size).toBe(4);
    expect(fullText(must(docs[2], 'mail 3'))).toContain('The mail content of mail 3');
  });

  it('unescapes >From lines, splits only at From_ lines after a blank line, and isolates an oversized message', async () => {
    const msg = (subject: string, body: string) =>
      `From sender@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nSubject: ${subject}\n\n${body}\n\n`;
    const mbox =
      msg('first', 'Hello\n>From the archive, a quoted line\nFrom here on not a separator') +
      msg('huge', 'x'.repeat(5000)) +
      msg('third', 'Bye');
    const out = [];
    const { parseSource } = await import('../../ingest/index.js');
    for await (const o of parseSource(bytesSource('archive.mbox', mbox), { maxMessageBytes: 2000 })) out.push(o);
    expect(out).toHaveLength(3);
    const [first, huge, third] = out;
    expect(first?.ok && fullText(first.doc)).toContain('From the archive, a quoted line\nFrom here on not a separator');
    expect(huge).toMatchObject({ ok: false, code: 'too_large', source: 'archive.mbox#2' });
    expect(third?.ok && third.doc.title).toBe('third');
  });
});

describe('FHIR R4', () => {
  it('renders a Bundle as clinical text grouped by kind, with values, units and dates', async () => {
    const doc = await firstDoc(fileSource(fixture('medical', 'fhir_r4_synthea_Dennis_Durgan.json')));
    expect(doc.title).toBe('FHIR record — Mr. Dennis Durgan');
    expect(doc.format).toBe('fhir');
    const byHeading = Object.fromEntries(doc.sections.map((s) => [s.heading, s.text]));
    expect(byHeading['Conditions']).toContain('1967-07-18 — Condition: Hypertension');
    expect(byHeading['Allergies']).toContain('Allergy: Shellfish allergy');
    expect(byHeading['Medications']).toContain('Hydrochlorothiazide 25 MG');
    expect(byHeading['Observations and lab results']).toMatch(/Body Height: 170\.196 cm/);
    expect(byHeading['Observations and lab results']).toMatch(/Cholesterol: [\d.]+ mg\/dL/);
    expect(byHeading['Encounters']).toContain('reason Perennial allergic rhinitis with seasonal variation');
    expect(doc.meta).toMatchObject({
      kind: 'clinical',
      standard: 'fhir-r4',
      resourceCounts: { Observation: 139, Condition: 9 },
    });
  });

  it('keeps non-ASCII names', async () => {
    const doc = await firstDoc(fileSource(fixture('medical', 'fhir_r4_synthea_Maria_Luisa_Razo.json')));
    expect(doc.title).toBe('FHIR record — Mrs. María Luisa Razo');
    expect(fullText(doc)).toContain('language Spanish');
  });

  it('accepts a single resource and refuses JSON that is not FHIR', async () => {
    const doc = await firstDoc(
      bytesSource(
        'cond.json',
        JSON.stringify({ resourceType: 'Condition', code: { text: 'Asthma' }, onsetDateTime: '2020-02-03' }),
      ),
    );
    expect(fullText(doc)).toBe('2020-02-03 — Condition: Asthma');
    const [bad] = await parseAll(bytesSource('config.json', '{"name":"x"}'));
    expect(bad).toMatchObject({ ok: false, code: 'unsupported_format' });
  });
});

describe('C-CDA', () => {
  it('maps structured sections (problems, medications, allergies, results) to sections', async () => {
    const doc = await firstDoc(fileSource(fixture('medical', 'ccda_CCD_R2.1_HL7_example.xml')));
    expect(doc.title).toBe('Patient Chart Summary — Eve Betterhalf');
    expect(doc.date).toBe('2013-08-15T18:30:00.000Z');
    const headings = doc.sections.map((s) => s.heading);
    expect(headings).toEqual(expect.arrayContaining(['ALLERGIES AND ADVERSE REACTIONS', 'MEDICATIONS', 'PROBLEMS']));
    const allergies = must(
      doc.sections.find((s) => s.heading === 'ALLERGIES AND ADVERSE REACTIONS'),
      'the allergies section',
    ).text;
    expect(allergies).toContain('Penicillin | Nausea');
    expect(allergies).toContain('Codeine | Wheezing');
    expect(headings.some((h) => /RESULTS/i.test(h ?? ''))).toBe(true);
  });

  it('keeps narrative sections of a discharge summary', async () => {
    const doc = await firstDoc(fileSource(fixture('medical', 'ccda_Discharge_Summary_HL7_example.xml')));
    expect(doc.meta).toMatchObject({ patient: 'Isabella Jones' });
    const hpi = doc.sections.find((s) => s.heading === 'HISTORY OF PRESENT ILLNESS');
    expect(hpi?.text).toContain('dark stool');
  });

  it('extracts the embedded PDF of an unstructured document, page by page', async () => {
    const doc = await firstDoc(fileSource(fixture('medical', 'ccda_Unstructured_embedded_PDF_HL7_example.xml')));
    expect(doc.sections.map((s) => s.page)).toEqual([1, 2, 3]);
    expect(fullText(doc)).toContain('Levin, Henry L.');
  });

  it('refuses entity declarations (billion laughs) and non-CDA XML', async () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><ClinicalDocument>&lol2;</ClinicalDocument>';
    expect((await parseAll(bytesSource('bomb.xml', bomb)))[0]).toMatchObject({ ok: false, code: 'corrupt' });
    expect((await parseAll(bytesSource('feed.xml', '<rss><channel/></rss>')))[0]).toMatchObject({
      ok: false,
      code: 'unsupported_format',
    });
  });
});

describe('OFX / QFX', () => {
  it('reads SGML OFX 1.x: transactions with date, amount, payee, memo; balance; masked account', async () => {
    const doc = await firstDoc(fileSource(fixture('finance', 'ofxparse_checking.ofx')));
    expect(doc.meta).toMatchObject({
      kind: 'statement',
      currency: 'USD',
      transactions: 3,
      balance: '100.99',
      accountType: 'CHECKING',
    });
    const tx = must(
      doc.sections.find((s) => s.heading === 'Transactions'),
      'the transactions section',
    ).text.split('\n');
    expect(tx[1]).toBe('2011-04-05 — DEBIT -34.51 USD — AUTOMATIC WITHDRAWAL, ELECTRIC BILL WEB(S )');
    expect(fullText(doc)).not.toMatch(/\d{6,}/); // the account number is not in the text
  });

  it("spans a statement's transactions, not the period a download declares", async () => {
    // DTSTART 2000-01-01, DTEND 2013-05-25; the transactions run from 31 March to 7 April 2011.
    const doc = await firstDoc(fileSource(fixture('finance', 'ofxparse_checking.ofx')));
    expect([doc.dateStart?.slice(0, 10), doc.dateEnd?.slice(0, 10), doc.date?.slice(0, 10)]).toEqual([
      '2011-03-31',
      '2011-04-07',
      '2013-05-25',
    ]);
    const trades = await firstDoc(fileSource(fixture('finance', 'ofxparse_fidelity.ofx')));
    expect([trades.dateStart?.slice(0, 10), trades.dateEnd?.slice(0, 10)]).toEqual(['2012-07-20', '2012-09-01']);
  });

  it('reads OFX 2.x XML with a CDATA payee', async () => {
    const doc = await firstDoc(fileSource(fixture('finance', 'ofxparse_suncorp.ofx')));
    expect(fullText(doc)).toContain('2013-12-15 — DEBIT -16.85 AUD — EFTPOS WDL HANDYWAY ALDI STORE');
  });

  it('reads a one-line QFX credit-card statement', async () => {
    const doc = await firstDoc(fileSource(fixture('finance', 'ofx-js_credit-card.qfx')));
    expect(doc.meta).toMatchObject({ currency: 'CAD', transactions: 5, balance: '904.53' });
  });

  it('reads investment statements: trades and positions with security names', async () => {
    const doc = await firstDoc(fileSource(fixture('finance', 'ofxparse_fidelity.ofx')));
    expect(fullText(doc)).toContain(
      '2012-07-20 — BUYSTOCK — INTEL CORP (INTC) — 100 units — at 25.635 — total -2571.45 USD',
    );
    expect(
      must(
        doc.sections.find((s) => s.heading === 'Positions'),
        'the positions section',
      ).text.split('\n'),
    ).toHaveLength(6);
  });
});

describe('CSV', () => {
  it('renders header-aware records and finds the statement date (US format)', async () => {
    const doc = await firstDoc(fileSource(fixture('finance', 'csv2ofx_schwab-checking.csv')));
    expect(fullText(doc)).toContain('Description: Deposit Mobile Banking; Deposit: $20.00');
    expect(doc.date).toBe('2022-08-17T00:00:00.000Z');
  });

  it('detects ; separators, keeps accents and reads D.M.Y dates', async () => {
    const doc = await firstDoc(fileSource(fixture('finance', 'csv2ofx_ubs-ch-fr_trimmed.csv')));
    expect(doc.meta).toMatchObject({ kind: 'table', delimiter: ';', rows: 3 });
    expect(fullText(doc)).toContain("Débit: 10.00; Solde: 11'373.94");
    expect(doc.date).toBe('2019-04-27T00:00:00.000Z');
    // The earliest and latest rows, though the rows are not in order.
    expect([doc.dateStart, doc.dateEnd]).toEqual(['2019-02-28T00:00:00.000Z', '2019-04-27T00:00:00.000Z']);
  });
});

describe('PDF, DOCX, HTML, Markdown, text', () => {
  it('PDF: text layer per page with page numbers and document metadata', async () => {
    const bytes = await makePdf(
      [['Lab report', 'Hemoglobin A1c 6.1 percent'], ['Page two: follow-up in three months']],
      'Quarterly labs',
    );
    const doc = await firstDoc(bytesSource('labs.pdf', bytes));
    expect(doc.title).toBe('Quarterly labs');
    expect(doc.sections).toEqual([
      { page: 1, text: 'Lab report\nHemoglobin A1c 6.1 percent' },
      { page: 2, text: 'Page two: follow-up in three months' },
    ]);
    expect(doc.meta).toEqual({ kind: 'pdf', pages: 2 });
    expect(doc.date).toBe('2024-03-05T10:00:00.000Z');
  });

  it('DOCX: headings become sections', async () => {
    const bytes = await makeDocx([
      { heading: 'Summary' },
      { text: 'Blood pressure is well controlled.' },
      { heading: 'Plan' },
      { text: 'Continue lisinopril 10 mg daily.' },
    ]);
    const doc = await firstDoc(bytesSource('visit.docx', bytes));
    expect(doc.sections).toEqual([
      { heading: 'Summary', text: 'Blood pressure is well controlled.' },
      { heading: 'Plan', text: 'Continue lisinopril 10 mg daily.' },
    ]);
  });

  it('HTML: readable text only, cut at headings, title from <title>', async () => {
    const html =
      '<html><head><title>Portal</title><style>p{color:red}</style><script>var secret = 1</script></head><body><nav>Home | Login</nav><h1>Results</h1><p>Your <b>TSH</b> is normal.</p><h2>Next steps</h2><p>No action needed.</p></body></html>';
    const doc = await firstDoc(bytesSource('portal.html', html));
    expect(doc.title).toBe('Portal');
    expect(doc.sections).toEqual([
      { heading: 'Results', text: 'Your TSH is normal.' },
      { heading: 'Next steps', text: 'No action needed.' },
    ]);
    expect(fullText(doc)).not.toMatch(/secret|color|Login/);
  });

  it('Markdown: headings outside code fences start sections', async () => {
    const md = '# Trip notes\nPacked the passport.\n\n```sh\n# not a heading\n```\n## Costs\nHotel 120 EUR';
    const doc = await firstDoc(bytesSource('notes.md', md));
    expect(doc.title).toBe('Trip notes');
    expect(doc.sections.map((s) => s.heading)).toEqual(['Trip notes', 'Costs']);
    expect(must(doc.sections[0], 'the first section').text).toContain('# not a heading');
  });

  it('text: UTF-8, UTF-16 with BOM, and Windows-1252 when not valid UTF-8', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('Grüße aus Köln', 'utf-16le')]);
    expect(fullText(await firstDoc(bytesSource('a.txt', utf16)))).toBe('Grüße aus Köln');
    expect(fullText(await firstDoc(bytesSource('b.txt', iconv.encode('Café crème – 5 €', 'windows-1252'))))).toBe(
      'Café crème – 5 €',
    );
  });

  it('document ids are the sha256 of the bytes', async () => {
    const doc = await firstDoc(bytesSource('x.txt', 'hello'));
    expect(doc.id).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });
});

describe('the dates a document spans', () => {
  const span = async (name: string, body: string) => {
    const doc = await firstDoc(bytesSource(name, body));
    return [doc.dateStart, doc.dateEnd];
  };

  it('a span wider than about a year is not kept: the document has its one date, as any other', async () => {
    // A crafted attachment (or a contact list's birth dates) must not match every date-filtered search.
    expect(await span('wide.csv', 'Date,Amount\n1900-01-01,1\n2024-05-02,2\n')).toEqual([undefined, undefined]);
    expect(await span('year.csv', 'Date,Amount\n2023-05-03,1\n2024-05-02,2\n')).toEqual([
      '2023-05-03T00:00:00.000Z',
      '2024-05-02T00:00:00.000Z',
    ]);
  });

  it('a date beyond year 9999 or before year 0 is no date, and the rest of the record still is', async () => {
    const condition = (recordedDate: string, text: string) => ({
      resource: { resourceType: 'Condition', recordedDate, code: { text } },
    });
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        condition('-000001-01-01', 'Asthma'),
        condition('2023-05-01', 'Hay fever'),
        condition('2024-02-01', 'Sprain'),
      ],
    };
    expect(await span('record.json', JSON.stringify(bundle))).toEqual([
      '2023-05-01T00:00:00.000Z',
      '2024-02-01T00:00:00.000Z',
    ]);
  });

  it("a calendar's undated to-dos do not hide the span of its events", async () => {
    const entry = (kind: string, uid: number, start?: string) =>
      `BEGIN:${kind}\r\nUID:${uid}\r\n${start ? `DTSTART:${start}\r\n` : ''}SUMMARY:x${uid}\r\nEND:${kind}\r\n`;
    const ics = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n${entry('VTODO', 1)}${entry('VEVENT', 2, '20240301T090000Z')}${entry('VEVENT', 3, '20240320T090000Z')}END:VCALENDAR\r\n`;
    expect(await span('family.ics', ics)).toEqual(['2024-03-01T09:00:00.000Z', '2024-03-20T09:00:00.000Z']);
  });
});
