/**
 * Hostile documents through the real upload path (sealed, spooled, queued,
 * parsed in the worker sandbox): deeply nested MIME, a multipart with
 * thousands of parts, 10,000-deep JSON, a PDF claiming a billion pages,
 * invalid UTF-8, and a 2 GB single line (as a streamed mbox, and as a text
 * file). Each must finish in bounded time and memory with a clear per-file
 * outcome, and the service must keep answering.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ROUTES } from '../../schemas/routes.js';
import { streamingFetch } from '../../src/client/node-fetch.js';
import type { UploadInput } from '../../src/client/session.js';
import { ServiceError } from '../../src/client/session.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';
import { report } from './helpers.js';

const dir = tempDir();
let svc: TestService;
let user: TestUser;
const results: Record<string, unknown> = {};

beforeAll(async () => {
  svc = await startTestService(dir.path, {}, { PRAG_PARSE_TIMEOUT_S: '30' });
  user = await testUser(svc.url, 'prag-test', streamingFetch); // Node's fetch would hold a streamed 2 GB body in memory
  await user.client.upload(user.permit, textUpload('control.txt', 'The control document mentions the blue heron.'));
});
afterAll(async () => {
  report('hostile', { cases: results });
  await svc?.close();
  dir.cleanup();
});

const bin = (s: string) => new TextEncoder().encode(s);

function nestedMime(depth: number): string {
  let body = 'Content-Type: text/plain\r\n\r\ninnermost text\r\n';
  for (let i = depth; i > 0; i--)
    body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
  return `From: a@example.org\r\nTo: b@example.org\r\nSubject: nested\r\nMIME-Version: 1.0\r\n${body}`;
}

function manyParts(parts: number): string {
  const out = [
    'From: a@example.org',
    'To: b@example.org',
    'Subject: many parts',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="p"',
    '',
    '--p',
    'Content-Type: text/plain',
    '',
    'The body of a message with many parts.',
  ];
  for (let i = 0; i < parts; i++)
    out.push(
      '--p',
      `Content-Type: application/octet-stream; name="part${i}.bin"`,
      `Content-Disposition: attachment; filename="part${i}.bin"`,
      '',
      `part ${i}`,
    );
  out.push('--p--', '');
  return out.join('\r\n');
}

const deepJson = (depth: number) =>
  `{"resourceType":"Bundle","type":"collection","entry":${'['.repeat(depth)}${']'.repeat(depth)}}`;

/** A well-formed PDF whose page tree claims a billion pages. */
function hugePageCountPdf(): string {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1000000000 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>',
  ];
  let pdf = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  return `${pdf}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
}

function invalidUtf8(): Uint8Array {
  const parts: number[] = [];
  for (let i = 0; i < 2_000; i++)
    parts.push(...bin('valid text '), 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0x28, 0xff);
  return Uint8Array.from(parts);
}

/** `total` bytes: an mbox "From " line, then one line without a newline, generated as it is read. */
function hugeLine(total: number, prefix: string): UploadInput['bytes'] {
  return (async function* () {
    const head = bin(prefix);
    yield head;
    const block = new Uint8Array(1024 * 1024).fill(0x61);
    for (let sent = head.length; sent < total; sent += block.length)
      yield block.subarray(0, Math.min(block.length, total - sent));
  })();
}

async function measure(name: string, input: UploadInput, limits: { seconds: number; rssMb: number }, queued = false) {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  let outcome: Record<string, unknown>;
  try {
    const reply = queued
      ? await user.client.waitForUpload(user.permit, (await user.client.enqueueUpload(user.permit, input)).upload_id)
      : await user.client.upload(user.permit, input);
    outcome = {
      status: 200,
      documents: reply.doc_ids.length,
      chunks: reply.chunks,
      failed: reply.failed.map((f) => f.error.split(':')[0]),
    };
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    outcome = { status: e.status, code: e.code };
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - t0) / 1000;
  const rssGrowthMb = (peak - rss0) / 1024 / 1024;
  results[name] = { ...outcome, seconds: Math.round(seconds * 10) / 10, rss_growth_mb: Math.round(rssGrowthMb) };
  expect(seconds).toBeLessThan(limits.seconds);
  expect(rssGrowthMb).toBeLessThan(limits.rssMb);
  // The service still answers.
  expect((await user.client.call(ROUTES.search, user.permit, { query: 'blue heron' })).hits[0]?.text).toContain(
    'blue heron',
  );
  return outcome;
}

test('deeply nested MIME (5,000 levels)', async () => {
  const o = await measure('nested_mime_5000', textUpload('nested.eml', nestedMime(5000)), { seconds: 60, rssMb: 800 });
  expect(o.status).toBe(200);
});

test('a multipart with 10,000 parts', async () => {
  const o = await measure('multipart_10000_parts', textUpload('parts.eml', manyParts(10_000)), {
    seconds: 60,
    rssMb: 800,
  });
  expect(o.status).toBe(200);
});

test('10,000-deep JSON', async () => {
  const o = await measure('json_10000_deep', textUpload('deep.json', deepJson(10_000)), { seconds: 60, rssMb: 800 });
  expect(o).toMatchObject({ status: 200, documents: 0 });
  expect((o.failed as string[])[0]).toMatch(/^(corrupt|no_text|unsupported_format|too_deep|parse_resource_limit)$/);
});

test('a PDF claiming a billion pages', async () => {
  const o = await measure('pdf_1e9_pages', textUpload('huge.pdf', hugePageCountPdf()), { seconds: 60, rssMb: 800 });
  expect(o).toMatchObject({ status: 200, documents: 0 });
  expect((o.failed as string[])[0]).toMatch(/^(too_large|no_text|corrupt)$/); // pdf.js counts the real page tree, not /Count
});

test('invalid UTF-8', async () => {
  const bytes = invalidUtf8();
  const o = await measure(
    'invalid_utf8',
    { name: 'broken.txt', size: bytes.length, bytes },
    { seconds: 120, rssMb: 800 },
  );
  expect(o.status).toBe(200);
  expect((o.documents as number) + (o.failed as string[]).length).toBe(1);
});

test('a 2 GB single line, as a text file: refused by its declared size before it is read', async () => {
  const total = 2 * 1024 ** 3;
  const o = await measure(
    'line_2gb_txt',
    { name: 'line.txt', size: total, bytes: hugeLine(total, 'x') },
    { seconds: 60, rssMb: 600 },
  );
  expect(o).toMatchObject({ status: 413, code: 'too_large' });
});

test('a 2 GB single line, as a streamed mbox: spooled, then refused message by message in bounded memory', async () => {
  const total = 2 * 1024 ** 3;
  const o = await measure(
    'line_2gb_mbox',
    { name: 'line.mbox', size: total, bytes: hugeLine(total, 'From a@example.org Mon Jan  1 00:00:00 2024\n') },
    { seconds: 900, rssMb: 1024 },
    true,
  );
  expect(o).toMatchObject({ status: 200, documents: 0 });
  expect(o.failed).toEqual(['too_large']);
});
