/**
 * A real browser for the web client's tests: Debian's Chromium driven by
 * playwright-core (never a downloaded browser), the bundle built from web/,
 * a wallet extension stand-in that signs with a real secp256k1 key, and the
 * renderer's JS heap read through the DevTools protocol.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32 } from '@scure/base';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

export const CHROMIUM = process.env.PRAG_CHROMIUM ?? '/usr/bin/chromium';

const WEB = resolve(import.meta.dirname, '../../web');

/**
 * The built bundle (`npm run build:web`, which `npm test` runs first), built
 * here only when missing: rebuilding it under tests that run in parallel
 * would pull files from under every service that is loading it.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (!existsSync(resolve(WEB, 'dist/index.html')))
    await build({ configFile: resolve(WEB, 'vite.config.ts'), logLevel: 'warn' });
}

export function launchBrowser(): Promise<Browser> {
  // Fails, never skips: a web test that does not run proves nothing.
  if (!existsSync(CHROMIUM))
    throw new Error(`Debian's Chromium is not at ${CHROMIUM}: apt-get install chromium (.ci/run does it when missing)`);
  // As root (CI containers) Chromium starts only without its sandbox; the pages it opens are the test's own.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: CHROMIUM, args });
}

/** The amino JSON a Cosmos wallet signs: keys sorted at every level, `<>&` escaped as Keplr does. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

const aminoBytes = (doc: unknown) =>
  new TextEncoder().encode(
    sortedJson(doc).replaceAll('&', '\\u0026').replaceAll('<', '\\u003c').replaceAll('>', '\\u003e'),
  );

export interface TestWallet {
  address: string;
  /** How many sign requests the page made. */
  signatures: number;
}

/**
 * Puts a Keplr-shaped `window.keplr` in every page of the context: the page
 * asks it to sign the permit's amino sign doc and the test signs it here,
 * with a fresh secp256k1 key, as the extension would.
 */
export async function injectKeplr(page: Page): Promise<TestWallet> {
  const secret = secp256k1.utils.randomSecretKey();
  const publicKey = secp256k1.getPublicKey(secret, true);
  const wallet = { address: bech32.encode('secret', bech32.toWords(ripemd160(sha256(publicKey)))), signatures: 0 };
  await page.exposeFunction('__pragTestKeplrSign', (signer: string, doc: unknown) => {
    if (signer !== wallet.address) throw new Error(`asked to sign for ${signer}`);
    wallet.signatures += 1;
    const signature = secp256k1.sign(aminoBytes(doc), secret, { prehash: true, lowS: true });
    return {
      signed: doc,
      signature: {
        pub_key: { type: 'tendermint/PubKeySecp256k1', value: Buffer.from(publicKey).toString('base64') },
        signature: Buffer.from(signature).toString('base64'),
      },
    };
  });
  await page.addInitScript((address: string) => {
    const sign = (signer: string, doc: unknown) =>
      (window as unknown as { __pragTestKeplrSign: (a: string, d: unknown) => Promise<unknown> }).__pragTestKeplrSign(
        signer,
        doc,
      );
    Object.assign(window, {
      keplr: {
        enable: async () => undefined,
        getOfflineSignerOnlyAmino: () => ({
          getAccounts: async () => [{ address, algo: 'secp256k1' }],
          signAmino: (signer: string, doc: unknown) => sign(signer, doc),
        }),
      },
    });
  }, wallet.address);
  return wallet;
}

/**
 * The page's live memory (JS heap and typed-array buffers: `performance.measureUserAgentSpecificMemory`, which
 * needs the cross-origin isolation PRAG's pages have). It waits for a garbage collection, so it is what is
 * really held, not garbage not yet collected.
 */
export async function liveMemory(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const memory = performance as unknown as { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> };
    return (await memory.measureUserAgentSpecificMemory()).bytes;
  });
}
