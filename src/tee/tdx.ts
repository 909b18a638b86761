/**
 * `tdx`: a generic TDX guest with the kernel's configfs-tsm interface
 * (Documentation/ABI/testing/configfs-tsm): create a report directory, write
 * the 64-byte report_data to `inblob`, read the quote from `outblob`, check
 * that `generation` did not move (another writer raced us), remove the
 * directory. report_data = SHA-512(statement bytes ‖ nonce): every
 * challenge gets a fresh quote.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex } from '../crypto/bytes.js';
import { tdxReportData } from '../crypto/statement.js';
import { TeeError, type TeeProvider } from './provider.js';

export const TSM_REPORT_DIR = '/sys/kernel/config/tsm/report';

export function tdxProvider(reportDir = TSM_REPORT_DIR): TeeProvider {
  let queue: Promise<unknown> = Promise.resolve(); // one report at a time
  const quote = async (reportData: Uint8Array): Promise<Uint8Array> => {
    const dir = join(reportDir, `prag-${randomBytes(8).toString('hex')}`);
    await mkdir(dir).catch((e: Error) => {
      throw new TeeError(
        `configfs-tsm is not available at ${reportDir} (${e.message}); is this a TDX guest with CONFIG_TSM_REPORTS?`,
      );
    });
    try {
      const before = (await readFile(join(dir, 'generation'), 'utf8')).trim();
      await writeFile(join(dir, 'inblob'), reportData);
      const out = new Uint8Array(await readFile(join(dir, 'outblob')));
      const after = (await readFile(join(dir, 'generation'), 'utf8')).trim();
      if (Number(after) !== Number(before) + 1)
        throw new TeeError('configfs-tsm report was changed by another writer; retry');
      if (!out.length) throw new TeeError('configfs-tsm returned an empty quote');
      return out;
    } finally {
      await rmdir(dir).catch(() => undefined);
    }
  };
  return {
    name: 'tdx',
    secure: true,
    async bind() {
      await quote(new Uint8Array(64)); // fail at start, not at the first client
    },
    async evidence(statement, nonce) {
      const next = queue.then(() => quote(tdxReportData(statement, nonce)));
      queue = next.catch(() => undefined);
      return { provider: 'tdx', quote: bytesToHex(await next) };
    },
  };
}
