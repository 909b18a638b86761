/**
 * The web client in a real browser (Debian's Chromium through playwright-core)
 * against a real PRAG service on loopback that serves the built bundle at `/`
 * (`npm run build:web`; after changing web/, build again before these tests):
 * the demo story through the page with two identities, a wallet extension
 * that signs with a real secp256k1 key, a tampered attestation refused with
 * the failed check named, no plaintext in any request the page sends, and a
 * 200 MB mbox uploaded with the tab's memory bounded. Screenshots of each
 * screen go to .prag/screenshots/.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { serve, type ServerType } from '@hono/node-server';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureWebBuilt, liveMemory, injectKeplr, launchBrowser, type TestWallet } from '../helpers/browser.js';
import { AttestationPolicy } from '../../schemas/attestation.js';
import { webApp } from '../../src/cli/web-command.js';
import { loadWebBundle } from '../../src/server/web.js';
import { expectNoMnemonic } from '../helpers/mnemonic.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ARCHIVE = join(ROOT, 'demo/archive');
const SHOTS = join(ROOT, '.prag/screenshots');
const CANARY = `prag-canary-${randomBytes(8).toString('hex')}`;
/** Words of the uploaded files that must never appear in what the page sends. */
const PLAINTEXT = [CANARY, 'Apixaban', 'Riverside Heart Clinic', 'Acme Lettings', 'discharge-summary.json'];

let dir: string;
let service: TestService;
let browser: Browser;
/** Every request body (and URL) any page of the tests sent. */
const sent: Array<{ url: string; body: Buffer | null }> = [];

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('request', (r) => sent.push({ url: r.url(), body: r.postDataBuffer() }));
  return { context, page };
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Verifies the service in the page, acknowledging the dev evidence the test service has. */
async function verify(page: Page, screenshots = false): Promise<void> {
  await page.goto(service.url);
  await on(page).getByRole('button', { name: 'Verify the service' }).click();
  await on(page).getByTestId('dev-banner').waitFor();
  if (screenshots) await shot(page, '01-dev-evidence-banner');
  await on(page).getByLabel('I understand that nothing is proven').check();
  await on(page).getByRole('button', { name: 'Continue with dev evidence' }).click();
  await on(page).getByTestId('verification-panel').waitFor();
  if (screenshots) await shot(page, '02-verification-panel');
  await on(page).getByRole('button', { name: 'Continue to sign in' }).click();
}

async function signInWithKeplr(page: Page, screenshots = false): Promise<void> {
  await verify(page, screenshots);
  if (screenshots) await shot(page, '03-sign-in');
  await on(page).getByRole('button', { name: 'Keplr' }).click();
  await page.getByRole('navigation', { name: 'Screens' }).waitFor();
}

/** The screen on show: the others stay mounted, hidden, so that work on them goes on. */
const on = (page: Page) => page.locator('main > :not([hidden])');
const text = (l: Locator) => expect.poll(() => l.innerText(), { timeout: 30_000 });
const count = (l: Locator) => expect.poll(() => l.count(), { timeout: 30_000 });

const tab = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name }).click();

async function upload(page: Page, collection: string, files: string[]): Promise<void> {
  await tab(page, 'Upload');
  await on(page).getByLabel('Collection').fill(collection);
  await on(page).locator('#upload-files').setInputFiles(files);
  for (const file of files) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    const row = on(page).getByTestId('upload-table').locator('tr', { hasText: name });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toMatch(/done|failed/);
    expect(await row.getAttribute('data-state'), await row.innerText()).toBe('done');
  }
}

/** Asks in the chat screen; resolves with the answer's turn once its receipt is verified. */
async function ask(page: Page, question: string) {
  await tab(page, 'Chat');
  await on(page).getByLabel('Question').fill(question);
  await on(page).getByRole('button', { name: 'Ask' }).click();
  const turn = on(page).getByTestId('turn').filter({ hasText: question }).last();
  await turn.getByTestId('receipt').or(turn.getByRole('alert')).waitFor({ timeout: 60_000 });
  await text(turn.getByTestId('receipt')).toContain('Receipt verified');
  return turn;
}

