/**
 * Quote collateral from a PCCS (Intel's PCS protocol, via dcap-qvl's
 * getCollateral), cached on disk per platform certificate chain until the
 * TCB info or QE identity it holds expires. Node-only (the browser client
 * brings its own getter).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { getCollateral, Quote, type Collateral } from '@phala/dcap-qvl';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bytesToHex } from '../crypto/bytes.js';

export const DEFAULT_PCCS_URL = 'https://pccs.scrtlabs.com';

/** The earliest nextUpdate of the signed collateral parts, ms since the epoch. */
function collateralExpiry(collateral: Collateral): number {
  const next = (json: string, key: string) => Date.parse((JSON.parse(json) as Record<string, string>)[key] ?? '');
  const times = [next(collateral.tcb_info, 'nextUpdate'), next(collateral.qe_identity, 'nextUpdate')].filter(
    Number.isFinite,
  );
  return times.length ? Math.min(...times) : 0;
}

export function collateralSource(options: {
  pccsUrl: string;
  cacheDir?: string;
  now?: () => number;
}): (quote: Uint8Array) => Promise<Collateral> {
  const now = options.now ?? Date.now;
  return async (quote) => {
    const key = bytesToHex(sha256(Quote.parse(quote).rawCertChain())).slice(0, 32);
    const file = options.cacheDir ? join(options.cacheDir, `collateral-${key}.json`) : undefined;
    if (file) {
      const cached = await readFile(file, 'utf8')
        .then((t) => JSON.parse(t) as Collateral)
        .catch(() => undefined);
      if (cached && collateralExpiry(cached) > now()) return cached;
    }
    const fresh = await getCollateral(options.pccsUrl, quote);
    if (file) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(fresh));
      await rename(`${file}.tmp`, file);
    }
    return fresh;
  };
}
