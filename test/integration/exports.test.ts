/**
 * What people export, through the service: an Apple Health export streams past the whole-file size limit (as an
 * mbox does), and spreadsheets, calendars and address books are found by what they hold.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROUTES } from '../../schemas/routes.js';
import { tempDir } from '../helpers/index.js';
import { CALENDAR, CONTACTS, healthExport, makeXlsx } from '../helpers/make-exports.js';
import { startTestService, testUser, type TestService, type TestUser } from '../helpers/service.js';

const file = (name: string, bytes: Uint8Array | string) => {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return { name, size: data.length, bytes: data };
};

describe('exports through the service', () => {
  const dir = tempDir();
  let svc: TestService;
  let alice: TestUser;
  const search = async (query: string) => (await alice.client.call(ROUTES.search, alice.permit, { query, k: 10 })).hits;

  beforeAll(async () => {
    svc = await startTestService(dir.path, {}, { PRAG_MAX_FILE_MB: '1' });
    alice = await testUser(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    dir.cleanup();
  });

  test('an Apple Health export larger than PRAG_MAX_FILE_MB streams in, as an mbox does', async () => {
    const xml = file('export.xml', [...healthExport(60, 36)].join(''));
    expect(xml.size).toBeGreaterThan(1024 * 1024);
    const done = await alice.client.upload(alice.permit, xml);
    expect(done.failed).toEqual([]);
    expect(done.doc_ids).toHaveLength(8);
    const [hit] = await search('heart rate readings average');
    expect(hit).toMatchObject({ title: 'Apple Health: Heart rate', source: 'export.xml#HeartRate' });
    expect(hit?.text).toMatch(/2024-0[12]-\d\d: [\d.]+ count\/min on average, 68–79 \(36 readings\)/);
  });

  test('a workbook, a calendar and an address book are found by what they hold', async () => {
    const xlsx = await makeXlsx([
      {
        name: 'Rent',
        rows: [
          ['Month', 'Amount', 'Landlord'],
          ['March', 1450, 'Maria Lopez'],
          ['April', 1450, 'Maria Lopez'],
        ],
      },
    ]);
    for (const f of [file('budget.xlsx', xlsx), file('family.ics', CALENDAR), file('contacts.vcf', CONTACTS)])
      expect((await alice.client.upload(alice.permit, f)).failed).toEqual([]);
    const top3 = async (query: string) => (await search(query)).slice(0, 3);
    const rent = (await top3('rent amount paid in March')).find((h) => h.title === 'budget.xlsx');
    expect(rent).toMatchObject({ section: 'Rent, rows 1–2' });
    expect(rent?.text).toContain('Month: March; Amount: 1450; Landlord: Maria Lopez');
    expect((await top3('cardiology follow-up appointment')).map((h) => h.title)).toContain('Family health');
    expect((await top3('phone number of the cardiologist')).map((h) => h.title)).toContain('contacts.vcf');
  });
});
