/**
 * `npm run bench:ocr -- [--pages N]`: OCR throughput. Renders N pages of known text (test/helpers/text-image.ts:
 * 45 lines of 60 characters, 1,176×1,533 pixels, an A4 page at about 140 dpi), then parses them in-process, as a
 * parse worker does: first as PNG images, then as one image-only PDF (pages read through pdf.js's operator
 * list). Prints one JSON object: pages per second, seconds and CPU seconds per page for each (CPU time does not
 * grow when other work shares the cores), the load average, the recogniser's start-up, and the share of the
 * rendered words that came back.
 */
import { loadavg } from 'node:os';
import { parseSource, type SourceFile } from '../../ingest/index.js';
import type { ParsedDocument } from '../../schemas/document.js';
import { renderText, scannedPdf, toPng } from '../../test/helpers/text-image.js';
import { Command } from '../cli/commander.js';
import { machine, round } from './stats.js';

const opts = new Command()
  .option('--pages <n>', 'pages to recognise in each form', (v) => Number(v), 6)
  .parse()
  .opts();

const WORDS =
  'PATIENT ALLERGY DOSE DAILY KIDNEY LIVER REVIEW BLOOD PRESSURE NORMAL RESULT TABLET MORNING EVENING CLINIC LETTER REFERRAL INVOICE AMOUNT BALANCE'.split(
    ' ',
  );

/** 45 lines of words chosen by a fixed linear congruential sequence: the same pages on every run. */
function pageLines(page: number): string[] {
  let seed = 1 + page * 7919;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: 45 }, () => {
    let line = '';
    for (
      let w = WORDS[next() % WORDS.length] ?? '';
      line.length + w.length + 1 <= 60;
      w = WORDS[next() % WORDS.length] ?? ''
    )
      line += (line ? ' ' : '') + w;
    return line;
  });
}

const source = (path: string, bytes: Uint8Array): SourceFile => ({
  path,
  size: bytes.length,
  readBytes: async () => bytes,
  stream: async function* () {
    yield bytes;
  },
});

async function parse(path: string, bytes: Uint8Array): Promise<ParsedDocument> {
  for await (const o of parseSource(source(path, bytes))) {
    if (!o.ok) throw new Error(`${path}: ${o.code}: ${o.message}`);
    return o.doc;
  }
  throw new Error(`${path}: no outcome`);
}

/** The share of the rendered words that appear among the recognised words. */
function recall(lines: string[][], text: string): number {
  const found = new Set(text.split(/\s+/));
  const words = lines.flat().flatMap((l) => l.split(' '));
  return words.filter((w) => found.has(w)).length / words.length;
}

const pages = Array.from({ length: opts.pages }, (_, i) => pageLines(i));
const images = pages.map((lines) => renderText(lines));
const first = images[0];
if (!first) throw new Error('--pages must be at least 1');

let started = performance.now();
await parse('warm-up.png', toPng(renderText(['WARM UP'])));
const startupS = (performance.now() - started) / 1000;

/** CPU seconds this process (the recogniser's thread included) spent since `from`. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};

started = performance.now();
let cpu = process.cpuUsage();
let pngText = '';
for (const [i, image] of images.entries())
  pngText += `${(await parse(`page-${i}.png`, toPng(image))).sections.map((s) => s.text).join('\n')}\n`;
const pngS = (performance.now() - started) / 1000;
const pngCpuS = cpuSince(cpu);

const pdf = await scannedPdf(images);
started = performance.now();
cpu = process.cpuUsage();
const scanned = await parse('scan.pdf', pdf);
const pdfS = (performance.now() - started) / 1000;
const pdfCpuS = cpuSince(cpu);
const pdfText = scanned.sections.map((s) => s.text).join('\n');

process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'ocr',
      machine: machine(),
      page: { width: first.width, height: first.height, lines: 45, characters_per_line: 60 },
      pages: opts.pages,
      recogniser_startup_s: round(startupS, 2),
      load_average_1m: round(loadavg()[0] ?? 0, 1),
      png: {
        cpu_s_per_page: round(pngCpuS / opts.pages, 2),
        pages_per_s: round(opts.pages / pngS, 3),
        s_per_page: round(pngS / opts.pages, 2),
        word_recall: round(recall(pages, pngText), 3),
      },
      scanned_pdf: {
        cpu_s_per_page: round(pdfCpuS / opts.pages, 2),
        pages_per_s: round(opts.pages / pdfS, 3),
        s_per_page: round(pdfS / opts.pages, 2),
        ocr_pages: scanned.meta.kind === 'pdf' ? scanned.meta.ocrPages : 0,
        word_recall: round(recall(pages, pdfText), 3),
      },
    },
    null,
    2,
  )}\n`,
);
