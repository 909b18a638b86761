/** What people export: spreadsheets, calendars, address books and Apple Health, with per-file errors for broken ones. */
import { constants, deflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import type { ParsedDocument } from '../../schemas/document.js';
import { ParseSandbox } from '../../src/engine/parse-sandbox.js';
import { parseSource, SourceAborted, type SourceFile } from '../../ingest/index.js';
import { bytesSource, collect, fullText, parseAll, parseOk } from '../helpers/index.js';
import { CALENDAR, CONTACTS, healthExport, makeXlsx } from '../helpers/make-exports.js';
import { must } from '../helpers/must.js';

/** `mb` MiB of spaces, raw-deflated: one fully flushed MiB block repeated, then a final empty block (RFC 1951). */
function deflatedSpaces(mb: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(1024 * 1024, 0x20), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  return Buffer.concat([...Array.from({ length: mb }, () => block), deflateRawSync(Buffer.alloc(0))]);
}

/** A one-entry ZIP archive (APPNOTE.TXT §4.3) whose entry is `data`, raw-deflated, of `size` bytes inflated. */
function zipOf(name: string, data: Buffer, size: number): Buffer {
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralAt = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralAt, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

async function failure(name: string, bytes: Uint8Array | string) {
  const out = await parseAll(bytesSource(name, bytes));
  expect(out).toHaveLength(1);
  const [o] = out;
  if (!o || o.ok) throw new Error(`expected ${name} to fail, got ${JSON.stringify(o)}`);
  return { code: o.code, message: o.message };
}

describe('spreadsheets (.xlsx)', () => {
  test('every sheet is read like a CSV: header-aware records, sections per sheet, the latest date', async () => {
    const xlsx = await makeXlsx([
      {
        name: 'Labs',
        rows: [
          ['Date', 'Test', 'Value', 'Unit'],
          [new Date('2024-03-01T00:00:00Z'), 'HbA1c', 6.1, '%'],
          [new Date('2024-03-09T00:00:00Z'), 'LDL cholesterol', 131, 'mg/dL'],
        ],
      },
      { name: 'Empty', rows: [['only a header', 'row']] },
      {
        name: 'Budget',
        rows: [
          ['Item', 'Amount'],
          ['Rent', 1450],
          ['Power', null],
        ],
      },
    ]);
    const [doc] = await parseOk(bytesSource('household.xlsx', xlsx));
    expect(doc).toMatchObject({
      title: 'household.xlsx',
      format: 'xlsx',
      date: '2024-03-09T00:00:00.000Z',
      dateStart: '2024-03-01T00:00:00.000Z',
      dateEnd: '2024-03-09T00:00:00.000Z',
      meta: {
        kind: 'table',
        rows: 4,
        sheets: ['Labs', 'Budget'],
        columns: ['Date', 'Test', 'Value', 'Unit', 'Item', 'Amount'],
      },
    });
    expect(doc?.sections).toEqual([
      {
        heading: 'Labs, rows 1–2',
        text: 'Date: 2024-03-01; Test: HbA1c; Value: 6.1; Unit: %\nDate: 2024-03-09; Test: LDL cholesterol; Value: 131; Unit: mg/dL',
      },
      { heading: 'Budget, rows 1–2', text: 'Item: Rent; Amount: 1450\nItem: Power' },
    ]);
  });

  test('broken workbooks fail alone, with precise codes', async () => {
    const xlsx = await makeXlsx([
      {
        name: 'A',
        rows: [
          ['a', 'b'],
          [1, 2],
        ],
      },
    ]);
    expect(await failure('cut.xlsx', xlsx.subarray(0, Math.floor(xlsx.length / 2)))).toMatchObject({ code: 'corrupt' });
    expect(
      await failure('letter.xlsx', await (await import('../helpers/make-docs.js')).makeDocx([{ text: 'hi' }])),
    ).toMatchObject({
      code: 'corrupt',
    });
    // A ZIP bomb: one part that inflates to 600 MB from well under 1 MB.
    const bomb = zipOf('xl/worksheets/sheet1.xml', deflatedSpaces(600), 600 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(await failure('bomb.xlsx', bomb)).toEqual({
      code: 'too_large',
      message: "the archive's parts inflate to more than 512 MB",
    });
    const headerOnly = await makeXlsx([{ name: 'A', rows: [['just', 'a header']] }]);
    expect(await failure('empty.xlsx', headerOnly)).toEqual({
      code: 'no_text',
      message: 'no sheet has a header row with records under it',
    });
  });
});

describe('calendars (.ics) and address books (.vcf)', () => {
  test('events, to-dos and recurrences become cited blocks in date order, unfolded', async () => {
    const [doc] = await parseOk(bytesSource('family.ics', CALENDAR));
    expect(doc).toMatchObject({ title: 'Family health', format: 'ics', meta: { kind: 'calendar', events: 3 } });
    expect([doc?.dateStart, doc?.dateEnd]).toEqual(['2024-03-12T08:30:00.000Z', '2024-04-01T00:00:00.000Z']);
    const text = fullText(must(doc, 'the calendar'));
    expect(text).toContain('Event: Cardiology follow-up with Dr. Okafor\nStarts: 2024-03-12T08:30:00Z');
    expect(text).toContain('Location: St. Mary Clinic, Room 4');
    expect(text).toContain('the list of current medications.'); // a folded line, unfolded
    expect(text).toContain('Organizer: okafor@clinic.example');
    expect(text).toContain('To-do: Renew the warfarin prescription\nDue: 2024-03-15T17:00:00Z');
    expect(text).toContain('Repeats: FREQ=MONTHLY;BYMONTHDAY=1');
    expect(text.indexOf('Cardiology')).toBeLessThan(text.indexOf('warfarin'));
  });

  test('contacts become one block each, vCard 3.0 and 4.0 alike', async () => {
    const [doc] = await parseOk(bytesSource('contacts.vcf', CONTACTS));
    expect(doc).toMatchObject({ format: 'vcf', meta: { kind: 'contacts', contacts: 2 } });
    const text = fullText(must(doc, 'the address book'));
    expect(text).toContain(
      'Contact: Dr. Chidi Okafor\nOrganization: St. Mary Clinic, Cardiology\nTitle: Cardiologist\nPhone: +1-555-0142\nEmail: okafor@clinic.example\nAddress: 12 Harbour Road, Springfield, IL, 62701, USA',
    );
    expect(text).toContain('Contact: Maria Lopez\nPhone: +1-555-0199\nBirthday: 1985-07-04');
  });

  test('vCard 2.1, as Android exports it: bare parameters and quoted-printable values', async () => {
    const card = [
      'BEGIN:VCARD',
      'VERSION:2.1',
      'N:Smith;John;;;',
      'FN:John Smith',
      'TEL;CELL;PREF:+1-555-0100',
      'TEL;HOME:+1-555-0101',
      'NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Allergic to peni=',
      'cillin, caf=C3=A9 owner=0D=0A=',
      'second line',
      'END:VCARD',
      '',
    ].join('\r\n');
    const [doc] = await parseOk(bytesSource('android.vcf', card));
    expect(doc?.sections).toEqual([
      {
        heading: 'John Smith',
        text: 'Contact: John Smith\nPhone: +1-555-0100; +1-555-0101\nNote: Allergic to penicillin, café owner second line',
      },
    ]);
  });

  test('broken or mislabelled calendars and cards fail alone, with precise codes', async () => {
    expect(await failure('cut.ics', CALENDAR.slice(0, 200))).toMatchObject({ code: 'corrupt' });
    expect(await failure('cards.ics', CONTACTS)).toEqual({
      code: 'format_mismatch',
      message: 'content is not an iCalendar file (no VCALENDAR)',
    });
    expect(await failure('calendar.vcf', CALENDAR)).toEqual({
      code: 'format_mismatch',
      message: 'content is not a vCard file (no VCARD)',
    });
    expect(await failure('empty.ics', 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n')).toMatchObject({
      code: 'no_text',
    });
    expect(await failure('garbage.vcf', 'hello there\nthis is no card')).toMatchObject({ code: 'corrupt' });
  });
});

/** A source that yields the export piece by piece and cannot be read whole. */
function streamedExport(days: number, perDay?: number): SourceFile {
  let size = 0;
  for (const piece of healthExport(days, perDay)) size += Buffer.byteLength(piece);
  return {
    path: 'apple_health_export/export.xml',
    size,
    readBytes: () => Promise.reject(new Error('an Apple Health export is streamed, never read whole')),
    stream: async function* () {
      for (const piece of healthExport(days, perDay)) yield Buffer.from(piece);
    },
  };
}

describe('Apple Health export.xml', () => {
  test('records are grouped per kind and day, with units and dates; workouts, rings, records and profile too', async () => {
    const docs = (await collect(parseSource(streamedExport(40)))).map((o) => {
      if (!o.ok) throw new Error(JSON.stringify(o));
      return o.doc;
    });
    const byKey = new Map(docs.map((d) => [d.source.split('#')[1], d]));
    expect([...byKey.keys()].sort()).toEqual([
      'ActivitySummary',
      'BodyMass',
      'ClinicalRecord',
      'HeartRate',
      'Me',
      'SleepAnalysis',
      'StepCount',
      'Workouts',
    ]);
    const steps = must(byKey.get('StepCount'), 'steps');
    expect(steps).toMatchObject({
      title: 'Apple Health: Step count',
      format: 'health',
      date: '2024-02-09T00:00:00.000Z',
      dateStart: '2024-01-01T00:00:00.000Z',
      dateEnd: '2024-02-09T00:00:00.000Z',
      meta: { kind: 'clinical', standard: 'apple-health', resourceCounts: { 'Step count': 160 } },
    });
    expect(steps.sections.map((s) => s.heading)).toEqual(['Step count, 2024-01', 'Step count, 2024-02']);
    expect(steps.sections[0]?.text.split('\n')[0]).toBe('2024-01-01: 2050 count in total (4 records)');
    expect(fullText(must(byKey.get('HeartRate'), 'heart rate'))).toContain(
      '2024-01-01: 72.5 count/min on average, 68–77 (4 readings)',
    );
    expect(fullText(must(byKey.get('BodyMass'), 'weight'))).toContain('2024-01-05: 07:10 71.4 kg');
    expect(fullText(must(byKey.get('SleepAnalysis'), 'sleep'))).toContain('2024-01-01: Asleep core 3 h 30 min');
    expect(fullText(must(byKey.get('Workouts'), 'workouts'))).toBe(
      '2024-01-03 18:02: Running, 31.5 min, 5.2 km, 318 kcal, recorded by Jane’s Apple Watch',
    );
    expect(fullText(must(byKey.get('ActivitySummary'), 'rings'))).toContain(
      '2024-01-01: move 412.5 of 500 kcal, exercise 34 of 30 min, stand 11 of 12 h',
    );
    expect(fullText(must(byKey.get('ClinicalRecord'), 'clinical'))).toBe(
      '2024-02-02: Allergy record from St. Mary Clinic (clinical-records/AllergyIntolerance-a1.json)',
    );
    expect(fullText(must(byKey.get('Me'), 'profile'))).toBe(
      'Date of birth: 1980-05-17\nBiological sex: Female\nBlood type: A positive\nCardio fitness medications use: None\nExported: 2024-03-20',
    );
    // The same export gives the same ids; the documents share the export's bytes between them.
    const again = await collect(parseSource(streamedExport(40)));
    expect(again.map((o) => o.ok && o.doc.id)).toEqual(docs.map((d) => d.id));
    expect(docs.reduce((n, d) => n + (d.size ?? 0), 0)).toBeCloseTo(streamedExport(40).size, -2);
  });

  test('an export is not held to the whole-file size limit; a C-CDA document is, as it streams', async () => {
    const limits = { maxFileBytes: 64 * 1024 };
    const exported = await collect(parseSource(streamedExport(40), limits));
    expect(exported.every((o) => o.ok)).toBe(true);
    const cda = `<?xml version="1.0"?><ClinicalDocument>${'<!-- padding -->'.repeat(5000)}</ClinicalDocument>`;
    const [refused, ...rest] = await collect(parseSource(bytesSource('big-cda.xml', cda), limits));
    expect(rest).toEqual([]);
    expect(refused).toMatchObject({ ok: false, code: 'too_large', message: expect.stringMatching(/\(limit 65536\)$/) });
  });

  test('a C-CDA document named .xml still reads as C-CDA', async () => {
    const ccda =
      '<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Visit</title><component><structuredBody><component><section><title>Allergies</title><text>Penicillin: hives</text></section></component></structuredBody></component></ClinicalDocument>';
    const [doc] = await parseOk(bytesSource('visit.xml', ccda));
    expect(doc).toMatchObject({ format: 'ccda' });
    expect(fullText(must(doc, 'the C-CDA'))).toContain('Penicillin: hives');
  });

  test('broken exports fail with precise codes', async () => {
    const whole = [...healthExport(3)].join('');
    expect(await failure('export.xml', whole.slice(0, whole.length - 200))).toMatchObject({ code: 'corrupt' });
    expect(
      await failure('export.xml', whole.replace('<HealthData locale="en_US">', '<HealthData>&secret;')),
    ).toMatchObject({
      code: 'corrupt',
    });
    expect(
      await failure(
        'export.xml',
        '<?xml version="1.0"?>\n<!DOCTYPE HealthData>\n<HealthData locale="en_US"></HealthData>',
      ),
    ).toEqual({ code: 'no_text', message: 'the Apple Health export holds no records' });
  });

  test('a large export streams through the parse sandbox under a heap limit smaller than the file', async () => {
    const sandbox = new ParseSandbox({ workers: 1, timeoutMs: 120_000, maxHeapMb: 32 });
    try {
      const file = streamedExport(365, 180); // a year of readings every 4 minutes: about 44 MB of XML
      expect(file.size).toBeGreaterThan(40 * 1024 * 1024);
      const out = await collect(parseSource(file, {}, sandbox.parse));
      const docs = out.filter((o): o is { ok: true; doc: ParsedDocument } => o.ok).map((o) => o.doc);
      expect(out.filter((o) => !o.ok)).toEqual([]);
      const steps = must(
        docs.find((d) => d.title === 'Apple Health: Step count'),
        'the steps document',
      );
      expect(steps.meta).toMatchObject({ resourceCounts: { 'Step count': 65_700 } });
      expect(steps.sections.at(-1)?.heading).toBe('Step count, 2024-12');
    } finally {
      await sandbox.close();
    }
  });

  test('a stream that fails part-way (an upload failing authentication) stops the ingest, and the sandbox goes on', async () => {
    const sandbox = new ParseSandbox({ workers: 1, timeoutMs: 60_000, maxHeapMb: 64 });
    try {
      const good = streamedExport(5);
      const failing: SourceFile = {
        ...good,
        stream: async function* () {
          yield* good.stream();
          throw new SourceAborted(new Error('segment 3 failed authentication'));
        },
      };
      await expect(collect(parseSource(failing, {}, sandbox.parse))).rejects.toBeInstanceOf(SourceAborted);
      const after = await collect(parseSource(streamedExport(5), {}, sandbox.parse));
      expect(after.every((o) => o.ok)).toBe(true);
    } finally {
      await sandbox.close();
    }
  });
});