describe('the web client in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prag-web-'));
    mkdirSync(SHOTS, { recursive: true });
    await ensureWebBuilt();
    service = await startTestService(join(dir, 'service'));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the demo story: upload, ask with citations, share, the grantee asks, revoke, the access log', async () => {
    const patient = await newPage();
    const wallet: TestWallet = await injectKeplr(patient.page);
    await signInWithKeplr(patient.page, true);
    // The wallet signed the permit with its own key: the page is signed in as the wallet's address.
    expect(wallet.signatures).toBe(1);
    expect(await patient.page.getByTestId('signed-in').getAttribute('title')).toBe(wallet.address);

    const canaryFile = join(dir, 'canary-note.txt');
    writeFileSync(canaryFile, `Private note ${CANARY}: the spare key is under the blue flowerpot.\n`);
    await upload(patient.page, 'mail', [join(ARCHIVE, 'appointment.eml')]);
    await upload(patient.page, 'medical', [join(ARCHIVE, 'discharge-summary.json')]);
    await upload(patient.page, 'finance', [join(ARCHIVE, 'statement-2026-03.csv'), canaryFile]);
    await shot(patient.page, '04-upload');

    await tab(patient.page, 'Library');
    const documents = on(patient.page).getByTestId('documents');
    await count(documents.locator('tbody tr')).toBe(4);
    await shot(patient.page, '05-library');

    await tab(patient.page, 'Search');
    await on(patient.page).getByLabel('Query').fill('apixaban tablet');
    await on(patient.page).getByRole('button', { name: 'Search' }).click();
    await text(on(patient.page).getByTestId('search-results')).toContain('Apixaban');
    await shot(patient.page, '06-search');
    // A filter narrows the results to one collection.
    await on(patient.page).getByLabel('Query').fill('pharmacy');
    await on(patient.page).locator('#search-filter-collection').selectOption('finance');
    await on(patient.page).getByRole('button', { name: 'Search' }).click();
    await text(on(patient.page).getByTestId('search-results')).toContain('City Pharmacy');
    await text(on(patient.page).getByTestId('search-results')).not.toContain('· mail');
    await text(on(patient.page).getByTestId('search-results')).not.toContain('· medical');
    // A date in the query is read as a filter, said above the results, and undone by searching the words as written.
    await on(patient.page).getByLabel('Query').fill('pharmacy in March 2026');
    await on(patient.page).getByRole('button', { name: 'Search' }).click();
    const understood = on(patient.page).getByTestId('understood');
    await text(understood).toContain('dates 2026-03-01 to 2026-03-31 ("in March 2026")');
    await text(understood).toContain('searched: "pharmacy"');
    await text(on(patient.page).getByTestId('search-results')).toContain('City Pharmacy');
    await shot(patient.page, '06a-search-understood');
    await understood.getByRole('button', { name: 'Search the words as written' }).click();
    await count(on(patient.page).getByTestId('understood')).toBe(0);
    await text(on(patient.page).getByTestId('search-results')).toContain('City Pharmacy');

    const answer = await ask(patient.page, 'Which medication was I prescribed for atrial fibrillation?');
    await text(answer.getByTestId('answer')).toContain('Apixaban');
    await answer.getByTestId('citations').getByRole('button').first().click();
    const opened = on(patient.page).getByTestId('document-view');
    await opened.getByTestId('cited-passage').waitFor();
    await shot(patient.page, '07-chat-citation-opened');
    await opened.getByRole('button', { name: 'Close' }).click();
    await shot(patient.page, '08-chat');
    // In chat too: the date read from the question is named with the answer, and the question can be asked as written.
    const dated = await ask(patient.page, 'What did the pharmacy charge in March 2026?');
    await text(dated.getByTestId('understood')).toContain('dates 2026-03-01 to 2026-03-31 ("in March 2026")');
    await dated.getByRole('button', { name: 'Ask again with the words as written' }).click();
    const literal = on(patient.page).getByTestId('turn').nth(2);
    await literal.getByTestId('receipt').waitFor({ timeout: 60_000 });
    await text(literal.locator('.question')).toBe('What did the pharmacy charge in March 2026?');
    await count(literal.getByTestId('understood')).toBe(0);

    // The doctor: a local identity made in a second browser context under a passphrase, exported as the CLI's
    // identity file. The page was served by the service: it says whose origin that is.
    const doctor = await newPage();
    await verify(doctor.page);
    await text(on(doctor.page).getByTestId('origin-note')).toContain('prag web');
    await on(doctor.page).getByRole('button', { name: 'Create a local identity' }).click();
    await on(doctor.page).getByLabel('New passphrase').fill('too short');
    await on(doctor.page).getByLabel('Repeat the passphrase').fill('too short');
    await on(doctor.page).getByRole('button', { name: 'Create the identity' }).click();
    await on(doctor.page).getByText('The passphrase is too short').waitFor();
    await shot(doctor.page, '03a-local-identity-create');
    const passphrase = 'the doctor’s own passphrase';
    await on(doctor.page).getByLabel('New passphrase').fill(passphrase);
    await on(doctor.page).getByLabel('Repeat the passphrase').fill(passphrase);
    await on(doctor.page).getByLabel('Repeat the passphrase').press('Enter');
    await on(doctor.page).getByTestId('local-address').waitFor({ timeout: 60_000 });
    const doctorAddress = await on(doctor.page).getByTestId('local-address').innerText();
    expect(doctorAddress).toMatch(/^secret1[0-9a-z]{38}$/);
    const save = async (testId: string) => {
      const [download] = await Promise.all([
        doctor.page.waitForEvent('download'),
        on(doctor.page).getByTestId(testId).click(),
      ]);
      return JSON.parse(readFileSync(await download.path(), 'utf8'));
    };
    await on(doctor.page).getByRole('button', { name: 'Export identity file' }).click();
    const identityFile = await save('identity-download');
    expect(identityFile).toMatchObject({ kind: 'prag-identity-encrypted', version: 1, address: doctorAddress });
    // The file in clear only behind its warning.
    await on(doctor.page).getByRole('button', { name: 'Export without encryption' }).click();
    const inClear = on(doctor.page).getByRole('button', { name: 'Export in clear' });
    expect(await inClear.isDisabled()).toBe(true);
    await on(doctor.page).getByLabel('I understand that this file is my identity in clear').check();
    await inClear.click();
    const plainFile = await save('identity-download-plain');
    expect(plainFile).toMatchObject({ kind: 'prag-identity-v1', address: doctorAddress });
    const words: string[] = plainFile.mnemonic.split(' ');
    expect(words).toHaveLength(24);
    await shot(doctor.page, '03b-local-identity');

    // What the browser stores for the origin is the encrypted file only: no mnemonic word, no key.
    const storage = await doctor.page.evaluate(async () => {
      const local = Object.entries(localStorage);
      const databases = await indexedDB.databases();
      return { local, databases: databases.map((d) => d.name ?? '') };
    });
    expect(storage.databases).toEqual([]);
    const storedText = storage.local.map(([k, v]) => `${k}\n${v}`).join('\n');
    expectNoMnemonic(storedText, plainFile.mnemonic);
    const stored = storage.local.find(([k]) => k === 'prag.identity.v1')?.[1] ?? '';
    expect(JSON.parse(stored)).toEqual(identityFile);
    const { kdf } = identityFile;
    const key = await scryptAsync(passphrase.normalize('NFKC'), Buffer.from(kdf.salt, 'base64'), {
      N: kdf.N,
      r: kdf.r,
      p: kdf.p,
      dkLen: 32,
    });
    for (const encoded of [Buffer.from(key).toString('hex'), Buffer.from(key).toString('base64')])
      expect(storedText).not.toContain(encoded);

    // A reload asks for the passphrase again: a wrong one is refused, the right one opens the same address.
    await verify(doctor.page);
    await text(on(doctor.page).getByTestId('stored-address')).toBe(doctorAddress);
    await on(doctor.page).getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
    await on(doctor.page).getByRole('button', { name: 'Unlock' }).click();
    await text(on(doctor.page).getByRole('alert')).toContain('wrong passphrase');
    await shot(doctor.page, '03c-local-identity-unlock');
    expect(await on(doctor.page).getByTestId('local-address').count()).toBe(0);
    await on(doctor.page).getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await on(doctor.page).getByLabel('Passphrase', { exact: true }).press('Enter');
    await on(doctor.page).getByTestId('local-address').waitFor({ timeout: 60_000 });
    expect(await on(doctor.page).getByTestId('local-address').innerText()).toBe(doctorAddress);
    await on(doctor.page).getByRole('button', { name: 'Sign in as this identity' }).click();
    await doctor.page.getByRole('navigation', { name: 'Screens' }).waitFor();
    const before = await ask(doctor.page, 'Which medication is the patient taking?');
    await text(before.getByTestId('answer')).not.toContain('Apixaban');

    await tab(patient.page, 'Sharing');
    await on(patient.page).getByLabel('Secret address').fill(doctorAddress);
    await on(patient.page).getByLabel('Collection', { exact: true }).selectOption('medical');
    await on(patient.page).getByRole('button', { name: 'Grant' }).click();
    await text(on(patient.page).getByTestId('grants-given')).toContain('pending');

    await tab(doctor.page, 'Sharing');
    const received = on(doctor.page).getByTestId('grants-received');
    await received.getByRole('button', { name: 'Accept' }).click();
    await text(received).toContain('active');
    const shared = await ask(doctor.page, 'Which medication is the patient taking?');
    await text(shared.getByTestId('answer')).toContain('Apixaban');
    await text(shared.getByTestId('citations')).toContain('shared by');
    const leaked = await ask(doctor.page, 'How much is the rent?');
    await text(leaked.getByTestId('answer')).not.toContain('1250');

    await tab(patient.page, 'Sharing');
    await on(patient.page).getByTestId('grants-given').getByRole('button', { name: 'Revoke' }).click();
    await count(on(patient.page).getByTestId('grants-given').getByRole('button', { name: 'Revoke' })).toBe(0);
    const after = await ask(doctor.page, 'Which medication is the patient taking?');
    await text(after.getByTestId('answer')).not.toContain('Apixaban');

    await tab(patient.page, 'Sharing');
    const log = on(patient.page).getByTestId('access-log');
    await log
      .locator('tr', { hasText: doctorAddress.slice(0, 12) })
      .first()
      .waitFor();
    await shot(patient.page, '09-sharing-access-log');
    await on(patient.page).getByRole('button', { name: 'Timeline' }).click();
    await text(on(patient.page).getByTestId('access-timeline')).toContain(doctorAddress.slice(0, 12));
    await shot(patient.page, '10-access-timeline');

    // Dark theme, and the page at a phone's width.
    // The stored conversation resumes (here in the dark theme).
    await patient.page.getByLabel('Theme').selectOption('dark');
    await tab(patient.page, 'Chat');
    await patient.page
      .getByTestId('conversations')
      .getByRole('button', { name: /atrial fibrillation/ })
      .click();
    await text(on(patient.page).getByTestId('answer').first()).toContain('Apixaban');
    await shot(patient.page, '11-chat-dark');
    await patient.page.setViewportSize({ width: 390, height: 844 });
    await tab(patient.page, 'Library');
    await shot(patient.page, '12-library-phone');

    // Forget me, behind its typed confirmation: the doctor's account goes.
    await tab(doctor.page, 'Account');
    const forget = on(doctor.page).getByRole('button', { name: 'Forget me' });
    expect(await forget.isDisabled()).toBe(true);
    await on(doctor.page).getByLabel('to confirm').fill('forget me');
    await shot(doctor.page, '13-forget-me');
    await forget.click();
    await on(doctor.page).getByRole('button', { name: 'Verify the service' }).waitFor();

    // Nothing the pages sent held the files' words: every body was sealed in the page.
    const bodies = sent.filter((s) => s.body?.length);
    expect(bodies.length).toBeGreaterThan(10);
    for (const { url, body } of sent)
      for (const word of PLAINTEXT) {
        expect(url).not.toContain(word);
        expect(body?.includes(word) ?? false, `${word} in a request to ${url}`).toBe(false);
      }
    await patient.context.close();
    await doctor.context.close();
  });

  test('a tampered attestation is refused, naming the check that failed', async () => {
    const { context, page } = await newPage();
    await page.route('**/v1/attestation?*', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { statement_signature: string };
      const sig = body.statement_signature;
      body.statement_signature = `${sig[0] === '0' ? '1' : '0'}${sig.slice(1)}`;
      await route.fulfill({ response, json: body });
    });
    await page.goto(service.url);
    await on(page).getByRole('button', { name: 'Verify the service' }).click();
    await text(on(page).getByTestId('failed-check')).toBe('statement_signature');
    await count(on(page).getByTestId('verification-panel')).toBe(0);
    await count(on(page).getByRole('button', { name: 'Continue with dev evidence' })).toBe(0);
    await shot(page, '14-attestation-refused');
    await context.close();
  });

  test("the page prag web serves verifies with prag web's policy", async () => {
    // A measurement policy never accepts dev evidence: the page shows that it took the policy by refusing the test
    // service, with no dev banner to click through. (`prag web --policy` itself refuses this service before serving.)
    const policy = AttestationPolicy.parse({
      v: 1,
      measurements: [{ mrtd: 'a1'.repeat(48), rtmr0: 'b2'.repeat(48), rtmr1: 'c3'.repeat(48), rtmr2: 'd4'.repeat(48) }],
      compose_sha256: ['e5'.repeat(32)],
    });
    let port = 0;
    const app = webApp(service.url, loadWebBundle(), () => port, policy);
    const local = await new Promise<ServerType>((resolve) => {
      const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
        port = info.port;
        resolve(server);
      });
    });
    const { context, page } = await newPage();
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      await text(on(page).getByTestId('policy-source')).toContain('policy from prag web');
      await on(page).getByRole('button', { name: 'Verify the service' }).click();
      await text(on(page).getByTestId('failed-check')).toBe('dev_evidence');
      await text(on(page).getByTestId('attestation-failed')).toContain('a measurement policy never accepts');
      await count(on(page).getByTestId('dev-banner')).toBe(0);
      await count(on(page).getByTestId('verification-panel')).toBe(0);
    } finally {
      await context.close();
      await new Promise((resolve) => local.close(resolve));
    }
  });

  test("a 200 MB mbox uploads with the tab's memory bounded", async () => {
    const mbox = join(dir, 'big.mbox');
    const size = await writeBigMbox(mbox);
    const { context, page } = await newPage();
    await injectKeplr(page);
    await signInWithKeplr(page);
    await tab(page, 'Upload');
    const baseline = await liveMemory(page);
    let peak = baseline;
    await on(page).locator('#upload-files').setInputFiles(mbox);
    const row = on(page).getByTestId('upload-table').locator('tr', { hasText: 'big.mbox' });
    // Sampled until the service has every byte (spooled and queued): the page held at most a part at a time.
    for (;;) {
      peak = Math.max(peak, await liveMemory(page));
      const state = await row.getAttribute('data-state');
      if (state !== 'waiting' && state !== 'sending') break;
      await page.waitForTimeout(250);
    }
    expect(await row.getAttribute('data-state'), await row.innerText()).not.toBe('failed');
    expect(size).toBeGreaterThan(200 * 1024 * 1024);
    // Live memory counts typed-array buffers too: a page holding the file (or its sealed copy) would show it.
    expect(peak - baseline, `memory grew from ${baseline} to ${peak} bytes`).toBeLessThan(64 * 1024 * 1024);
    // The service ingests it: the short message is stored, the three oversized ones are refused by code.
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    await text(row).toContain('1 document,');
    await text(row).toContain('too_large');
    await count(row.locator('.failures li')).toBe(3);
    await shot(page, '15-upload-200mb-mbox');
    await context.close();
  });
});

/**
 * A 200 MB mbox that costs the service little to ingest: one short message,
 * then three larger than the splitter's per-message limit (refused with
 * `too_large` as they stream by, never parsed).
 */
async function writeBigMbox(path: string): Promise<number> {
  const out = createWriteStream(path);
  let size = 0;
  const write = async (text: string) => {
    size += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  const message = (i: number, body: string) =>
    `From sender@example.org Mon Jan  1 00:00:0${i} 2024\nFrom: sender@example.org\nTo: me@example.org\nSubject: Archive part ${i}\nDate: Mon, 1 Jan 2024 00:00:0${i} +0000\n\n${body}\n\n`;
  await write(message(0, 'A short message kept in the archive.'));
  const line = `${'x'.repeat(99)}\n`;
  const block = line.repeat(10_000); // 1 MB
  for (let i = 1; i <= 3; i++) {
    await write(message(i, ''));
    for (let mb = 0; mb < 71; mb++) await write(block);
    await write('\n');
  }
  out.end();
  await finished(out);
  return size;
}
