/**
 * `prag rotate-master-key`: re-wraps every owner's data key under a new
 * master key, offline (the service stopped: the data directory lock is
 * taken). The current key is found as `prag serve` finds it.
 * - `--to-enclave`: the new key is born here and kept only in the data
 *   directory (a deployment that used an operator-supplied key moves off it;
 *   the old key opens nothing afterwards);
 * - `--new-key-file` / `--new-key-env`: escrow mode only, the operator's next key.
 */
import { readFileSync } from 'node:fs';
import { lockDataDir } from '../engine/lock.js';
import { loadServiceConfig } from '../server/config.js';
import { Stores } from '../store/index.js';
import { openKeyring, rotateToEnclaveKey, suppliedMasterKey } from '../tee/master-key.js';

export function rotateCommand(opts: {
  dataDir: string;
  toEnclave?: boolean;
  newKeyFile?: string;
  newKeyEnv?: string;
}): void {
  const config = loadServiceConfig();
  const escrow = config.keyEscrow === 'operator';
  const nextHex = opts.newKeyFile
    ? readFileSync(opts.newKeyFile, 'utf8')
    : opts.newKeyEnv && process.env[opts.newKeyEnv];
  if (Boolean(opts.toEnclave) === Boolean(nextHex))
    throw new Error('give --to-enclave, or (escrow mode) the next key with --new-key-file FILE or --new-key-env VAR');
  if (nextHex && !escrow)
    throw new Error(
      'an operator-supplied key is used only in escrow mode (PRAG_KEY_ESCROW=operator); use --to-enclave',
    );
  if (!Stores.exist(opts.dataDir)) throw new Error(`${opts.dataDir} holds no PRAG data`);
  const unlock = lockDataDir(opts.dataDir);
  try {
    const stores = Stores.open(opts.dataDir);
    try {
      const supplied = suppliedMasterKey({ hex: config.masterKey, file: config.masterKeyFile });
      const { keyring, origin } = openKeyring(stores, {
        dataDir: opts.dataDir,
        supplied,
        escrow,
        warn: () => undefined,
      });
      const next = nextHex ? suppliedMasterKey({ hex: nextHex }) : undefined;
      const rewrapped = next
        ? keyring.rotate(next)
        : rotateToEnclaveKey(stores, keyring, opts.dataDir, origin === 'operator-escrow').rewrapped;
      process.stdout.write(
        `rotated: ${rewrapped} owner data key${rewrapped === 1 ? '' : 's'} re-wrapped under the new master key` +
          (next ? ' (escrow: start PRAG with the new key).\n' : ' (born here, kept in the data directory).\n') +
          'The old key opens nothing now: retire it.\n',
      );
    } finally {
      stores.close();
    }
  } finally {
    unlock();
  }
}
