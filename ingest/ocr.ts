/**
 * Optical character recognition with tesseract.js (English LSTM model). Everything it loads comes from the
 * installed packages — the worker script from `tesseract.js`, the WebAssembly core from `tesseract.js-core`, the
 * model from `@tesseract.js-data/eng` — and nothing is cached: no request leaves and no file is written.
 *
 * tesseract.js runs the core in a worker thread of its own, started on first use and ended after a short
 * idle time (so a process that read one image still exits). Inside the parse sandbox that thread is the parse
 * worker's child: ended with it when the sandbox's time or heap limit stops the parse worker.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Worker as Tesseract } from 'tesseract.js';

const require = createRequire(import.meta.url);

/** How long an unused recogniser is kept: it costs about a second to start. */
const IDLE_MS = 3000;

let recogniser: Promise<Tesseract> | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let busy = 0;

async function start(): Promise<Tesseract> {
  const { createWorker, OEM } = await import('tesseract.js');
  return createWorker('eng', OEM.LSTM_ONLY, {
    workerPath: join(dirname(require.resolve('tesseract.js/package.json')), 'src', 'worker-script', 'node', 'index.js'),
    corePath: dirname(require.resolve('tesseract.js-core/package.json')),
    // The integer-quantised LSTM model (2.9 MB gzipped): the one tesseract.js itself fetches for LSTM-only use.
    langPath: join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int'),
    gzip: true,
    cacheMethod: 'none',
    logger: () => undefined,
    errorHandler: () => undefined,
  });
}

function stopWhenIdle(): void {
  clearTimeout(idleTimer);
  if (busy > 0) return;
  idleTimer = setTimeout(() => {
    const done = recogniser;
    recogniser = undefined;
    void done?.then((r) => r.terminate()).catch(() => undefined);
  }, IDLE_MS);
  idleTimer.unref();
}

export interface Recognised {
  text: string;
  /** Mean word confidence, 0-100. */
  confidence: number;
}

/** The text tesseract reads in an image (PNG, JPEG, TIFF, PNM or BMP bytes). */
export async function recognise(image: Uint8Array): Promise<Recognised> {
  busy++;
  clearTimeout(idleTimer);
  try {
    recogniser ??= start().catch((e: unknown) => {
      recogniser = undefined; // a failed start is tried again by the next image
      throw e;
    });
    const r = await recogniser;
    const { data } = await r.recognize(Buffer.from(image.buffer, image.byteOffset, image.byteLength));
    return { text: data.text, confidence: data.confidence };
  } finally {
    busy--;
    stopWhenIdle();
  }
}
