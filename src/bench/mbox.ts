/**
 * Streaming check: writes an mbox of `--mb` megabytes (mail with photo
 * attachments, as real archives are) and indexes it through the CLI's own
 * file reader, reporting peak RSS. Run by the benchmark as a child process.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { findFiles, sourceFile } from '../cli/files.js';
import { loadConfig } from '../config.js';
import { openEngine } from '../engine/open.js';
import { emailText, rng } from './corpus.js';
import { peakRssMb, round } from './stats.js';
import { Command } from '../cli/commander.js';

const { mb } = new Command()
  .option('--mb <n>', 'mbox size in MB', (v) => Number(v), 1024)
  .parse()
  .opts();
const dir = mkdtempSync(join(tmpdir(), 'prag-mbox-'));
const path = join(dir, 'archive.mbox');

async function writeMbox(bytes: number): Promise<number> {
  const out = createWriteStream(path);
  const r = rng(99);
  const photo = Buffer.alloc(384 * 1024);
  let written = 0;
  let i = 0;
  while (written < bytes) {
    for (let j = 0; j < photo.length; j += 4) photo.writeUInt32LE(Math.floor(r() * 2 ** 32), j);
    const text = emailText(r, i).replace('Content-Type: text/plain; charset=utf-8\r\n', '');
    const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
    const msg = [
      `From sender@example.org ${new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toUTCString().replace(',', '')}`,
      head,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '--b1',
      `Content-Type: image/jpeg; name="photo-${i}.jpg"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="photo-${i}.jpg"`,
      '',
      photo.toString('base64').replace(/.{76}/g, '$&\n'),
      '--b1--',
      '',
      '',
    ].join('\n');
    if (!out.write(msg)) await once(out, 'drain');
    written += Buffer.byteLength(msg);
    i++;
  }
  out.end();
  await once(out, 'finish');
  return i;
}

const messages = await writeMbox(mb * 1024 * 1024);
const size = statSync(path).size;
const engine = await openEngine(join(dir, 'data'), loadConfig());
const report = await engine.ingest(
  (await findFiles([path])).files.map((f) => sourceFile(f)),
  { owner: 'bench' },
);
await engine.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    bytes: size,
    messages,
    documents: report.documents,
    chunks: report.chunks,
    failed: report.failed.length,
    seconds: round(report.seconds, 1),
    mb_per_s: round(size / 2 ** 20 / report.seconds, 2),
    peak_rss_mb: peakRssMb(),
  })}\n`,
);
