/**
 * A mailbox as people keep one: threads whose replies quote everything before them (Gmail's "On … wrote:"
 * over `>` lines), senders who sign every message (some with a legal disclaimer), and one message in ten kept
 * in a second folder too. Writes it as an mbox (`--out` keeps the file) and indexes it through the CLI's own
 * file reader: what the ingest stores (documents, copies skipped, chunks) and how long it takes.
 *
 *   npm run bench:mail -- --messages 2000 [--out mail.mbox]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFiles, sourceFile } from '../cli/files.js';
import { Command } from '../cli/commander.js';
import { loadConfig } from '../config.js';
import { openEngine } from '../engine/open.js';
import { emailText, rng } from './corpus.js';
import { round } from './stats.js';

const { messages, out } = new Command()
  .option('--messages <n>', 'messages to write', (v) => Number(v), 2000)
  .option('--out <file>', 'keep the mbox here')
  .parse()
  .opts();

const DISCLAIMER =
  'CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended solely for the ' +
  'addressee. If you are not the intended recipient, please notify the sender and delete it; any disclosure, ' +
  'copying or distribution is prohibited.';

/** The sender's own words of a generated message, its sender and its date. */
function fresh(r: () => number, i: number): { from: string; date: string; words: string } {
  const text = emailText(r, i).replaceAll('\r\n', '\n');
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1] ?? '';
  const body = text.slice(text.indexOf('\n\n') + 2).trim();
  return { from: header('From'), date: header('Date'), words: body.replace(/\n\nBest, \S+$/, '') };
}

function signature(from: string, r: () => number): string {
  const name = from.replace(/\s*<.*$/, '');
  const lines = ['--', name, 'Household accounts, Flat 4', `+44 20 7946 ${String(Math.floor(r() * 9000) + 1000)}`];
  return `Best regards,\n${name}\n\n${lines.join('\n')}${name.length % 3 === 0 ? `\n\n${DISCLAIMER}` : ''}`;
}

function mailbox(count: number): { text: string; written: number } {
  const r = rng(1234);
  const parts: string[] = [];
  const copies: string[] = [];
  for (let i = 0; i < count;) {
    const length = 1 + Math.floor(r() * 6);
    let previous: { body: string; from: string; date: string; id: string } | undefined;
    const root = `<thread-${i}@example.org>`;
    for (let n = 0; n < length && i < count; n++, i++) {
      const { from, date, words } = fresh(r, i);
      const id = `<mail-${i}@example.org>`;
      const quote = previous
        ? `\n\nOn ${previous.date}, ${previous.from} wrote:\n${previous.body
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n')}`
        : '';
      const body = `${words}\n\n${signature(from, r)}${quote}`;
      const message = [
        `From: ${from}`,
        'To: Me <me@example.org>',
        `Date: ${date}`,
        `Subject: ${n ? 'Re: ' : ''}Thread ${root.slice(8, -13)}`,
        `Message-ID: ${n ? id : root}`,
        ...(previous ? [`In-Reply-To: ${previous.id}`, `References: ${root}`] : []),
        'Content-Type: text/plain; charset=utf-8',
        '',
        body,
        '',
      ].join('\n');
      parts.push(`From sender@example.org Mon Jan  1 00:00:00 2024\n${message}`);
      if (r() < 0.1) copies.push(`From sender@example.org Mon Jan  1 00:00:00 2024\nX-Folder: Archive\n${message}`);
      previous = { body, from, date, id: n ? id : root };
    }
  }
  return { text: [...parts, ...copies].join('\n'), written: parts.length + copies.length };
}

const dir = mkdtempSync(join(tmpdir(), 'prag-mail-'));
const path = out ?? join(dir, 'mail.mbox');
const { text, written } = mailbox(messages);
writeFileSync(path, text);
const engine = await openEngine(join(dir, 'data'), loadConfig());
const { files } = await findFiles([path]);
const report = await engine.ingest(
  files.map((f) => sourceFile(f)),
  { owner: 'bench' },
);
await engine.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    bytes: statSync(path).size,
    messages: written,
    documents: report.documents,
    skipped: report.skipped,
    chunks: report.chunks,
    failed: report.failed.length,
    seconds: round(report.seconds, 1),
    messages_per_s: round((report.documents + report.skipped) / report.seconds, 1),
  })}\n`,
);
