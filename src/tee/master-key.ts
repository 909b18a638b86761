/**
 * The master key from the KMS. On SecretVM the KMS delivers secrets through
 * the VM's env file on the encrypted volume: either as PRAG_MASTER_KEY (64 hex
 * characters, from the compose's env_file) or as a file PRAG_MASTER_KEY_FILE
 * names (32 bytes raw, or 64 hex characters).
 * The dev provider, with no file configured, keeps one in the data directory
 * (created on first start, with a warning). A data directory that already
 * holds data never gets a new key: a missing key is an error, not a reset.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TeeProviderName } from '../../schemas/attestation.js';
import { KeyError, MASTER_KEY_BYTES, MasterKey } from '../crypto/at-rest.js';
import { hexToBytes, isHex } from '../crypto/bytes.js';

export const DEV_MASTER_KEY_FILE = 'master.key';

function parseKeyFile(file: string): MasterKey {
  const raw = new Uint8Array(readFileSync(file));
  const text = new TextDecoder().decode(raw).trim();
  if (isHex(text, MASTER_KEY_BYTES)) return new MasterKey(hexToBytes(text.toLowerCase()));
  if (raw.length === MASTER_KEY_BYTES) return new MasterKey(raw);
  throw new KeyError('master_key_invalid', `${file} must hold ${MASTER_KEY_BYTES} bytes, raw or as hex`);
}

export function loadMasterKey(opts: {
  hex?: string;
  file?: string;
  tee: TeeProviderName;
  dataDir: string;
  warn(message: string): void;
}): MasterKey {
  if (opts.hex !== undefined) {
    const hex = opts.hex.trim().toLowerCase();
    if (!isHex(hex, MASTER_KEY_BYTES))
      throw new KeyError('master_key_invalid', `PRAG_MASTER_KEY must be ${MASTER_KEY_BYTES} bytes as hex`);
    return new MasterKey(hexToBytes(hex));
  }
  if (opts.file) {
    if (!existsSync(opts.file))
      throw new KeyError('master_key_missing', `master key file ${opts.file} does not exist; nothing was changed`);
    return parseKeyFile(opts.file);
  }
  if (opts.tee !== 'dev')
    throw new KeyError(
      'master_key_missing',
      `the ${opts.tee} provider needs PRAG_MASTER_KEY or PRAG_MASTER_KEY_FILE (the KMS-delivered master key)`,
    );
  const devFile = join(opts.dataDir, DEV_MASTER_KEY_FILE);
  if (existsSync(devFile)) return parseKeyFile(devFile);
  if (existsSync(join(opts.dataDir, 'meta.sqlite'))) {
    throw new KeyError(
      'master_key_missing',
      `${opts.dataDir} holds data but its master key (${DEV_MASTER_KEY_FILE}) is gone; restore it or set PRAG_MASTER_KEY_FILE; nothing was changed`,
    );
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(devFile, `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  opts.warn(`dev provider: generated a master key in ${devFile}; anyone who can read this directory can read its data`);
  return parseKeyFile(devFile);
}
