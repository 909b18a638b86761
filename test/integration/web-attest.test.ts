/**
 * TDX quote verification (src/attest/quote.ts, @phala/dcap-qvl) in a real
 * browser (Debian's Chromium), served as `prag web` serves a bundle (its CSP
 * included): in a page dcap-qvl checks certificates and signatures with its
 * pure-JS code instead of Node's crypto, and must reach the same verdict as
 * Node on Intel-signed vectors (../shared/fixtures/tdx): the same TCB status
 * and measurements, and a refusal of a changed quote or changed collateral.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Collateral } from '@phala/dcap-qvl';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyTdQuote, type VerifiedQuote } from '../../src/attest/quote.js';
import { webApp } from '../../src/cli/web-command.js';
import { hexToBytes } from '../../src/crypto/bytes.js';
import { loadWebBundle } from '../../src/server/web.js';
import { launchBrowser } from '../helpers/browser.js';
import { fixture, tempDir } from '../helpers/index.js';
import { flipBits } from '../helpers/must.js';

type Quote = typeof import('../../src/attest/quote.js');
declare global {
  interface Window {
    pragQuote: Quote;
  }
}

interface Case {
  quote: Uint8Array;
  collateral: Collateral;
  nowSecs: number;
}
type Outcome = VerifiedQuote | { refused: { name: string; check: unknown; message: string } };

const QUOTE_MODULE = join(import.meta.dirname, '../../src/attest/quote.ts');
const readCollateral = (name: string) => JSON.parse(readFileSync(fixture('tdx', name), 'utf8')) as Collateral;

// Times inside each collateral's validity window (tdx/EXPECTED.md; test/unit/attestation.test.ts).
const TDX: Case = {
  quote: new Uint8Array(readFileSync(fixture('tdx', 'tdx_quote'))),
  collateral: readCollateral('tdx_quote_collateral.json'),
  nowSecs: 1752919234,
};
const TDX_2: Case = {
  quote: hexToBytes(readFileSync(fixture('tdx', 'tdx_quote_2.hex'), 'utf8').trim().toLowerCase()),
  collateral: readCollateral('tdx_quote_2_collateral.json'),
  nowSecs: 1757462400,
};

function inNode({ quote, collateral, nowSecs }: Case): Outcome {
  try {
    return verifyTdQuote(quote, collateral, nowSecs);
  } catch (e) {
    const { name, message, check } = e as Error & { check?: unknown };
    return { refused: { name, check, message } };
  }
}

function inPage(page: Page, c: Case): Promise<Outcome> {
  return page.evaluate(({ quote, collateral, nowSecs }) => {
    try {
      return window.pragQuote.verifyTdQuote(quote, collateral, nowSecs);
    } catch (e) {
      const { name, message, check } = e as Error & { check?: unknown };
      return { refused: { name, check, message } };
    }
  }, c);
}

const flipped = (bytes: Uint8Array, at: number) => {
  const b = bytes.slice();
  flipBits(b, at);
  return b;
};
/** A signature (hex or bytes, as Collateral allows either) with its last byte changed. */
const flipLast = (sig: number[] | string) =>
  typeof sig === 'string'
    ? `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`
    : [...sig.slice(0, -1), (sig.at(-1) ?? 0) ^ 1];

let dir: ReturnType<typeof tempDir>;
let local: ServerType | undefined;
let origin: string;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  dir = tempDir('prag-web-attest-');
  const out = join(dir.path, 'bundle');
  const entry = join(dir.path, 'entry.ts');
  writeFileSync(entry, `import * as quote from ${JSON.stringify(QUOTE_MODULE)};\nwindow.pragQuote = quote;\n`);
  await build({
    configFile: false,
    logLevel: 'warn',
    root: dir.path,
    build: {
      outDir: out,
      emptyOutDir: true,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: () => 'quote.js' },
    },
  });
  writeFileSync(
    join(out, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>quote</title><script type="module" src="./quote.js"></script>\n',
  );
  let port = 0;
  // The page never calls the service: a closed loopback port stands in for it.
  const app = webApp('http://127.0.0.1:9', loadWebBundle(out), () => port);
  await new Promise<void>((resolve) => {
    local = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      port = info.port;
      resolve();
    });
  });
  origin = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
  page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(origin);
  await page
    .waitForFunction(() => window.pragQuote !== undefined, undefined, { timeout: 20_000 })
    .catch(() => {
      throw new Error(`the quote bundle did not load in Chromium: ${errors.join('; ') || 'no page error'}`);
    });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => local?.close(resolve));
  dir?.cleanup();
});

describe('TDX quote verification in Chromium agrees with Node', () => {
  test.each([
    [
      'tdx_quote',
      TDX,
      '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7',
    ],
    [
      'tdx_quote_2.hex',
      TDX_2,
      'f06dfda6dce1cf904d4e2bab1dc370634cf95cefa2ceb2de2eee127c9382698090d7a4a13e14c536ec6c9c3c8fa87077',
    ],
  ])(
    '%s verifies UpToDate in the page with the same status, MRTD, RTMRs and report data as in Node',
    async (_, c, mrtd) => {
      const node = inNode(c);
      expect(node).toMatchObject({ status: 'UpToDate', advisoryIds: [], td: { mrtd } });
      expect(await inPage(page, c)).toEqual(node);
    },
  );

  test('a quote with one flipped bit (in MRTD, in report data, in its signature, in the QE report) is refused in the page as in Node', async () => {
    for (const at of [184, 568, 636, 700]) {
      const c = { ...TDX, quote: flipped(TDX.quote, at) };
      const node = inNode(c);
      expect(node).toMatchObject({ refused: { name: 'AttestationError', check: 'quote' } });
      expect(await inPage(page, c)).toEqual(node);
    }
  });

  test('changed collateral (TCB info, QE identity, their signatures, the signing chain) or a time outside it is refused in the page as in Node', async () => {
    const { collateral } = TDX;
    const chain = collateral.tcb_info_issuer_chain;
    const leafEnd = chain.indexOf('\n-----END');
    const changed: [string, Collateral, number][] = [
      [
        'TCB levels',
        { ...collateral, tcb_info: collateral.tcb_info.replaceAll('"OutOfDate"', '"UpToDate"') },
        TDX.nowSecs,
      ],
      [
        'TCB info signature',
        { ...collateral, tcb_info_signature: flipLast(collateral.tcb_info_signature) },
        TDX.nowSecs,
      ],
      [
        'QE identity',
        { ...collateral, qe_identity: collateral.qe_identity.replace('"miscselect":"0', '"miscselect":"1') },
        TDX.nowSecs,
      ],
      [
        'QE identity signature',
        { ...collateral, qe_identity_signature: flipLast(collateral.qe_identity_signature) },
        TDX.nowSecs,
      ],
      [
        'TCB signing certificate',
        {
          ...collateral,
          tcb_info_issuer_chain: `${chain.slice(0, leafEnd - 3)}${chain[leafEnd - 3] === 'A' ? 'B' : 'A'}${chain.slice(leafEnd - 2)}`,
        },
        TDX.nowSecs,
      ],
      ['expired TCB info', collateral, 1752920164], // 1 s after the TCB info's nextUpdate
    ];
    for (const [what, changedCollateral, nowSecs] of changed) {
      const c = { quote: TDX.quote, collateral: changedCollateral, nowSecs };
      const node = inNode(c);
      expect(node, what).toMatchObject({ refused: { name: 'AttestationError', check: 'quote' } });
      expect(await inPage(page, c), what).toEqual(node);
    }
  });
});
