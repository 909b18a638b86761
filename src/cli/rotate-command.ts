/**
 * `prag rotate-master-key`: re-wraps every owner's data key under a new
 * master key, offline (the service stopped: the data directory lock is
 * taken). The current key is found as `prag serve` finds it; the new one is
 * read from a file or an environment variable (on SecretVM: a second secret
 * in the KMS-encrypted env file). In dev mode the data directory's key file
 * is replaced by the new key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError, MASTER_KEY_BYTES, MasterKey } from '../crypto/at-rest.js';
import { hexToBytes, isHex } from '../crypto/bytes.js';
import { lockDataDir } from '../engine/lock.js';
import { loadServiceConfig } from '../server/config.js';
import { Keyring } from '../store/keyring.js';
import { MetaStore } from '../store/meta.js';
import { DEV_MASTER_KEY_FILE, loadMasterKey } from '../tee/master-key.js';

function parseKey(text: string, what: string): MasterKey {
  const hex = text.trim().toLowerCase();
  if (!isHex(hex, MASTER_KEY_BYTES))
    throw new KeyError('master_key_invalid', `${what} must be ${MASTER_KEY_BYTES} bytes as hex`);
  return new MasterKey(hexToBytes(hex));
}

export function rotateCommand(opts: {
  dataDir: string;
  newKeyFile?: string;
  newKeyEnv?: string;
  generate?: boolean;
}): void {
  const config = loadServiceConfig();
  const devKeyFile = join(opts.dataDir, DEV_MASTER_KEY_FILE);
  const devMode = config.masterKey === undefined && config.masterKeyFile === undefined;
  let nextHex: string;
  if (opts.newKeyFile) nextHex = readFileSync(opts.newKeyFile, 'utf8');
  else if (opts.newKeyEnv) nextHex = process.env[opts.newKeyEnv] ?? '';
  else if (opts.generate && devMode) nextHex = randomBytes(MASTER_KEY_BYTES).toString('hex');
  else
    throw new Error(
      'give the new key: --new-key-file FILE or --new-key-env VAR (--generate only for a dev data directory)',
    );
  const next = parseKey(nextHex, 'the new master key');
  if (!existsSync(join(opts.dataDir, 'meta.sqlite'))) throw new Error(`${opts.dataDir} holds no PRAG data`);
  const unlock = lockDataDir(opts.dataDir);
  try {
    const current = loadMasterKey({
      hex: config.masterKey,
      file: config.masterKeyFile,
      tee: config.tee,
      dataDir: opts.dataDir,
      warn: () => undefined,
    });
    const meta = MetaStore.open(join(opts.dataDir, 'meta.sqlite'));
    try {
      const keys = new Keyring(meta, current).rotate(next);
      if (devMode) {
        writeFileSync(`${devKeyFile}.next`, `${nextHex.trim().toLowerCase()}\n`, { mode: 0o600 });
        renameSync(`${devKeyFile}.next`, devKeyFile);
      }
      process.stdout.write(
        `rotated: ${keys} owner data key${keys === 1 ? '' : 's'} re-wrapped under the new master key${devMode ? ` (written to ${devKeyFile})` : ''}.\n` +
          'Start PRAG with the new key; service keys derived from it change, so clients re-attest. Then retire the old key.\n',
      );
    } finally {
      meta.close();
    }
  } finally {
    unlock();
  }
}
